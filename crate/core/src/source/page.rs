//! The rendered chat page (DOM), for when the API is not available.
//!
//! The browser side serialises the live DOM into a [`DomNode`] tree (compact JSON:
//! `{"t": tag, "a": {attributes}, "c": [children]}`, text as plain strings); saved pages are
//! parsed natively into the same tree (feature `html`). One converter reads every layout of
//! CHATGPT_FORMATS.md §7: 2023 `.group` turns, 2024 `article` turns, 2026 `section` turns and
//! the September 2026 `div[data-turn-key]` turns; code blocks of all three generations
//! (including CodeMirror); KaTeX back to TeX; tables; citation pills; images.
//!
//! A page carries less than the API: no hidden messages, no branches, no exact times.

use super::convo::Ctx;
use crate::model::*;
use crate::render::escape::{
    code_span, escape_line_start, fence_for, md_inline, md_url, push_md_text, quote_lines,
};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A node of a DOM tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DomNode {
    /// A text node.
    Text(String),
    /// An element.
    Element(DomElement),
}

/// An element of a DOM tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomElement {
    /// The tag name, lower case.
    #[serde(rename = "t")]
    pub tag: String,
    /// The attributes.
    #[serde(rename = "a", default)]
    pub attrs: HashMap<String, String>,
    /// The children, in order.
    #[serde(rename = "c", default)]
    pub children: Vec<DomNode>,
}

/// Deeper than this, elements are read as plain text (real pages are ~60 levels deep).
const MAX_DEPTH: usize = 400;

impl DomElement {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_ascii_whitespace().any(|x| x == class))
    }

    fn elements(&self) -> impl Iterator<Item = &DomElement> {
        self.children.iter().filter_map(|c| match c {
            DomNode::Element(e) => Some(e),
            DomNode::Text(_) => None,
        })
    }

    /// Every descendant element matching `pred`, in document order, not looking inside matches.
    fn find_all<'a>(&'a self, pred: &dyn Fn(&DomElement) -> bool, out: &mut Vec<&'a DomElement>) {
        let mut stack: Vec<&DomElement> = self.elements().collect();
        stack.reverse();
        while let Some(e) = stack.pop() {
            if pred(e) {
                out.push(e);
            } else {
                let before = stack.len();
                stack.extend(e.elements());
                stack[before..].reverse();
            }
        }
    }

    fn find(&self, pred: &dyn Fn(&DomElement) -> bool) -> Option<&DomElement> {
        let mut v = Vec::new();
        self.find_all(pred, &mut v);
        v.into_iter().next()
    }

    /// The text content (all descendant text, as is).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut stack: Vec<&DomNode> = self.children.iter().rev().collect();
        while let Some(n) = stack.pop() {
            match n {
                DomNode::Text(t) => out.push_str(t),
                DomNode::Element(e) => {
                    if e.tag == "br" {
                        out.push('\n');
                    }
                    stack.extend(e.children.iter().rev());
                }
            }
        }
        out
    }
}

/// What the browser's page reader could establish about the turns it collected: a
/// virtualised thread shows only some turns at a time, so a reader that scrolled it may have
/// missed some. The default is a complete read (a saved page holds what it holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Capture {
    /// Whether the reader reached the top of the thread and no older turn appeared there
    /// while it waited.
    pub top_reached: bool,
    /// How many times two windows of turns the reader saw did not join up (turns may be
    /// missing between them).
    pub gaps: usize,
}

impl Default for Capture {
    fn default() -> Self {
        Capture {
            top_reached: true,
            gaps: 0,
        }
    }
}

/// The beginning of an incomplete-read warning (see [`crate::INCOMPLETE_WARNING`]).
pub use crate::model::INCOMPLETE_WARNING as INCOMPLETE;

/// Reads a chat page collected by the browser's page reader ([`read_page`]), and says in
/// the transcript's warnings (kind [`INCOMPLETE`]) what it could not read: the first turns
/// (counted when the turns are numbered), turns missing in between, or places where the
/// reader's windows did not join up.
pub fn read_captured_page(
    root: &DomElement,
    url: Option<&str>,
    title: Option<&str>,
    capture: &Capture,
) -> Result<Transcript> {
    let mut t = read_page_inner(root, url, title)?;
    t.warnings.extend(incomplete_warnings(root, capture));
    Ok(t)
}

/// Reads a chat page. `url` and `title` come from the browser (or the saved file) when known.
/// Numbered turns (`data-testid="conversation-turn-N"`) that do not start at the first or
/// skip numbers give an [`INCOMPLETE`] warning.
pub fn read_page(root: &DomElement, url: Option<&str>, title: Option<&str>) -> Result<Transcript> {
    read_captured_page(root, url, title, &Capture::default())
}

/// The turn numbers of `data-testid="conversation-turn-N"` turns (outermost), sorted, unique.
fn turn_numbers(root: &DomElement) -> Vec<u64> {
    let mut turns = Vec::new();
    root.find_all(
        &|e| {
            e.attr("data-testid")
                .is_some_and(|t| t.starts_with("conversation-turn-"))
        },
        &mut turns,
    );
    let mut numbers: Vec<u64> = turns
        .iter()
        .filter_map(|e| {
            e.attr("data-testid")?
                .strip_prefix("conversation-turn-")?
                .parse()
                .ok()
        })
        .collect();
    crate::sort::sort_by(&mut numbers, Ord::cmp);
    numbers.dedup();
    numbers
}

/// The [`INCOMPLETE`] warnings for a page read: from the turn numbers when the page has them
/// (they prove what was shown and what was not), else from what the reader reported.
fn incomplete_warnings(root: &DomElement, capture: &Capture) -> Vec<Warning> {
    let numbers = turn_numbers(root);
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            one.to_owned()
        } else {
            format!("{n} {many}")
        }
    };
    let mut out = Vec::new();
    // ChatGPT numbers turns from 2: turn 1 is the hidden system message.
    let before = numbers.first().map_or(0, |first| first.saturating_sub(2));
    if before > 0 {
        out.push(format!(
            "{INCOMPLETE}the first {} could not be read from the page (ChatGPT did not show them), so this file starts partway through the conversation.",
            plural(before, "turn", "turns")
        ));
    } else if numbers.is_empty() && !capture.top_reached {
        out.push(format!(
            "{INCOMPLETE}the start of the conversation could not be read from the page (ChatGPT did not show its first turns), so this file may start partway through."
        ));
    }
    let holes = match (numbers.first(), numbers.last()) {
        (Some(first), Some(last)) => (last - first + 1).saturating_sub(numbers.len() as u64),
        _ => 0,
    };
    if holes > 0 {
        out.push(format!(
            "{INCOMPLETE}{} in the middle of the conversation could not be read from the page; the file lacks them.",
            plural(holes, "1 turn", "turns")
        ));
    } else if numbers.is_empty() && capture.gaps > 0 {
        out.push(format!(
            "{INCOMPLETE}{} of the conversation could not be read from the page; turns may be missing there.",
            plural(capture.gaps as u64, "1 part", "parts")
        ));
    }
    out.into_iter()
        .map(|m| Warning::new(WarningKind::Incomplete, m))
        .collect()
}

fn read_page_inner(
    root: &DomElement,
    url: Option<&str>,
    title: Option<&str>,
) -> Result<Transcript> {
    let mut ctx = Ctx::default();
    let mut messages = Vec::new();
    let mut turn_keys = Vec::new();
    root.find_all(&|e| e.attr("data-turn-key").is_some(), &mut turn_keys);
    if !turn_keys.is_empty() {
        for turn in turn_keys {
            read_keyed_turn(turn, &mut ctx, &mut messages);
        }
    } else {
        let mut by_role = Vec::new();
        root.find_all(
            &|e| e.attr("data-message-author-role").is_some(),
            &mut by_role,
        );
        if !by_role.is_empty() {
            for (i, el) in by_role.into_iter().enumerate() {
                let role = match el.attr("data-message-author-role") {
                    Some("user") => Role::User,
                    Some("assistant") => Role::Assistant,
                    Some("system") => Role::System,
                    _ => Role::Tool,
                };
                let id = el
                    .attr("data-message-id")
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("page-{}", i + 1));
                let model = el.attr("data-message-model-slug").map(str::to_owned);
                push_message(&mut messages, id, role, model, el, &mut ctx);
            }
        } else {
            // 2023: `main .group`, assistant turns hold `.markdown`.
            let mut groups = Vec::new();
            root.find_all(&|e| e.has_class("group"), &mut groups);
            for (i, g) in groups.into_iter().enumerate() {
                let role = if g.find(&|e| e.has_class("markdown")).is_some() {
                    Role::Assistant
                } else {
                    Role::User
                };
                push_message(
                    &mut messages,
                    format!("page-{}", i + 1),
                    role,
                    None,
                    g,
                    &mut ctx,
                );
            }
        }
    }
    if messages.is_empty() {
        return Err(Error::NoConversation {
            detail: "it has no ChatGPT messages".to_owned(),
        });
    }
    let id = url
        .and_then(conversation_id)
        .unwrap_or_else(|| "unknown".to_owned());
    let title = title
        .map(|t| {
            t.trim()
                .trim_end_matches(" - ChatGPT")
                .trim_start_matches("ChatGPT - ")
                .trim()
                .to_owned()
        })
        .filter(|t| !t.is_empty() && t != "ChatGPT")
        .or_else(|| {
            messages
                .iter()
                .find(|m: &&Message| m.role == Role::User)
                .and_then(first_line)
        })
        .unwrap_or_else(|| "Untitled conversation".to_owned());
    let model = messages.iter().rev().find_map(|m| m.model.clone());
    Ok(Transcript {
        id,
        title: title.split_whitespace().collect::<Vec<_>>().join(" "),
        url: url.map(str::to_owned),
        model,
        origin: Origin::Page,
        messages,
        sources: ctx.sources,
        warnings: vec![Warning::new(WarningKind::PageRead, "read from the rendered page: hidden messages, other branches and exact times are not included")],
        ..Transcript::default()
    })
}

/// The conversation or share id from a chat URL.
fn conversation_id(url: &str) -> Option<String> {
    crate::chat_url::path_id(url).map(|(_, id)| id)
}

fn first_line(m: &Message) -> Option<String> {
    m.blocks.iter().find_map(|b| match b {
        Block::Text { markdown } => {
            let line = markdown.lines().find(|l| !l.trim().is_empty())?.trim();
            Some(line.chars().take(60).collect())
        }
        _ => None,
    })
}

/// September 2026: one `div[data-turn-key]` holds the prompt and its answer.
fn read_keyed_turn(turn: &DomElement, ctx: &mut Ctx, out: &mut Vec<Message>) {
    let key = turn.attr("data-turn-key").unwrap_or("turn").to_owned();
    if let Some(bubble) = turn.find(&|e| e.attr("data-user-message-bubble").is_some()) {
        push_message(out, key.clone(), Role::User, None, bubble, ctx);
    }
    let mut bodies = Vec::new();
    turn.find_all(
        &|e| e.attr("data-markdown-text-style") == Some("assistant-message"),
        &mut bodies,
    );
    let ids: Vec<String> = turn
        .find(&|e| e.attr("data-chatgpt-search-message-ids").is_some())
        .and_then(|e| e.attr("data-chatgpt-search-message-ids"))
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut images = Vec::new();
    turn.find_all(
        &|e| e.attr("data-testid") == Some("generated-image-preview"),
        &mut images,
    );
    for (i, body) in bodies.iter().enumerate() {
        let id = ids
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("{key}-answer-{}", i + 1));
        let mut m = message(id, Role::Assistant, None);
        let md = Conv { ctx }.markdown(body);
        if !md.trim().is_empty() {
            m.blocks.push(Block::Text { markdown: md });
        }
        out.push(m);
    }
    if !images.is_empty() {
        let mut m = match out.last_mut() {
            Some(last) if last.role == Role::Assistant => std::mem::take(last),
            _ => message(format!("{key}-images"), Role::Assistant, None),
        };
        for img in images {
            let mut v = Vec::new();
            img.find_all(&|e| e.tag == "img", &mut v);
            for i in v {
                m.blocks.push(image_block(i));
            }
        }
        match out.last_mut() {
            Some(last)
                if last.role == Role::Assistant && last.blocks.is_empty() && last.id == m.id =>
            {
                *last = m
            }
            _ => out.push(m),
        }
    }
    // Drop empty placeholders left by the swap above.
    out.retain(|m| !(m.blocks.is_empty() && m.id.is_empty()));
}

fn message(id: String, role: Role, model: Option<String>) -> Message {
    Message {
        id,
        role,
        model,
        ..Message::default()
    }
}

fn push_message(
    out: &mut Vec<Message>,
    id: String,
    role: Role,
    model: Option<String>,
    el: &DomElement,
    ctx: &mut Ctx,
) {
    let mut m = message(id, role, model);
    match role {
        Role::User => {
            // The user's words are plain text, shown with their line breaks.
            let text_el = el
                .find(&|e| e.has_class("whitespace-pre-wrap"))
                .unwrap_or(el);
            let text = text_el.text();
            if !text.trim().is_empty() {
                m.blocks.push(Block::Text {
                    markdown: super::text::plain_to_markdown(text.trim()),
                });
            }
            let mut imgs = Vec::new();
            el.find_all(&|e| e.tag == "img", &mut imgs);
            for i in imgs {
                m.blocks.push(image_block(i));
            }
        }
        _ => {
            let mut bodies = Vec::new();
            el.find_all(&|e| e.has_class("markdown"), &mut bodies);
            let bodies = if bodies.is_empty() { vec![el] } else { bodies };
            for b in bodies {
                let md = Conv { ctx: &mut *ctx }.markdown(b);
                if !md.trim().is_empty() {
                    m.blocks.push(Block::Text { markdown: md });
                }
            }
        }
    }
    if m.blocks.is_empty() {
        m.hidden = Some(Hidden::Empty);
    }
    out.push(m);
}

fn image_block(img: &DomElement) -> Block {
    let src = img.attr("src").unwrap_or("");
    let pointer =
        (src.starts_with("https://") || src.starts_with("http://") || src.starts_with('/'))
            .then(|| src.to_owned());
    Block::Image {
        asset: Asset {
            pointer,
            name: img.attr("alt").filter(|a| !a.is_empty()).map(str::to_owned),
            ..Asset::default()
        },
        prompt: None,
    }
}

/// HTML → Markdown for assistant bodies.
struct Conv<'c> {
    ctx: &'c mut Ctx,
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "ul"
            | "ol"
            | "li"
            | "pre"
            | "blockquote"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "table"
            | "hr"
            | "figure"
            | "details"
            | "header"
            | "footer"
    )
}

fn skipped(e: &DomElement) -> bool {
    matches!(
        e.tag.as_str(),
        "button" | "svg" | "style" | "script" | "noscript" | "template" | "textarea" | "input"
    ) || e.attr("aria-hidden") == Some("true")
        || e.has_class("sr-only")
}

impl Conv<'_> {
    fn markdown(&mut self, el: &DomElement) -> String {
        let mut blocks = Vec::new();
        self.blocks(el, 0, &mut blocks);
        blocks.join("\n\n")
    }

    /// Appends the Markdown blocks of `el`'s children to `out`.
    fn blocks(&mut self, el: &DomElement, depth: usize, out: &mut Vec<String>) {
        let mut para = String::new();
        for child in &el.children {
            match child {
                DomNode::Element(e) if skipped(e) => {}
                DomNode::Element(e) if is_block(&e.tag) || is_display_math(e) => {
                    flush(&mut para, out);
                    self.block(e, depth + 1, out);
                }
                other => self.inline(other, depth + 1, &mut para),
            }
        }
        flush(&mut para, out);
    }

    fn block(&mut self, e: &DomElement, depth: usize, out: &mut Vec<String>) {
        if depth > MAX_DEPTH {
            out.push(escape(&e.text()));
            return;
        }
        if is_display_math(e) {
            if let Some(tex) = tex_of(e) {
                out.push(format!("$$\n{}\n$$", tex.trim()));
            }
            return;
        }
        match e.tag.as_str() {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = e.tag[1..].parse::<usize>().unwrap_or(2);
                let mut s = String::new();
                self.inline_children(e, depth, &mut s);
                let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
                if !s.is_empty() {
                    out.push(format!("{} {s}", "#".repeat(level)));
                }
            }
            "hr" => out.push("---".to_owned()),
            "pre" => out.push(code_block(e)),
            "blockquote" => {
                let mut inner = Vec::new();
                self.blocks(e, depth, &mut inner);
                let text = inner.join("\n\n");
                out.push(quote_lines(&text));
            }
            "ul" | "ol" => {
                let ordered = e.tag == "ol";
                let start: usize = e.attr("start").and_then(|s| s.parse().ok()).unwrap_or(1);
                let mut items = Vec::new();
                for (i, li) in e.elements().filter(|c| c.tag == "li").enumerate() {
                    let marker = if ordered {
                        format!("{}. ", start + i)
                    } else {
                        "- ".to_owned()
                    };
                    let mut inner = Vec::new();
                    self.blocks(li, depth, &mut inner);
                    // Paragraphs inside list items are tight in ChatGPT's rendering.
                    let body = inner.join("\n");
                    let pad = " ".repeat(marker.len());
                    let mut lines = body.lines();
                    let first = lines.next().unwrap_or("");
                    let mut item = format!("{marker}{first}");
                    for l in lines {
                        item.push('\n');
                        if !l.is_empty() {
                            item.push_str(&pad);
                            item.push_str(l);
                        }
                    }
                    items.push(item);
                }
                if !items.is_empty() {
                    out.push(items.join("\n"));
                }
            }
            "table" => {
                if let Some(t) = self.table(e, depth) {
                    out.push(t);
                }
            }
            _ => self.blocks(e, depth, out),
        }
    }

    fn table(&mut self, e: &DomElement, depth: usize) -> Option<String> {
        let mut rows: Vec<&DomElement> = Vec::new();
        e.find_all(&|x| x.tag == "tr", &mut rows);
        let mut cells: Vec<Vec<String>> = Vec::new();
        for r in rows {
            let row: Vec<String> = r
                .elements()
                .filter(|c| c.tag == "td" || c.tag == "th")
                .map(|c| {
                    let mut s = String::new();
                    self.inline_children(c, depth, &mut s);
                    s.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect();
            cells.push(row);
        }
        let width = cells.iter().map(Vec::len).max()?;
        if width == 0 {
            return None;
        }
        let line = |r: &[String]| {
            let mut s = String::from("|");
            for i in 0..width {
                s.push(' ');
                s.push_str(r.get(i).map_or("", String::as_str));
                s.push_str(" |");
            }
            s
        };
        let mut out = vec![line(&cells[0]), format!("|{}", " --- |".repeat(width))];
        out.extend(cells[1..].iter().map(|r| line(r)));
        Some(out.join("\n"))
    }

    fn inline_children(&mut self, e: &DomElement, depth: usize, out: &mut String) {
        for c in &e.children {
            self.inline(c, depth + 1, out);
        }
    }

    fn inline(&mut self, node: &DomNode, depth: usize, out: &mut String) {
        let e = match node {
            DomNode::Text(t) => {
                push_text(out, t);
                return;
            }
            DomNode::Element(e) => e,
        };
        if skipped(e) {
            return;
        }
        if depth > MAX_DEPTH {
            push_text(out, &e.text());
            return;
        }
        if e.attr("data-testid") == Some("webpage-citation-pill") {
            self.citation(e, out);
            return;
        }
        if e.has_class("katex") {
            if let Some(tex) = tex_of(e) {
                out.push('$');
                out.push_str(tex.trim());
                out.push('$');
            }
            return;
        }
        match e.tag.as_str() {
            "br" => out.push_str("  \n"),
            "strong" | "b" => wrap(self, e, depth, out, "**"),
            "em" | "i" => wrap(self, e, depth, out, "*"),
            "del" | "s" => wrap(self, e, depth, out, "~~"),
            "code" => out.push_str(&code_span(&e.text())),
            "a" => {
                let mut text = String::new();
                self.inline_children(e, depth, &mut text);
                match e.attr("href").and_then(md_url) {
                    Some(href) if !text.trim().is_empty() => {
                        out.push_str(&format!("[{}]({href})", text.trim()));
                    }
                    _ => out.push_str(&text),
                }
            }
            "img" => {
                let alt = escape(e.attr("alt").unwrap_or("image"));
                match e.attr("src").and_then(md_url) {
                    Some(src) => out.push_str(&format!("![{alt}]({src})")),
                    _ => out.push_str(&format!("*[image: {alt}]*")),
                }
            }
            _ => self.inline_children(e, depth, out),
        }
    }

    /// A citation pill: a footnote to its link (the pill's text names the source).
    fn citation(&mut self, e: &DomElement, out: &mut String) {
        let Some(a) = e.find(&|x| x.tag == "a") else {
            return;
        };
        let href = a.attr("href").filter(|h| safe_url(h));
        let label = a.text();
        let label = label.trim();
        // "US EPA+2" → "US EPA".
        let label = match label.rfind('+') {
            Some(i) if label[i + 1..].chars().all(|c| c.is_ascii_digit()) && i > 0 => &label[..i],
            _ => label,
        };
        if let Some(n) = self.ctx.cite(Some(label), href, Some(label)) {
            out.push_str(&format!("[^{n}]"));
        }
    }
}

fn wrap(conv: &mut Conv<'_>, e: &DomElement, depth: usize, out: &mut String, mark: &str) {
    let mut inner = String::new();
    conv.inline_children(e, depth, &mut inner);
    let trimmed = inner.trim();
    if trimmed.is_empty() {
        out.push_str(&inner);
        return;
    }
    if inner.starts_with(char::is_whitespace) {
        out.push(' ');
    }
    out.push_str(mark);
    out.push_str(trimmed);
    out.push_str(mark);
    if inner.ends_with(char::is_whitespace) {
        out.push(' ');
    }
}

fn flush(para: &mut String, out: &mut Vec<String>) {
    let t = para.trim();
    if !t.is_empty() {
        out.push(
            t.lines()
                .map(|l| escape_line_start(l.trim_start()))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    para.clear();
}

/// Appends text to `out` with HTML whitespace collapsed and Markdown markup escaped (the
/// writers' one escaper, [`push_md_text`]).
fn push_text(out: &mut String, t: &str) {
    let after_space = out.ends_with(' ') || out.ends_with('\n') || out.is_empty();
    push_md_text(out, &collapse_whitespace(t, after_space));
}

/// Text on one line, whitespace collapsed and markup escaped, with nothing around it.
fn escape(s: &str) -> String {
    md_inline(&collapse_whitespace(s, true))
}

/// HTML's whitespace rule: every run of whitespace is one space, none right after a space.
fn collapse_whitespace(t: &str, mut after_space: bool) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if !c.is_whitespace() {
            after_space = false;
            out.push(c);
        } else if !after_space {
            out.push(' ');
            after_space = true;
        }
    }
    out
}

/// Whether a link or image of the page may be kept: the writers' one allow-list
/// (`http`, `https`, `mailto`).
fn safe_url(u: &str) -> bool {
    crate::render::escape::safe_url(u, false).is_some()
}

fn is_display_math(e: &DomElement) -> bool {
    e.has_class("katex-display")
}

/// The TeX source of a KaTeX element (`annotation[encoding="application/x-tex"]`).
fn tex_of(e: &DomElement) -> Option<String> {
    e.find(&|x| x.tag == "annotation" && x.attr("encoding") == Some("application/x-tex"))
        .map(DomElement::text)
}

/// A fenced code block from any of the three generations of ChatGPT's code markup.
fn code_block(pre: &DomElement) -> String {
    let code_el = pre.find(&|e| e.tag == "code");
    let lang_from_class = code_el
        .and_then(|c| c.attr("class"))
        .and_then(|c| {
            c.split_ascii_whitespace()
                .find_map(|x| x.strip_prefix("language-"))
        })
        .map(str::to_owned);
    let code = match code_el {
        Some(c) => c.text(),
        None => match pre.find(&|e| e.has_class("cm-content")) {
            Some(cm) => {
                let mut lines = Vec::new();
                cm.find_all(&|e| e.has_class("cm-line"), &mut lines);
                if lines.is_empty() {
                    cm.text()
                } else {
                    lines
                        .iter()
                        .map(|l| l.text())
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
            None => pre.text(),
        },
    };
    // The header's first text is the language ("Python", "bash").
    let lang = lang_from_class.or_else(|| {
        let header = pre.find(&|e| {
            e.attr("class")
                .is_some_and(|c| c.contains("sticky") || c.contains("rounded-t"))
                || e.elements().any(|b| b.tag == "button")
        })?;
        let mut texts = Vec::new();
        collect_texts(header, &mut texts);
        texts
            .into_iter()
            .map(|t| t.trim().to_owned())
            .find(|t| !t.is_empty() && !matches!(t.as_str(), "Copy" | "Copy code" | "Run" | "Edit"))
    });
    let lang = lang
        .map(|l| l.to_ascii_lowercase())
        .filter(|l| l.len() < 30 && !l.contains(char::is_whitespace));
    let code = code.trim_end_matches('\n');
    let fence = fence_for(code);
    format!("{fence}{}\n{code}\n{fence}", lang.unwrap_or_default())
}

fn collect_texts(e: &DomElement, out: &mut Vec<String>) {
    for c in &e.children {
        match c {
            DomNode::Text(t) => out.push(t.clone()),
            DomNode::Element(x) if !skipped(x) && x.tag != "button" => collect_texts(x, out),
            _ => {}
        }
    }
}

/// Parsing saved HTML pages natively (the CLI and the tests; the extension uses the live DOM).
#[cfg(feature = "html")]
pub mod html {
    use super::{DomElement, DomNode};

    /// Parses an HTML document into a tree; also returns the `<title>` and the page's
    /// address when the file says where it was saved from.
    pub fn parse(html: &str) -> (DomElement, Option<String>, Option<String>) {
        let doc = scraper::Html::parse_document(html);
        let root = convert(doc.root_element());
        let title = doc
            .select(&scraper::Selector::parse("title").expect("static selector"))
            .next()
            .map(|t| t.text().collect::<String>());
        (root, title, saved_from(html))
    }

    /// Chromium's `<!-- saved from url=(0041)https://… -->`, or a JSON comment `{"url": …}`.
    fn saved_from(html: &str) -> Option<String> {
        let mut end = html.len().min(4096);
        // Cut at a character boundary (regression: a multi-byte character across byte 4096
        // panicked, found by fuzzing).
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        let head = &html[..end];
        if let Some(i) = head.find("saved from url=(") {
            let rest = &head[i + "saved from url=(".len()..];
            let close = rest.find(')')?;
            let (len, rest) = (&rest[..close], &rest[close + 1..]);
            // The number is the URL's length (a UUID's hyphens are part of it); else the URL
            // ends at a space or the comment's end.
            let url = match len.parse::<usize>() {
                Ok(n) if n <= rest.len() && rest.is_char_boundary(n) => &rest[..n],
                _ => rest.split(char::is_whitespace).next()?,
            };
            return Some(url.trim_end_matches("-->").to_owned());
        }
        let i = head.find("\"url\":")?;
        let rest = head[i + 6..].trim_start().strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_owned())
    }

    fn element(e: scraper::ElementRef<'_>) -> DomElement {
        DomElement {
            tag: e.value().name().to_owned(),
            attrs: e
                .value()
                .attrs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            children: Vec::new(),
        }
    }

    /// Iterative, so deeply nested pages cannot overflow the stack.
    fn convert(el: scraper::ElementRef<'_>) -> DomElement {
        let mut stack = vec![(el.children(), element(el))];
        loop {
            let Some((iter, built)) = stack.last_mut() else {
                return DomElement::default();
            };
            match iter.next() {
                Some(child) => {
                    if let Some(t) = child.value().as_text() {
                        built.children.push(DomNode::Text(t.to_string()));
                    } else if let Some(e) = scraper::ElementRef::wrap(child) {
                        stack.push((e.children(), element(e)));
                    }
                }
                None => {
                    let Some((_, done)) = stack.pop() else {
                        return DomElement::default();
                    };
                    match stack.last_mut() {
                        Some((_, parent)) => parent.children.push(DomNode::Element(done)),
                        None => return done,
                    }
                }
            }
        }
    }
}

#[cfg(all(test, feature = "html"))]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/page")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn codemirror_block() {
        let (root, _, _) = html::parse(&fixture("codeblock-chatgpt-codemirror.html"));
        let pre = root
            .find(&|e| e.tag == "pre")
            .map(code_block)
            .unwrap_or_default();
        assert!(
            pre.starts_with("```python\ndef fibonacci_generator(n):\n    a, b = 0, 1\n"),
            "{pre}"
        );
        assert!(
            pre.contains("\n\n\nfor num in fibonacci_generator(10):\n    print(num)\n```"),
            "{pre}"
        );
        assert!(!pre.contains("Copy") && !pre.contains("Run"));
    }

    #[test]
    fn september_2026_layout() {
        let page = r#"<main><div data-app-action-timeline-scroll>
          <div data-turn-key="u1"><div data-user-message-bubble><div class="whitespace-pre-wrap">What is  *2*?
second line</div></div>
            <h4 class="sr-only" data-conversation-role="assistant">ChatGPT said:</h4>
            <div data-chatgpt-search-message-ids="a1"><div data-markdown-text-style="assistant-message">
              <p>It is <strong>two</strong>; <span class="katex"><span class="katex-mathml"><math><annotation encoding="application/x-tex">x^2</annotation></math></span><span class="katex-html" aria-hidden="true">x2</span></span>.</p>
              <table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2|3</td></tr></tbody></table>
            </div></div>
            <div data-testid="generated-image-preview"><img src="blob:https://chatgpt.com/x" alt="A cat"></div>
          </div></div></main>"#;
        let (root, _, _) = html::parse(page);
        let t = read_page(
            &root,
            Some("https://chatgpt.com/c/abc-123"),
            Some("Numbers - ChatGPT"),
        )
        .unwrap_or_default();
        assert_eq!(t.id, "abc-123");
        assert_eq!(t.title, "Numbers");
        assert_eq!(t.messages.len(), 2);
        assert_eq!(
            t.messages[0].blocks,
            vec![Block::Text {
                markdown: "What is  \\*2\\*?  \nsecond line".into()
            }]
        );
        let Block::Text { markdown } = &t.messages[1].blocks[0] else {
            panic!("text first")
        };
        assert!(markdown.contains("It is **two**; $x^2$."), "{markdown}");
        assert!(markdown.contains("| 1 | 2\\|3 |"), "{markdown}");
        assert!(matches!(
            t.messages[1].blocks.last(),
            Some(Block::Image { .. })
        ));
    }

    /// Text of the page goes through the writers' one escaper: markup characters, block
    /// markers at a line start (also after `<br>`) and raw HTML stay text; link targets are
    /// encoded as the writers encode them.
    #[test]
    fn page_text_is_escaped_as_the_writers_escape() {
        let page = r#"<main><div data-app-action-timeline-scroll><div data-turn-key="a">
            <h4 class="sr-only" data-conversation-role="assistant">ChatGPT said:</h4>
            <div data-chatgpt-search-message-ids="a1"><div data-markdown-text-style="assistant-message">
              <p># not a heading</p>
              <p>1. not a list<br>- nor this</p>
              <p>&lt;b&gt; ==h== %%c%% x^2 Q&amp;A &amp;amp; <code>a`b</code> <a href="https://a.example/x (1)">link</a></p>
            </div></div></div></div></main>"#;
        let (root, _, _) = html::parse(page);
        let t = read_page(&root, None, None).unwrap_or_default();
        let Some(Block::Text { markdown }) = t.messages.first().and_then(|m| m.blocks.first())
        else {
            panic!("a text block: {t:?}")
        };
        assert_eq!(
            markdown,
            "\\# not a heading\n\n1\\. not a list  \n\\- nor this\n\n\\<b\\> \\==h\\== \\%%c\\%% x\\^2 Q\\&A \\&amp; ``a`b`` [link](https://a.example/x%20%281%29)"
        );
    }

    /// A page of 2024 article turns numbered `numbers`, each a user message.
    fn numbered(numbers: &[u64]) -> DomElement {
        let turns: String = numbers
            .iter()
            .map(|n| {
                format!(
                    "<article data-testid=\"conversation-turn-{n}\"><div data-message-author-role=\"user\" data-message-id=\"m{n}\"><div class=\"whitespace-pre-wrap\">turn {n}</div></div></article>"
                )
            })
            .collect();
        html::parse(&format!("<main>{turns}</main>")).0
    }

    fn incomplete(t: &Transcript) -> Vec<&str> {
        t.incomplete_warnings().collect()
    }

    #[test]
    fn numbered_turns_from_the_first_are_complete() {
        let t = read_page(&numbered(&[2, 3, 4, 5]), None, None).unwrap_or_default();
        assert_eq!(t.messages.len(), 4);
        assert!(incomplete(&t).is_empty(), "{:?}", t.warnings);
        // Numbering from 1 (trimmed pages) is complete too.
        let t = read_page(&numbered(&[1, 2]), None, None).unwrap_or_default();
        assert!(incomplete(&t).is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn first_turns_missing_are_counted() {
        let numbers: Vec<u64> = (14..=41).collect();
        let t = read_page(&numbered(&numbers), None, None).unwrap_or_default();
        assert_eq!(t.messages.len(), 28, "what was read is kept");
        assert_eq!(
            incomplete(&t),
            vec!["the first 12 turns could not be read from the page (ChatGPT did not show them), so this file starts partway through the conversation."]
        );
        let t = read_page(&numbered(&[3, 4]), None, None).unwrap_or_default();
        assert!(
            incomplete(&t)[0].starts_with("the first turn could not be read"),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn turns_missing_in_between_are_counted() {
        let t = read_page(&numbered(&[2, 3, 7, 8, 10]), None, None).unwrap_or_default();
        assert_eq!(
            incomplete(&t),
            vec!["4 turns in the middle of the conversation could not be read from the page; the file lacks them."]
        );
    }

    #[test]
    fn the_readers_report_is_used_when_turns_have_no_numbers() {
        let page = r#"<main><div data-turn-key="u1"><div data-user-message-bubble><div class="whitespace-pre-wrap">Hi</div></div></div></main>"#;
        let (root, _, _) = html::parse(page);
        let complete =
            read_captured_page(&root, None, None, &Capture::default()).unwrap_or_default();
        assert!(incomplete(&complete).is_empty());
        let report = Capture {
            top_reached: false,
            gaps: 2,
        };
        let t = read_captured_page(&root, None, None, &report).unwrap_or_default();
        assert_eq!(t.messages.len(), 1);
        let w = incomplete(&t);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("the start of the conversation could not be read"),
            "{w:?}"
        );
        assert!(
            w[1].starts_with("2 parts of the conversation could not be read"),
            "{w:?}"
        );
        // Numbers overrule the report: contiguous turns from the first are complete.
        let t = read_captured_page(&numbered(&[2, 3]), None, None, &report).unwrap_or_default();
        assert!(incomplete(&t).is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn links_follow_the_writers_allow_list() {
        for ok in [
            "https://a.example/",
            " HTTP://a.example",
            "mailto:a@b.example",
        ] {
            assert!(safe_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,x",
            "/relative",
            "",
        ] {
            assert!(!safe_url(bad), "{bad:?}");
        }
    }
}
