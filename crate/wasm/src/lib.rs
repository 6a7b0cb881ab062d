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

/// The result of [`convert_conversation`], as JavaScript receives it.
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

/// Reads one conversation (the JSON of `GET /backend-api/conversation/<id>`, or one
/// element of `conversations.json`) and writes it in every format of `options.formats`
/// (`convertConversation(json, options)` in JavaScript).
///
/// `options` may be `undefined` or `null` (the defaults) or an object holding only the
/// options to change. Returns `{ id, title, files: [{ fileName, mime, text }], warnings }`,
/// with one file per requested format, in the requested order.
///
/// # Errors
///
/// An `Error` of kind `options` when `options` is not an options object (a field of the
/// wrong type, an unknown format); otherwise the reader's error (`not_an_export`,
/// `bad_json`, …) when `json` is not a conversation chatkeep can read.
#[wasm_bindgen(js_name = convertConversation)]
pub fn convert_conversation(json: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let transcript = source::api::read_conversation(json).map_err(|e| core_error(&e))?;
    let files = opts
        .formats
        .iter()
        .map(|&format| OutputFile {
            file_name: naming::file_name(&transcript, format, &opts),
            mime: format.mime(),
            text: render::to_string(&transcript, format, &opts),
        })
        .collect();
    to_js(&Converted {
        id: transcript.id,
        title: transcript.title,
        files,
        warnings: transcript.warnings,
    })
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
