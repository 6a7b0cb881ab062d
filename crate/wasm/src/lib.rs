//! The WebAssembly boundary of chatkeep: conversions between JavaScript values and
//! [`chatkeep_core`], and nothing else. Every decision about reading or writing a
//! conversation lives in the core; this crate only moves values across.
//!
//! Built twice (see `build.sh`), so that each browser context loads only what it uses:
//! - without default features: `chatkeep_save` for the background worker, the popup and the
//!   options page (single saves from the API, share pages and the rendered page; the three
//!   writers; redaction, password strength and passphrases; the backup's state machine);
//! - with the default feature `export`: `chatkeep_export` for the export page and the backup
//!   workers, adding the streaming export reader (`JsonStream`, `ZipStream`), search
//!   (`Search`), unique names for many files in one folder (`NameSet`) and their index
//!   (`indexFiles`), and the in-memory encrypted ZIP (`EncryptedZip`).
//!
//! Exported to JavaScript (`wasm-bindgen --target web`):
//!
//! ```js
//! import init, { defaultOptions, convertConversation, version } from "./pkg/chatkeep_save.js";
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
//!
//! Modules, one per job: `convert` (one conversation to files), `backup`, `privacy`
//! (redaction, passwords, encrypted ZIPs), and for `export` only `stream` (an export read
//! in chunks or through a file), `search` and `names` (many files in one folder).
#![deny(missing_docs)]

mod backup;
mod convert;
#[cfg(feature = "export")]
mod names;
mod privacy;
#[cfg(feature = "export")]
mod search;
#[cfg(feature = "export")]
mod stream;
#[cfg(feature = "export")]
mod zip_feed;

pub use backup::Backup;
pub use convert::{conversation_assets, convert_conversation, convert_page, convert_share_page};
#[cfg(feature = "export")]
pub use names::{convert_export_conversation, index_files, NameSet};
#[cfg(feature = "export")]
pub use privacy::EncryptedZip;
pub use privacy::{
    account_terms, passphrase, password_strength, redact_text, redaction_findings, AesEntry,
};
#[cfg(feature = "export")]
pub use search::{export_conversation_index, Search};
#[cfg(feature = "export")]
use stream::report;
#[cfg(feature = "export")]
pub use stream::{JsonStream, ZipStream};
#[cfg(feature = "export")]
pub use zip_feed::ZipFeed;

use chatkeep_core::{Error, Options};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The `kind` of an error raised by the boundary itself rather than by the core: a result
/// that could not be turned into a JavaScript value. It indicates a bug in chatkeep.
pub const KIND_INTERNAL: &str = "internal";

/// The default options, as a plain object (`defaultOptions()` in JavaScript).
///
/// # Errors
///
/// Only if the options cannot be converted to JavaScript (kind [`KIND_INTERNAL`]).
#[wasm_bindgen(js_name = defaultOptions)]
pub fn default_options() -> Result<JsValue, JsValue> {
    to_js(&Options::default())
}

pub(crate) fn set(target: &js_sys::Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), value);
}

/// The version of chatkeep (`version()` in JavaScript).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// `undefined`/`null` → the defaults; an object → its fields over the defaults.
pub(crate) fn options_from_js(value: JsValue) -> Result<Options, JsValue> {
    if value.is_null_or_undefined() {
        return Ok(Options::default());
    }
    Options::merged(&serde_json::Value::Null, &json_value(&value)?).map_err(|e| core_error(&e))
}

/// A plain JavaScript value as JSON (through `JSON.stringify`, so that the core sees every
/// key: read field by field, an unknown key would go unnoticed); `undefined` is `null`.
fn json_value(value: &JsValue) -> Result<serde_json::Value, JsValue> {
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| {
        core_error(&Error::Options {
            detail: format!("the options are not plain data ({e})"),
        })
    })
}

/// The options of one save (`mergeOptions(stored, call)` → options with every field): the
/// user's stored settings, where keys of another chatkeep version are dropped, overridden
/// by the caller's, where an unknown key is an error that names it.
///
/// # Errors
///
/// Kind `options` naming the caller's unknown key or wrong value.
#[wasm_bindgen(js_name = mergeOptions)]
pub fn merge_options(stored: JsValue, call: JsValue) -> Result<JsValue, JsValue> {
    let merged =
        Options::merged(&json_value(&stored)?, &json_value(&call)?).map_err(|e| core_error(&e))?;
    to_js(&merged)
}

/// What of `options` differs from the defaults (`changedOptions(options)` → an object), as
/// the options page stores it: an object option (`redact`) keeps only its fields that
/// differ, so a field the user never changed takes a later version's default
/// ([`Options::changes`]).
///
/// # Errors
///
/// Kind `options` naming an unknown key or wrong value.
#[wasm_bindgen(js_name = changedOptions)]
pub fn changed_options(options: JsValue) -> Result<JsValue, JsValue> {
    to_js(&options_from_js(options)?.changes())
}

/// Where a URL points on ChatGPT (`classifyUrl(url)` → `{kind: "conversation", id}`,
/// `{kind: "share", id}`, `{kind: "chatgpt", temporary}` or `{kind: "other"}`).
///
/// # Errors
///
/// Only if the answer cannot be made into a JavaScript value.
#[wasm_bindgen(js_name = classifyUrl)]
pub fn classify_url(url: &str) -> Result<JsValue, JsValue> {
    to_js(&chatkeep_core::chat_url::classify(url))
}

/// Whether a save with `options` (as `mergeOptions` gives them) shows the conversation's
/// images and files, so they must be fetched (`needsFiles(options)`).
///
/// # Errors
///
/// Kind `options` when `options` are not valid options.
#[wasm_bindgen(js_name = needsFiles)]
pub fn needs_files(options: JsValue) -> Result<bool, JsValue> {
    Ok(options_from_js(options)?.needs_files())
}

/// The `{things}` of a file-name template that are not placeholders (kept in the name as
/// typed), each once, without braces (`unknownPlaceholders(template)` → `string[]`).
#[wasm_bindgen(js_name = unknownPlaceholders)]
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    chatkeep_core::naming::unknown_placeholders(template)
}

/// Whether a file starting with `head` (its first bytes, 4 are enough) is a ZIP archive
/// (`isZip(head)`).
#[wasm_bindgen(js_name = isZip)]
pub fn is_zip(head: &[u8]) -> bool {
    matches!(
        chatkeep_core::source::export::sniff(head),
        Ok(chatkeep_core::source::export::InputKind::Zip)
    )
}

/// A Rust value as a plain JavaScript value: written as JSON by `serde_json` and read back
/// by `JSON.parse`, so that each type's `Serialize` is compiled once (for `serde_json`,
/// which the core uses too) rather than once more for a JavaScript-value serializer.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let internal = |e: &dyn std::fmt::Display| {
        js_error(
            &format!("chatkeep could not return its result: {e}"),
            KIND_INTERNAL,
        )
    };
    let text = serde_json::to_string(value).map_err(|e| internal(&e))?;
    js_sys::JSON::parse(&text).map_err(|e| internal(&format!("{e:?}")))
}

/// A plain JavaScript value read as `T`, through `JSON.stringify` and `serde_json` (as
/// [`to_js`], one `Deserialize` per type); `undefined` reads as `null`. The error is
/// `serde_json`'s message.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let text = if value.is_undefined() {
        "null".to_owned()
    } else {
        js_sys::JSON::stringify(value)
            .map_err(|_| "the value is not plain data".to_owned())?
            .as_string()
            .unwrap_or_else(|| "null".to_owned())
    };
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// A core error as a JavaScript `Error` with a `kind`, and the `title` of the conversation
/// it is about when that could be read.
pub(crate) fn core_error(e: &Error) -> JsValue {
    let error = js_error(&e.to_string(), e.kind());
    if let Error::Conversation {
        title: Some(title), ..
    } = e
    {
        let _ = js_sys::Reflect::set(
            &error,
            &JsValue::from_str("title"),
            &JsValue::from_str(title),
        );
    }
    error
}

/// A JavaScript `Error` with `message` and a `kind` property.
pub(crate) fn js_error(message: &str, kind: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh, unfrozen object cannot fail; if it ever did, the
    // error would still carry its message.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    error.into()
}
