//! The search of an opened export, inside the core, and the list entry of each
//! conversation.

use chatkeep_core::{search, source, Summary};
use wasm_bindgen::prelude::*;

use crate::{core_error, set, to_js};

/// A conversation of the export as the list shows it (`exportConversationIndex(json,
/// index, search)` → `{summary}`), its text going to `search` as the conversation at
/// position `index` of the file.
///
/// # Errors
///
/// The reader's error when `json` is not a conversation.
#[wasm_bindgen(js_name = exportConversationIndex)]
pub fn export_conversation_index(
    json: Vec<u8>,
    index: usize,
    search: &mut Search,
) -> Result<JsValue, JsValue> {
    let t = source::export::parse_element(json).map_err(|e| core_error(&e))?;
    let out = js_sys::Object::new();
    set_index(&out, index, &t, search)?;
    Ok(out.into())
}

/// Sets a conversation's list entry on `target` (its `summary`) and gives its text to
/// `search`.
pub(crate) fn set_index(
    target: &js_sys::Object,
    index: usize,
    t: &chatkeep_core::Transcript,
    search: &mut Search,
) -> Result<(), JsValue> {
    set(target, "summary", &to_js(&Summary::from(t))?);
    search.add(index, t);
    Ok(())
}

/// The search of an opened export, inside the core (the texts never cross into
/// JavaScript): `new Search(budget)` keeps every conversation's text while the total fits
/// `budget` bytes and answers `find(query)`; `Search.scanning(query)` matches each
/// conversation as it is read and gathers the hits (`hits()`), for a file whose texts did
/// not fit. `pushIndex` and `exportConversationIndex` feed it.
#[wasm_bindgen]
pub struct Search {
    search: search::Search,
}

#[wasm_bindgen]
impl Search {
    /// A search that keeps up to `budget` bytes of text; given `jsonBytes`, the size of the
    /// file's conversations, it keeps nothing from the start when their text cannot fit
    /// (searches then read the file again; see `Search::kept_for` in the core).
    #[wasm_bindgen(constructor)]
    pub fn new(budget: f64, json_bytes: Option<f64>) -> Search {
        let budget = budget.max(0.0) as usize;
        Search {
            search: match json_bytes {
                Some(n) => search::Search::kept_for(budget, n.max(0.0) as usize),
                None => search::Search::kept(budget),
            },
        }
    }

    /// A search for `query` made as the conversations are read.
    pub fn scanning(query: &str) -> Search {
        Search {
            search: search::Search::scanning(query),
        }
    }

    /// Whether every conversation's text is kept, so that `find` answers for all of them
    /// (false for a scanning search).
    #[wasm_bindgen(getter)]
    pub fn complete(&self) -> bool {
        self.search.complete()
    }

    /// How many conversations a scanning search has found so far (0 for one that keeps
    /// texts).
    #[wasm_bindgen(getter)]
    pub fn found(&self) -> usize {
        self.search.found()
    }

    /// Bytes of text kept.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> f64 {
        self.search.bytes() as f64
    }

    /// The conversations whose text holds every word and "quoted phrase" of `query`, in file
    /// order: `{indexes: [position…], snippets: [text around the match…], terms: [what to
    /// highlight…]}`, or `null` when the query has nothing to look for (or this is a
    /// scanning search: see `hits`).
    pub fn find(&self, query: &str) -> JsValue {
        self.search
            .find(query)
            .map_or(JsValue::NULL, |f| found_to_js(&f))
    }

    /// What a scanning search found, as `find` returns it (`null` for a query with nothing
    /// to look for, or a search that is not scanning).
    pub fn hits(&self) -> JsValue {
        self.search
            .hits()
            .map_or(JsValue::NULL, |f| found_to_js(&f))
    }
}

impl Search {
    /// Gives it the text of the conversation at `index`.
    pub(crate) fn add(&mut self, index: usize, t: &chatkeep_core::Transcript) {
        self.search.add(index, t);
    }
}

/// `{indexes, snippets, terms}`.
fn found_to_js(found: &search::Found) -> JsValue {
    let indexes = js_sys::Array::new();
    let snippets = js_sys::Array::new();
    let terms = js_sys::Array::new();
    for h in &found.hits {
        indexes.push(&JsValue::from_f64(h.index as f64));
        snippets.push(&JsValue::from_str(&h.snippet));
    }
    for t in &found.terms {
        terms.push(&JsValue::from_str(t));
    }
    let out = js_sys::Object::new();
    set(&out, "indexes", &indexes);
    set(&out, "snippets", &snippets);
    set(&out, "terms", &terms);
    out.into()
}
