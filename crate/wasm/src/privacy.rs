//! The boundary of redaction and encrypted saves: conversions only (the rules are in
//! `chatkeep_core::redact` and `chatkeep_core::encrypt`).

#[cfg(feature = "export")]
use std::io::Cursor;

use chatkeep_core::{encrypt, redact, source};
use wasm_bindgen::prelude::*;

use crate::{core_error, options_from_js, to_js};

/// What redaction would replace in one conversation (`redactionFindings(json, options)`:
/// `json` as `convertConversation` takes it, `options` the save's options, whose `redact`
/// says which kinds and terms) → `[{kind, value, placeholder, message, count}]`, in order
/// of first appearance. Pass unticked `value`s back in `options.redact.allow`.
///
/// # Errors
///
/// As `convertConversation`.
#[wasm_bindgen(js_name = redactionFindings)]
pub fn redaction_findings(json: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let t = source::api::read_conversation(json).map_err(|e| core_error(&e))?;
    to_js(&redact::findings(&t, &opts.redact))
}

/// Redacts one text (`redactText(text, options)` → `{text, findings}`), e.g. the Markdown
/// of "Copy as Markdown (redacted)" when it was made without redaction.
///
/// # Errors
///
/// Kind `options` when `options` is malformed.
#[wasm_bindgen(js_name = redactText)]
pub fn redact_text(text: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = options_from_js(options)?;
    let mut r = redact::Redactor::new(&opts.redact);
    let out = r.redact_str(text).unwrap_or_else(|| text.to_owned());
    #[derive(serde::Serialize)]
    struct Redacted<'a> {
        text: String,
        findings: &'a [redact::Finding],
    }
    to_js(&Redacted {
        text: out,
        findings: r.findings(),
    })
}

/// The account's own name, e-mail address and phone number from an official export's
/// `user.json` text, to offer as redaction terms (`accountTerms(text)` → `["Ana Lima",
/// "ana@firma.de"]`).
///
/// # Errors
///
/// Kind `bad_json` when the text is not a JSON object.
#[wasm_bindgen(js_name = accountTerms)]
pub fn account_terms(user_json: &str) -> Result<JsValue, JsValue> {
    to_js(&redact::account_terms(user_json).map_err(|e| core_error(&e))?)
}

/// How well a password resists guessing (`passwordStrength(password)` →
/// `"too_short" | "weak" | "fair" | "strong"`).
#[wasm_bindgen(js_name = passwordStrength)]
pub fn password_strength(password: &str) -> Result<JsValue, JsValue> {
    to_js(&encrypt::strength(password))
}

/// A passphrase of one word per random number (`passphrase(crypto.getRandomValues(new
/// Uint32Array(6)))`).
#[wasm_bindgen]
pub fn passphrase(random: &[u32]) -> String {
    encrypt::passphrase(random)
}

/// An AES-256 encrypted ZIP built in memory (`new EncryptedZip(password)`, `add(path,
/// bytes)`, `finish()` → `Uint8Array`). In the `export` build only: it carries the `zip`
/// crate's writer and deflate, which the background's module does without.
#[cfg(feature = "export")]
#[wasm_bindgen]
pub struct EncryptedZip {
    zip: Option<encrypt::EncryptedZip<Cursor<Vec<u8>>>>,
}

#[cfg(feature = "export")]
#[wasm_bindgen]
impl EncryptedZip {
    /// Starts an archive.
    ///
    /// # Errors
    ///
    /// Kind `options` when the password is too short.
    #[wasm_bindgen(constructor)]
    pub fn new(password: &str) -> Result<EncryptedZip, JsValue> {
        let zip = encrypt::EncryptedZip::new(Cursor::new(Vec::new()), password)
            .map_err(|e| core_error(&e))?;
        Ok(EncryptedZip { zip: Some(zip) })
    }

    /// Adds one file.
    ///
    /// # Errors
    ///
    /// Kind `io` when the archive was finished or the entry cannot be written.
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), JsValue> {
        let zip = self.zip.as_mut().ok_or_else(finished)?;
        zip.add(path, bytes).map_err(|e| core_error(&e))
    }

    /// Writes the index and returns the archive's bytes.
    ///
    /// # Errors
    ///
    /// Kind `io` when the archive was already finished.
    pub fn finish(&mut self) -> Result<js_sys::Uint8Array, JsValue> {
        let zip = self.zip.take().ok_or_else(finished)?;
        let bytes = zip.finish().map_err(|e| core_error(&e))?.into_inner();
        Ok(js_sys::Uint8Array::from(bytes.as_slice()))
    }
}

#[cfg(feature = "export")]
fn finished() -> JsValue {
    core_error(&chatkeep_core::Error::Io(std::io::Error::other(
        "this encrypted ZIP is already finished: start a new one",
    )))
}

/// The cipher of one AES-256 (WinZip AE-2) entry of a ZIP the extension writes itself
/// (`new AesEntry(password, crypto.getRandomValues(new Uint8Array(16)))`, a new salt for
/// every entry): `header()` (salt and password verifier) before the entry's compressed
/// bytes, `update(bytes)` → the same bytes encrypted, piece by piece, then `finish()` → the
/// 10-byte authentication code after them.
#[wasm_bindgen]
pub struct AesEntry {
    entry: Option<encrypt::AesEntry>,
    header: Vec<u8>,
}

#[wasm_bindgen]
impl AesEntry {
    /// Derives the entry's keys.
    ///
    /// # Errors
    ///
    /// Kind `options` when the password is too short or the salt is not 16 bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(password: &str, salt: &[u8]) -> Result<AesEntry, JsValue> {
        let entry = encrypt::AesEntry::new(password, salt).map_err(|e| core_error(&e))?;
        Ok(AesEntry {
            header: entry.header().to_vec(),
            entry: Some(entry),
        })
    }

    /// The salt and password verifier (18 bytes).
    pub fn header(&self) -> Vec<u8> {
        self.header.clone()
    }

    /// The next piece of the entry's bytes, encrypted.
    ///
    /// # Errors
    ///
    /// Kind `io` after `finish()`.
    pub fn update(&mut self, bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
        let entry = self.entry.as_mut().ok_or_else(entry_finished)?;
        let mut out = bytes.to_vec();
        entry.update(&mut out);
        Ok(out)
    }

    /// The authentication code (10 bytes); the entry is then spent.
    ///
    /// # Errors
    ///
    /// Kind `io` when called twice.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        let entry = self.entry.take().ok_or_else(entry_finished)?;
        Ok(entry.finish().to_vec())
    }
}

fn entry_finished() -> JsValue {
    core_error(&chatkeep_core::Error::Io(std::io::Error::other(
        "this AES entry is already finished: start a new one for the next entry",
    )))
}
