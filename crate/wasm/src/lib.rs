//! The WebAssembly boundary of chatkeep: conversions between JavaScript values and
//! [`chatkeep_core`], and nothing else. Every decision about reading or writing a
//! conversation lives in the core; this crate only moves values across.
//!
//! Exported to JavaScript (`wasm-bindgen --target web`):
//!
//! ```js
//! import init, { defaultOptions, convertConversation, version } from "./pkg/chatkeep_wasm.js";
//! await init();
//! const options = { ...defaultOptions(), formats: ["markdown", "html"] };
//! const { id, title, files, warnings } = convertConversation(jsonText, options);
//! // files: [{ fileName: "2024-05-01 Hello.md", mime: "text/markdown;charset=utf-8", text: "…" }, …]
//! ```
//!
//! Values cross as plain JSON-compatible objects (`null`, never `undefined` or `Map`).
//! Option keys are those of [`chatkeep_core::Options`] as serde writes them.
//!
//! Failures reject with a JavaScript `Error` whose `message` is the core error's
//! `Display` text (a sentence for the user) and whose `kind` property is a stable
//! identifier (see [`chatkeep_core::Error::kind`]), plus [`KIND_INTERNAL`] for a value
//! that could not be converted to JavaScript.
#![deny(missing_docs)]

use chatkeep_core::source::page;
use chatkeep_core::{naming, render, source, Error, Options};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The `kind` of an error raised by the boundary itself rather than by the core: a result
/// that could not be turned into a JavaScript value. It indicates a bug in chatkeep.
pub const KIND_INTERNAL: &str = "internal";

/// One written file, as JavaScript receives it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutputFile {
    file_name: String,
    mime: &'static str,
    text: String,
}

/// The result of a conversion, as JavaScript receives it. `assets` are the files the
/// Markdown links to (paths relative to the Markdown file), as `Uint8Array`s.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Converted {
    id: String,
    title: String,
    files: Vec<OutputFile>,
    warnings: Vec<String>,
}

/// The default options, as a plain object (`defaultOptions()` in JavaScript).
///
/// # Errors
///
/// Only if the options cannot be converted to JavaScript (kind [`KIND_INTERNAL`]).
#[wasm_bindgen(js_name = defaultOptions)]
pub fn default_options() -> Result<JsValue, JsValue> {
    to_js(&Options::default())
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

/// Reads a conversation from the rendered page (`convertPage(tree, url, title, options)`):
/// `tree` is the page's turns as `{t, a, c}` elements, as a JSON string or an object.
///
/// # Errors
///
/// `no_conversation` when the tree holds no message; `bad_json` when `tree` is malformed.
#[wasm_bindgen(js_name = convertPage)]
pub fn convert_page(
    tree: JsValue,
    url: Option<String>,
    title: Option<String>,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let root: page::DomElement = match tree.as_string() {
        Some(json) => serde_json::from_str(&json).map_err(|e| bad_tree(&e.to_string()))?,
        None => serde_wasm_bindgen::from_value(tree).map_err(|e| bad_tree(&e.to_string()))?,
    };
    let transcript =
        page::read_page(&root, url.as_deref(), title.as_deref()).map_err(|e| core_error(&e))?;
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
fn attach_assets(t: &mut chatkeep_core::Transcript, assets: &JsValue) {
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
    let stem = naming::stem(t, opts);
    let (files, assets) = render::outputs(t, opts, &stem);
    let value = to_js(&Converted {
        id: t.id.clone(),
        title: t.title.clone(),
        files: files
            .into_iter()
            .map(|f| OutputFile {
                file_name: f.file_name,
                mime: f.mime,
                text: f.text,
            })
            .collect(),
        warnings: t.warnings.clone(),
    })?;
    // Bytes cross as Uint8Array, not as arrays of numbers.
    let list = js_sys::Array::new();
    for a in &assets {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str("path"), &JsValue::from_str(&a.path));
        let _ = js_sys::Reflect::set(
            &o,
            &JsValue::from_str("bytes"),
            &js_sys::Uint8Array::from(a.data),
        );
        list.push(&o);
    }
    let _ = js_sys::Reflect::set(&value, &JsValue::from_str("assets"), &list);
    Ok(value)
}

/// The version of chatkeep (`version()` in JavaScript).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// `undefined`/`null` → the defaults; an object → its fields over the defaults.
fn options_from_js(value: JsValue) -> Result<Options, JsValue> {
    if value.is_null_or_undefined() {
        return Ok(Options::default());
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        core_error(&Error::Options {
            detail: e.to_string(),
        })
    })
}

/// A Rust value as a plain JavaScript value.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            js_error(
                &format!("chatkeep could not return its result: {e}"),
                KIND_INTERNAL,
            )
        })
}

/// A core error as a JavaScript `Error` with a `kind`.
fn core_error(e: &Error) -> JsValue {
    js_error(&e.to_string(), e.kind())
}

/// A JavaScript `Error` with `message` and a `kind` property.
fn js_error(message: &str, kind: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh, unfrozen object cannot fail; if it ever did, the
    // error would still carry its message.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    error.into()
}
