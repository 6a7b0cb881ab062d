//! An export read as it arrives: `conversations.json` in chunks of any size
//! ([`JsonStream`]) or an export ZIP through a JavaScript `read(offset, length)`
//! ([`ZipStream`]), never loaded whole.

use chatkeep_core::source;
use chatkeep_core::source::export::{Progress, ZipExport};
use chatkeep_core::source::split::ArraySplitter;
use std::io::{Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use wasm_bindgen::prelude::*;

use crate::convert::Body;
use crate::names::{save_item, NameSet};
use crate::search::{set_index, Search};
use crate::{core_error, options_from_js, set};

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
pub(crate) struct JsFile {
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
    pub(crate) export: ZipExport<JsFile>,
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
pub(crate) fn report(
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

#[wasm_bindgen]
impl ZipStream {
    /// As [`crate::account_terms`], from this export's `user.json` (`zip.accountTerms()`; `[]`
    /// when it has none).
    ///
    /// # Errors
    ///
    /// Kind `zip` or `bad_json` when `user.json` cannot be read.
    #[wasm_bindgen(js_name = accountTerms)]
    pub fn account_terms(&mut self) -> Result<JsValue, JsValue> {
        crate::to_js(&self.export.account_terms().map_err(|e| core_error(&e))?)
    }
}
