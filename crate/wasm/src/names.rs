//! Many conversations saved into one folder (the export page's selections, the backup's
//! readable copies): unique file names, and the index of what was saved.

use chatkeep_core::{naming, render, source, Error, Options};
use wasm_bindgen::prelude::*;

use crate::convert::{attach_assets, converted_as, Body};
use crate::{core_error, options_from_js, set};

/// Converts one element of an export's `conversations.json` (no images: a bare
/// `conversations.json` has none) (`convertExportConversation(json, options)`), as
/// [`convert_conversation`] does, but read as part of an export.
///
/// # Errors
///
/// As [`convert_conversation`].
#[wasm_bindgen(js_name = convertExportConversation)]
pub fn convert_export_conversation(
    json: Vec<u8>,
    options: JsValue,
    names: &mut NameSet,
) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let t = source::export::parse_element(json).map_err(|e| core_error(&e))?;
    names.converted(&t, &opts, Body::Text)
}

/// The file names used so far in one output folder (`new NameSet()`): a conversion given
/// it names its files `Title.md`, or `Title (2).md` when that is taken, as the CLI does.
#[wasm_bindgen]
#[derive(Default)]
pub struct NameSet {
    names: naming::UniqueNames,
}

#[wasm_bindgen]
impl NameSet {
    /// An empty set.
    #[wasm_bindgen(constructor)]
    pub fn new() -> NameSet {
        NameSet::default()
    }

    /// As [`convert_conversation`] (`names.convertConversation(json, options, assets)`),
    /// with the files named uniquely in this set and their contents as bytes, for writing
    /// many conversations into one folder (the backup's readable copies).
    ///
    /// # Errors
    ///
    /// As [`convert_conversation`].
    #[wasm_bindgen(js_name = convertConversation)]
    pub fn convert_conversation(
        &mut self,
        json: &str,
        options: JsValue,
        assets: JsValue,
    ) -> Result<JsValue, JsValue> {
        let opts = options_from_js(options)?;
        let mut t = source::api::read_conversation(json).map_err(|e| core_error(&e))?;
        attach_assets(&mut t, &assets);
        self.converted(&t, &opts, Body::Bytes)
    }
}

impl NameSet {
    /// Converts `t`, claiming a stem free for every format.
    pub(crate) fn converted(
        &mut self,
        t: &chatkeep_core::Transcript,
        opts: &Options,
        body: Body,
    ) -> Result<JsValue, JsValue> {
        let (t, stem) = self.names.prepare(t, opts);
        converted_as(&t, opts, &stem, body)
    }
}

/// The item a save gets for the conversation at `index`: `{index}` alone when `wanted`
/// (sorted positions; `None` for all) leaves it out, else `{index, converted}` (file
/// contents as bytes, named in `names`) or `{index, error}` for
/// what `read` gives. Only errors of the boundary itself are returned as `Err`.
pub(crate) fn save_item(
    index: usize,
    wanted: Option<&[u32]>,
    opts: &Options,
    names: &mut NameSet,
    read: impl FnOnce() -> chatkeep_core::Result<chatkeep_core::Transcript>,
) -> Result<JsValue, JsValue> {
    let item = js_sys::Object::new();
    set(&item, "index", &JsValue::from_f64(index as f64));
    if naming::is_wanted(wanted, index) {
        match read() {
            Ok(t) => set(&item, "converted", &names.converted(&t, opts, Body::Bytes)?),
            Err(e) => set(&item, "error", &core_error(&e)),
        }
    }
    Ok(item.into())
}

/// The index of a saved selection (`indexFiles(title, saved, failed, utcOffsetMinutes)` →
/// `{md, html}`): `saved` is `[{title, files, create_time, messages}]` in the order to list
/// them, `failed` `[{title, message}]`.
///
/// # Errors
///
/// Kind `options` when `saved` or `failed` is not such a list.
#[wasm_bindgen(js_name = indexFiles)]
pub fn index_files(
    title: &str,
    saved: JsValue,
    failed: JsValue,
    utc_offset_minutes: i32,
) -> Result<JsValue, JsValue> {
    fn list<T: serde::de::DeserializeOwned>(v: JsValue, what: &str) -> Result<Vec<T>, JsValue> {
        crate::from_js(&v).map_err(|e| {
            core_error(&Error::Options {
                detail: format!("the index's {what}: {e}"),
            })
        })
    }
    let saved: Vec<render::index::IndexEntry> = list(saved, "conversations")?;
    let failed: Vec<render::index::IndexFailure> = list(failed, "failures")?;
    let index = render::index::index(title, &saved, &failed, utc_offset_minutes);
    let out = js_sys::Object::new();
    set(&out, "md", &JsValue::from_str(&index.markdown));
    set(&out, "html", &JsValue::from_str(&index.html));
    Ok(out.into())
}
