//! JSON out of a model's answer, when the server cannot enforce it: the
//! answer may wrap it in a code fence or put prose before and after it.

use serde_json::Value;

/// The first JSON object or array in `text`.
pub(crate) fn extract_json(text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("the answer is empty".to_owned());
    }
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Ok(value);
    }
    // Every balanced {…} or […] in order, fenced or not; the first that
    // parses wins.
    let mut from = 0;
    while let Some(start) = trimmed[from..].find(['{', '[']).map(|i| i + from) {
        if let Some(end) = balanced_end(&trimmed[start..])
            && let Ok(value) = serde_json::from_str(&trimmed[start..start + end])
        {
            return Ok(value);
        }
        from = start + 1;
    }
    let serde_error = serde_json::from_str::<Value>(trimmed)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    Err(format!(
        "the answer holds no valid JSON object ({serde_error})"
    ))
}

/// Length of the bracketed value at the start of `text`, strings and escapes
/// respected, or `None` if it never closes.
fn balanced_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fenced_prose_wrapped_and_bare_json_are_found() {
        assert_eq!(extract_json(r#"{"a": 1}"#), Ok(json!({"a": 1})));
        assert_eq!(
            extract_json("Here you go:\n```json\n{\"a\": \"} tricky {\"}\n```\nHope it helps."),
            Ok(json!({"a": "} tricky {"}))
        );
        assert_eq!(
            extract_json("Sure! [note] The result is {\"b\": [1, 2]} as asked."),
            Ok(json!({"b": [1, 2]}))
        );
        assert!(extract_json("I cannot help with that.").is_err());
        assert!(extract_json("{\"a\": 1").is_err());
        assert!(extract_json("  ").is_err());
    }
}
