//! The transcript model every reader produces and every writer consumes.
//!
//! Invariants (upheld by every reader in [`crate::source`]):
//! - `Transcript::messages` is the main line: the branch the user last saw (from
//!   `current_node`), root first. It never contains a message of an alternative branch.
//! - Every message of the source conversation appears exactly once: either in
//!   `messages` or in one of `branches` (hidden messages included, marked by
//!   [`Message::hidden`]).
//! - No text in a block contains a private-use citation marker (U+E200–U+E2FF):
//!   citations are resolved into [`Transcript::sources`] and referenced as
//!   Markdown footnotes `[^N]`, where `N` is the 1-based index into `sources`.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, as ChatGPT stores them (fractional).
pub type Timestamp = f64;

/// One conversation, read from any input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// The conversation id (a UUID for real conversations).
    pub id: String,
    /// The title; never empty ("Untitled conversation" when the source has none).
    pub title: String,
    /// The conversation's address on chatgpt.com, when known.
    pub url: Option<String>,
    /// When the conversation was created.
    pub create_time: Option<Timestamp>,
    /// When the conversation was last updated.
    pub update_time: Option<Timestamp>,
    /// The model the conversation defaults to (`default_model_slug`). Writers show
    /// [`Transcript::effective_model`].
    pub model: Option<String>,
    /// The custom GPT (`g-…`) or project (`g-p-…`) the conversation belongs to.
    pub gizmo_id: Option<String>,
    /// Whether the conversation is archived.
    pub is_archived: bool,
    /// Which kind of input produced this transcript.
    pub origin: Origin,
    /// The main line, in order.
    pub messages: Vec<Message>,
    /// Alternative branches (regenerated answers, edited prompts), in tree order.
    pub branches: Vec<Branch>,
    /// Cited sources, numbered from 1 in order of first citation.
    pub sources: Vec<Source>,
    /// Things the reader had to work around (a broken parent link, a missing
    /// `current_node`), or parts it could not read; shown to the user, never fatal.
    pub warnings: Vec<Warning>,
    /// The original conversation object, verbatim JSON, when the input had one
    /// (written as `source` by the JSON writer; never serialised as part of the model).
    #[serde(skip)]
    pub source_json: Option<String>,
    /// Set by [`crate::redact::apply`]: what was replaced (every writer says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<crate::redact::RedactionNote>,
    /// When the conversation was read, set only for an input that carries no times of its
    /// own (a rendered page): file names then take `{date}` and `{time}` from it (see
    /// [`Transcript::date_by_read_time`]). Never written into an output.
    #[serde(skip)]
    pub read_time: Option<Timestamp>,
}

/// The beginning of every warning that says the transcript lacks part of the conversation:
/// its stable kind, `incomplete` (a page read that could not reach every turn). Such a
/// warning is also written at the top of the Markdown and HTML files, not only in the
/// JSON's `warnings`.
pub const INCOMPLETE_WARNING: &str = "Incomplete: ";

/// What a warning is about: a stable name to act on (the JSON's `warnings[].kind`), where
/// the message is for people and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The reader worked around damaged input (a broken parent link, bytes that are not
    /// UTF-8).
    Reader,
    /// The transcript was read from the rendered page, which shows less than the
    /// conversation holds (no hidden messages, other branches or exact times).
    PageRead,
    /// Part of the conversation could not be read (its message begins with
    /// [`INCOMPLETE_WARNING`]).
    Incomplete,
    /// An image whose file the input did not include (added by the JSON writer).
    MissingImage,
}

/// A warning about a transcript: its [`WarningKind`] and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// What it is about.
    pub kind: WarningKind,
    /// What happened, for people.
    pub message: String,
}

impl Warning {
    /// A warning of `kind`.
    pub fn new(kind: WarningKind, message: impl Into<String>) -> Self {
        Warning {
            kind,
            message: message.into(),
        }
    }

    /// A [`WarningKind::Reader`] warning.
    pub fn reader(message: impl Into<String>) -> Self {
        Warning::new(WarningKind::Reader, message)
    }

    /// A [`WarningKind::Incomplete`] warning saying `what` could not be read (its message
    /// begins with [`INCOMPLETE_WARNING`]).
    pub fn incomplete(what: &str) -> Self {
        Warning::new(
            WarningKind::Incomplete,
            format!("{INCOMPLETE_WARNING}{what}"),
        )
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Transcript {
    /// The warnings that say the transcript lacks part of the conversation (kind
    /// [`WarningKind::Incomplete`]), without the [`INCOMPLETE_WARNING`] beginning.
    pub fn incomplete_warnings(&self) -> impl Iterator<Item = &str> {
        self.warnings
            .iter()
            .filter(|w| w.kind == WarningKind::Incomplete)
            .map(|w| {
                w.message
                    .strip_prefix(INCOMPLETE_WARNING)
                    .unwrap_or(&w.message)
            })
    }

    /// Dates a transcript that has no times of its own (read from a page) by the time it
    /// was read, `now`, for its file names, and adds a warning saying which date the names
    /// carry. A transcript with a creation or update time is left as it is.
    pub fn date_by_read_time(&mut self, now: Timestamp) {
        if self.create_time.is_some() || self.update_time.is_some() || !now.is_finite() {
            return;
        }
        self.read_time = Some(now);
        self.warnings.push(Warning::reader(
            "the page shows no dates, so the date in the file name is the day it was saved",
        ));
    }

    /// Whether the conversation belongs to a project (gizmo id `g-p-…`).
    pub fn is_project(&self) -> bool {
        self.gizmo_id
            .as_deref()
            .is_some_and(|g| g.starts_with("g-p-"))
    }

    /// The messages shown by default on the main line.
    pub fn visible_messages(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|m| m.hidden.is_none())
    }

    /// The model used by the last assistant message, else the conversation default.
    pub fn effective_model(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find_map(|m| {
                (m.role == Role::Assistant)
                    .then_some(m.model.as_deref())
                    .flatten()
            })
            .or(self.model.as_deref())
    }
}

/// The kind of input a transcript was read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The official "Export data" ZIP or its `conversations.json`.
    #[default]
    Export,
    /// `GET /backend-api/conversation/<id>`.
    Api,
    /// A shared-conversation page (`/share/<id>`).
    Share,
    /// The rendered chat page (DOM); may lack hidden details.
    Page,
}

impl Origin {
    /// How a file missing from this kind of input is described ("not included in the export").
    pub fn missing_note(self) -> &'static str {
        match self {
            Origin::Export => "not included in the export",
            Origin::Api => "not included",
            Origin::Share => "not available from the share page",
            Origin::Page => "not available from the page",
        }
    }
}

/// An alternative branch: a regenerated answer or an edited prompt and what followed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// Id of the message this branch forks from (its parent), or `None` at the root.
    pub parent_id: Option<String>,
    /// What kind of alternative it is.
    pub kind: BranchKind,
    /// 1-based position among the fork's children (as the site's "< 2/3 >" switcher shows).
    pub index: usize,
    /// Number of children at the fork.
    pub count: usize,
    /// The branch's messages, in order.
    pub messages: Vec<Message>,
}

impl Branch {
    /// A human label such as "Alternative answer 2/3" or "Edited prompt 1/2".
    pub fn label(&self) -> String {
        let what = match self.kind {
            BranchKind::AlternativeAnswer => "Alternative answer",
            BranchKind::EditedPrompt => "Edited prompt",
            BranchKind::Detached => return "Detached messages".to_owned(),
        };
        format!("{what} {}/{}", self.index, self.count)
    }
}

/// Why a branch exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchKind {
    /// The answer was regenerated.
    AlternativeAnswer,
    /// The user edited a prompt.
    EditedPrompt,
    /// Messages not connected to the conversation's tree (broken or cyclic parent links),
    /// kept so that nothing is lost.
    Detached,
}

/// What a list of conversations shows about each one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The conversation id.
    pub id: String,
    /// The title.
    pub title: String,
    /// When it was created.
    pub create_time: Option<Timestamp>,
    /// When it was last updated.
    pub update_time: Option<Timestamp>,
    /// Visible messages on the main line.
    pub messages: usize,
    /// The model (see [`Transcript::effective_model`]).
    pub model: Option<String>,
    /// The custom GPT or project.
    pub gizmo_id: Option<String>,
    /// What `gizmo_id` is, as a list shows it: `Project` or `GPT` (none without one).
    #[serde(default)]
    pub gizmo_label: Option<String>,
    /// Whether it is archived.
    pub is_archived: bool,
}

impl From<&Transcript> for Summary {
    fn from(t: &Transcript) -> Self {
        Summary {
            id: t.id.clone(),
            title: t.title.clone(),
            create_time: t.create_time,
            update_time: t.update_time,
            messages: t.visible_messages().count(),
            model: t.effective_model().map(str::to_owned),
            gizmo_id: t.gizmo_id.clone(),
            gizmo_label: t
                .gizmo_id
                .as_ref()
                .map(|_| if t.is_project() { "Project" } else { "GPT" }.to_owned()),
            is_archived: t.is_archived,
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The person chatting.
    #[default]
    User,
    /// ChatGPT.
    Assistant,
    /// System and context messages.
    System,
    /// A tool (Python, browsing, image generation, Canvas, …).
    Tool,
}

impl Role {
    /// The heading a reader sees.
    pub fn label(self) -> &'static str {
        match self {
            Role::User => "You",
            Role::Assistant => "ChatGPT",
            Role::System => "System",
            Role::Tool => "Tool",
        }
    }
}

/// One message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The message id (equals the page's `data-message-id`).
    pub id: String,
    /// The author's role.
    pub role: Role,
    /// The tool or author name (`python`, `web.run`, `dalle.text2im`, …).
    pub author_name: Option<String>,
    /// Who the message is addressed to (`all`, `python`, `canmore.create_textdoc`, …).
    pub recipient: Option<String>,
    /// When the message was written.
    pub create_time: Option<Timestamp>,
    /// The model that wrote it (assistant messages).
    pub model: Option<String>,
    /// `Some(reason)` when the site hides the message by default.
    pub hidden: Option<Hidden>,
    /// When this message sits at a fork: its position `(index, count)` among the alternatives.
    pub variant: Option<(usize, usize)>,
    /// The content, in order.
    pub blocks: Vec<Block>,
}

/// Why a message is hidden by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hidden {
    /// No content at all.
    Empty,
    /// A system message.
    System,
    /// Marked `is_visually_hidden_from_conversation`.
    VisuallyHidden,
    /// The assistant talking to a tool.
    ToolCall,
    /// A tool's answer to the assistant.
    ToolOutput,
    /// Model reasoning (thoughts, "Thought for 17s").
    Reasoning,
    /// The user's custom instructions.
    CustomInstructions,
    /// The model's memory context.
    Memory,
}

impl Hidden {
    /// A short phrase for notes ("reasoning", "tool call").
    pub fn label(self) -> &'static str {
        match self {
            Hidden::Empty => "empty message",
            Hidden::System => "system message",
            Hidden::VisuallyHidden => "hidden message",
            Hidden::ToolCall => "tool call",
            Hidden::ToolOutput => "tool output",
            Hidden::Reasoning => "reasoning",
            Hidden::CustomInstructions => "custom instructions",
            Hidden::Memory => "memory",
        }
    }
}

/// A piece of message content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Markdown text (CommonMark + GFM; math as `$…$`/`$$…$$`; citations as `[^N]`).
    Text {
        /// The Markdown.
        markdown: String,
    },
    /// Code the assistant ran or sent to a tool.
    Code {
        /// The language (`python`, `json`, …), if known.
        language: Option<String>,
        /// The code.
        code: String,
    },
    /// Output of executed code.
    ExecutionOutput {
        /// The printed output.
        text: String,
    },
    /// An image (uploaded, generated, or a chart from code).
    Image {
        /// The image file.
        asset: Asset,
        /// The generation prompt or a description, if any.
        prompt: Option<String>,
    },
    /// A file the user attached.
    Attachment {
        /// The file.
        asset: Asset,
    },
    /// A voice recording.
    Audio {
        /// The audio file.
        asset: Asset,
    },
    /// What was said in a voice conversation.
    Transcription {
        /// The words.
        text: String,
        /// `in` (spoken by the user) or `out` (spoken by ChatGPT), if known.
        direction: Option<String>,
    },
    /// A quoted web source (`tether_quote`).
    Quote {
        /// Title of the page.
        title: Option<String>,
        /// Its address.
        url: Option<String>,
        /// The domain.
        domain: Option<String>,
        /// The quoted text.
        text: String,
    },
    /// A Canvas document or code file, where the model created it (ChatGPT's document
    /// card), in the version the conversation's later edits left it: each edit after it is
    /// a [`Block::CanvasEdit`].
    Canvas {
        /// The document's name.
        title: Option<String>,
        /// `document`, `code/python`, … .
        kind: Option<String>,
        /// Its content (final version on this line of the conversation).
        content: String,
    },
    /// The model edited a Canvas document (ChatGPT shows a card naming the document): the
    /// lines the edit changed, as a unified diff.
    CanvasEdit {
        /// The document's name.
        title: Option<String>,
        /// `document`, `code/python`, … .
        kind: Option<String>,
        /// The changed lines: `@@ -a,b +c,d @@` before each hunk, then lines starting with
        /// ` ` (context), `-` (removed) or `+` (added). Empty if the edit changed nothing.
        /// An edit that could not be replayed (a regular expression) is `@@ /<pattern>/ @@`
        /// and its replacement's lines as `+` lines.
        diff: String,
    },
    /// Model reasoning (`thoughts`).
    Reasoning {
        /// The thought steps.
        thoughts: Vec<Thought>,
    },
    /// The one-line reasoning recap ("Thought for 17s").
    ReasoningRecap {
        /// The recap text.
        text: String,
    },
    /// The user's custom instructions.
    CustomInstructions {
        /// "What should ChatGPT know about you?"
        about_user: Option<String>,
        /// "How should ChatGPT respond?"
        instructions: Option<String>,
    },
    /// Memory context the model was given.
    Memory {
        /// The text.
        text: String,
    },
    /// A tool's textual output that the site does not show (browsing display, …).
    ToolOutput {
        /// The text.
        text: String,
    },
    /// An error shown in the conversation.
    SystemError {
        /// The error name.
        name: Option<String>,
        /// The message.
        text: String,
    },
    /// Content of a kind chatkeep does not know; kept verbatim.
    Unsupported {
        /// The source `content_type`.
        content_type: String,
        /// The raw JSON of the content, verbatim.
        raw: String,
    },
}

/// One reasoning step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Thought {
    /// Its headline.
    pub summary: Option<String>,
    /// Its text.
    pub content: String,
}

/// A file referenced by a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// The pointer as ChatGPT stores it (`sediment://file_…`, `file-service://file-…`) or a URL.
    pub pointer: Option<String>,
    /// The file name to show and to save under.
    pub name: Option<String>,
    /// The MIME type, if known.
    pub mime: Option<String>,
    /// Size in bytes, if known.
    pub size: Option<u64>,
    /// Width in pixels (images).
    pub width: Option<u32>,
    /// Height in pixels (images).
    pub height: Option<u32>,
    /// The file's bytes, when the input had them (never serialised).
    #[serde(skip)]
    pub data: Option<Vec<u8>>,
}

impl Asset {
    /// The bare file id from the pointer (`sediment://file_abc#p_0.jpg` → `file_abc`).
    pub fn file_id(&self) -> Option<&str> {
        let p = self.pointer.as_deref()?;
        let p = p.split_once("://").map_or(p, |(_, rest)| rest);
        // Share pages add `?shared_conversation_id=…`.
        let p = p.split(['?', '&']).next().unwrap_or(p);
        // file-search pointers: `<hash>#file_<hex>#p_0.jpg`
        let p = p
            .split('#')
            .find(|s| s.starts_with("file"))
            .unwrap_or_else(|| p.split('#').next().unwrap_or(p));
        (!p.is_empty()).then_some(p)
    }
}

/// A cited source, target of a footnote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The page or file title.
    pub title: Option<String>,
    /// The address (`None` for files).
    pub url: Option<String>,
    /// Publisher or domain, if known.
    pub attribution: Option<String>,
}

/// Sets an asset's bytes, and its name and MIME type when the conversation didn't give them.
pub fn fill_asset(asset: &mut Asset, entry_name: &str, file_id: &str, data: Vec<u8>) {
    let base = entry_name.rsplit('/').next().unwrap_or(entry_name);
    if asset.name.is_none() {
        let rest = base
            .strip_prefix(file_id)
            .map(|r| r.trim_start_matches(['-', '_']))
            .unwrap_or(base);
        let name = if rest.is_empty() || rest.starts_with('.') {
            base
        } else {
            rest
        };
        asset.name = Some(name.to_owned());
    }
    let ext = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let sniffed =
        crate::mime::sniff(&data).or_else(|| ext.as_deref().and_then(crate::mime::for_extension));
    if asset.mime.is_none()
        || asset
            .mime
            .as_deref()
            .is_some_and(|m| m.starts_with("audio/") && sniffed.is_some())
    {
        asset.mime = sniffed.map(str::to_owned).or(asset.mime.take());
    }
    if asset.size.is_none() {
        asset.size = Some(data.len() as u64);
    }
    asset.data = Some(data);
}

impl Transcript {
    /// The file ids of the assets whose bytes are missing (each once, in order): what a
    /// caller can fetch and give back with [`Transcript::attach`].
    pub fn missing_asset_ids(&mut self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        self.for_each_asset_mut(|a| {
            if a.data.is_none() {
                if let Some(id) = a.file_id() {
                    if !ids.iter().any(|i| i == id) {
                        ids.push(id.to_owned());
                    }
                }
            }
        });
        ids
    }

    /// Gives the bytes of a file (fetched by the caller) to every asset with that file id.
    pub fn attach(&mut self, file_id: &str, name: Option<&str>, mime: Option<&str>, data: &[u8]) {
        self.for_each_asset_mut(|a| {
            if a.data.is_none() && a.file_id() == Some(file_id) {
                if a.name.is_none() {
                    a.name = name.map(str::to_owned);
                }
                if a.mime.is_none() {
                    a.mime = mime.map(str::to_owned);
                }
                fill_asset(a, name.unwrap_or(file_id), file_id, data.to_vec());
            }
        });
    }

    /// Calls `f` on every asset of every message (main line and branches).
    pub fn for_each_asset_mut(&mut self, mut f: impl FnMut(&mut Asset)) {
        let all = self
            .messages
            .iter_mut()
            .chain(self.branches.iter_mut().flat_map(|b| b.messages.iter_mut()));
        for m in all {
            for b in &mut m.blocks {
                match b {
                    Block::Image { asset, .. }
                    | Block::Attachment { asset }
                    | Block::Audio { asset } => f(asset),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_labels_projects_and_gpts() {
        let mut t = Transcript::default();
        let label = |t: &Transcript| Summary::from(t).gizmo_label;
        assert_eq!(label(&t), None);
        t.gizmo_id = Some("g-p-67a1".to_owned());
        assert_eq!(label(&t).as_deref(), Some("Project"));
        t.gizmo_id = Some("g-2fkFE8rbu".to_owned());
        assert_eq!(label(&t).as_deref(), Some("GPT"));
    }

    #[test]
    fn incomplete_warnings_are_found_by_kind() {
        let mut t = Transcript::default();
        t.warnings.push(Warning::reader("Incomplete: not really"));
        t.warnings.push(Warning::incomplete("the first turn"));
        assert_eq!(
            t.incomplete_warnings().collect::<Vec<_>>(),
            ["the first turn"]
        );
        let json = serde_json::to_string(&t.warnings[1]).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"kind":"incomplete","message":"Incomplete: the first turn"}"#
        );
    }
}
