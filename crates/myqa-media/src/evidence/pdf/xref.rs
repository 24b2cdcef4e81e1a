//! The cross-reference chain, checked from the raw bytes before `lopdf` loads the file.
//!
//! `lopdf` (0.42) trusts what the cross-reference data declares: it inflates cross-reference
//! streams without bound, allocates field buffers of the declared `/W` widths, creates an entry
//! for every declared index (with `/W [0 0 0]`, billions from a few bytes), and parses the object
//! at every in-use offset (so a million entries pointing at one big stream copy it a million
//! times). The same chain is walked here first — `startxref` (found as `lopdf` finds it), then
//! every `/Prev` and `/XRefStm` — and refused unless it is sane:
//!
//! - cross-reference streams decode to at most [`MAX_XREF_STREAM_BYTES`], with `/W` fields of
//!   at most 8 bytes each and at least one in all;
//! - at most [`MAX_OBJECTS`] entries in all;
//! - no two objects at one offset;
//! - no `/Encrypt` in any trailer: an encrypted document is refused before `lopdf` takes its
//!   other loading path (which skips the guard on object streams, see `load`).

use std::collections::{BTreeMap, HashSet};

use pdf_extract::{Dictionary, Object, Stream};

use super::decode::decode_bounded;
use super::lexer::{Lexer, Token, Value};
use crate::MediaError;

/// Objects a document may declare. Office documents of hundreds of pages hold tens of
/// thousands.
pub(super) const MAX_OBJECTS: usize = 1_000_000;

/// Decoded size of one cross-reference stream (a million 5-byte entries is 5 MB).
const MAX_XREF_STREAM_BYTES: usize = 16 << 20;

/// Sections in the `/Prev` chain (one per incremental save).
const MAX_SECTIONS: usize = 64;

/// Where `lopdf` looks for `startxref`: the last `%%EOF` in the final 512 bytes, `startxref`
/// at most 25 bytes before it.
const EOF_WINDOW: usize = 512;
const STARTXREF_WINDOW: usize = 25;

/// One entry of a cross-reference section: an object stored at an offset, or elsewhere.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    InUse(u64),
    Other,
}

/// Checks the cross-reference chain of `pdf` (the bytes from `%PDF-` on, as `lopdf` sees them).
pub(super) fn check(pdf: &[u8]) -> Result<(), MediaError> {
    let mut entries: BTreeMap<u64, Entry> = BTreeMap::new();
    let mut pending = vec![start_offset(pdf).ok_or_else(|| {
        corrupt("it has no cross-reference table (no startxref before %%EOF at its end)")
    })?];
    let mut seen = HashSet::new();
    while let Some(offset) = pending.pop() {
        if !seen.insert(offset) {
            continue;
        }
        if seen.len() > MAX_SECTIONS {
            return Err(unsupported("it has more than 64 cross-reference sections"));
        }
        let section = read_section(pdf, offset)?;
        if section.trailer.get(b"Encrypt").is_some() {
            return Err(unsupported(
                "the PDF is encrypted (password-protected or with restricted permissions); \
                 send an unprotected copy",
            ));
        }
        // Newer sections win, as in `lopdf`'s merge.
        for (number, entry) in section.entries {
            entries.entry(number).or_insert(entry);
            if entries.len() > MAX_OBJECTS {
                return Err(unsupported("it declares more than a million objects"));
            }
        }
        // `/XRefStm` of a hybrid file first (it belongs to this revision), then `/Prev`.
        for key in [b"Prev".as_slice(), b"XRefStm"] {
            if let Some(next) = section.trailer.get(key).and_then(Value::int) {
                let next = u64::try_from(next)
                    .ok()
                    .filter(|n| *n < pdf.len() as u64)
                    .ok_or_else(|| corrupt("a cross-reference offset points outside the file"))?;
                pending.push(next);
            }
        }
    }
    let mut offsets: Vec<u64> = entries
        .values()
        .filter_map(|entry| match entry {
            Entry::InUse(at) if *at > 0 && *at < pdf.len() as u64 => Some(*at),
            _ => None,
        })
        .collect();
    offsets.sort_unstable();
    if offsets.windows(2).any(|w| w[0] == w[1]) {
        return Err(corrupt(
            "its cross-reference table puts two objects at the same place",
        ));
    }
    Ok(())
}

struct Section {
    entries: Vec<(u64, Entry)>,
    trailer: Value,
}

fn start_offset(pdf: &[u8]) -> Option<u64> {
    let tail_start = pdf.len().saturating_sub(EOF_WINDOW);
    let eof = tail_start + rfind(&pdf[tail_start..], b"%%EOF")?;
    if eof <= STARTXREF_WINDOW {
        return None;
    }
    let from = eof - STARTXREF_WINDOW;
    let at = from + rfind(&pdf[from..eof], b"startxref")?;
    let mut lexer = Lexer::new(pdf, at + b"startxref".len());
    match lexer.next_token()? {
        Token::Int(n) => u64::try_from(n).ok(),
        _ => None,
    }
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The section at `offset`: a classic `xref` table with its `trailer`, or an `obj` holding a
/// cross-reference stream.
fn read_section(pdf: &[u8], offset: u64) -> Result<Section, MediaError> {
    let unreadable = || corrupt("its cross-reference data cannot be read");
    let start = usize::try_from(offset)
        .ok()
        .filter(|o| *o < pdf.len())
        .ok_or_else(unreadable)?;
    let mut lexer = Lexer::new(pdf, start);
    match lexer.next_token() {
        Some(Token::Keyword(b"xref")) => classic_table(&mut lexer).ok_or_else(unreadable),
        Some(Token::Int(_)) => match (lexer.next_token(), lexer.next_token()) {
            (Some(Token::Int(_)), Some(Token::Keyword(b"obj"))) => xref_stream(pdf, &mut lexer),
            _ => Err(unreadable()),
        },
        _ => Err(unreadable()),
    }
}

/// `xref`, subsections of `first count` and `offset generation n|f` lines, `trailer <<…>>`.
fn classic_table(lexer: &mut Lexer) -> Option<Section> {
    let mut entries = Vec::new();
    loop {
        match lexer.next_token()? {
            Token::Keyword(b"trailer") => break,
            Token::Int(first) => {
                let Token::Int(count) = lexer.next_token()? else {
                    return None;
                };
                let (first, count) = (u64::try_from(first).ok()?, u64::try_from(count).ok()?);
                if count > MAX_OBJECTS as u64 {
                    return None;
                }
                for number in first..first + count {
                    let (Token::Int(at), Token::Int(_)) =
                        (lexer.next_token()?, lexer.next_token()?)
                    else {
                        return None;
                    };
                    let entry = match lexer.next_token()? {
                        Token::Keyword(b"n") => Entry::InUse(u64::try_from(at).ok()?),
                        Token::Keyword(b"f") => Entry::Other,
                        _ => return None,
                    };
                    entries.push((number, entry));
                    if entries.len() > MAX_OBJECTS {
                        return None;
                    }
                }
            }
            _ => return None,
        }
    }
    let trailer = lexer.value()?;
    matches!(trailer, Value::Dict(_)).then_some(Section { entries, trailer })
}

/// A cross-reference stream: its dictionary is the trailer; its data, decoded under the cap,
/// holds fixed-width entries.
fn xref_stream(pdf: &[u8], lexer: &mut Lexer) -> Result<Section, MediaError> {
    let unreadable = || corrupt("its cross-reference stream cannot be read");
    let dict = lexer.value().ok_or_else(unreadable)?;
    if lexer.next_token() != Some(Token::Keyword(b"stream")) {
        return Err(unreadable());
    }
    let widths: Vec<usize> = match dict.get(b"W") {
        Some(Value::Array(items)) if items.len() >= 3 => items
            .iter()
            .map(|v| {
                v.int()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n <= 8)
            })
            .collect::<Option<_>>()
            .ok_or_else(|| corrupt("its cross-reference stream has invalid field widths"))?,
        _ => return Err(unreadable()),
    };
    let row: usize = widths[..3].iter().sum();
    if row == 0 {
        return Err(corrupt(
            "its cross-reference stream has invalid field widths",
        ));
    }
    let size = dict
        .get(b"Size")
        .and_then(Value::int)
        .ok_or_else(unreadable)?;
    let ranges: Vec<(i64, i64)> = match dict.get(b"Index") {
        Some(Value::Array(items)) => items
            .chunks_exact(2)
            .map(|pair| Some((pair[0].int()?, pair[1].int()?)))
            .collect::<Option<_>>()
            .ok_or_else(unreadable)?,
        _ => vec![(0, size)],
    };
    let declared = ranges.iter().try_fold(0u64, |sum, (first, count)| {
        (*first >= 0 && *count >= 0).then(|| sum.saturating_add(*count as u64))
    });
    if declared.is_none_or(|n| n > MAX_OBJECTS as u64) {
        return Err(unsupported("it declares more than a million objects"));
    }

    let data = stream_bytes(pdf, lexer.stream_data_start(), &dict)?;
    let mut entries = Vec::new();
    let mut rows = data.chunks_exact(row);
    'ranges: for (first, count) in ranges {
        for number in first as u64..first as u64 + count as u64 {
            let Some(fields) = rows.next() else {
                break 'ranges;
            };
            let field = |i: usize| {
                let start: usize = widths[..i].iter().sum();
                fields[start..start + widths[i]]
                    .iter()
                    .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
            };
            // A missing type field means "in use" (type 1).
            let kind = if widths[0] == 0 { 1 } else { field(0) };
            let entry = match kind {
                1 => Entry::InUse(field(1)),
                _ => Entry::Other,
            };
            entries.push((number, entry));
        }
    }
    Ok(Section {
        entries,
        trailer: dict,
    })
}

/// A cross-reference stream's data, decoded under the cap with `lopdf`'s own filters (so PNG
/// predictors are undone exactly as it will undo them).
fn stream_bytes(pdf: &[u8], data_start: usize, dict: &Value) -> Result<Vec<u8>, MediaError> {
    let rest = pdf.get(data_start..).unwrap_or_default();
    // A direct /Length is believed when it fits; otherwise everything to the end of the file is
    // handed over, an upper bound of what `lopdf` reads (zlib data ends itself).
    let raw = match dict.get(b"Length").and_then(Value::int) {
        Some(len) => usize::try_from(len)
            .ok()
            .and_then(|len| rest.get(..len))
            .unwrap_or(rest),
        None => rest,
    };
    let mut lopdf_dict = Dictionary::new();
    if let Some(filter) = dict.get(b"Filter").and_then(to_object) {
        lopdf_dict.set("Filter", filter);
    }
    if let Some(params) = dict.get(b"DecodeParms").and_then(to_object) {
        lopdf_dict.set("DecodeParms", params);
    }
    let stream = Stream::new(lopdf_dict, raw.to_vec());
    decode_bounded(&stream, MAX_XREF_STREAM_BYTES)
        .map_err(|_| unsupported("its cross-reference stream expands beyond 16 MiB"))?;
    // Within the cap: `lopdf` may now decode it itself, predictor included.
    Ok(stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone()))
}

/// Names, integers, arrays and dictionaries of them, as `lopdf` objects.
fn to_object(value: &Value) -> Option<Object> {
    Some(match value {
        Value::Int(n) => Object::Integer(*n),
        Value::Name(name) => Object::Name(name.clone()),
        Value::Array(items) => Object::Array(items.iter().filter_map(to_object).collect()),
        Value::Dict(entries) => {
            let mut dict = Dictionary::new();
            for (key, value) in entries {
                if let Some(value) = to_object(value) {
                    dict.set(key.clone(), value);
                }
            }
            Object::Dictionary(dict)
        }
        Value::Ref | Value::Other => return None,
    })
}

fn corrupt(why: &str) -> MediaError {
    MediaError::Corrupt(why.to_owned())
}

fn unsupported(why: &str) -> MediaError {
    MediaError::Unsupported(why.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classic(body: &str, table: &str, trailer: &str) -> Vec<u8> {
        let mut pdf = format!("%PDF-1.4\n{body}");
        let xref_at = pdf.len();
        pdf.push_str(&format!(
            "xref\n{table}trailer\n{trailer}\nstartxref\n{xref_at}\n%%EOF\n"
        ));
        pdf.into_bytes()
    }

    #[test]
    fn a_plain_table_passes() {
        let pdf = classic(
            "1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            "0 2\n0000000000 65535 f \n0000000009 00000 n \n",
            "<< /Size 2 /Root 1 0 R >>",
        );
        check(&pdf).unwrap();
    }

    #[test]
    fn encryption_is_refused_even_spelled_with_escapes() {
        let pdf = classic(
            "1 0 obj\n<< >>\nendobj\n",
            "0 2\n0000000000 65535 f \n0000000009 00000 n \n",
            "<< /Size 2 /Root 1 0 R /Encr#79pt 1 0 R >>",
        );
        let error = check(&pdf).unwrap_err();
        assert!(error.to_string().contains("encrypted"), "{error}");
    }

    #[test]
    fn two_objects_at_one_offset_are_refused() {
        let pdf = classic(
            "1 0 obj\n<< >>\nendobj\n",
            "0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000009 00000 n \n",
            "<< /Size 3 /Root 1 0 R >>",
        );
        assert!(matches!(check(&pdf), Err(MediaError::Corrupt(_))));
    }

    #[test]
    fn xref_stream_bombs_and_wide_fields_are_refused() {
        use std::io::Write;
        let stream_pdf = |dict: &str, data: &[u8]| {
            let mut pdf = b"%PDF-1.5\n".to_vec();
            let at = pdf.len();
            pdf.extend_from_slice(format!("1 0 obj\n{dict}\nstream\n").as_bytes());
            pdf.extend_from_slice(data);
            pdf.extend_from_slice(
                format!("\nendstream\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes(),
            );
            pdf
        };
        let mut zeros = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        zeros.write_all(&vec![0u8; 64 << 20]).unwrap();
        let bomb = zeros.finish().unwrap();
        let pdf = stream_pdf(
            "<< /Type /XRef /Size 1 /W [1 2 1] /Filter /FlateDecode >>",
            &bomb,
        );
        assert!(matches!(check(&pdf), Err(MediaError::Unsupported(_))));

        let pdf = stream_pdf(
            "<< /Type /XRef /Size 1 /W [1 1099511627776 1] >>",
            b"\x01\x00\x09\x00",
        );
        assert!(matches!(check(&pdf), Err(MediaError::Corrupt(_))));
        let pdf = stream_pdf("<< /Type /XRef /Size 2000000000 /W [0 0 0] >>", b"");
        assert!(check(&pdf).is_err());
    }
}
