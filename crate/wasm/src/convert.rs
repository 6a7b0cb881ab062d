//! One conversation to files: from the API's JSON, a share page or the rendered page,
//! in every format the options ask for.

use chatkeep_core::source::page;
use chatkeep_core::{naming, render, source, Error, Options};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{core_error, from_js, options_from_js, set, to_js};

/// The result of a conversion, as JavaScript receives it, with `files` (`{fileName, mime,
/// text}`, or `bytes` instead of `text`: see [`Body`]) and `assets` (the files the Markdown
/// links to, paths relative to the Markdown file, as `Uint8Array`s) set next to these.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Converted {
    id: String,
    title: String,
    /// Epoch seconds, when known.
    create_time: Option<f64>,
    /// Visible messages on the main line (as the index counts them).
    messages: usize,
    /// `{kind, message}`: act on `kind` (`reader`, `page_read`, `incomplete`).
    warnings: Vec<chatkeep_core::Warning>,
    /// The warnings that say the transcript lacks part of the conversation (kind
    /// `incomplete`, see [`chatkeep_core::INCOMPLETE_WARNING`]), for the note on the page.
    incomplete: Vec<String>,
}

/// How a written file's content crosses to JavaScript.
#[derive(Clone, Copy)]
pub(crate) enum Body {
    /// `text`: a string, for showing it.
    Text,
    /// `bytes`: its UTF-8 as a `Uint8Array`, for writing it to a file (no decoding into a
    /// string and encoding back).
    // Only many-file saves (the `export` build) write bytes.
    #[cfg_attr(not(feature = "export"), allow(dead_code))]
    Bytes,
}

/// The file ids of the images and files a conversation shows (`conversationAssets(json)`),
/// for the caller to fetch and pass to [`convert_conversation`].
///
/// # Errors
///
/// The reader's error when `json` is not a conversation.
#[wasm_bindgen(js_name = conversationAssets)]
pub fn conversation_assets(json: &str) -> Result<JsValue, JsValue> {
    let mut t = source::api::read_conversation(json).map_err(|e| core_error(&e))?;
    to_js(&t.missing_asset_ids())
}

/// Reads one conversation (the JSON of `GET /backend-api/conversation/<id>`, or one
/// element of `conversations.json`) and writes it in every format of `options.formats`
/// (`convertConversation(json, options, assets)` in JavaScript).
///
/// `options` may be `undefined` or `null` (the defaults) or an object holding only the
/// options to change. `assets`, optional, maps file ids to `{name, mime, bytes: Uint8Array}`.
/// Returns `{ id, title, files: [{ fileName, mime, text }], assets: [{ path, mime, bytes }],
/// warnings }`, with one file per requested format, in the requested order.
///
/// # Errors
///
/// An `Error` of kind `options` when `options` is not an options object (a field of the
/// wrong type, an unknown format); otherwise the reader's error (`not_an_export`,
/// `bad_json`, …) when `json` is not a conversation chatkeep can read.
#[wasm_bindgen(js_name = convertConversation)]
pub fn convert_conversation(
    json: &str,
    options: JsValue,
    assets: JsValue,
) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let mut transcript = source::api::read_conversation(json).map_err(|e| core_error(&e))?;
    attach_assets(&mut transcript, &assets);
    converted(&transcript, &opts)
}

/// Reads the conversation of a share page's HTML (`convertSharePage(html, options)`).
///
/// # Errors
///
/// As [`convert_conversation`]; `not_an_export` when the page holds no conversation.
#[wasm_bindgen(js_name = convertSharePage)]
pub fn convert_share_page(html: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let transcript = source::share::read_share_page(html).map_err(|e| core_error(&e))?;
    converted(&transcript, &opts)
}

/// Reads a conversation from the rendered page (`convertPage(tree, url, title, options,
/// capture)`): `tree` is the page's turns as `{t, a, c}` elements, as a JSON string or an
/// object; `capture`, optional, what the page reader could establish (`{top_reached, gaps}`,
/// see [`page::Capture`]); a read it could not prove complete gets an `Incomplete: …`
/// warning, in every file. The page shows no times, so the file names'
/// `{date}` is the day of the save (and a warning says so).
///
/// # Errors
///
/// `no_conversation` when the tree holds no message; `bad_json` when `tree` or `capture` is
/// malformed.
#[wasm_bindgen(js_name = convertPage)]
pub fn convert_page(
    tree: JsValue,
    url: Option<String>,
    title: Option<String>,
    options: JsValue,
    capture: JsValue,
) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let root: page::DomElement = match tree.as_string() {
        Some(json) => serde_json::from_str(&json).map_err(|e| bad_tree(&e.to_string()))?,
        None => from_js(&tree).map_err(|e| bad_tree(&e))?,
    };
    let capture: page::Capture = if capture.is_undefined() || capture.is_null() {
        page::Capture::default()
    } else {
        from_js(&capture).map_err(|e| {
            core_error(&Error::BadJson {
                at: "the page reader's report".to_owned(),
                detail: e,
            })
        })?
    };
    let mut transcript =
        page::read_captured_page(&root, url.as_deref(), title.as_deref(), &capture)
            .map_err(|e| core_error(&e))?;
    // The page shows no times: its file names carry the day of the save.
    transcript.date_by_read_time(js_sys::Date::now() / 1000.0);
    converted(&transcript, &opts)
}

fn bad_tree(detail: &str) -> JsValue {
    core_error(&Error::BadJson {
        at: "the page's element tree".to_owned(),
        detail: detail.to_owned(),
    })
}

/// `{fileId: {name, mime, bytes}}` → the transcript's assets. Entries of another shape are
/// skipped: a missing image is a placeholder, never an error.
pub(crate) fn attach_assets(t: &mut chatkeep_core::Transcript, assets: &JsValue) {
    if !assets.is_object() {
        return;
    }
    for entry in js_sys::Object::entries(&js_sys::Object::from(assets.clone())).iter() {
        let pair = js_sys::Array::from(&entry);
        let (Some(id), value) = (pair.get(0).as_string(), pair.get(1)) else {
            continue;
        };
        let get = |k: &str| js_sys::Reflect::get(&value, &JsValue::from_str(k)).ok();
        let Some(bytes) = get("bytes").filter(|b| b.is_instance_of::<js_sys::Uint8Array>()) else {
            continue;
        };
        let data = js_sys::Uint8Array::from(bytes).to_vec();
        let name = get("name").and_then(|v| v.as_string());
        let mime = get("mime").and_then(|v| v.as_string());
        t.attach(&id, name.as_deref(), mime.as_deref(), &data);
    }
}

/// Writes every requested format, plus the Markdown's linked assets.
fn converted(t: &chatkeep_core::Transcript, opts: &Options) -> Result<JsValue, JsValue> {
    let t = &*chatkeep_core::redact::prepared(t, opts);
    converted_as(t, opts, &naming::stem(t, opts), Body::Text)
}

/// [`converted`], with the files named `stem.<ext>` and their content as `body` says.
pub(crate) fn converted_as(
    t: &chatkeep_core::Transcript,
    opts: &Options,
    stem: &str,
    body: Body,
) -> Result<JsValue, JsValue> {
    let (files, assets) = render::outputs(t, opts, stem);
    let value = to_js(&Converted {
        id: t.id.clone(),
        title: t.title.clone(),
        create_time: t.create_time,
        messages: t.visible_messages().count(),
        warnings: t.warnings.clone(),
        incomplete: t
            .warnings
            .iter()
            .filter(|w| w.kind == chatkeep_core::WarningKind::Incomplete)
            .map(|w| w.message.clone())
            .collect(),
    })?
    .unchecked_into::<js_sys::Object>();
    let list = js_sys::Array::new();
    for f in &files {
        let o = js_sys::Object::new();
        set(&o, "fileName", &JsValue::from_str(&f.file_name));
        set(&o, "mime", &JsValue::from_str(f.mime));
        match body {
            Body::Text => set(&o, "text", &JsValue::from_str(&f.text)),
            Body::Bytes => set(&o, "bytes", &js_sys::Uint8Array::from(f.text.as_bytes())),
        }
        list.push(&o);
    }
    set(&value, "files", &list);
    // Bytes cross as Uint8Array, not as arrays of numbers.
    let list = js_sys::Array::new();
    for a in &assets {
        let o = js_sys::Object::new();
        set(&o, "path", &JsValue::from_str(&a.path));
        set(&o, "bytes", &js_sys::Uint8Array::from(a.data));
        list.push(&o);
    }
    set(&value, "assets", &list);
    Ok(value.into())
}
