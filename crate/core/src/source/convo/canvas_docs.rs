//! Canvas documents across a conversation: the documents created, the model's edits
//! replayed on them (with [`crate::source::canvas`]), and edits that failed or could not
//! be replayed.

use super::{message::owned, text_helpers::lenient_json, Ctx};
use crate::model::*;
use crate::source::canvas;
use crate::source::raw;
use crate::source::text::{normalize_newlines, strip_markers};

/// A Canvas document as the model's edits have left it so far.
pub(super) struct CanvasDoc {
    pub(super) title: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) body: String,
    /// An edit could not be replayed: the body lacks it (and what came after).
    pub(super) stale: bool,
}

impl Ctx {
    /// After a Canvas tool's answer `m`: if it says the last update failed, the document
    /// goes back to what it was and the call that failed comes back (to show as a hidden
    /// tool call instead of an edit).
    pub(super) fn canvas_failed(&mut self, m: &Message) -> Option<String> {
        let canvas_tool = m.role == Role::Tool
            && m.author_name
                .as_deref()
                .is_some_and(|n| n.starts_with("canmore."));
        if !canvas_tool {
            return None;
        }
        let failed = m.blocks.iter().any(|b| {
            matches!(b, Block::Text { markdown } if markdown.trim_start().starts_with("Failed with error"))
        });
        if !failed {
            self.canvas_undo = None;
            return None;
        }
        let (doc, before, stale, call) = self.canvas_undo.take()?;
        if let Some(d) = self.canvas_docs.get_mut(doc) {
            d.body = before;
            d.stale = stale;
        }
        Some(call)
    }

    /// An assistant message to a Canvas tool. Returns whether it produced blocks.
    pub(super) fn canvas_call(
        &mut self,
        recipient: &str,
        content: &raw::Content<'_, raw::PartValue<'_>>,
        refs: &[raw::ContentRef<'_>],
        blocks: &mut Vec<Block>,
    ) -> bool {
        let text: Option<String> = content.text.as_deref().map(str::to_owned).or_else(|| {
            content.parts.iter().flatten().find_map(|p| match p {
                raw::PartValue::Text(s) => Some(s.clone().into_owned()),
                _ => None,
            })
        });
        let Some(text) = text.map(|t| lenient_json(&t).into_owned()) else {
            return false;
        };
        let Ok(call) = serde_json::from_str::<raw::CanvasCall<'_>>(&text) else {
            return false;
        };
        match recipient {
            "canmore.create_textdoc" => {
                let Some(body) = call.content.as_deref() else {
                    return false;
                };
                let kind = owned(&call.kind);
                let body = self.canvas_text(body, kind.as_deref(), refs);
                self.canvas_docs.push(CanvasDoc {
                    title: owned(&call.name),
                    kind: kind.clone(),
                    body: body.clone(),
                    stale: false,
                });
                let doc = self.canvas_docs.len() - 1;
                self.canvas_current = Some(doc);
                self.canvas_created = Some(doc);
                blocks.push(Block::Canvas {
                    title: owned(&call.name),
                    kind,
                    content: body,
                });
                true
            }
            "canmore.update_textdoc" => {
                self.canvas_undo = None;
                let Some(doc) = self.canvas_current else {
                    return false;
                };
                let updates = call.updates.as_deref().unwrap_or(&[]);
                let (title, kind, before, stale) = {
                    let d = &self.canvas_docs[doc];
                    (d.title.clone(), d.kind.clone(), d.body.clone(), d.stale)
                };
                let diff = match canvas::apply(&before, updates) {
                    Some((after, whole)) => {
                        let after = self.canvas_text(&after, kind.as_deref(), refs);
                        let diff = canvas::unified_diff(&before, &after);
                        let d = &mut self.canvas_docs[doc];
                        d.body = after;
                        d.stale = stale && !whole;
                        diff
                    }
                    None => {
                        // A regular expression not replayed here: the edit as written, and
                        // the document marked as lacking it.
                        self.canvas_docs[doc].stale = true;
                        canvas::edit_as_written(updates)
                    }
                };
                self.canvas_undo = Some((doc, before, stale, text.clone()));
                blocks.push(Block::CanvasEdit { title, kind, diff });
                true
            }
            _ => false,
        }
    }

    /// A Canvas document's text as shown: in a document (Markdown), citations become
    /// footnotes as in an answer; a code file is shown as written (a `【20†source】` in it
    /// is code). Markers gone, `\n` line ends.
    fn canvas_text(
        &mut self,
        body: &str,
        kind: Option<&str>,
        refs: &[raw::ContentRef<'_>],
    ) -> String {
        let s = if kind.is_some_and(|k| k.starts_with("code/")) {
            body.into()
        } else {
            self.content_refs(body, refs)
        };
        let s = strip_markers(&s);
        normalize_newlines(&s).into_owned()
    }

    /// Warnings for the Canvas documents shown without some edit.
    pub(super) fn canvas_warnings(&self) -> impl Iterator<Item = crate::Warning> + '_ {
        self.canvas_docs.iter().filter(|d| d.stale).map(|d| {
            crate::Warning::reader(format!(
                "Canvas document \"{}\": an edit made with a regular expression could not be replayed, so the document is shown as it was before that edit (with the edits that could be replayed after it); the edit itself is shown where it was made",
                d.title.as_deref().unwrap_or("Untitled")
            ))
        })
    }
}
