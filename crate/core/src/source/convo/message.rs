//! One message: from ChatGPT's message object (the big match over content types) to
//! a [`Message`] with its blocks, attachments and why it is hidden.

use super::{canvas_docs::CanvasDoc, text_helpers::block_newlines, tree::NodeMessage, NeedRaw};
use crate::model::*;
use crate::source::raw::{self, parse_or_default, Str};
use crate::source::text::{
    citations_into_cells, normalize_math, normalize_newlines, plain_to_markdown, strip_directives,
    strip_markers,
};
use serde_json::value::RawValue;
use std::collections::HashMap;

/// A message read in layers as the one-pass reading holds it, with the raw JSON of its
/// content (to keep what is not understood), or the content that could not be read.
struct MessageIn<'a> {
    m: raw::FastMessage<'a>,
    content_raw: Option<&'a RawValue>,
    bad_content: Option<&'a RawValue>,
}

/// A message kept as raw JSON, read in layers: its content and metadata apart, so that a
/// content that cannot be read is kept raw and bad metadata is ignored. `None` if the
/// message itself is not an object.
fn layered_message(raw_msg: &RawValue) -> Option<MessageIn<'_>> {
    let m: raw::LayeredMessage<'_> = serde_json::from_str(raw_msg.get()).ok()?;
    let content_raw = m.content.filter(|c| c.get() != "null");
    let (content, bad_content) = match content_raw {
        None => (None, None),
        Some(c) => match serde_json::from_str::<raw::Content<'_, &RawValue>>(c.get()) {
            Ok(content) => (Some(content.map_parts(raw::PartValue::from_raw)), None),
            Err(_) => (None, Some(c)),
        },
    };
    Some(MessageIn {
        m: raw::Message {
            id: m.id,
            author: m.author,
            create_time: m.create_time,
            content,
            metadata: Some(parse_or_default(m.metadata)),
            recipient: m.recipient,
        },
        content_raw,
        bad_content,
    })
}

/// State shared across the messages of one conversation.
#[derive(Default)]
pub(crate) struct Ctx {
    pub(crate) sources: Vec<Source>,
    pub(super) source_index: HashMap<String, usize>,
    /// The Canvas documents created so far, in order.
    pub(super) canvas_docs: Vec<CanvasDoc>,
    /// The document edits go to (the latest created).
    pub(super) canvas_current: Option<usize>,
    /// The document the message just read created.
    pub(super) canvas_created: Option<usize>,
    /// The message being read is the user's: its text is plain, not Markdown.
    pub(super) plain: bool,
    /// The last Canvas update applied: its document, the content before it and the call's
    /// JSON, to undo it if the tool answers that it failed.
    pub(super) canvas_undo: Option<(usize, String, bool, String)>,
}

pub(super) fn owned(s: &Option<Str<'_>>) -> Option<String> {
    s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Ctx {
    pub(super) fn message(
        &mut self,
        node_id: &str,
        msg: NodeMessage<'_>,
    ) -> std::result::Result<Message, NeedRaw> {
        let MessageIn {
            m,
            content_raw,
            bad_content,
        } = match msg {
            NodeMessage::Parsed(m) => MessageIn {
                m: *m,
                content_raw: None,
                bad_content: None,
            },
            NodeMessage::Raw(raw_msg) => match layered_message(raw_msg) {
                Some(m) => m,
                None => {
                    return Ok(Message {
                        id: node_id.to_owned(),
                        role: Role::Tool,
                        hidden: Some(Hidden::Empty),
                        blocks: vec![Block::Unsupported {
                            content_type: "message".to_owned(),
                            raw: raw_msg.get().to_owned(),
                        }],
                        ..Message::default()
                    })
                }
            },
        };
        let author: raw::Author<'_> = m.author.unwrap_or_default();
        let role_str = author.role.as_deref().unwrap_or("");
        let role = match role_str {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "system" => Role::System,
            _ => Role::Tool,
        };
        let author_name = owned(&author.name).or_else(|| {
            (role == Role::Tool && !role_str.is_empty() && role_str != "tool")
                .then(|| role_str.to_owned())
        });
        let meta: raw::Meta<'_> = m.metadata.unwrap_or_default();
        let recipient = owned(&m.recipient);
        let to_tool = recipient.as_deref().filter(|r| *r != "all");
        let mut out = Message {
            id: owned(&m.id).unwrap_or_else(|| node_id.to_owned()),
            role,
            author_name,
            recipient: recipient.clone(),
            create_time: m.create_time,
            model: owned(&meta.model_slug),
            hidden: None,
            variant: None,
            blocks: Vec::new(),
        };
        if let Some(bad) = bad_content {
            out.blocks.push(Block::Unsupported {
                content_type: "unknown".to_owned(),
                raw: bad.get().to_owned(),
            });
            out.hidden = hidden_for(&out, "", &meta, to_tool);
            return Ok(out);
        }
        let Some(content) = m.content else {
            out.hidden = Some(Hidden::Empty);
            return Ok(out);
        };
        let ct = content.content_type.as_deref().unwrap_or("");
        let refs: &[raw::ContentRef<'_>] = meta.content_references.as_deref().unwrap_or(&[]);
        let cites: &[raw::Citation<'_>] = meta.citations.as_deref().unwrap_or(&[]);
        let mut blocks = Vec::new();
        self.plain = role == Role::User;
        let mut handled_canvas = false;
        if role == Role::Assistant {
            if let Some(r) = to_tool.filter(|r| r.starts_with("canmore.")) {
                handled_canvas = self.canvas_call(r, &content, refs, &mut blocks);
            }
        }
        if !handled_canvas {
            match ct {
                "text" => {
                    for p in content.parts.iter().flatten() {
                        if let raw::PartValue::Text(s) = p {
                            self.push_text(&mut blocks, s, refs, cites);
                        }
                    }
                }
                "multimodal_text" => self.multimodal(&content, &meta, refs, cites, &mut blocks)?,
                "code" => {
                    let code = content.text.as_deref().unwrap_or("");
                    if !code.trim().is_empty() {
                        let lang = content
                            .language
                            .as_deref()
                            .filter(|l| !l.is_empty() && *l != "unknown")
                            .map(str::to_owned)
                            .or_else(|| (to_tool == Some("python")).then(|| "python".to_owned()));
                        blocks.push(Block::Code {
                            language: lang,
                            code: code.to_owned(),
                        });
                    }
                }
                "execution_output" => {
                    let text: String = content
                        .text
                        .as_deref()
                        .unwrap_or("")
                        .lines()
                        .filter(|l| l.trim() != "<<ImageDisplayed>>")
                        .collect::<Vec<_>>()
                        .join("\n");
                    if !text.trim().is_empty() {
                        blocks.push(Block::ExecutionOutput { text });
                    }
                    for a in meta
                        .aggregate_result
                        .iter()
                        .flat_map(|a| a.messages.iter().flatten())
                    {
                        if a.message_type.as_deref() == Some("image") {
                            if let Some(url) = owned(&a.image_url) {
                                blocks.push(Block::Image {
                                    asset: Asset {
                                        pointer: Some(url),
                                        width: a.width.map(|w| w as u32),
                                        height: a.height.map(|h| h as u32),
                                        ..Asset::default()
                                    },
                                    prompt: None,
                                });
                            }
                        }
                    }
                }
                "thoughts" => {
                    let thoughts: Vec<Thought> = content
                        .thoughts
                        .iter()
                        .flatten()
                        .map(|th| Thought {
                            summary: owned(&th.summary).map(|s| strip_markers(&s).into_owned()),
                            content: strip_markers(th.content.as_deref().unwrap_or(""))
                                .into_owned(),
                        })
                        .filter(|th| th.summary.is_some() || !th.content.trim().is_empty())
                        .collect();
                    if !thoughts.is_empty() {
                        blocks.push(Block::Reasoning { thoughts });
                    }
                }
                "reasoning_recap" => {
                    if let Some(text) = owned(&content.content) {
                        blocks.push(Block::ReasoningRecap { text });
                    }
                }
                "user_editable_context" => {
                    // The user's own words when the metadata has them; else the text the
                    // model was given (with ChatGPT's preamble around them).
                    let typed = meta.user_context_message_data.as_ref();
                    let typed_user = typed.and_then(|u| owned(&u.about_user_message));
                    let typed_model = typed.and_then(|u| owned(&u.about_model_message));
                    let (about_user, instructions) =
                        if typed_user.is_some() || typed_model.is_some() {
                            (typed_user, typed_model)
                        } else {
                            (
                                owned(&content.user_profile),
                                owned(&content.user_instructions),
                            )
                        };
                    if about_user.is_some() || instructions.is_some() {
                        blocks.push(Block::CustomInstructions {
                            about_user,
                            instructions,
                        });
                    }
                }
                "model_editable_context" => {
                    if let Some(text) = owned(&content.model_set_context) {
                        blocks.push(Block::Memory { text });
                    }
                }
                "tether_browsing_display" => {
                    if let Some(text) = owned(&content.result).or_else(|| owned(&content.summary)) {
                        blocks.push(Block::ToolOutput {
                            text: strip_markers(&text).into_owned(),
                        });
                    }
                }
                "tether_quote" => blocks.push(Block::Quote {
                    title: owned(&content.title),
                    url: owned(&content.url),
                    domain: owned(&content.domain),
                    text: strip_markers(content.text.as_deref().unwrap_or("").trim()).into_owned(),
                }),
                "sonic_webpage" => {
                    let mut text = String::new();
                    if let Some(t) = owned(&content.title) {
                        text.push_str(&t);
                        text.push('\n');
                    }
                    if let Some(u) = owned(&content.url) {
                        text.push_str(&u);
                        text.push('\n');
                    }
                    text.push_str(content.text.as_deref().unwrap_or(""));
                    if !text.trim().is_empty() {
                        blocks.push(Block::ToolOutput {
                            text: strip_markers(&text).into_owned(),
                        });
                    }
                }
                "system_error" => blocks.push(Block::SystemError {
                    name: owned(&content.name),
                    text: content.text.as_deref().unwrap_or("").to_owned(),
                }),
                other => blocks.push(Block::Unsupported {
                    content_type: if other.is_empty() {
                        "unknown".to_owned()
                    } else {
                        other.to_owned()
                    },
                    raw: content_raw.ok_or(NeedRaw)?.get().to_owned(),
                }),
            }
        }
        // User attachments that are not shown inline as images.
        if role == Role::User {
            for a in meta.attachments.iter().flatten() {
                let id = owned(&a.id);
                let inline = blocks.iter().any(|b| match b {
                    Block::Image { asset, .. } => {
                        asset.file_id().is_some() && asset.file_id() == id.as_deref()
                    }
                    _ => false,
                });
                if !inline {
                    blocks.push(Block::Attachment {
                        asset: Asset {
                            pointer: id.map(|i| format!("file-service://{i}")),
                            name: owned(&a.name),
                            mime: owned(&a.mime_type),
                            size: a.size,
                            width: a.width.map(|w| w as u32),
                            height: a.height.map(|h| h as u32),
                            data: None,
                        },
                    });
                }
            }
        }
        for b in &mut blocks {
            block_newlines(b);
        }
        out.blocks = blocks;
        out.hidden = hidden_for(&out, ct, &meta, to_tool);
        Ok(out)
    }

    fn push_text(
        &mut self,
        blocks: &mut Vec<Block>,
        s: &str,
        refs: &[raw::ContentRef<'_>],
        cites: &[raw::Citation<'_>],
    ) {
        if self.plain {
            let s = strip_markers(s);
            let s = normalize_newlines(&s);
            if !s.trim().is_empty() {
                blocks.push(Block::Text {
                    markdown: plain_to_markdown(s.trim_end()),
                });
            }
            return;
        }
        let s = self.legacy_citations(s, cites);
        let s = self.content_refs(&s, refs);
        let s = strip_markers(&s);
        // After the citations: their offsets count the CRs.
        let s = normalize_newlines(&s);
        let s = citations_into_cells(&s);
        let s = strip_directives(&s);
        let s = normalize_math(&s);
        if !s.trim().is_empty() {
            blocks.push(Block::Text {
                markdown: s.into_owned(),
            });
        }
    }

    fn multimodal(
        &mut self,
        content: &raw::Content<'_, raw::PartValue<'_>>,
        meta: &raw::Meta<'_>,
        refs: &[raw::ContentRef<'_>],
        cites: &[raw::Citation<'_>],
        blocks: &mut Vec<Block>,
    ) -> std::result::Result<(), NeedRaw> {
        for p in content.parts.iter().flatten() {
            let (part, raw) = match p {
                raw::PartValue::Text(s) => {
                    self.push_text(blocks, s, refs, cites);
                    continue;
                }
                raw::PartValue::Other(raw) => {
                    blocks.push(Block::Unsupported {
                        content_type: "part".to_owned(),
                        raw: raw.ok_or(NeedRaw)?.get().to_owned(),
                    });
                    continue;
                }
                raw::PartValue::Object(part, raw) => (part, raw),
            };
            match part.content_type.as_deref().unwrap_or("") {
                "image_asset_pointer" => {
                    let prompt = part
                        .metadata
                        .as_ref()
                        .and_then(|m| m.dalle.as_ref())
                        .and_then(|d| owned(&d.prompt))
                        .or_else(|| {
                            part.metadata
                                .as_ref()
                                .and_then(|m| m.generation)
                                .and(owned(&meta.image_gen_title))
                        });
                    blocks.push(Block::Image {
                        asset: asset_of(part, meta),
                        prompt,
                    });
                }
                "audio_transcription" => {
                    if let Some(text) = owned(&part.text) {
                        blocks.push(Block::Transcription {
                            text,
                            direction: owned(&part.direction),
                        });
                    }
                }
                "audio_asset_pointer" => blocks.push(Block::Audio {
                    asset: asset_of(part, meta),
                }),
                "real_time_user_audio_video_asset_pointer" => {
                    if let Some(a) = &part.audio_asset_pointer {
                        blocks.push(Block::Audio {
                            asset: asset_of(a, meta),
                        });
                    }
                }
                other => blocks.push(Block::Unsupported {
                    content_type: if other.is_empty() {
                        "part".to_owned()
                    } else {
                        other.to_owned()
                    },
                    raw: raw.ok_or(NeedRaw)?.get().to_owned(),
                }),
            }
        }
        Ok(())
    }
}

fn asset_of(part: &raw::Part<'_>, meta: &raw::Meta<'_>) -> Asset {
    let mut asset = Asset {
        pointer: owned(&part.asset_pointer),
        size: part.size_bytes,
        width: part.width.map(|w| w as u32),
        height: part.height.map(|h| h as u32),
        mime: part.format.as_deref().map(|f| format!("audio/{f}")),
        ..Asset::default()
    };
    if let Some(id) = asset.file_id().map(str::to_owned) {
        if let Some(a) = meta
            .attachments
            .iter()
            .flatten()
            .find(|a| a.id.as_deref() == Some(id.as_str()))
        {
            asset.name = owned(&a.name);
            asset.mime = owned(&a.mime_type).or(asset.mime);
        }
    }
    asset
}

/// Why the site hides a message by default (CHATGPT_FORMATS.md §3), or `None`.
fn hidden_for(
    m: &Message,
    ct: &str,
    meta: &raw::Meta<'_>,
    to_tool: Option<&str>,
) -> Option<Hidden> {
    if m.blocks.is_empty() {
        return Some(Hidden::Empty);
    }
    if m.role == Role::System && meta.is_user_system_message != Some(true) {
        return Some(Hidden::System);
    }
    // The kind of content first: custom instructions are also marked visually hidden, and
    // the more specific reason decides whether an option brings them back.
    match ct {
        "thoughts" | "reasoning_recap" => return Some(Hidden::Reasoning),
        "user_editable_context" => return Some(Hidden::CustomInstructions),
        "model_editable_context" => return Some(Hidden::Memory),
        _ => {}
    }
    if meta.is_visually_hidden_from_conversation == Some(true) {
        return Some(Hidden::VisuallyHidden);
    }
    let shows = |b: &Block| {
        matches!(
            b,
            Block::Image { .. }
                | Block::Quote { .. }
                | Block::SystemError { .. }
                | Block::Canvas { .. }
                | Block::CanvasEdit { .. }
        )
    };
    match m.role {
        Role::Assistant => match to_tool {
            None | Some("python") => None,
            Some(_) if m.blocks.iter().any(shows) => None,
            Some(_) => Some(Hidden::ToolCall),
        },
        Role::Tool => {
            if m.blocks.iter().any(shows)
                || ct == "execution_output" && m.author_name.as_deref() == Some("python")
            {
                None
            } else {
                Some(Hidden::ToolOutput)
            }
        }
        _ => None,
    }
}
