//! From a conversation object (the `mapping` tree) to a [`Transcript`].
//!
//! No recursion: the tree is walked with explicit work lists, so 100,000-message chains and
//! cyclic `parent` links are safe.

use super::canvas;
use super::raw::{self, parse_or_default, Str};
use super::text::{
    citations_into_cells, code_ranges, normalize_math, normalize_newlines, normalize_newlines_in,
    plain_to_markdown, strip_directives, strip_markers,
};
use crate::model::*;
use crate::{Error, Result};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{HashMap, VecDeque};

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

struct TreeNode<'a> {
    id: &'a str,
    parent: Option<usize>,
    children: Vec<usize>,
    has_message: bool,
}

/// A node's message as read: parsed already (one pass) or raw JSON (layered).
pub(crate) enum NodeMessage<'a> {
    Parsed(Box<raw::FastMessage<'a>>),
    Raw(&'a RawValue),
}

impl NodeMessage<'_> {
    /// The message's time, for ordering where the tree says nothing (read only then from
    /// raw JSON: it costs a parse of the message).
    fn time(&self) -> f64 {
        match self {
            NodeMessage::Parsed(m) => m.create_time,
            NodeMessage::Raw(r) => message_time(r),
        }
        .unwrap_or(f64::NEG_INFINITY)
    }
}

/// How a node's message is held in each reading.
pub(crate) trait IntoNodeMessage<'a> {
    fn into_node_message(self) -> Option<NodeMessage<'a>>;
}

impl<'a> IntoNodeMessage<'a> for Box<raw::FastMessage<'a>> {
    fn into_node_message(self) -> Option<NodeMessage<'a>> {
        Some(NodeMessage::Parsed(self))
    }
}

impl<'a> IntoNodeMessage<'a> for &'a RawValue {
    fn into_node_message(self) -> Option<NodeMessage<'a>> {
        (self.get() != "null").then_some(NodeMessage::Raw(self))
    }
}

fn build<'a, M: IntoNodeMessage<'a>>(
    conv: raw::Conversation<'a, M>,
    origin: Origin,
) -> std::result::Result<Transcript, NeedRaw> {
    let id = conv
        .conversation_id
        .as_deref()
        .or(conv.id.as_deref())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_owned();
    // One line: titles can hold newlines and runs of spaces.
    let title = conv
        .title
        .as_deref()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let title = if title.is_empty() {
        "Untitled conversation".to_owned()
    } else {
        title
    };
    let mut t = Transcript {
        url: (id != "unknown").then(|| format!("https://chatgpt.com/c/{id}")),
        id,
        title,
        create_time: conv.create_time,
        update_time: conv.update_time,
        model: conv.default_model_slug.map(|s| s.into_owned()),
        gizmo_id: conv.gizmo_id.map(|s| s.into_owned()),
        is_archived: conv.is_archived.unwrap_or(false),
        origin,
        ..Transcript::default()
    };

    let mapping = conv.mapping.unwrap_or_default();
    let mut entries: Vec<(Str<'a>, raw::Node<'a, M>)> = mapping.into_iter().collect();
    // Deterministic order whatever the hash map did.
    crate::sort::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
    let mut messages: Vec<Option<NodeMessage<'a>>> = entries
        .iter_mut()
        .map(|(_, node)| node.message.take().and_then(M::into_node_message))
        .collect();
    let mut nodes: Vec<TreeNode<'_>> = Vec::with_capacity(entries.len());
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    for (i, (key, _)) in entries.iter().enumerate() {
        index.insert(key.as_ref(), nodes.len());
        nodes.push(TreeNode {
            id: key.as_ref(),
            parent: None,
            children: Vec::new(),
            has_message: messages[i].is_some(),
        });
    }
    let time = |messages: &[Option<NodeMessage<'_>>], i: usize| {
        messages[i]
            .as_ref()
            .map_or(f64::NEG_INFINITY, NodeMessage::time)
    };
    for (i, (_, node)) in entries.iter().enumerate() {
        nodes[i].parent = node
            .parent
            .as_deref()
            .and_then(|p| index.get(p).copied())
            .filter(|&p| p != i);
        let mut seen_child = std::collections::HashSet::new();
        nodes[i].children = node
            .children
            .iter()
            .flatten()
            .filter_map(|c| index.get(c.as_ref()).copied())
            .filter(|&c| c != i && seen_child.insert(c))
            .collect();
    }

    // The main line: from `current_node` (else the latest leaf) up to the root.
    let n = nodes.len();
    let start = match conv.current_node.as_deref().and_then(|c| index.get(c)) {
        Some(&i) => Some(i),
        None => {
            if n > 0 && conv.current_node.is_some() {
                t.warnings.push(crate::Warning::reader(
                    "current_node does not exist in the conversation; the most recent branch was used",
                ));
            }
            (0..n)
                .filter(|&i| nodes[i].children.is_empty())
                .max_by(|&a, &b| {
                    time(&messages, a)
                        .total_cmp(&time(&messages, b))
                        .then(nodes[a].id.cmp(nodes[b].id))
                })
        }
    };
    let mut assigned = vec![false; n];
    let mut main = Vec::new();
    let mut cur = start;
    while let Some(i) = cur {
        if assigned[i] {
            t.warnings.push(crate::Warning::reader(
                "the conversation's parent links form a cycle; it was cut",
            ));
            break;
        }
        assigned[i] = true;
        main.push(i);
        cur = nodes[i].parent;
    }
    main.reverse();

    // Alternative branches, breadth first from the main line.
    let mut forks: VecDeque<(usize, usize)> = VecDeque::new();
    let queue_forks = |path: &[usize], assigned: &[bool], forks: &mut VecDeque<(usize, usize)>| {
        for &p in path {
            for &c in &nodes[p].children {
                if !assigned[c] {
                    forks.push_back((p, c));
                }
            }
        }
    };
    queue_forks(&main, &assigned, &mut forks);
    let mut branch_paths: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    while let Some((parent, head)) = forks.pop_front() {
        if assigned[head] {
            continue;
        }
        let mut path = vec![head];
        assigned[head] = true;
        let mut at = head;
        while let Some(&next) = nodes[at].children.iter().rev().find(|&&c| !assigned[c]) {
            assigned[next] = true;
            path.push(next);
            at = next;
        }
        queue_forks(&path, &assigned, &mut forks);
        branch_paths.push((parent, head, path));
    }
    let detached: Vec<usize> = {
        let mut d: Vec<usize> = (0..n)
            .filter(|&i| !assigned[i] && nodes[i].has_message)
            .collect();
        crate::sort::sort_by(&mut d, |&a, &b| {
            time(&messages, a)
                .total_cmp(&time(&messages, b))
                .then(nodes[a].id.cmp(nodes[b].id))
        });
        d
    };

    let mut ctx = Ctx::default();
    let variant = |i: usize| -> Option<(usize, usize)> {
        let p = nodes[i].parent?;
        let siblings = &nodes[p].children;
        (siblings.len() > 1)
            .then(|| {
                siblings
                    .iter()
                    .position(|&c| c == i)
                    .map(|k| (k + 1, siblings.len()))
            })
            .flatten()
    };
    let convert_path = |ctx: &mut Ctx,
                        messages: &mut [Option<NodeMessage<'a>>],
                        path: &[usize]|
     -> std::result::Result<Vec<Message>, NeedRaw> {
        let mut out: Vec<Message> = Vec::with_capacity(path.len());
        // Canvas documents created on this path: (message, document).
        let mut created: Vec<(usize, usize)> = Vec::new();
        for &i in path {
            if let Some(raw) = messages[i].take() {
                let mut m = ctx.message(nodes[i].id, raw)?;
                m.variant = variant(i);
                if let Some(doc) = ctx.canvas_created.take() {
                    created.push((out.len(), doc));
                }
                if let Some(call) = ctx.canvas_failed(&m) {
                    // The failed update did not change the document the user saw.
                    if let Some(update) = out.iter_mut().rev().find(|u| {
                        u.recipient.as_deref() == Some("canmore.update_textdoc")
                            && u.blocks
                                .iter()
                                .any(|b| matches!(b, Block::CanvasEdit { .. }))
                    }) {
                        update.blocks = vec![Block::Code {
                            language: Some("json".to_owned()),
                            code: call,
                        }];
                        update.hidden = Some(Hidden::ToolCall);
                    }
                }
                out.push(m);
            }
        }
        // Each document where it was created, as this path's edits left it.
        for (at, doc) in created {
            let final_body = &ctx.canvas_docs[doc].body;
            for b in &mut out[at].blocks {
                if let Block::Canvas { content, .. } = b {
                    content.clone_from(final_body);
                }
            }
        }
        Ok(out)
    };
    t.messages = convert_path(&mut ctx, &mut messages, &main)?;
    for (parent, head, path) in &branch_paths {
        let converted = convert_path(&mut ctx, &mut messages, path)?;
        if converted.is_empty() {
            continue;
        }
        // The fork point, as the nearest ancestor that is a message.
        let mut anc = Some(*parent);
        let mut guard = 0;
        while let Some(a) = anc {
            if nodes[a].has_message || guard > n {
                break;
            }
            guard += 1;
            anc = nodes[a].parent;
        }
        let siblings = &nodes[*parent].children;
        // What the branch is, by its first shown message: a hidden system or context
        // message can come before an edited prompt.
        let first = converted
            .iter()
            .find(|m| m.hidden.is_none())
            .or_else(|| {
                converted
                    .iter()
                    .find(|m| matches!(m.role, Role::User | Role::Assistant))
            })
            .unwrap_or(&converted[0]);
        let kind = if first.role == Role::User {
            BranchKind::EditedPrompt
        } else {
            BranchKind::AlternativeAnswer
        };
        t.branches.push(Branch {
            parent_id: anc
                .filter(|&a| nodes[a].has_message)
                .map(|a| nodes[a].id.to_owned()),
            kind,
            index: siblings.iter().position(|c| c == head).map_or(1, |k| k + 1),
            count: siblings.len().max(1),
            messages: converted,
        });
    }
    if !detached.is_empty() {
        t.warnings.push(crate::Warning::reader(format!(
            "{} message(s) are not connected to the conversation (broken parent links); they are kept as detached messages",
            detached.len()
        )));
        let converted = convert_path(&mut ctx, &mut messages, &detached)?;
        t.branches.push(Branch {
            parent_id: None,
            kind: BranchKind::Detached,
            index: 1,
            count: 1,
            messages: converted,
        });
    }
    t.warnings.extend(ctx.canvas_warnings());
    t.sources = ctx.sources;
    number_sources_as_shown(&mut t);
    Ok(t)
}

/// The `[^N]` references in `md` (N in `1..=max`), in order, each with its byte span.
fn footnote_spans(md: &str, max: usize) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = md[from..].find("[^") {
        let start = from + i;
        let digits = md[start + 2..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = start + 2 + digits;
        from = start + 2;
        if digits == 0 || md.as_bytes().get(end) != Some(&b']') {
            continue;
        }
        if let Ok(n) = md[start + 2..end].parse::<usize>() {
            if (1..=max).contains(&n) {
                out.push((start, end + 1, n));
                from = end + 1;
            }
        }
    }
    out
}

/// Renumbers the sources by their first reference in what is shown: the main line's shown
/// messages in order, then its hidden ones, then the branches; sources never referenced
/// keep their order after those. (Sources are numbered while reading, which also meets
/// citations in hidden messages and in places left out of the text.)
fn number_sources_as_shown(t: &mut Transcript) {
    let max = t.sources.len();
    if max < 2 {
        return;
    }
    fn texts(m: &Message) -> impl Iterator<Item = &str> {
        m.blocks.iter().filter_map(|b| match b {
            Block::Text { markdown } => Some(markdown.as_str()),
            Block::Canvas { content, .. } => Some(content.as_str()),
            _ => None,
        })
    }
    let mut order: Vec<usize> = Vec::with_capacity(max);
    let mut seen = vec![false; max + 1];
    let shown = t.messages.iter().filter(|m| m.hidden.is_none());
    let hidden = t.messages.iter().filter(|m| m.hidden.is_some());
    let branches = t.branches.iter().flat_map(|b| b.messages.iter());
    for m in shown.chain(hidden).chain(branches) {
        for md in texts(m) {
            for (_, _, n) in footnote_spans(md, max) {
                if !seen[n] {
                    seen[n] = true;
                    order.push(n);
                }
            }
        }
    }
    order.extend((1..=max).filter(|&n| !seen[n]));
    if order.iter().enumerate().all(|(i, &n)| n == i + 1) {
        return;
    }
    // new_number[old] = new.
    let mut new_number = vec![0; max + 1];
    for (i, &n) in order.iter().enumerate() {
        new_number[n] = i + 1;
    }
    let renumber = |md: &mut String| {
        let spans = footnote_spans(md, max);
        if spans.is_empty() {
            return;
        }
        let mut out = String::with_capacity(md.len());
        let mut pos = 0;
        for (a, b, n) in spans {
            out.push_str(&md[pos..a]);
            out.push_str(&format!("[^{}]", new_number[n]));
            pos = b;
        }
        out.push_str(&md[pos..]);
        *md = out;
    };
    let all = t
        .messages
        .iter_mut()
        .chain(t.branches.iter_mut().flat_map(|b| b.messages.iter_mut()));
    for m in all {
        for b in &mut m.blocks {
            match b {
                Block::Text { markdown } => renumber(markdown),
                Block::Canvas { content, .. } => renumber(content),
                _ => {}
            }
        }
    }
    let mut old: Vec<Option<Source>> = std::mem::take(&mut t.sources)
        .into_iter()
        .map(Some)
        .collect();
    t.sources = order
        .iter()
        .filter_map(|&n| old.get_mut(n - 1).and_then(Option::take))
        .collect();
}

/// A message read in layers as the one-pass reading holds it, with the raw JSON of its
/// content (to keep what is not understood), or the content that could not be read.
struct MessageIn<'a> {
    m: raw::FastMessage<'a>,
    content_raw: Option<&'a RawValue>,
    bad_content: Option<&'a RawValue>,
}

fn message_time(raw: &RawValue) -> Option<f64> {
    #[derive(Deserialize)]
    struct T {
        #[serde(default)]
        create_time: Option<serde_json::Value>,
    }
    serde_json::from_str::<T>(raw.get())
        .ok()?
        .create_time?
        .as_f64()
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
    source_index: HashMap<String, usize>,
    /// The Canvas documents created so far, in order.
    canvas_docs: Vec<CanvasDoc>,
    /// The document edits go to (the latest created).
    canvas_current: Option<usize>,
    /// The document the message just read created.
    canvas_created: Option<usize>,
    /// The message being read is the user's: its text is plain, not Markdown.
    plain: bool,
    /// The last Canvas update applied: its document, the content before it and the call's
    /// JSON, to undo it if the tool answers that it failed.
    canvas_undo: Option<(usize, String, bool, String)>,
}

/// A Canvas document as the model's edits have left it so far.
struct CanvasDoc {
    title: Option<String>,
    kind: Option<String>,
    body: String,
    /// An edit could not be replayed: the body lacks it (and what came after).
    stale: bool,
}

fn owned(s: &Option<Str<'_>>) -> Option<String> {
    s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Ctx {
    /// The 1-based footnote number for a source (one per distinct URL, else title).
    pub(crate) fn cite(
        &mut self,
        title: Option<&str>,
        url: Option<&str>,
        attribution: Option<&str>,
    ) -> Option<usize> {
        let title = title
            .map(|s| strip_markers(s).trim().to_owned())
            .filter(|s| !s.is_empty());
        let url = url
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let key = url
            .clone()
            .or_else(|| title.clone().map(|t| format!("title:{t}")))?;
        if let Some(&n) = self.source_index.get(&key) {
            return Some(n);
        }
        self.sources.push(Source {
            title,
            url,
            attribution: attribution.map(str::to_owned).filter(|s| !s.is_empty()),
        });
        let n = self.sources.len();
        self.source_index.insert(key, n);
        Some(n)
    }

    fn message(
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

    /// 2023 browsing and file-search marks (`【11†source】`), located by character index.
    fn legacy_citations<'s>(
        &mut self,
        s: &'s str,
        cites: &[raw::Citation<'_>],
    ) -> std::borrow::Cow<'s, str> {
        if cites.is_empty() || !s.contains('【') {
            return s.into();
        }
        let mut spans: Vec<(usize, usize, Option<usize>)> = Vec::new();
        let char_to_byte: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        for c in cites {
            let (Some(a), Some(b)) = (c.start_ix, c.end_ix) else {
                continue;
            };
            let (Some(&a), Some(&b)) = (char_to_byte.get(a as usize), char_to_byte.get(b as usize))
            else {
                continue;
            };
            if a >= b || !s[a..b].starts_with('【') {
                continue;
            }
            let Some(md) = &c.metadata else { continue };
            let title = owned(&md.title).or_else(|| owned(&md.name));
            let n = self.cite(title.as_deref(), md.url.as_deref(), None);
            spans.push((a, b, n));
        }
        if spans.is_empty() {
            return s.into();
        }
        crate::sort::sort_by_key(&mut spans, |s| s.0);
        let code = code_ranges(s);
        let mut out = String::with_capacity(s.len());
        let mut pos = 0;
        for (a, b, n) in spans {
            if a < pos {
                continue;
            }
            out.push_str(&s[pos..a]);
            if let Some(n) = n.filter(|_| !in_code(&code, a)) {
                out.push_str(&format!("[^{n}]"));
            }
            pos = b;
        }
        out.push_str(&s[pos..]);
        out.into()
    }

    /// 2025+ private-use markers, replaced by their `content_references` entry.
    fn content_refs<'s>(
        &mut self,
        s: &'s str,
        refs: &[raw::ContentRef<'_>],
    ) -> std::borrow::Cow<'s, str> {
        if refs.is_empty() {
            return s.into();
        }
        let code = code_ranges(s);
        let mut order: Vec<&raw::ContentRef<'_>> = refs.iter().collect();
        crate::sort::sort_by_key(&mut order, |r| r.start_idx.unwrap_or(u64::MAX));
        let mut out = String::with_capacity(s.len());
        let mut pos = 0;
        let mut changed = false;
        for r in order {
            let kind = r.kind.as_deref().unwrap_or("");
            if matches!(kind, "attribution" | "sources_footnote") {
                continue;
            }
            let Some(mt) = r.matched_text.as_deref().filter(|m| !m.trim().is_empty()) else {
                continue;
            };
            // By text first; else by the character offsets (the text and `matched_text`
            // sometimes differ in their spaces), checked against the marker's first character.
            let span = match s[pos..].find(mt) {
                Some(found) => Some((pos + found, pos + found + mt.len())),
                None => by_char_offsets(s, r.start_idx, r.end_idx)
                    .filter(|&(a, b)| a >= pos && s[a..b].chars().next() == mt.chars().next()),
            };
            let Some((a, b)) = span else { continue };
            out.push_str(&s[pos..a]);
            let rep = self.replacement(r);
            // Inside code a footnote would show as a literal `[^1]`: the source is listed,
            // the reference is left out.
            if !(in_code(&code, a) && only_footnotes(&rep)) {
                out.push_str(&rep);
            }
            pos = b;
            changed = true;
        }
        if !changed {
            return s.into();
        }
        out.push_str(&s[pos..]);
        out.into()
    }

    fn replacement(&mut self, r: &raw::ContentRef<'_>) -> String {
        let kind = r.kind.as_deref().unwrap_or("");
        let footnotes = |ctx: &mut Ctx,
                         items: &mut dyn Iterator<
            Item = (Option<&str>, Option<&str>, Option<&str>),
        >| {
            let mut s = String::new();
            let mut seen = Vec::new();
            for (title, url, attribution) in items {
                if let Some(n) = ctx.cite(title, url, attribution) {
                    if !seen.contains(&n) {
                        seen.push(n);
                        s.push_str(&format!("[^{n}]"));
                    }
                }
            }
            s
        };
        match kind {
            "grouped_webpages"
            | "grouped_webpages_model_predicted_fallback"
            | "webpage"
            | "webpage_extended" => {
                let mut items: Vec<(Option<&str>, Option<&str>, Option<&str>)> = r
                    .items
                    .iter()
                    .flatten()
                    .map(|i| {
                        (
                            i.title.as_deref(),
                            i.url.as_deref(),
                            i.attribution.as_deref(),
                        )
                    })
                    .collect();
                if items.is_empty() {
                    items.push((
                        r.title.as_deref(),
                        r.url.as_deref(),
                        r.attribution.as_deref(),
                    ));
                }
                footnotes(self, &mut items.into_iter())
            }
            "file_navlist" => {
                // A list of files, as the site shows it.
                let mut s = String::from("\n");
                for i in r.items.iter().flatten() {
                    let name = i.name.as_deref().or(i.title.as_deref()).unwrap_or("file");
                    s.push_str("- ");
                    s.push_str(&escape_inline(name));
                    if let Some(d) = i.description.as_deref().filter(|d| !d.trim().is_empty()) {
                        // The model's words, Markdown like the rest of its answer (`**…**`
                        // bold), on one line.
                        s.push_str(" — ");
                        s.push_str(&d.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                    s.push('\n');
                }
                s
            }
            // Images from ChatGPT's image search, labelled by their title (or source).
            // (An `image_v2`'s `alt` is ChatGPT's own Markdown, labelled by the title already;
            // an `image_group`'s labels every image "Image".)
            "image_v2" | "image_group"
                if r.images.as_ref().is_some_and(|i| !i.is_empty())
                    && (kind == "image_group"
                        || r.alt.as_deref().is_none_or(|a| a.trim().is_empty())) =>
            {
                let mut s = String::from("\n");
                for i in r.images.iter().flatten() {
                    s.push_str(&searched_image(i.image_result.as_deref().unwrap_or(i)));
                }
                s
            }
            "file" => {
                let mut items: Vec<(Option<&str>, Option<&str>, Option<&str>)> = r
                    .items
                    .iter()
                    .flatten()
                    .map(|i| (i.name.as_deref().or(i.title.as_deref()), None, None))
                    .collect();
                if items.is_empty() {
                    items.push((r.name.as_deref().or(r.title.as_deref()), None, None));
                }
                footnotes(self, &mut items.into_iter())
            }
            // A code block ChatGPT wrote inside a marker (`\u{E200}code\u{E202}python\u{E202}…`):
            // the reference marks it hidden/invalid, but it is the answer's code; keep it.
            "hidden"
                if r.matched_text
                    .as_deref()
                    .is_some_and(|m| m.starts_with("\u{E200}code\u{E202}")) =>
            {
                marker_code_block(r.matched_text.as_deref().unwrap_or(""))
            }
            "entity" | "alt_text" => r
                .alt
                .as_deref()
                .or(r.name.as_deref())
                .unwrap_or("")
                .to_owned(),
            _ => r.alt.as_deref().unwrap_or("").to_owned(),
        }
    }

    /// After a Canvas tool's answer `m`: if it says the last update failed, the document
    /// goes back to what it was and the call that failed comes back (to show as a hidden
    /// tool call instead of an edit).
    fn canvas_failed(&mut self, m: &Message) -> Option<String> {
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
    fn canvas_call(
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
    fn canvas_warnings(&self) -> impl Iterator<Item = crate::Warning> + '_ {
        self.canvas_docs.iter().filter(|d| d.stale).map(|d| {
            crate::Warning::reader(format!(
                "Canvas document \"{}\": an edit made with a regular expression could not be replayed, so the document is shown as it was before that edit (with the edits that could be replayed after it); the edit itself is shown where it was made",
                d.title.as_deref().unwrap_or("Untitled")
            ))
        })
    }
}

/// An image search result as Markdown: the image, linked to the page it is on, labelled by
/// its title, else its source (attribution or the page's host). Empty without an image URL.
fn searched_image(i: &raw::RefImage<'_>) -> String {
    let nonempty = |s: &Option<Str<'_>>| owned(s).filter(|s| !s.trim().is_empty());
    let Some(src) = nonempty(&i.content_url)
        .or_else(|| nonempty(&i.thumbnail_url))
        .and_then(|u| crate::render::escape::md_url(&u))
    else {
        return String::new();
    };
    let page = nonempty(&i.url).and_then(|u| crate::render::escape::md_url(&u));
    let host = |u: &str| {
        u.split_once("://")
            .map(|(_, r)| r.split(['/', '?', '#']).next().unwrap_or(r).to_owned())
            .filter(|h| !h.is_empty())
    };
    let label = nonempty(&i.title)
        .or_else(|| nonempty(&i.attribution))
        .or_else(|| page.as_deref().and_then(host))
        .or_else(|| host(&src))
        .unwrap_or_else(|| "image".to_owned());
    let image = format!("![{}]({src})", escape_inline(label.trim()));
    match page {
        Some(p) => format!("[{image}]({p})\n\n"),
        None => format!("{image}\n\n"),
    }
}

/// `\u{E200}code\u{E202}<language>\u{E202}<code>\u{E201}` as a fenced code block.
fn marker_code_block(m: &str) -> String {
    let body = m.strip_prefix("\u{E200}code\u{E202}").unwrap_or(m);
    let body = body.strip_suffix('\u{E201}').unwrap_or(body);
    let (lang, code) = body.split_once('\u{E202}').unwrap_or(("", body));
    let code = code.trim_matches('\n');
    if code.trim().is_empty() {
        return String::new();
    }
    let lang = crate::render::escape::fence_lang(Some(lang));
    format!("\n{}\n", crate::render::escape::fenced(code, &lang))
}

/// Whether byte `at` is inside one of the (sorted) code ranges.
fn in_code(code: &[(usize, usize)], at: usize) -> bool {
    code.iter().any(|&(a, b)| a <= at && at < b)
}

/// Whether `s` is nothing but footnote references (`[^1][^2]`).
fn only_footnotes(s: &str) -> bool {
    !s.is_empty()
        && s.split("[^").skip(1).all(|p| {
            p.strip_suffix(']')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
        })
        && s.starts_with("[^")
}

/// Every text of a block with `\n` line ends (the raw JSON of unknown content stays verbatim).
pub(crate) fn block_newlines(b: &mut Block) {
    let opt = |o: &mut Option<String>| {
        if let Some(s) = o {
            normalize_newlines_in(s);
        }
    };
    match b {
        Block::Text { markdown: s }
        | Block::Code { code: s, .. }
        | Block::ExecutionOutput { text: s }
        | Block::ReasoningRecap { text: s }
        | Block::Memory { text: s }
        | Block::ToolOutput { text: s } => normalize_newlines_in(s),
        Block::Transcription { text, .. } | Block::SystemError { text, .. } => {
            normalize_newlines_in(text)
        }
        Block::Quote { text, title, .. } => {
            normalize_newlines_in(text);
            opt(title);
        }
        Block::Canvas { content, title, .. } => {
            normalize_newlines_in(content);
            opt(title);
        }
        Block::CanvasEdit { diff, title, .. } => {
            normalize_newlines_in(diff);
            opt(title);
        }
        Block::Image { prompt, .. } => opt(prompt),
        Block::Reasoning { thoughts } => {
            for th in thoughts {
                normalize_newlines_in(&mut th.content);
                opt(&mut th.summary);
            }
        }
        Block::CustomInstructions {
            about_user,
            instructions,
        } => {
            opt(about_user);
            opt(instructions);
        }
        Block::Attachment { .. } | Block::Audio { .. } | Block::Unsupported { .. } => {}
    }
}

/// Byte offsets of a span given in characters (code points), if inside `s`.
fn by_char_offsets(s: &str, start: Option<u64>, end: Option<u64>) -> Option<(usize, usize)> {
    let (start, end) = (usize::try_from(start?).ok()?, usize::try_from(end?).ok()?);
    if start >= end {
        return None;
    }
    let mut it = s.char_indices().map(|(i, _)| i).chain([s.len()]);
    let a = it.nth(start)?;
    let b = it.nth(end - start - 1)?;
    Some((a, b))
}

/// Text shown literally in Markdown: escapes the characters that would start markup.
fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '$' | '~'
        ) {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

/// Repairs JSON the model wrote for a tool: raw control characters inside strings are
/// escaped, and a cut-off object is closed. Valid JSON comes back unchanged.
fn lenient_json(s: &str) -> std::borrow::Cow<'_, str> {
    if serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok() {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let (mut in_str, mut esc) = (false, false);
    let mut closers: Vec<char> = Vec::new();
    for c in s.chars() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            } else if (c as u32) < 0x20 {
                out.push_str(&format!("\\u{:04x}", c as u32));
                continue;
            }
        } else {
            match c {
                '"' => in_str = true,
                '{' => closers.push('}'),
                '[' => closers.push(']'),
                '}' | ']' => {
                    closers.pop();
                }
                _ => {}
            }
        }
        out.push(c);
    }
    if esc {
        out.pop();
    }
    if in_str {
        out.push('"');
    }
    while let Some(c) = closers.pop() {
        out.push(c);
    }
    out.into()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_conversation_is_named_by_its_title() {
        let title = |json: &str| match conversation_error(json, String::new()) {
            Error::Conversation { title, .. } => title,
            _ => None,
        };
        assert_eq!(
            title(r#"{"title":"Whole","mapping":7}"#).as_deref(),
            Some("Whole")
        );
        assert_eq!(
            title(r#"{"id":"x", "title" : "Caf\u00e9 \"quoted\"", "mapping": {oops}"#).as_deref(),
            Some("Caf\u{e9} \"quoted\"")
        );
        assert_eq!(title(r#"{"title": "Cut"garbage"#).as_deref(), Some("Cut"));
        assert_eq!(title(r#"{"title":"unterminated"#), None);
        assert_eq!(title(r#"{"title":"   ", broken"#), None);
        assert_eq!(title(r#"{"title":null, broken"#), None);
        assert_eq!(title("{\"title\":\"\u{e9}\\"), None);
        assert_eq!(title("not json at all"), None);
    }

    fn node(id: &str, parent: Option<&str>, children: &[&str], role: &str, text: &str) -> String {
        let msg = if role.is_empty() {
            "null".to_owned()
        } else {
            format!(
                r#"{{"id":"{id}","author":{{"role":"{role}"}},"create_time":{},"content":{{"content_type":"text","parts":[{}]}}}}"#,
                id.len(),
                serde_json::to_string(text).unwrap_or_default()
            )
        };
        format!(
            r#""{id}":{{"id":"{id}","message":{msg},"parent":{},"children":{}}}"#,
            parent.map_or("null".to_owned(), |p| format!("\"{p}\"")),
            serde_json::to_string(children).unwrap_or_default()
        )
    }

    fn conv(current: &str, nodes: &[String]) -> String {
        format!(
            r#"{{"id":"c","title":"T","current_node":"{current}","mapping":{{{}}}}}"#,
            nodes.join(",")
        )
    }

    fn read_str(s: String) -> Transcript {
        match read(s, Origin::Api) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// Whether the one-pass reading gives a transcript for `json`, and whether it equals
    /// the layered reading's.
    fn both_readings(json: &str) -> (bool, bool) {
        let layered = read_layered(json, Origin::Export);
        let fast = serde_json::from_str::<raw::FastConversation<'_>>(json)
            .ok()
            .and_then(|c| build(c, Origin::Export).ok());
        match (fast, layered) {
            (Some(f), Ok(l)) => (true, f == l),
            _ => (false, true),
        }
    }

    /// Every conversation of the real export is read in one pass, and the one-pass and the
    /// layered readings agree on it, and on the API fixtures.
    #[test]
    fn one_pass_reading_equals_layered_reading() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for case in [
            "basic-markdown",
            "branches",
            "citations-2025",
            "citations-legacy",
            "hostile",
            "tools",
            "tools-hidden",
        ] {
            let path = root
                .join("tests/fixtures/api")
                .join(case)
                .join("input.json");
            let json = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let (fast, same) = both_readings(&json);
            assert!(same, "{case}: the two readings differ");
            // hostile has damaged messages, tools(-hidden) an unknown content type kept raw:
            // they need the layered reading.
            assert!(
                fast || ["hostile", "tools", "tools-hidden"].contains(&case),
                "{case}: not read in one pass"
            );
        }
        let export = root.join("../shared/fixtures/export/chatgpt-export-2026-01.zip");
        let Ok(file) = std::fs::File::open(&export) else {
            eprintln!("skipped the real export: {} is missing", export.display());
            return;
        };
        let Ok(again) = file.try_clone() else { return };
        let mut zip =
            crate::source::export::ZipExport::open(file, again).unwrap_or_else(|e| panic!("{e}"));
        let (mut n, mut slow) = (0, 0);
        zip.for_each_json(&mut |el, _| {
            let json = String::from_utf8(el).unwrap_or_default();
            let (fast, same) = both_readings(&json);
            assert!(same, "conversation {n}: the two readings differ");
            slow += usize::from(!fast);
            n += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (n, slow),
            (491, 0),
            "conversations, and those not read in one pass"
        );
    }

    #[test]
    fn main_line_and_branches() {
        let nodes = vec![
            node("root", None, &["u1", "u1b"], "", ""),
            node("u1", Some("root"), &["a1", "a2", "a3"], "user", "Q"),
            node("a1", Some("u1"), &[], "assistant", "first"),
            node("a2", Some("u1"), &["u2"], "assistant", "second"),
            node("a3", Some("u1"), &[], "assistant", "third"),
            node("u2", Some("a2"), &[], "user", "thanks"),
            node("u1b", Some("root"), &["a1b"], "user", "Q edited"),
            node("a1b", Some("u1b"), &[], "assistant", "answer to edit"),
        ];
        let t = read_str(conv("u2", &nodes));
        let ids: Vec<&str> = t.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["u1", "a2", "u2"]);
        assert_eq!(t.messages[1].variant, Some((2, 3)));
        assert_eq!(t.messages[0].variant, Some((1, 2)));
        let labels: Vec<String> = t.branches.iter().map(|b| b.label()).collect();
        assert_eq!(
            labels,
            [
                "Edited prompt 2/2",
                "Alternative answer 1/3",
                "Alternative answer 3/3"
            ]
        );
        assert_eq!(t.branches[0].parent_id, None);
        assert_eq!(t.branches[1].parent_id.as_deref(), Some("u1"));
        let b0: Vec<&str> = t.branches[0]
            .messages
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(b0, ["u1b", "a1b"]);
    }

    #[test]
    fn hostile_structure() {
        // current_node missing, a cycle detached from the root, a dangling parent.
        let nodes = vec![
            node("root", None, &["u1"], "", ""),
            node("u1", Some("root"), &["a1"], "user", "Q"),
            node("a1", Some("u1"), &[], "assistant", "A"),
            node("x", Some("y"), &["y"], "user", "in a cycle"),
            node("y", Some("x"), &["x"], "assistant", "also in a cycle"),
            node("z", Some("nowhere"), &[], "user", "orphan"),
        ];
        let t = read_str(conv("missing", &nodes));
        assert!(!t.warnings.is_empty());
        let total: usize =
            t.messages.len() + t.branches.iter().map(|b| b.messages.len()).sum::<usize>();
        assert_eq!(total, 5, "every message kept exactly once");
        // A cycle on the main line itself.
        let nodes = vec![
            node("p", Some("q"), &["q"], "user", "p"),
            node("q", Some("p"), &["p"], "assistant", "q"),
        ];
        let t = read_str(conv("q", &nodes));
        assert_eq!(t.messages.len(), 2);
        assert!(t.warnings.iter().any(|w| w.message.contains("cycle")));
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let n = 100_000;
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let id = format!("n{i}");
            let parent = (i > 0).then(|| format!("n{}", i - 1));
            let child = format!("n{}", i + 1);
            let children: Vec<&str> = if i + 1 < n {
                vec![child.as_str()]
            } else {
                vec![]
            };
            nodes.push(node(
                &id,
                parent.as_deref(),
                &children,
                if i % 2 == 0 { "user" } else { "assistant" },
                "x",
            ));
        }
        let t = read_str(conv(&format!("n{}", n - 1), &nodes));
        assert_eq!(t.messages.len(), n);
        assert!(t.branches.is_empty());
    }

    #[test]
    fn empty_and_null_fields() {
        let t = read_str(r#"{"title":null,"mapping":null,"current_node":null,"create_time":"2024-12-29T13:23:55Z"}"#.to_owned());
        assert_eq!(t.title, "Untitled conversation");
        assert!(t.messages.is_empty());
        assert_eq!(t.create_time, Some(1735478635.0));
        let t = read_str(r#"{"id":"c","title":5,"mapping":{"a":{"message":{"author":null,"content":{"content_type":"text","parts":[null,"hi",{"x":1}]},"metadata":[]},"parent":null,"children":null}}}"#.to_owned());
        assert_eq!(t.messages.len(), 1);
        assert_eq!(t.messages[0].role, Role::Tool);
        match read(
            r#"{"id":"bad","title":"Broken","mapping":"nope"}"#.to_owned(),
            Origin::Export,
        ) {
            Err(Error::Conversation { id, title, .. }) => {
                assert_eq!(
                    (id.as_deref(), title.as_deref()),
                    (Some("bad"), Some("Broken"))
                );
            }
            other => panic!("{other:?}"),
        }
    }

    /// Sources are numbered by their first reference in what is shown: a hidden message
    /// read first does not take number 1.
    #[test]
    fn sources_numbered_as_shown() {
        let cite = |id: &str,
                    parent: &str,
                    child: &str,
                    recipient: &str,
                    text: &str,
                    urls: &[&str]| {
            let refs: Vec<String> = urls
                .iter()
                .enumerate()
                .map(|(k, u)| {
                    format!(
                        r#"{{"matched_text":"\ue200cite\ue202turn0search{k}\ue201","type":"grouped_webpages","items":[{{"title":"{u}","url":"https://{u}/"}}]}}"#
                    )
                })
                .collect();
            let markers: String = (0..urls.len())
                .map(|k| format!("\\ue200cite\\ue202turn0search{k}\\ue201"))
                .collect();
            format!(
                r#""{id}":{{"id":"{id}","parent":"{parent}","children":[{child}],"message":{{"id":"{id}","author":{{"role":"assistant"}},"recipient":"{recipient}","content":{{"content_type":"text","parts":["{text}{markers}"]}},"metadata":{{"content_references":[{}]}}}}}}"#,
                refs.join(",")
            )
        };
        let json = format!(
            r#"{{"id":"c","title":"T","current_node":"a2","mapping":{{{},{},{}}}}}"#,
            node("u1", None, &["a1"], "user", "Q"),
            cite(
                "a1",
                "u1",
                "\"a2\"",
                "web",
                "searching",
                &["hidden.example"]
            ),
            cite(
                "a2",
                "a1",
                "",
                "all",
                "Answer",
                &["shown.example", "hidden.example"]
            ),
        );
        let t = read_str(json);
        let urls: Vec<&str> = t.sources.iter().filter_map(|s| s.url.as_deref()).collect();
        assert_eq!(urls, ["https://shown.example/", "https://hidden.example/"]);
        let text = |i: usize| match &t.messages[i].blocks[0] {
            Block::Text { markdown } => markdown.clone(),
            b => panic!("{b:?}"),
        };
        assert_eq!(t.messages[1].hidden, Some(Hidden::ToolCall));
        assert_eq!(text(1), "searching[^2]");
        assert_eq!(text(2), "Answer[^1][^2]");
    }

    #[test]
    fn lenient_tool_json() {
        assert_eq!(lenient_json(r#"{"a":"b"}"#), r#"{"a":"b"}"#);
        let fixed = lenient_json("{\"content\": \"line\nnext");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&fixed)
                .ok()
                .and_then(|v| v["content"].as_str().map(str::to_owned))
                .as_deref(),
            Some("line\nnext")
        );
    }
}
