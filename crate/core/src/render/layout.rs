//! What a reader sees, shared by the Markdown and HTML writers: which messages are shown,
//! how they group into turns, and where branches fork.

use crate::{Block, BranchKind, Branches, Hidden, Message, Options, Role, Timestamp, Transcript};

/// Whose heading a turn goes under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// "You".
    User,
    /// "ChatGPT": assistant and tool messages.
    Assistant,
    /// "System".
    System,
    /// No heading (custom instructions).
    Standalone,
}

impl Group {
    /// The heading, if any.
    pub(crate) fn label(self) -> Option<&'static str> {
        match self {
            Group::User => Some(Role::User.label()),
            Group::Assistant => Some(Role::Assistant.label()),
            Group::System => Some(Role::System.label()),
            Group::Standalone => None,
        }
    }

    /// A CSS class name.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Group::User => "user",
            Group::Assistant => "assistant",
            Group::System => "system",
            Group::Standalone => "standalone",
        }
    }
}

/// One shown message inside a turn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    /// Shown as its blocks (visible messages, and reasoning and custom instructions,
    /// whose blocks are collapsible themselves).
    Shown(&'a Message),
    /// A hidden message shown because of `include_hidden`: wrapped in a collapsible
    /// section labelled by [`hidden_label`].
    Hidden(&'a Message),
}

impl<'a> Part<'a> {
    /// The message.
    pub(crate) fn message(self) -> &'a Message {
        match self {
            Part::Shown(m) | Part::Hidden(m) => m,
        }
    }
}

/// Messages under one heading.
#[derive(Debug, Clone)]
pub(crate) struct Turn<'a> {
    /// Whose turn it is.
    pub(crate) group: Group,
    /// Its messages, in order.
    pub(crate) parts: Vec<Part<'a>>,
}

impl<'a> Turn<'a> {
    /// When the turn started.
    pub(crate) fn time(&self) -> Option<Timestamp> {
        self.parts.iter().find_map(|p| p.message().create_time)
    }

    /// The first message of the turn that sits at a fork, with its position.
    pub(crate) fn variant(&self) -> Option<(&'a Message, (usize, usize))> {
        self.parts.iter().find_map(|p| match p {
            Part::Shown(m) if m.hidden.is_none() => m.variant.map(|v| (*m, v)),
            _ => None,
        })
    }

    /// The model of the turn's last assistant message.
    pub(crate) fn model(&self) -> Option<&'a str> {
        self.parts.iter().rev().find_map(|p| {
            let m = p.message();
            (m.role == Role::Assistant)
                .then_some(m.model.as_deref())
                .flatten()
        })
    }
}

/// The note for a message at a fork: "answer 2/3" or "prompt version 1/2".
pub(crate) fn variant_note(m: &Message, (i, n): (usize, usize)) -> String {
    match m.role {
        Role::User => format!("prompt version {i}/{n}"),
        _ => format!("answer {i}/{n}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    No,
    Shown,
    Hidden,
}

fn show(m: &Message, opts: &Options) -> Show {
    match m.hidden {
        None => Show::Shown,
        Some(Hidden::Reasoning) if opts.include_reasoning || opts.include_hidden => Show::Shown,
        Some(Hidden::CustomInstructions)
            if opts.include_custom_instructions || opts.include_hidden =>
        {
            Show::Shown
        }
        Some(Hidden::Empty) if m.blocks.is_empty() => Show::No,
        Some(_) if opts.include_hidden => Show::Hidden,
        Some(_) => Show::No,
    }
}

fn group_of(m: &Message) -> Group {
    match (m.hidden, m.role) {
        (Some(Hidden::CustomInstructions), _) => Group::Standalone,
        (Some(Hidden::Reasoning), _) => Group::Assistant,
        (_, Role::User) => Group::User,
        (_, Role::Assistant | Role::Tool) => Group::Assistant,
        (_, Role::System) => Group::System,
    }
}

/// Groups the shown messages of a line (the main line or a branch) into turns.
pub(crate) fn turns<'a>(messages: &'a [Message], opts: &Options) -> Vec<Turn<'a>> {
    let mut turns: Vec<Turn<'a>> = Vec::new();
    for m in messages {
        let part = match show(m, opts) {
            Show::No => continue,
            Show::Shown => Part::Shown(m),
            Show::Hidden => Part::Hidden(m),
        };
        let group = group_of(m);
        // A visible prompt always starts a turn; other messages join a turn of their group.
        let joins = group != Group::Standalone
            && !(group == Group::User && m.hidden.is_none())
            && turns.last().is_some_and(|t| t.group == group);
        match turns.last_mut() {
            Some(last) if joins => last.parts.push(part),
            _ => turns.push(Turn {
                group,
                parts: vec![part],
            }),
        }
    }
    turns
}

/// Every message the writers show with these options (main line, then branches when
/// all branches are written), in output order.
pub(crate) fn shown_messages<'a>(t: &'a Transcript, opts: &Options) -> Vec<&'a Message> {
    let branches: &'a [crate::Branch] = if opts.branches == Branches::All {
        &t.branches
    } else {
        &[]
    };
    t.messages
        .iter()
        .chain(branches.iter().flat_map(|b| b.messages.iter()))
        .filter(|m| show(m, opts) != Show::No)
        .collect()
}

/// The label of a hidden message shown with `include_hidden`: "Tool call (python)".
pub(crate) fn hidden_label(m: &Message) -> String {
    let kind = m.hidden.map_or("hidden message", Hidden::label);
    let mut label = String::new();
    let mut chars = kind.chars();
    if let Some(first) = chars.next() {
        label.extend(first.to_uppercase());
        label.push_str(chars.as_str());
    }
    let who = match m.hidden {
        Some(Hidden::ToolCall) => m.recipient.as_deref().filter(|r| *r != "all"),
        _ => m.author_name.as_deref(),
    };
    if let Some(who) = who.filter(|w| !w.trim().is_empty()) {
        label.push_str(&format!(" ({who})"));
    }
    label
}

/// Where a branch forks from.
#[derive(Debug, Clone)]
pub(crate) enum ForkPoint<'a> {
    /// Before the first message.
    Start,
    /// After a visible message (1-based among the visible messages of its line).
    After {
        /// `None` for the main line, else the label of the earlier branch.
        line: Option<String>,
        /// The message's number in its line.
        number: usize,
        /// The message.
        message: &'a Message,
    },
    /// At the start of an earlier branch.
    BranchStart(String),
    /// The parent is in no line of this transcript.
    Unknown,
    /// The branch holds messages not connected to the conversation's tree.
    Detached,
}

/// Finds where `t.branches[index]` forks from: in the main line or an earlier branch.
pub(crate) fn fork_point(t: &Transcript, index: usize) -> ForkPoint<'_> {
    let Some(branch) = t.branches.get(index) else {
        return ForkPoint::Unknown;
    };
    if branch.kind == BranchKind::Detached {
        return ForkPoint::Detached;
    }
    let Some(parent) = branch.parent_id.as_deref() else {
        return ForkPoint::Start;
    };
    let locate = |msgs: &'_ [Message]| -> Option<(usize, Option<usize>)> {
        let pos = msgs.iter().position(|m| m.id == parent)?;
        let upto = &msgs[..=pos];
        let number = upto.iter().filter(|m| m.hidden.is_none()).count();
        let last_visible = upto.iter().rposition(|m| m.hidden.is_none());
        Some((number, last_visible))
    };
    if let Some((number, last)) = locate(&t.messages) {
        return match last {
            Some(i) if number > 0 => ForkPoint::After {
                line: None,
                number,
                message: &t.messages[i],
            },
            _ => ForkPoint::Start,
        };
    }
    for earlier in &t.branches[..index] {
        if let Some((number, last)) = locate(&earlier.messages) {
            return match last {
                Some(i) if number > 0 => ForkPoint::After {
                    line: Some(earlier.label()),
                    number,
                    message: &earlier.messages[i],
                },
                _ => ForkPoint::BranchStart(earlier.label()),
            };
        }
    }
    ForkPoint::Unknown
}

impl ForkPoint<'_> {
    /// A sentence such as `Forks after message 4 (ChatGPT: "Sure, here is…")`, plain text.
    pub(crate) fn describe(&self) -> String {
        match self {
            ForkPoint::Start => "Forks at the start of the conversation".to_owned(),
            ForkPoint::After {
                line,
                number,
                message,
            } => {
                let mut s = format!("Forks after message {number}");
                if let Some(line) = line {
                    s.push_str(&format!(" of {line}"));
                }
                let excerpt = excerpt(message);
                if !excerpt.is_empty() {
                    s.push_str(&format!(" ({}: “{excerpt}”)", message.role.label()));
                }
                s
            }
            ForkPoint::BranchStart(label) => format!("Forks at the start of {label}"),
            ForkPoint::Unknown => "Forks from a message that is not in this export".to_owned(),
            ForkPoint::Detached => {
                "Not connected to the conversation (its links are broken); kept so nothing is lost"
                    .to_owned()
            }
        }
    }
}

/// The first words of a message, for orientation.
fn excerpt(m: &Message) -> String {
    let text = m.blocks.iter().find_map(|b| match b {
        Block::Text { markdown } if !markdown.trim().is_empty() => Some(markdown.as_str()),
        Block::Transcription { text, .. } if !text.trim().is_empty() => Some(text.as_str()),
        Block::Code { code, .. } if !code.trim().is_empty() => Some(code.as_str()),
        _ => None,
    });
    text.map(|t| super::escape::snippet(t, 60))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_support::*;

    #[test]
    fn grouping() {
        let mut msgs = vec![
            user("u1", "Hi"),
            hidden(reasoning("r1"), Hidden::Reasoning),
            assistant("a1", "Hello"),
            hidden(tool_call("c1", "python", "1+1"), Hidden::ToolCall),
            assistant("a2", "Two"),
            user("u2", "Again"),
            user("u3", "And again"),
        ];
        msgs[0].create_time = Some(5.0);
        let opts = Options::default();
        let ts = turns(&msgs, &opts);
        let shape: Vec<(Group, usize)> = ts.iter().map(|t| (t.group, t.parts.len())).collect();
        assert_eq!(
            shape,
            [
                (Group::User, 1),
                (Group::Assistant, 2),
                (Group::User, 1),
                (Group::User, 1)
            ]
        );
        assert_eq!(ts[0].time(), Some(5.0));

        let opts = Options {
            include_reasoning: true,
            include_hidden: true,
            ..Options::default()
        };
        let ts = turns(&msgs, &opts);
        assert_eq!(ts[1].parts.len(), 4);
        assert!(matches!(ts[1].parts[0], Part::Shown(_)));
        assert!(matches!(ts[1].parts[2], Part::Hidden(_)));
        assert_eq!(hidden_label(ts[1].parts[2].message()), "Tool call (python)");
    }

    #[test]
    fn forks() {
        let t = branchy();
        assert_eq!(
            fork_point(&t, 0).describe(),
            "Forks after message 1 (You: “What is Rust?”)"
        );
        assert_eq!(
            fork_point(&t, 1).describe(),
            "Forks after message 1 of Alternative answer 1/2 (ChatGPT: “A language.”)"
        );
        assert_eq!(
            fork_point(&t, 2).describe(),
            "Forks at the start of the conversation"
        );
        assert_eq!(
            fork_point(&t, 9).describe(),
            "Forks from a message that is not in this export"
        );
    }
}
