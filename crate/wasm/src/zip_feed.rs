//! The conversations of an export ZIP for a reader that inflates them in JavaScript (the
//! browser's `DecompressionStream`): where their entries are, and a feed of their inflated
//! bytes (the core's `JsonFeed`, which checks each entry's size and checksum).

use crate::names::{save_item, NameSet};
use crate::stream::ZipStream;
use crate::{core_error, options_from_js, set};
use chatkeep_core::source::export::{parse_element, JsonFeed};
use wasm_bindgen::prelude::*;

/// A feed of an export's conversation entries (`zipStream.jsonFeed()`): JavaScript reads
/// each entry's data (`entries`), inflates it, gives the bytes to `pushConvert` in chunks
/// of any size, and calls `endEntry()` after each entry.
#[wasm_bindgen]
pub struct ZipFeed {
    feed: JsonFeed,
    entries: js_sys::Array,
}

#[wasm_bindgen]
impl ZipStream {
    /// A feed of this export's conversation entries, or `undefined` when they cannot be read
    /// outside the core (conversations in `chat.html`, an encrypted entry, a compression
    /// other than deflate): then use `forEachJson` / `forEachConverted`.
    ///
    /// # Errors
    ///
    /// `zip` when an entry's header cannot be read.
    #[wasm_bindgen(js_name = jsonFeed)]
    pub fn json_feed(&mut self) -> Result<Option<ZipFeed>, JsValue> {
        let Some(list) = self.export.json_entries().map_err(|e| core_error(&e))? else {
            return Ok(None);
        };
        let entries = js_sys::Array::new();
        for e in &list {
            let o = js_sys::Object::new();
            set(&o, "name", &JsValue::from_str(&e.name));
            set(&o, "start", &JsValue::from_f64(e.data_start as f64));
            set(
                &o,
                "compressedSize",
                &JsValue::from_f64(e.compressed_size as f64),
            );
            set(&o, "size", &JsValue::from_f64(e.size as f64));
            set(&o, "deflated", &JsValue::from_bool(e.deflated));
            entries.push(&o);
        }
        Ok(Some(ZipFeed {
            feed: JsonFeed::new(list),
            entries,
        }))
    }
}

#[wasm_bindgen]
impl ZipFeed {
    /// The entries to read, in order: `[{name, start, compressedSize, size, deflated}]`
    /// (`start` where the entry's data begins in the file; raw DEFLATE when `deflated`,
    /// else stored).
    #[wasm_bindgen(getter)]
    pub fn entries(&self) -> js_sys::Array {
        self.entries.clone()
    }

    /// Conversations completed so far.
    #[wasm_bindgen(getter)]
    pub fn count(&self) -> usize {
        self.feed.count()
    }

    /// Feeds inflated bytes of the current entry; converts the conversations they complete
    /// for saving, with their images and files from `zip` (the `ZipStream` this feed came
    /// from): items as from `JsonStream.pushConvert` (`{index, converted}`, `{index,
    /// error}`, or `{index}` for one that `wanted` leaves out).
    ///
    /// # Errors
    ///
    /// `zip` when the entry inflates past its size; `not_an_export` or `bad_json` when the
    /// bytes are not a JSON array of conversations; `options` when `options` is not an
    /// options object.
    #[wasm_bindgen(js_name = pushConvert)]
    pub fn push_convert(
        &mut self,
        chunk: &[u8],
        zip: &mut ZipStream,
        options: JsValue,
        names: &mut NameSet,
        wanted: Option<Box<[u32]>>,
    ) -> Result<js_sys::Array, JsValue> {
        let opts = options_from_js(options)?;
        let out = js_sys::Array::new();
        let mut failed = None;
        self.feed
            .push(chunk, |index, el| {
                let item = save_item(index, wanted.as_deref(), &opts, names, || {
                    parse_element(el).map(|mut t| {
                        zip.export.resolve_assets(&mut t);
                        t
                    })
                });
                match item {
                    Ok(item) => {
                        out.push(&item);
                    }
                    Err(e) => failed = Some(e),
                }
            })
            .map_err(|e| core_error(&e))?;
        failed.map_or(Ok(out), Err)
    }

    /// Ends the current entry (its size and checksum are checked, its array must be
    /// complete); returns whether entries remain.
    ///
    /// # Errors
    ///
    /// `zip` when the entry is damaged, `truncated` when its array is incomplete.
    #[wasm_bindgen(js_name = endEntry)]
    pub fn end_entry(&mut self) -> Result<bool, JsValue> {
        self.feed.end_entry().map_err(|e| core_error(&e))
    }
}
