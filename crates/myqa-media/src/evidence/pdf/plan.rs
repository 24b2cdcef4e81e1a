//! The loaded document made safe for `pdf-extract`, page by page, before it runs.
//!
//! `pdf-extract` (0.12) decodes the streams a page uses without bound, follows `/Parent` for
//! inherited attributes by recursion without a cycle check, and runs form XObjects (`Do`) by
//! recursion too — a form that draws itself overflows the stack, which aborts the process
//! rather than panicking. So, for the pages to be read:
//!
//! - image streams are emptied everywhere (text extraction never needs pixels, and
//!   `pdf-extract` would otherwise parse a picture's bytes as drawing operators);
//! - every stream reachable from a page's contents and resources decodes to at most
//!   [`MAX_STREAM_BYTES`], and all of them together to at most [`MAX_PAGES_DECODED`];
//! - the `/Parent` chain above each page is finite and short;
//! - the forms a page draws, followed exactly as `pdf-extract` will follow them (operator by
//!   operator, with the same resource lookup), nest at most [`MAX_FORM_DEPTH`] deep, never
//!   loop, and add up to at most [`MAX_FORM_CALLS`] form runs.

use std::collections::{HashMap, HashSet};

use pdf_extract::content::Content;
use pdf_extract::{Dictionary, Document, Object, ObjectId};

use super::decode::decode_bounded;
use crate::MediaError;

/// Decoded size of one stream a page uses (a dense vector drawing is a few MiB).
const MAX_STREAM_BYTES: usize = 32 << 20;

/// Decoded size of all streams the pages read use, each counted once.
const MAX_PAGES_DECODED: usize = 256 << 20;

/// Steps up the page tree (`lopdf` walks the tree down at most 256 levels).
const MAX_PARENT_STEPS: usize = 256;

/// Forms within forms.
const MAX_FORM_DEPTH: usize = 16;

/// Form runs for one page, repeats included (a form drawn twice by a form drawn twice …).
const MAX_FORM_CALLS: u64 = 10_000;

/// Prepares `document` and returns the numbers of the pages to read: the first `max_pages`.
pub(super) fn prepare(document: &mut Document, max_pages: usize) -> Result<Vec<u32>, MediaError> {
    empty_images(document);
    let pages: Vec<(u32, ObjectId)> = document.get_pages().into_iter().take(max_pages).collect();
    let document = &*document;
    let mut decoded = Decoded::default();
    for (_, page_id) in &pages {
        let page = document
            .get_dictionary(*page_id)
            .map_err(|_| corrupt("a page is not a dictionary"))?;
        let resources = inherited(document, *page_id, page, b"Resources")?;
        inherited(document, *page_id, page, b"MediaBox")?;
        let mut roots: Vec<&Object> = page.get(b"Contents").into_iter().collect();
        if let Some((_, resources)) = resources {
            roots.push(resources);
        }
        decoded.reachable(document, roots)?;
        Forms::new(document).check_page(*page_id, resources)?;
    }
    Ok(pages.into_iter().map(|(number, _)| number).collect())
}

fn empty_images(document: &mut Document) {
    for object in document.objects.values_mut() {
        if let Object::Stream(stream) = object
            && stream
                .dict
                .get(b"Subtype")
                .and_then(Object::as_name)
                .is_ok_and(|s| s == b"Image")
        {
            stream.set_plain_content(Vec::new());
        }
    }
}

/// Where a resources dictionary lives: its own object, or inline in a page or form (named by
/// that owner), so that states of the form walk can be compared.
type ResourcesKey = ObjectId;

/// The value of `key` on the page or the nearest ancestor that has it, as `pdf-extract` finds
/// it, with the key of its owner; refused when the `/Parent` chain loops or is too long.
fn inherited<'a>(
    document: &'a Document,
    page_id: ObjectId,
    page: &'a Dictionary,
    key: &[u8],
) -> Result<Option<(ResourcesKey, &'a Object)>, MediaError> {
    let mut node = (page_id, page);
    let mut seen = HashSet::new();
    for _ in 0..MAX_PARENT_STEPS {
        if !seen.insert(node.0) {
            return Err(corrupt("its page tree loops"));
        }
        if let Ok(value) = node.1.get(key) {
            let owner = value.as_reference().unwrap_or(node.0);
            return Ok(Some((owner, value)));
        }
        let Some(parent) = node
            .1
            .get(b"Parent")
            .ok()
            .and_then(|p| p.as_reference().ok())
        else {
            return Ok(None);
        };
        let Ok(dict) = document.get_dictionary(parent) else {
            return Ok(None);
        };
        node = (parent, dict);
    }
    Err(corrupt("its page tree is too deep"))
}

/// The decoded-size budget of the streams the pages use.
#[derive(Default)]
struct Decoded {
    visited: HashSet<ObjectId>,
    total: usize,
}

impl Decoded {
    /// Walks everything reachable from `roots` (not up through `/Parent`, which leads to the
    /// whole document) and checks each stream once.
    fn reachable(&mut self, document: &Document, roots: Vec<&Object>) -> Result<(), MediaError> {
        let mut stack = roots;
        while let Some(object) = stack.pop() {
            match object {
                Object::Reference(id) => {
                    if self.visited.insert(*id)
                        && let Ok(target) = document.get_object(*id)
                    {
                        stack.push(target);
                    }
                }
                Object::Array(items) => stack.extend(items),
                Object::Dictionary(dict) => stack.extend(children(dict)),
                Object::Stream(stream) => {
                    let room = MAX_STREAM_BYTES.min(MAX_PAGES_DECODED - self.total);
                    let size = decode_bounded(stream, room)
                        .map_err(|_| {
                            MediaError::Unsupported(
                                "its pages use streams that expand beyond the decoding limit \
                                 (32 MiB each, 256 MiB in all)"
                                    .into(),
                            )
                        })?
                        .len();
                    self.total += size;
                    stack.extend(children(&stream.dict));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn children(dict: &Dictionary) -> impl Iterator<Item = &Object> {
    dict.iter()
        .filter(|(key, _)| key.as_slice() != b"Parent")
        .map(|(_, value)| value)
}

/// The walk of form XObjects from one page.
struct Forms<'a> {
    document: &'a Document,
    /// Form runs per (form, resources) state, once computed.
    runs: HashMap<(ObjectId, ResourcesKey), u64>,
    /// States on the current path, to see loops.
    path: HashSet<(ObjectId, ResourcesKey)>,
}

impl<'a> Forms<'a> {
    fn new(document: &'a Document) -> Self {
        Forms {
            document,
            runs: HashMap::new(),
            path: HashSet::new(),
        }
    }

    fn check_page(
        &mut self,
        page_id: ObjectId,
        resources: Option<(ResourcesKey, &'a Object)>,
    ) -> Result<(), MediaError> {
        // `pdf-extract` concatenates the page's content streams, as `lopdf` does.
        let mut content = Vec::new();
        for id in self.document.get_page_contents(page_id) {
            if let Ok(stream) = self.document.get_object(id).and_then(Object::as_stream) {
                content.extend(decode_bounded(stream, MAX_STREAM_BYTES).unwrap_or_default());
                content.push(b'\n');
            }
        }
        let resources = resources.and_then(|(key, object)| Some((key, self.dict_of(object)?)));
        let runs = self.runs_of(&content, resources, 0)?;
        if runs > MAX_FORM_CALLS {
            return Err(MediaError::Unsupported(format!(
                "a page draws its forms more than {MAX_FORM_CALLS} times"
            )));
        }
        Ok(())
    }

    fn dict_of(&self, object: &'a Object) -> Option<&'a Dictionary> {
        match object {
            Object::Reference(id) => self.document.get_dictionary(*id).ok(),
            Object::Dictionary(dict) => Some(dict),
            _ => None,
        }
    }

    /// Form runs caused by drawing `content` with `resources`.
    fn runs_of(
        &mut self,
        content: &[u8],
        resources: Option<(ResourcesKey, &'a Dictionary)>,
        depth: usize,
    ) -> Result<u64, MediaError> {
        let names = drawn_names(content);
        if names.is_empty() {
            return Ok(0);
        }
        let Some((resources_key, resources)) = resources else {
            return Ok(0);
        };
        let Some(xobjects) = resources
            .get(b"XObject")
            .ok()
            .and_then(|object| self.dict_of(object))
        else {
            return Ok(0);
        };
        let mut runs = 0u64;
        for name in names {
            let Some(form_id) = xobjects.get(&name).ok().and_then(|o| o.as_reference().ok()) else {
                continue;
            };
            let Ok(form) = self
                .document
                .get_object(form_id)
                .and_then(Object::as_stream)
            else {
                continue;
            };
            // A form without resources of its own uses its caller's, as in `pdf-extract`.
            let own = form
                .dict
                .get(b"Resources")
                .ok()
                .and_then(|o| Some((o.as_reference().unwrap_or(form_id), self.dict_of(o)?)));
            let inner = own.or(Some((resources_key, resources)));
            runs = runs.saturating_add(1 + self.form_runs(form_id, inner, depth + 1)?);
            if runs > MAX_FORM_CALLS {
                return Ok(runs);
            }
        }
        Ok(runs)
    }

    fn form_runs(
        &mut self,
        form_id: ObjectId,
        resources: Option<(ResourcesKey, &'a Dictionary)>,
        depth: usize,
    ) -> Result<u64, MediaError> {
        if depth > MAX_FORM_DEPTH {
            return Err(MediaError::Unsupported(format!(
                "its forms nest more than {MAX_FORM_DEPTH} deep"
            )));
        }
        let state = (form_id, resources.map_or(form_id, |(key, _)| key));
        if let Some(runs) = self.runs.get(&state) {
            return Ok(*runs);
        }
        if !self.path.insert(state) {
            return Err(corrupt("a form draws itself"));
        }
        let content = self
            .document
            .get_object(form_id)
            .and_then(Object::as_stream)
            .ok()
            .and_then(|stream| decode_bounded(stream, MAX_STREAM_BYTES).ok())
            .unwrap_or_default();
        let runs = self.runs_of(&content, resources, depth)?;
        self.path.remove(&state);
        self.runs.insert(state, runs);
        Ok(runs)
    }
}

/// The XObject names that `content` draws with `Do`, repeats included, parsed as
/// `pdf-extract` parses them (content that does not parse is not drawn at all).
fn drawn_names(content: &[u8]) -> Vec<Vec<u8>> {
    let Ok(content) = Content::decode(content) else {
        return Vec::new();
    };
    content
        .operations
        .into_iter()
        .filter(|op| op.operator == "Do")
        .filter_map(|op| op.operands.first()?.as_name().ok().map(<[u8]>::to_vec))
        .collect()
}

fn corrupt(why: &str) -> MediaError {
    MediaError::Corrupt(why.to_owned())
}
