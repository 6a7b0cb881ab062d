//! The conversation tree: nodes from the `mapping`, the main line (the branch shown)
//! and the other branches, walked without recursion; and a message read as the one-pass
//! or the layered reading holds it.

use super::{citations::number_sources_as_shown, Ctx, NeedRaw};
use crate::model::*;
use crate::source::raw::{self, Str};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{HashMap, VecDeque};

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

pub(super) fn build<'a, M: IntoNodeMessage<'a>>(
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
