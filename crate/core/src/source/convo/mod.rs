//! From a conversation object (the `mapping` tree) to a [`Transcript`].
//!
//! No recursion: the tree is walked with explicit work lists, so 100,000-message chains and
//! cyclic `parent` links are safe.
//!
//! One job a file: [`tree`] walks the `mapping` and picks the main line and the branches,
//! [`message`] converts one message, [`citations`] numbers sources and places footnotes,
//! [`canvas_docs`] follows Canvas documents and their edits, [`text_helpers`] holds the
//! small text repairs. This file reads a whole conversation, one pass first, then in layers.

mod canvas_docs;
mod citations;
mod message;
#[cfg(test)]
mod tests;
mod text_helpers;
mod tree;

use crate::model::*;
use crate::source::raw;
use crate::{Error, Result};
pub(crate) use message::Ctx;
use serde::Deserialize;
use tree::build;

/// Reads one conversation object; `source_json` is kept verbatim in the transcript.
///
/// First in one pass ([`raw::FastConversation`]); if that fails or meets something whose
/// raw JSON must be kept, again in layers ([`raw::LayeredConversation`]), where damage stays
/// inside the message or content it is in. Both give the same transcript for well-formed
/// input.
pub(crate) fn read(source_json: String, origin: Origin) -> Result<Transcript> {
    let fast = serde_json::from_str::<raw::FastConversation<'_>>(&source_json)
        .ok()
        .and_then(|conv| build(conv, origin).ok());
    let mut t = match fast {
        Some(t) => t,
        None => read_layered(&source_json, origin)?,
    };
    t.source_json = Some(source_json);
    Ok(t)
}

/// The layered reading alone (the fallback of [`read`]; tests call it directly).
pub(crate) fn read_layered(source_json: &str, origin: Origin) -> Result<Transcript> {
    let conv: raw::LayeredConversation<'_> = match serde_json::from_str(source_json) {
        Ok(c) => c,
        Err(e) => return Err(conversation_error(source_json, e.to_string())),
    };
    // Raw JSON is always at hand in this reading: `NeedRaw` cannot happen.
    build(conv, origin).map_err(|NeedRaw| {
        conversation_error(source_json, "the conversation could not be read".to_owned())
    })
}

/// The one-pass reading met something that only the layered reading keeps (the raw JSON
/// of a content or part chatkeep does not understand).
#[derive(Debug)]
pub(crate) struct NeedRaw;

/// An error naming the conversation by id and title when those can still be read.
fn conversation_error(json: &str, detail: String) -> Error {
    #[derive(Deserialize, Default)]
    struct Ident {
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        conversation_id: Option<serde_json::Value>,
        #[serde(default)]
        title: Option<serde_json::Value>,
    }
    let (ident, parsed) = match serde_json::from_str::<Ident>(json) {
        Ok(ident) => (ident, true),
        Err(_) => (Ident::default(), false),
    };
    let s = |v: Option<serde_json::Value>| v.and_then(|v| v.as_str().map(str::to_owned));
    Error::Conversation {
        id: s(ident.conversation_id).or(s(ident.id)),
        title: s(ident.title).or_else(|| (!parsed).then(|| scanned_title(json)).flatten()),
        detail,
    }
}

/// The first `"title": "…"` in the start of JSON too damaged to parse, so that a broken
/// conversation can still be named by its title.
fn scanned_title(json: &str) -> Option<String> {
    let mut end = json.len().min(64 * 1024);
    while !json.is_char_boundary(end) {
        end -= 1;
    }
    let head = &json[..end];
    let at = head.find("\"title\"")?;
    let rest = head[at + "\"title\"".len()..].trim_start();
    let rest = rest.strip_prefix(':')?;
    // The string value alone: what follows it may be anything.
    let title = serde_json::Deserializer::from_str(rest)
        .into_iter::<String>()
        .next()?
        .ok()?;
    (!title.trim().is_empty()).then_some(title)
}
