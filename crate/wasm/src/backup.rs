//! The whole-account backup ([`chatkeep_core::backup`]) as the JavaScript class `Backup`:
//! the background performs the requests it is handed and keeps the bytes it is told to
//! keep; every decision is the core's.
//!
//! ```js
//! const b = new Backup({ gapMs: 1000 });          // or Backup.fromJson(saved)
//! b.start(Date.now());
//! for (;;) {
//!   const step = b.next(Date.now());              // {step: "request", seq, url, auth, what, title}
//!   if (step.step === "done") break;              // | {step: "wait", until, reason} | {step: "done"}
//!   if (step.step === "wait") { await sleep(step.until - Date.now()); continue; }
//!   const r = await fetchSomehow(step);
//!   const out = b.record(Date.now(), step.seq, r.status, r.retryAfter, r.bytes, r.error);
//!   // out: {keep: "nothing"} | {keep: "conversation", id, title} | {keep: "file", id, entry, mime}
//!   //    | {keep: "signIn"}
//!   save(b.toJson(), out, r.bytes);
//! }
//! ```

use chatkeep_core::backup::{self, BackupOptions, Response};
use wasm_bindgen::prelude::*;

use crate::{core_error, to_js};

/// A backup of one account (`new Backup(options)`); see the module docs.
#[wasm_bindgen]
pub struct Backup {
    inner: backup::Backup,
}

/// Options from JavaScript: through JSON, so that an unknown key is refused (the core's
/// options deny unknown fields; serde-wasm-bindgen would skip them silently).
fn options(value: &JsValue) -> Result<BackupOptions, JsValue> {
    if value.is_null_or_undefined() {
        return Ok(BackupOptions::default());
    }
    let json: String = js_sys::JSON::stringify(value)
        .map(String::from)
        .unwrap_or_else(|_| "0".into());
    BackupOptions::from_json(&json).map_err(|e| core_error(&e))
}

#[wasm_bindgen]
impl Backup {
    /// An empty backup.
    ///
    /// # Errors
    ///
    /// Kind `options` when an option is unknown or out of range.
    #[wasm_bindgen(constructor)]
    pub fn new(options_value: JsValue) -> Result<Backup, JsValue> {
        Ok(Backup {
            inner: backup::Backup::new(options(&options_value)?),
        })
    }

    /// A backup kept with `toJson()`.
    ///
    /// # Errors
    ///
    /// Kind `bad_json` when `json` is not a kept backup state.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> Result<Backup, JsValue> {
        Ok(Backup {
            inner: backup::Backup::from_json(json).map_err(|e| core_error(&e))?,
        })
    }

    /// Checks backup options without making a backup (`Backup.checkOptions(o)` → the
    /// options with every default filled in).
    ///
    /// # Errors
    ///
    /// Kind `options` when an option is unknown or out of range.
    #[wasm_bindgen(js_name = checkOptions)]
    pub fn check_options(options_value: JsValue) -> Result<JsValue, JsValue> {
        to_js(&options(&options_value)?)
    }

    /// The whole state as JSON.
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The options in force.
    ///
    /// # Errors
    ///
    /// Only if they cannot be converted (kind `internal`).
    #[wasm_bindgen(getter)]
    pub fn options(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.options())
    }

    /// Replaces the options.
    ///
    /// # Errors
    ///
    /// Kind `options` when an option is unknown or out of range.
    #[wasm_bindgen(js_name = setOptions)]
    pub fn set_options(&mut self, options_value: JsValue) -> Result<(), JsValue> {
        self.inner.set_options(options(&options_value)?);
        Ok(())
    }

    /// The phase: `idle`, `listing`, `fetching`, `checking` or `done`.
    #[wasm_bindgen(getter)]
    pub fn phase(&self) -> String {
        use chatkeep_core::backup::Phase;
        match self.inner.phase() {
            Phase::Idle => "idle",
            Phase::Listing => "listing",
            Phase::Fetching => "fetching",
            Phase::Checking => "checking",
            Phase::Done => "done",
        }
        .to_owned()
    }

    /// Whether a run is under way.
    #[wasm_bindgen(getter)]
    pub fn running(&self) -> bool {
        self.inner.running()
    }

    /// Starts a run (incremental when the backup holds conversations already).
    pub fn start(&mut self, now: f64) {
        self.inner.start(now);
    }

    /// Stops the run; what was fetched is kept.
    pub fn stop(&mut self, now: f64) {
        self.inner.stop(now);
    }

    /// What to do next: `{step: "request", seq, url, auth, what, title}`, `{step: "wait",
    /// until, reason}` or `{step: "done"}`.
    ///
    /// # Errors
    ///
    /// Only if the step cannot be converted (kind `internal`).
    pub fn next(&mut self, now: f64) -> Result<JsValue, JsValue> {
        to_js(&self.inner.next(now))
    }

    /// Records the answer to request `seq`: `status` 0 when there was none (then `error`
    /// says why). Returns what to keep.
    ///
    /// # Errors
    ///
    /// Kind `options` when `seq` is not the request the backup waits for.
    pub fn record(
        &mut self,
        now: f64,
        seq: f64,
        status: u16,
        retry_after: Option<String>,
        body: &[u8],
        error: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let out = self
            .inner
            .record(
                now,
                seq as u64,
                Response {
                    status,
                    retry_after: retry_after.as_deref(),
                    body,
                    error: error.as_deref(),
                },
            )
            .map_err(|e| core_error(&e))?;
        to_js(&out)
    }

    /// How far the run is.
    ///
    /// # Errors
    ///
    /// Only if the progress cannot be converted (kind `internal`).
    pub fn progress(&self, now: f64) -> Result<JsValue, JsValue> {
        to_js(&self.inner.progress(now))
    }

    /// What could not be backed up in the last run: `[{what, id, title, reason}]`.
    ///
    /// # Errors
    ///
    /// Only if they cannot be converted (kind `internal`).
    pub fn failures(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.failures().collect::<Vec<_>>())
    }

    /// Totals of what the backup holds: `{conversations, ordinary, archived, project,
    /// noLongerListed, files, conversationBytes, started, finished, stopped}`.
    ///
    /// # Errors
    ///
    /// Only if they cannot be converted (kind `internal`).
    pub fn totals(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.totals())
    }

    /// The ZIP's layout: `{parts: [{name, ids}], files: [{id, name}], manifestName,
    /// manifest}`. `partBytes` (optional) overrides the size of a conversations part.
    ///
    /// # Errors
    ///
    /// Only if it cannot be converted (kind `internal`).
    pub fn layout(
        &self,
        now: f64,
        account: Option<String>,
        part_bytes: Option<f64>,
    ) -> Result<JsValue, JsValue> {
        to_js(
            &self
                .inner
                .layout(now, account.as_deref(), part_bytes.map(|b| b as u64)),
        )
    }

    /// Adds a conversation from an export or an earlier backup: `{id, title, keep,
    /// files}` (keep its bytes when `keep`; `files`: ids of its files the backup lacks).
    ///
    /// # Errors
    ///
    /// Kind `conversation` when `json` is not a conversation.
    pub fn seed(&mut self, json: &[u8]) -> Result<JsValue, JsValue> {
        to_js(&self.inner.seed(json).map_err(|e| core_error(&e))?)
    }

    /// Records a file taken from a seed; returns its entry name in the ZIP.
    #[wasm_bindgen(js_name = seedFile)]
    pub fn seed_file(&mut self, id: &str, name: Option<String>) -> String {
        self.inner.seed_file(id, name.as_deref())
    }
}

// Reading a ZIP is the export build's (the background hands an export to a worker).
#[cfg(feature = "export")]
#[wasm_bindgen]
impl Backup {
    /// Seeds the backup from an export (or earlier backup) ZIP: calls `callback(item,
    /// progress)` for each conversation to keep (`{keep: "conversation", id, title,
    /// bytes}`) and each of its files the ZIP holds (`{keep: "file", id, entry, bytes}`);
    /// `progress` as in `ZipStream.forEachJson`. Returns `{read, kept, files, unreadable}`.
    /// Returning `false` from the callback stops the read.
    ///
    /// # Errors
    ///
    /// What stops reading the ZIP (damaged, cut off), or what the callback threw.
    #[wasm_bindgen(js_name = seedZip)]
    pub fn seed_zip(
        &mut self,
        zip: &mut crate::ZipStream,
        callback: js_sys::Function,
    ) -> Result<JsValue, JsValue> {
        use chatkeep_core::backup::SeedItem;
        let mut failure: Option<JsValue> = None;
        let stats = self
            .inner
            .seed_zip(&mut zip.export, &mut |item, p| {
                let o = js_sys::Object::new();
                match item {
                    SeedItem::Conversation { id, title, bytes } => {
                        crate::set(&o, "keep", &JsValue::from_str("conversation"));
                        crate::set(&o, "id", &JsValue::from_str(id));
                        crate::set(&o, "title", &JsValue::from_str(title));
                        crate::set(&o, "bytes", &js_sys::Uint8Array::from(bytes).into());
                    }
                    SeedItem::File { id, entry, bytes } => {
                        crate::set(&o, "keep", &JsValue::from_str("file"));
                        crate::set(&o, "id", &JsValue::from_str(id));
                        crate::set(&o, "entry", &JsValue::from_str(entry));
                        crate::set(&o, "bytes", &js_sys::Uint8Array::from(bytes).into());
                    }
                }
                crate::report(&callback, &o, p, &mut failure)
            })
            .map_err(|e| core_error(&e))?;
        if let Some(e) = failure {
            return Err(e);
        }
        to_js(&stats)
    }
}
