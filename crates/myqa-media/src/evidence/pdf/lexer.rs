//! Just enough of PDF's syntax to read cross-reference sections and trailers straight from the
//! bytes, before `lopdf` is trusted with the file (see `xref`).
//!
//! Strings are skipped (so a `(… obj …)` inside one cannot fake structure), names are decoded
//! (`/Encr#79pt` is `/Encrypt`), and nesting is bounded so hostile input cannot exhaust the
//! stack.

/// Deeper arrays or dictionaries than this are refused (as `lopdf` refuses beyond 100).
const MAX_NESTING: usize = 32;

/// A parsed PDF object, reduced to what the cross-reference checks look at.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Int(i64),
    Ref,
    Name(Vec<u8>),
    Array(Vec<Value>),
    Dict(Vec<(Vec<u8>, Value)>),
    /// Reals, strings, booleans, null.
    Other,
}

impl Value {
    pub(super) fn get(&self, key: &[u8]) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(super) fn int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }
}

#[derive(Debug, PartialEq)]
pub(super) enum Token<'a> {
    Int(i64),
    Name(Vec<u8>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// Strings and reals, which the checks never need to read.
    Skipped,
    /// A bare word: `obj`, `stream`, `xref`, `trailer`, `R`, `true`, `n`, `f` …
    Keyword(&'a [u8]),
}

/// A cursor over the file's bytes.
#[derive(Debug, Clone)]
pub(super) struct Lexer<'a> {
    bytes: &'a [u8],
    pub(super) pos: usize,
}

fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delimiter(b)
}

impl<'a> Lexer<'a> {
    pub(super) fn new(bytes: &'a [u8], pos: usize) -> Self {
        Lexer { bytes, pos }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(b) = self.peek() {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// The next token, or `None` at the end of the bytes.
    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
        self.skip_blanks();
        let b = self.peek()?;
        self.pos += 1;
        Some(match b {
            b'[' => Token::ArrayOpen,
            b']' => Token::ArrayClose,
            b'<' if self.peek() == Some(b'<') => {
                self.pos += 1;
                Token::DictOpen
            }
            b'>' if self.peek() == Some(b'>') => {
                self.pos += 1;
                Token::DictClose
            }
            b'<' => {
                while self.peek().is_some_and(|b| b != b'>') {
                    self.pos += 1;
                }
                self.pos += 1;
                Token::Skipped
            }
            b'(' => {
                self.skip_literal_string();
                Token::Skipped
            }
            b'/' => Token::Name(decode_name(self.regular_run())),
            _ => {
                self.pos -= 1;
                let word = self.regular_run();
                if word.is_empty() {
                    // A stray delimiter (`)`, `>`, `{`): step over it.
                    self.pos += 1;
                    return Some(Token::Skipped);
                }
                match std::str::from_utf8(word).ok().and_then(|w| w.parse().ok()) {
                    Some(n) => Token::Int(n),
                    None if word.iter().all(|b| b"+-.0123456789".contains(b)) => Token::Skipped,
                    None => Token::Keyword(word),
                }
            }
        })
    }

    fn skip_literal_string(&mut self) {
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// One object: `12`, `3 0 R`, `/Name`, `[…]`, `<<…>>`.
    pub(super) fn value(&mut self) -> Option<Value> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_NESTING {
            return None;
        }
        Some(match self.next_token()? {
            Token::Int(n) => {
                // `n g R` is a reference; look ahead without consuming otherwise.
                let mut ahead = self.clone();
                if let (Some(Token::Int(_)), Some(Token::Keyword(b"R"))) =
                    (ahead.next_token(), ahead.next_token())
                {
                    *self = ahead;
                    Value::Ref
                } else {
                    Value::Int(n)
                }
            }
            Token::Name(name) => Value::Name(name),
            Token::ArrayOpen => {
                let mut items = Vec::new();
                loop {
                    let mut ahead = self.clone();
                    if ahead.next_token()? == Token::ArrayClose {
                        *self = ahead;
                        break Value::Array(items);
                    }
                    items.push(self.value_at(depth + 1)?);
                }
            }
            Token::DictOpen => self.dict_body(depth)?,
            Token::Skipped | Token::Keyword(_) => Value::Other,
            Token::ArrayClose | Token::DictClose => return None,
        })
    }

    /// The entries of a dictionary whose `<<` was just read.
    fn dict_body(&mut self, depth: usize) -> Option<Value> {
        let mut entries = Vec::new();
        loop {
            match self.next_token()? {
                Token::DictClose => return Some(Value::Dict(entries)),
                Token::Name(key) => {
                    let value = self.value_at(depth + 1)?;
                    entries.push((key, value));
                }
                _ => return None,
            }
        }
    }

    /// After the `stream` keyword: the offset where its data starts (past one end of line).
    pub(super) fn stream_data_start(&self) -> usize {
        let rest = &self.bytes[self.pos.min(self.bytes.len())..];
        let eol = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") || rest.starts_with(b"\r") {
            1
        } else {
            0
        };
        self.pos + eol
    }
}

/// A name's bytes with `#xx` escapes decoded.
fn decode_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (raw[i], hex) {
            (b'#', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_references_and_escaped_names() {
        let text = b"<< /Size 12 /Root 1 0 R /Encr#79pt 5 0 R /W [1 2 1] /ID [<ab> (x) obj)] >>";
        let value = Lexer::new(text, 0).value().unwrap();
        assert_eq!(value.get(b"Size"), Some(&Value::Int(12)));
        assert_eq!(value.get(b"Root"), Some(&Value::Ref));
        assert_eq!(value.get(b"Encrypt"), Some(&Value::Ref));
        assert_eq!(
            value.get(b"W"),
            Some(&Value::Array(vec![
                Value::Int(1),
                Value::Int(2),
                Value::Int(1)
            ]))
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = [b"[".repeat(10_000), b"]".repeat(10_000)].concat();
        assert_eq!(Lexer::new(&deep, 0).value(), None);
    }
}
