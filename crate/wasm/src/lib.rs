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

mod backup;
mod privacy;
mod zip_feed;
pub use backup::Backup;
pub use privacy::{
    account_terms, passphrase, password_strength, redact_text, redaction_findings, AesEntry,
    EncryptedZip,
};
pub use zip_feed::ZipFeed;

use chatkeep_core::source::export::{Progress, ZipExport};
use chatkeep_core::source::page;
use chatkeep_core::source::split::ArraySplitter;
use chatkeep_core::{naming, render, search, source, Error, Options, Summary};
use serde::Serialize;
use std::io::{Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use wasm_bindgen::prelude::*;

/// The `kind` of an error raised by the boundary itself rather than by the core: a result
/// that could not be turned into a JavaScript value. It indicates a bug in chatkeep.
pub const KIND_INTERNAL: &str = "internal";

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
enum Body {
    /// `text`: a string, for showing it.
    Text,
    /// `bytes`: its UTF-8 as a `Uint8Array`, for writing it to a file (no decoding into a
    /// string and encoding back).
    Bytes,
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
        None => serde_wasm_bindgen::from_value(tree).map_err(|e| bad_tree(&e.to_string()))?,
    };
    let capture: page::Capture = if capture.is_undefined() || capture.is_null() {
        page::Capture::default()
    } else {
        serde_wasm_bindgen::from_value(capture).map_err(|e| {
            core_error(&Error::BadJson {
                at: "the page reader's report".to_owned(),
                detail: e.to_string(),
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
    let t = &*chatkeep_core::redact::prepared(t, opts);
    converted_as(t, opts, &naming::stem(t, opts), Body::Text)
}

/// [`converted`], with the files named `stem.<ext>` and their content as `body` says.
fn converted_as(
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

/// Splits a `conversations.json` of any size, fed in chunks of any size, into its
/// conversations (`new JsonStream()`; `push(bytes)` returns the JSON strings of the
/// conversations completed by that chunk; `finish()` throws if the file was cut off).
/// Memory is bounded by the largest conversation.
#[wasm_bindgen]
pub struct JsonStream {
    splitter: ArraySplitter,
}

#[wasm_bindgen]
impl JsonStream {
    /// A stream waiting for the opening `[`.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> JsonStream {
        JsonStream {
            splitter: ArraySplitter::new(),
        }
    }

    /// Feeds a chunk; returns the conversations it completed, each its JSON's bytes as the
    /// file holds them (a `Uint8Array`: not decoded here, so a conversation that is not
    /// UTF-8 still gets its warning when it is read).
    ///
    /// # Errors
    ///
    /// `not_an_export` or `bad_json` when the bytes are not a JSON array of conversations.
    pub fn push(&mut self, chunk: &[u8]) -> Result<js_sys::Array, JsValue> {
        let out = js_sys::Array::new();
        self.splitter
            .push(chunk, |el| {
                out.push(&js_sys::Uint8Array::from(&el[..]));
            })
            .map_err(|e| core_error(&e))?;
        Ok(out)
    }

    /// Feeds a chunk; returns, for each conversation it completed, the export page's list
    /// entry, without handing its JSON over: `{offset, length, summary}` (where its bytes
    /// are in the file, and its summary) or `{offset, length, error}` for a conversation that
    /// cannot be read (`error` an `Error` with a `kind`, and a `title` if that could be read).
    /// Each readable conversation's text goes to `search`.
    ///
    /// # Errors
    ///
    /// As [`JsonStream::push`].
    #[wasm_bindgen(js_name = pushIndex)]
    pub fn push_index(
        &mut self,
        chunk: &[u8],
        search: &mut Search,
    ) -> Result<js_sys::Array, JsValue> {
        let out = js_sys::Array::new();
        let mut failed = None;
        let mut index = self.splitter.count();
        self.splitter
            .push_located(chunk, |offset, el| {
                let entry = js_sys::Object::new();
                set(&entry, "offset", &JsValue::from_f64(offset as f64));
                set(&entry, "length", &JsValue::from_f64(el.len() as f64));
                match source::export::parse_element(el) {
                    Ok(t) => {
                        if let Err(e) = set_index(&entry, index, &t, search) {
                            failed = Some(e);
                        }
                    }
                    Err(e) => set(&entry, "error", &core_error(&e)),
                }
                index += 1;
                out.push(&entry);
            })
            .map_err(|e| core_error(&e))?;
        match failed {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Feeds a chunk; converts the conversations it completed, for saving them: returns,
    /// for each, `{index, converted}` (`converted` as from `convertExportConversation`, but
    /// each file's content as `bytes`, its UTF-8 in a `Uint8Array`, instead of `text`),
    /// `{index, error}` when it cannot be read, or just `{index}` when `wanted` (the
    /// sorted positions of the conversations to convert; all when omitted) leaves it out.
    /// `index` is the conversation's position in the file. The files are named uniquely in
    /// `names`. The JSON never crosses into JavaScript.
    ///
    /// # Errors
    ///
    /// As [`JsonStream::push`], and `options` when `options` is not an options object.
    #[wasm_bindgen(js_name = pushConvert)]
    pub fn push_convert(
        &mut self,
        chunk: &[u8],
        options: JsValue,
        names: &mut NameSet,
        wanted: Option<Box<[u32]>>,
    ) -> Result<js_sys::Array, JsValue> {
        let opts = options_from_js(options)?;
        let out = js_sys::Array::new();
        let mut failed = None;
        let mut index = self.splitter.count();
        self.splitter
            .push(chunk, |el| {
                let item = save_item(index, wanted.as_deref(), &opts, names, || {
                    source::export::parse_element(el)
                });
                index += 1;
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

    /// Conversations completed so far.
    #[wasm_bindgen(getter)]
    pub fn count(&self) -> usize {
        self.splitter.count()
    }

    /// Whether the closing `]` has been read.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.splitter.is_done()
    }

    /// Call at the end of the input.
    ///
    /// # Errors
    ///
    /// `truncated` when the array is incomplete (saying how many conversations were read).
    pub fn finish(&self) -> Result<(), JsValue> {
        self.splitter.finish().map_err(|e| core_error(&e))
    }
}

/// A file JavaScript reads for the core, synchronously (`FileReaderSync` in a Worker):
/// `read(offset, length)` returns a `Uint8Array`.
#[derive(Clone)]
struct JsFile {
    read: js_sys::Function,
    size: u64,
    pos: u64,
}

impl Read for JsFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = (buf.len() as u64).min(self.size.saturating_sub(self.pos));
        if len == 0 {
            return Ok(0);
        }
        let got = self
            .read
            .call2(
                &JsValue::NULL,
                &JsValue::from_f64(self.pos as f64),
                &JsValue::from_f64(len as f64),
            )
            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let bytes = js_sys::Uint8Array::new(&got);
        let n = (bytes.length() as usize).min(buf.len());
        bytes.subarray(0, n as u32).copy_to(&mut buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for JsFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// An export ZIP read through a JavaScript `read(offset, length)` function
/// (`new ZipStream(size, read)`), never loaded whole.
#[wasm_bindgen]
pub struct ZipStream {
    export: ZipExport<JsFile>,
}

#[wasm_bindgen]
impl ZipStream {
    /// Opens the ZIP.
    ///
    /// # Errors
    ///
    /// `not_an_export`, `zip` or `too_large` when the file is not an export ZIP.
    #[wasm_bindgen(constructor)]
    pub fn new(size: f64, read: js_sys::Function) -> Result<ZipStream, JsValue> {
        let file = JsFile {
            read,
            size: size.max(0.0) as u64,
            pos: 0,
        };
        let export = ZipExport::open(file.clone(), file).map_err(|e| core_error(&e))?;
        Ok(ZipStream { export })
    }

    /// Uncompressed bytes of conversation data, for progress.
    #[wasm_bindgen(getter, js_name = jsonBytes)]
    pub fn json_bytes(&self) -> f64 {
        self.export.json_bytes() as f64
    }
}

/// Calls `callback(value, {bytesRead, bytesTotal, conversations})`: `false` back stops the
/// read, and so does a throw (kept in `failure`, to be rethrown).
fn report(
    callback: &js_sys::Function,
    value: &JsValue,
    p: &Progress,
    failure: &mut Option<JsValue>,
) -> ControlFlow<()> {
    let progress = js_sys::Object::new();
    set(
        &progress,
        "bytesRead",
        &JsValue::from_f64(p.bytes_read as f64),
    );
    set(
        &progress,
        "bytesTotal",
        &p.bytes_total
            .map_or(JsValue::NULL, |t| JsValue::from_f64(t as f64)),
    );
    set(
        &progress,
        "conversations",
        &JsValue::from_f64(p.conversations as f64),
    );
    match callback.call2(&JsValue::NULL, value, &progress) {
        Ok(v) if v == JsValue::FALSE => ControlFlow::Break(()),
        Ok(_) => ControlFlow::Continue(()),
        Err(e) => {
            *failure = Some(e);
            ControlFlow::Break(())
        }
    }
}

fn set(target: &js_sys::Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), value);
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
    naming::unknown_placeholders(template)
}

/// Whether a file starting with `head` (its first bytes, 4 are enough) is a ZIP archive
/// (`isZip(head)`).
#[wasm_bindgen(js_name = isZip)]
pub fn is_zip(head: &[u8]) -> bool {
    matches!(
        source::export::sniff(head),
        Ok(source::export::InputKind::Zip)
    )
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

/// A core error as a JavaScript `Error` with a `kind`, and the `title` of the conversation
/// it is about when that could be read.
fn core_error(e: &Error) -> JsValue {
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
fn js_error(message: &str, kind: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh, unfrozen object cannot fail; if it ever did, the
    // error would still carry its message.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    error.into()
}

// --- export page ---
//
// What the export-file page (extension/export.html and its worker) needs on top of the
// above: conversations handed over as raw JSON, so the worker can index them once and
// convert only those the user picks.

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
fn set_index(
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
    /// A search that keeps up to `budget` bytes of text.
    #[wasm_bindgen(constructor)]
    pub fn new(budget: f64) -> Search {
        Search {
            search: search::Search::kept(budget.max(0.0) as usize),
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
    fn add(&mut self, index: usize, t: &chatkeep_core::Transcript) {
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
    fn converted(
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
fn save_item(
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

#[wasm_bindgen]
impl ZipStream {
    /// Calls `callback(json, progress)` with the JSON of every conversation (its bytes, a `Uint8Array`, undecoded),
    /// in order (`forEachJson(callback)`); `progress` is `{bytesRead, bytesTotal,
    /// conversations}`. Returning `false`
    /// stops the read.
    ///
    /// # Errors
    ///
    /// What stops the read (a damaged ZIP, a cut-off file), or what the callback threw.
    #[wasm_bindgen(js_name = forEachJson)]
    pub fn for_each_json(&mut self, callback: js_sys::Function) -> Result<(), JsValue> {
        let mut failure: Option<JsValue> = None;
        self.export
            .for_each_json(&mut |el, p| {
                let json = js_sys::Uint8Array::from(&el[..]);
                report(&callback, &json, p, &mut failure)
            })
            .map_err(|e| core_error(&e))?;
        failure.map_or(Ok(()), Err)
    }

    /// Converts the conversations of this export for saving them, with their images and
    /// files, named uniquely in `names`, and calls `callback(item, progress)` for every
    /// conversation, where `item` is as from [`JsonStream::push_convert`] (`{index,
    /// converted}`, `{index, error}`, or `{index}` for one that `wanted`, the sorted
    /// positions to convert, leaves out; all when omitted) and `progress` as in `forEachJson`.
    /// Returning `false` stops the read (`forEachConverted(options, names, wanted,
    /// callback)`).
    ///
    /// # Errors
    ///
    /// As [`ZipStream::for_each`].
    #[wasm_bindgen(js_name = forEachConverted)]
    pub fn for_each_converted(
        &mut self,
        options: JsValue,
        names: &mut NameSet,
        wanted: Option<Box<[u32]>>,
        callback: js_sys::Function,
    ) -> Result<(), JsValue> {
        let opts = options_from_js(options)?;
        let mut failure: Option<JsValue> = None;
        self.export
            .for_each_json_with_assets(&mut |el, p, assets| {
                let index = p.conversations.saturating_sub(1);
                let item = save_item(index, wanted.as_deref(), &opts, names, || assets.parse(el));
                match item {
                    Ok(item) => report(&callback, &item, p, &mut failure),
                    Err(e) => {
                        failure = Some(e);
                        ControlFlow::Break(())
                    }
                }
            })
            .map_err(|e| core_error(&e))?;
        failure.map_or(Ok(()), Err)
    }

    /// Converts one conversation of this export (its JSON, as `forEachJson` gave it), with
    /// its images and files from the ZIP, named uniquely in `names` (`convert(json, options,
    /// names)`; result as `convertConversation`'s). Not callable from inside this object's
    /// own `forEachJson`: use a second `ZipStream` over the same file.
    ///
    /// # Errors
    ///
    /// As [`convert_conversation`].
    pub fn convert(
        &mut self,
        json: Vec<u8>,
        options: JsValue,
        names: &mut NameSet,
    ) -> Result<JsValue, JsValue> {
        let opts = options_from_js(options)?;
        let mut t = source::export::parse_element(json).map_err(|e| core_error(&e))?;
        self.export.resolve_assets(&mut t);
        names.converted(&t, &opts, Body::Text)
    }
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
        serde_wasm_bindgen::from_value(v).map_err(|e| {
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
