//! Markdown text blocks to safe HTML.
//!
//! The Markdown is chat content, so it is untrusted: the event filter below (the pattern of
//! pulldown-cmark's `examples/event-filter.rs`) turns raw HTML into escaped text, keeps only
//! `http`, `https`, `mailto` and relative links, never loads remote images, renders math as
//! MathML and citations (`[^N]`) as links to the sources list.

use std::collections::HashSet;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};

use super::escape::safe_url;

/// Formulas longer than this are shown as TeX source (MathML of that size helps no one).
const MAX_TEX: usize = 20_000;

fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_OLD_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
}

/// HTML-escapes `s` into a new string.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Writing to a `String` cannot fail.
    let _ = escape_html(&mut out, s);
    out
}

/// Escapes a URL for an `href` attribute (double-quoted).
pub(crate) fn esc_href(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = escape_href(&mut out, s);
    // `escape_href` keeps `'`; attributes are double-quoted, but be strict anyway.
    out.replace('"', "%22")
}

enum Open {
    /// A link kept as a link.
    Link,
    /// A link whose URL was removed: its text stays.
    Removed,
    /// An image shown as a bracketed reference; the index of its first content event in
    /// the output (to add a default label when it has no alt text).
    Image {
        wrapped_in_anchor: bool,
        start: usize,
    },
}

/// Renders one Markdown text to HTML, appending to `out`. `sources` is the number of
/// transcript sources (`[^N]` with `N` in `1..=sources` links to `#source-N`); `scope`
/// makes the ids of the text's own footnote definitions unique in the page.
pub(crate) fn markdown_to_html(md: &str, sources: usize, scope: &str, out: &mut String) {
    let opts = parser_options();
    let defined: HashSet<String> = Parser::new_ext(md, opts)
        .filter_map(|e| match e {
            Event::Start(Tag::FootnoteDefinition(label)) => Some(label.into_string()),
            _ => None,
        })
        .collect();

    let mut events: Vec<Event<'_>> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let html = |s: String| Event::Html(CowStr::from(s));
    for event in super::cjk::emphasis(md, Parser::new_ext(md, opts).into_offset_iter()) {
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) => {
                if is_line_break(&raw) {
                    events.push(Event::Html("<br>".into()));
                } else {
                    events.push(Event::Text(raw));
                }
            }
            Event::Start(Tag::HtmlBlock) => events.push(html("<p class=\"raw-html\">".into())),
            Event::End(TagEnd::HtmlBlock) => events.push(html("</p>\n".into())),

            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let in_link = stack.iter().any(|o| matches!(o, Open::Link));
                match safe_url(&dest_url, true) {
                    Some(url) if !in_link => {
                        stack.push(Open::Link);
                        events.push(Event::Start(Tag::Link {
                            link_type,
                            dest_url: url.into(),
                            title,
                            id,
                        }));
                    }
                    _ => {
                        stack.push(Open::Removed);
                        events.push(html("<span class=\"link-removed\">".into()));
                    }
                }
            }
            Event::End(TagEnd::Link) => match stack.pop() {
                Some(Open::Link) => events.push(Event::End(TagEnd::Link)),
                _ => events.push(html("</span>".into())),
            },

            Event::Start(Tag::Image { dest_url, .. }) => {
                let in_link = stack.iter().any(|o| matches!(o, Open::Link));
                let remote = safe_url(&dest_url, false)
                    .filter(|u| !u.to_ascii_lowercase().starts_with("mailto:"));
                match remote {
                    Some(url) if !in_link => {
                        events.push(html(format!(
                            "<a class=\"image-ref\" href=\"{}\">[image: ",
                            esc_href(&url)
                        )));
                        stack.push(Open::Image {
                            wrapped_in_anchor: true,
                            start: events.len(),
                        });
                    }
                    _ => {
                        events.push(html("<span class=\"image-ref\">[image: ".into()));
                        stack.push(Open::Image {
                            wrapped_in_anchor: false,
                            start: events.len(),
                        });
                    }
                }
            }
            Event::End(TagEnd::Image) => {
                let (anchor, start) = match stack.pop() {
                    Some(Open::Image {
                        wrapped_in_anchor,
                        start,
                    }) => (wrapped_in_anchor, start),
                    _ => (false, events.len()),
                };
                if events.len() == start {
                    events.push(Event::Text("image".into()));
                }
                events.push(html(if anchor { "]</a>" } else { "]</span>" }.into()));
            }

            Event::FootnoteReference(label) => {
                let n = label
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=sources).contains(n));
                match n {
                    Some(n) if !defined.contains(label.as_ref()) => {
                        events.push(html(format!("<sup><a href=\"#source-{n}\">{n}</a></sup>")));
                    }
                    _ if defined.contains(label.as_ref()) => {
                        events.push(html(format!(
                            "<sup class=\"footnote-ref\"><a href=\"#fn-{}-{}\">{}</a></sup>",
                            esc(scope),
                            esc(&id_part(&label)),
                            esc(&label)
                        )));
                    }
                    _ => events.push(Event::Text(format!("[^{label}]").into())),
                }
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                events.push(html(format!(
                    "<div class=\"footnote-definition\" id=\"fn-{}-{}\"><sup>{}</sup>",
                    esc(scope),
                    esc(&id_part(&label)),
                    esc(&label)
                )));
            }
            Event::End(TagEnd::FootnoteDefinition) => events.push(html("</div>\n".into())),

            Event::InlineMath(tex) => events.push(html(math(&tex, false))),
            Event::DisplayMath(tex) => events.push(html(format!(
                "<span class=\"math-display\">{}</span>",
                math(&tex, true)
            ))),

            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or(""),
                    CodeBlockKind::Indented => "",
                };
                events.push(html(code_open(lang)));
            }
            Event::End(TagEnd::CodeBlock) => events.push(html(CODE_CLOSE.into())),

            Event::Start(Tag::MetadataBlock(_)) | Event::End(TagEnd::MetadataBlock(_)) => {}
            other => events.push(other),
        }
    }
    pulldown_cmark::html::push_html(out, events.into_iter());
}

/// `<br>`, `<br/>`, `<br />` (any case): the one piece of raw HTML worth keeping (ChatGPT
/// uses it inside table cells).
fn is_line_break(raw: &str) -> bool {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    s == "<br>" || s == "<br/>"
}

/// A label made safe for an id: whitespace becomes `-`.
fn id_part(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .collect()
}

/// The opening of a code block with its language label.
pub(crate) fn code_open(lang: &str) -> String {
    let lang = super::escape::fence_lang(Some(lang));
    if lang.is_empty() {
        "<div class=\"code-block\"><pre><code>".to_owned()
    } else {
        let l = esc(&lang);
        format!(
            "<div class=\"code-block\"><div class=\"code-lang\">{l}</div><pre><code class=\"language-{l}\">"
        )
    }
}

/// The end of a code block opened with [`code_open`].
pub(crate) const CODE_CLOSE: &str = "</code></pre></div>\n";

/// TeX to MathML; on any error, the TeX source as code.
///
/// `\boxed{…}` (common in ChatGPT answers, unknown to pulldown-latex) is drawn as a
/// bordered group; if the formula cannot be split around it, it is rendered without
/// the box.
pub(crate) fn math(tex: &str, display: bool) -> String {
    use pulldown_latex::config::DisplayMode;
    use pulldown_latex::{push_mathml, ParserError, RenderConfig};

    let fallback = || {
        let delim = if display { "$$" } else { "$" };
        format!(
            "<code class=\"math-source\">{}</code>",
            esc(&format!("{delim}{tex}{delim}"))
        )
    };
    if tex.trim().is_empty() || tex.len() > MAX_TEX {
        return fallback();
    }
    // The annotation is written unescaped by pulldown-latex: escape it here.
    let annotation = esc(tex);
    let config = RenderConfig {
        display_mode: if display {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        annotation: Some(&annotation),
        ..RenderConfig::default()
    };
    let pieces = split_boxed(tex);
    let stripped;
    let attempts: Vec<Vec<Piece<'_>>> = match pieces {
        Some(pieces) => {
            stripped = strip_boxed(tex);
            vec![pieces, vec![Piece::Tex(&stripped)]]
        }
        None => vec![vec![Piece::Tex(tex)]],
    };
    for pieces in attempts {
        let storages: Vec<pulldown_latex::Storage> = pieces
            .iter()
            .map(|_| pulldown_latex::Storage::new())
            .collect();
        let Some(events) = tex_events(&pieces, &storages) else {
            continue;
        };
        let mut mathml = String::new();
        if push_mathml(
            &mut mathml,
            events.into_iter().map(Ok::<_, ParserError>),
            config,
        )
        .is_ok()
        {
            return mathml;
        }
    }
    fallback()
}

/// A part of a formula: plain TeX, or the content of a `\boxed{…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Tex(&'a str),
    Boxed(&'a str),
}

/// Parses the pieces, each with its own storage; `None` if any piece is not valid TeX.
fn tex_events<'s>(
    pieces: &[Piece<'s>],
    storages: &'s [pulldown_latex::Storage],
) -> Option<Vec<pulldown_latex::Event<'s>>> {
    use pulldown_latex::event::{ColorChange, ColorTarget, Event, Grouping, StateChange};
    use pulldown_latex::Parser as TexParser;

    let mut events = Vec::new();
    for (piece, storage) in pieces.iter().zip(storages) {
        match *piece {
            Piece::Tex(t) => {
                for e in TexParser::new(t, storage) {
                    events.push(e.ok()?);
                }
            }
            Piece::Boxed(t) => {
                events.push(Event::Begin(Grouping::Normal));
                events.push(Event::StateChange(StateChange::Color(ColorChange {
                    color: (128, 128, 128),
                    target: ColorTarget::Border,
                })));
                for e in TexParser::new(t, storage) {
                    events.push(e.ok()?);
                }
                events.push(Event::End);
            }
        }
    }
    Some(events)
}

/// The byte range of the next `\boxed{…}` at or after `from`: (start of `\boxed`, start of
/// the content, end of the content, end after `}`).
fn next_boxed(tex: &str, from: usize) -> Option<(usize, usize, usize, usize)> {
    let rel = tex.get(from..)?.find("\\boxed")?;
    let start = from + rel;
    let after = start + "\\boxed".len();
    let rest = &tex[after..];
    if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return next_boxed(tex, after);
    }
    let open = after + (rest.len() - rest.trim_start().len());
    if !tex[open..].starts_with('{') {
        return None;
    }
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in tex[open..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    let close = open + i;
                    return Some((start, open + 1, close, close + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits a formula around its top-level `\boxed{…}` groups; `None` if it has none or a
/// group is not closed.
fn split_boxed(tex: &str) -> Option<Vec<Piece<'_>>> {
    let mut pieces = Vec::new();
    let mut at = 0;
    while let Some((start, inner_start, inner_end, end)) = next_boxed(tex, at) {
        if start > at {
            pieces.push(Piece::Tex(&tex[at..start]));
        }
        let inner = &tex[inner_start..inner_end];
        if inner.contains("\\boxed") {
            return None;
        }
        pieces.push(Piece::Boxed(inner));
        at = end;
    }
    if pieces.is_empty() {
        return None;
    }
    if at < tex.len() {
        pieces.push(Piece::Tex(&tex[at..]));
    }
    Some(pieces)
}

/// The formula with every `\boxed` command removed (its argument stays as a group).
fn strip_boxed(tex: &str) -> String {
    let mut out = String::with_capacity(tex.len());
    let mut rest = tex;
    while let Some(i) = rest.find("\\boxed") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "\\boxed".len()..];
        if after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.push_str("\\boxed");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(md: &str) -> String {
        let mut s = String::new();
        markdown_to_html(md, 2, "m1", &mut s);
        s
    }

    #[test]
    fn raw_html_is_text() {
        let out = render("<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> there<br>x");
        assert!(!out.contains("<script"));
        assert!(!out.contains("<img"));
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(out.contains("there<br>x"));
    }

    #[test]
    fn links_are_neutralised() {
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "[x](java&#x09;script:alert(1))",
            "[x](vbscript:x)",
            "[x](data:text/html,<script>alert(1)</script>)",
            "[x](file:///etc/passwd)",
            "<javascript:alert(1)>",
            "[x]\n\n[x]: javascript:alert(1)",
        ] {
            let out = render(bad);
            assert!(!out.contains("href"), "{bad} → {out}");
            assert!(
                !out.contains("javascript:a") || !out.contains("<a"),
                "{bad} → {out}"
            );
        }
        let out =
            render("[ok](https://example.com/?a=1&b=\"2\") [rel](../x) <a@b.c> [m](mailto:a@b.c)");
        assert!(out.contains("<a href=\"https://example.com/?a=1&amp;b=%222%22\">ok</a>"));
        assert!(out.contains("<a href=\"../x\">rel</a>"));
        assert!(out.contains("<a href=\"mailto:a@b.c\">a@b.c</a>"));
        assert!(out.contains("<a href=\"mailto:a@b.c\">m</a>"));
    }

    #[test]
    fn images_are_not_loaded() {
        let out = render("![a cat](https://example.com/cat.png) ![](http://x/y.png) ![x](data:image/png;base64,AAAA) [![in](https://x/i.png)](https://x/)");
        assert!(!out.contains("<img"));
        assert!(out.contains(
            "<a class=\"image-ref\" href=\"https://example.com/cat.png\">[image: a cat]</a>"
        ));
        assert!(out.contains("<a class=\"image-ref\" href=\"http://x/y.png\">[image: image]</a>"));
        assert!(out.contains("<span class=\"image-ref\">[image: x]</span>"));
        assert!(
            out.contains("<a href=\"https://x/\"><span class=\"image-ref\">[image: in]</span></a>")
        );
    }

    #[test]
    fn footnotes_and_math() {
        let out = render("A[^1] B[^2] C[^3] D[^note]\n\n[^note]: Mine.");
        assert!(out.contains("A<sup><a href=\"#source-1\">1</a></sup>"));
        assert!(out.contains("B<sup><a href=\"#source-2\">2</a></sup>"));
        assert!(out.contains("C[^3]"));
        assert!(out.contains("<a href=\"#fn-m1-note\">note</a>"));
        assert!(out.contains("id=\"fn-m1-note\""));

        let out = render("Inline $x^2$ and\n\n$$\\frac{a}{b}$$");
        assert!(out.contains("<math display=\"inline\">"));
        assert!(out.contains("<span class=\"math-display\"><math display=\"block\">"));
        let out = render("Bad $\\frac{a$ and $\\undefinedcommand</annotation><script>$");
        assert!(!out.contains("<script"));
        assert!(out.contains("<code class=\"math-source\">"));
    }

    #[test]
    fn boxed() {
        let out = math("x = \\boxed{8}", false);
        assert!(
            out.contains("border: 0.06em solid rgb(128 128 128)"),
            "{out}"
        );
        assert!(out.contains("<mn>8</mn>"), "{out}");
        // Split inside another group: rendered without the box.
        let out = math("\\frac{1}{\\boxed{2}}", true);
        assert!(out.starts_with("<math display=\"block\">"), "{out}");
        assert!(!out.contains("border"), "{out}");
        assert_eq!(
            split_boxed("a\\boxed {b{c}\\}} d"),
            Some(vec![
                Piece::Tex("a"),
                Piece::Boxed("b{c}\\}"),
                Piece::Tex(" d")
            ])
        );
        assert_eq!(split_boxed("\\boxedx{1}"), None);
        assert_eq!(split_boxed("\\boxed{1"), None);
        assert_eq!(strip_boxed("\\boxed{1} \\boxedx"), "{1} \\boxedx");
    }

    #[test]
    fn math_never_panics() {
        for tex in [
            "",
            "}",
            "{",
            "\\",
            "^",
            "_",
            "^^",
            "x^",
            "\\begin{matrix}",
            "\\end{matrix}",
            "\\begin{array}{",
            "\\left(",
            "\\right)",
            "\\frac",
            "\\sqrt[",
            "&",
            "\\\\",
            "\\color{red",
            "\\color{#zzzzzz}x",
            "\\text{<b>}",
            "\\operatorname{<x>}",
            "\\mathbb",
            "x_{_{_{_{_{}}}}}",
            "\\hspace{-1e308em}",
            "\\rule{1em}{-5em}",
            "\\over\\over",
            "a \\over b \\over c",
            "\\begin{cases} a & b \\\\ c \\end{cases}",
            "\\newcommand{\\x}{\\x}\\x",
            "\u{0}",
            "\u{e200}",
            "é^{ü}",
            "\\boxed",
            "\\boxed{",
            "\\boxed}",
            "\\boxed{\\boxed{x}}",
            "}\\boxed{x}{",
            "\\boxed{é}ü",
            "\\boxed{}",
        ] {
            let _ = math(tex, false);
            let _ = math(tex, true);
        }
    }

    #[test]
    fn code_blocks_have_labels() {
        let out = render("```python\nprint('<b>')\n```\n\n    indented");
        assert!(out.contains("<div class=\"code-block\"><div class=\"code-lang\">python</div><pre><code class=\"language-python\">print('&lt;b&gt;')\n</code></pre></div>"), "{out}");
        assert!(out.contains("<div class=\"code-block\"><pre><code>indented"));
    }
}
