//! Loading with `lopdf`, object streams held to a budget.
//!
//! `lopdf` unpacks every object stream while it loads, inflating it without bound and creating
//! an object per index entry. Its load-time filter hook sees each stream before that happens, so
//! the hook decodes object streams under a cap first, counts their entries, and empties any that
//! would break the budget (then the load is refused). The hook is a plain `fn`, so the budget of
//! the load in progress lives in a thread-local; `lopdf` is built without its `rayon` feature,
//! so the hook runs on the loading thread.

use std::cell::RefCell;

use pdf_extract::{Document, LoadOptions, Object, ObjectId};

use super::decode::decode_bounded;
use super::xref::MAX_OBJECTS;
use crate::MediaError;

/// Decoded bytes of all object streams together (they hold dictionaries only; a document of
/// ten thousand pages needs a few MiB).
const MAX_OBJECT_STREAM_BYTES: usize = 32 << 20;

#[derive(Default)]
struct Budget {
    decoded: usize,
    objects: usize,
    refused: Option<&'static str>,
}

thread_local! {
    static BUDGET: RefCell<Budget> = RefCell::default();
}

/// Loads the document (the bytes from `%PDF-` on, already checked by `xref::check`).
pub(super) fn load(pdf: &[u8]) -> Result<Document, MediaError> {
    BUDGET.set(Budget::default());
    let options = LoadOptions {
        filter: Some(guard),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(pdf, options);
    let budget = BUDGET.take();
    if let Some(why) = budget.refused {
        return Err(MediaError::Unsupported(why.to_owned()));
    }
    let document =
        loaded.map_err(|e| MediaError::Corrupt(format!("the PDF does not parse ({e})")))?;
    if document.objects.len() > MAX_OBJECTS {
        return Err(MediaError::Unsupported(
            "it holds more than a million objects".into(),
        ));
    }
    if document.encryption_state.is_some() || document.trailer.get(b"Encrypt").is_ok() {
        return Err(MediaError::Unsupported(
            "the PDF is encrypted (password-protected or with restricted permissions); send an \
             unprotected copy"
                .into(),
        ));
    }
    Ok(document)
}

/// `lopdf`'s filter hook. Top-level objects are changed in place (the returned value is
/// dropped); objects from object streams are taken from the return value, and are never
/// streams.
fn guard(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let Object::Stream(stream) = object else {
        return Some((id, object.clone()));
    };
    if stream.dict.has_type(b"ObjStm") {
        BUDGET.with_borrow_mut(|budget| {
            let verdict = check_object_stream(stream, budget);
            if let Err(why) = verdict {
                budget.refused.get_or_insert(why);
                // Emptied, it unpacks to nothing.
                stream.set_content(Vec::new());
            }
        });
    }
    Some((id, Object::Null))
}

fn check_object_stream(
    stream: &pdf_extract::Stream,
    budget: &mut Budget,
) -> Result<(), &'static str> {
    budget.refused.map_or(Ok(()), Err)?;
    let room = MAX_OBJECT_STREAM_BYTES - budget.decoded;
    let decoded =
        decode_bounded(stream, room).map_err(|_| "its object streams expand beyond 32 MiB")?;
    budget.decoded += decoded.len();
    // The index before /First lists "number offset" pairs: one object each.
    let first = stream
        .dict
        .get(b"First")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(decoded.len());
    let pairs = decoded[..first]
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .count()
        / 2;
    budget.objects += pairs;
    if budget.objects > MAX_OBJECTS {
        return Err("it holds more than a million objects");
    }
    Ok(())
}
