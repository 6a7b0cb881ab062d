//! Markdown text blocks made safe to copy into the Markdown output.
//!
//! Chat Markdown is untrusted, and the apps that read the `.md` file (Obsidian and many
//! notes apps) render raw HTML and follow links. ChatGPT shows HTML in an answer as text and
//! does not follow a `javascript:` link; so does the HTML writer ([`super::html_text`]). Here
//! the Markdown is rewritten in place, as little as that takes, keeping the rest byte for byte:
//!
//! - every `<` that starts raw HTML gets a backslash (`\<script>`), and so does every `&` of
//!   an entity inside that HTML, so the HTML shows literally; inside a formula (`$…$`) the
//!   `<` becomes `\lt ` (the same sign to TeX, text to a renderer without math);
//! - a link whose URL [`safe_url`] refuses keeps its text and loses the link; such an image
//!   becomes `[image: alt]`; such a reference definition is dropped (it would serve links in
//!   other messages of the same file).
//!
//! Code spans and code blocks are already literal and are left alone. The text is read the
//! way two kinds of renderer read it, plain CommonMark with tables (markdown-it, …) and GFM
//! with footnotes and math (GitHub, Obsidian), and rewritten until neither finds anything;
//! text that would need more than [`MAX_ROUNDS`] rewrites (only deliberately nested input
//! does) is written as a code block instead.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::escape::{close_open_fence, fenced, safe_url};

/// Rewrites after which the text is given up as Markdown and written as code.
const MAX_ROUNDS: usize = 8;

/// `md` as the Markdown writer copies it: raw HTML as text, unsafe links unlinked, and a
/// code block left open at the end closed.
pub(crate) fn chat_markdown(md: &str) -> String {
    let md = close_open_fence(md);
    if !may_be_unsafe(&md) {
        return md;
    }
    rewritten(md)
}

/// Whether `md` may hold raw HTML or a link (the only things [`unsafe_spans`] edits): a `<`
/// that can start a tag, comment, declaration, processing instruction or autolink (followed
/// by a letter, `/`, `!` or `?`; an e-mail autolink, whose address may start otherwise, is a
/// `mailto:` link and safe), or a `]` that ends a link's text or label (followed by `(`, `[`
/// or, in a definition, `:`). Text without any (three quarters of the real export's, by
/// bytes) skips the two parses.
fn may_be_unsafe(md: &str) -> bool {
    let bytes = md.as_bytes();
    memchr::memchr2_iter(b'<', b']', bytes).any(|i| match (bytes[i], bytes.get(i + 1)) {
        (b'<', Some(b)) => b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'),
        (b']', Some(b'(' | b'[' | b':')) => true,
        _ => false,
    })
}

/// [`chat_markdown`] of a fenced-off `md` that may hold something unsafe: rewritten until
/// both renderers find nothing.
fn rewritten(md: String) -> String {
    let mut text = md.clone();
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for opts in [commonmark(), gfm()] {
            let edits = unsafe_spans(&text, opts);
            if !edits.is_empty() {
                text = apply(&text, edits);
                changed = true;
            }
        }
        if !changed {
            // Unlinking can leave a fence at the start of a line: close it too.
            return close_open_fence(&text);
        }
    }
    fenced(&md, "markdown")
}

/// How a plain CommonMark renderer with tables reads Markdown.
fn commonmark() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// How GitHub and Obsidian read it (and the HTML writer).
fn gfm() -> Options {
    commonmark()
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
}

/// One replacement of a byte range of the text.
#[derive(Debug)]
struct Edit {
    range: Range<usize>,
    with: &'static str,
}

impl Edit {
    fn insert(at: usize, with: &'static str) -> Self {
        Edit {
            range: at..at,
            with,
        }
    }
}

/// A link or image being read: where it is, and where its text is.
struct Open {
    range: Range<usize>,
    image: bool,
    safe: bool,
    text: Option<Range<usize>>,
}

/// The edits that make `md` safe as `opts` reads it (none when it is).
fn unsafe_spans(md: &str, opts: Options) -> Vec<Edit> {
    let parser = Parser::new_ext(md, opts);
    let mut edits: Vec<Edit> = parser
        .reference_definitions()
        .iter()
        .filter(|(_, def)| safe_url(&def.dest, true).is_none())
        .map(|(_, def)| Edit {
            range: whole_lines(md, def.span.clone()),
            with: "",
        })
        .collect();
    let mut open: Vec<Open> = Vec::new();
    let mut html: Vec<Range<usize>> = Vec::new();
    for (event, range) in parser.into_offset_iter() {
        if !matches!(event, Event::End(TagEnd::Link | TagEnd::Image)) {
            if let Some(o) = open.last_mut() {
                o.text = Some(match o.text.take() {
                    Some(t) => t.start.min(range.start)..t.end.max(range.end),
                    None => range.clone(),
                });
            }
        }
        match event {
            Event::Html(_) | Event::InlineHtml(_) => html.push(range),
            Event::Start(Tag::Link { dest_url, .. }) => open.push(Open {
                range,
                image: false,
                safe: safe_url(&dest_url, true).is_some(),
                text: None,
            }),
            Event::Start(Tag::Image { dest_url, .. }) => open.push(Open {
                range,
                image: true,
                safe: safe_url(&dest_url, true).is_some(),
                text: None,
            }),
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if let Some(o) = open.pop().filter(|o| !o.safe) {
                    unlink(&o, &mut edits);
                }
            }
            _ => {}
        }
    }
    if !html.is_empty() {
        let math = if opts.contains(Options::ENABLE_MATH) || !md.contains('$') {
            Vec::new()
        } else {
            math_ranges(md)
        };
        for range in html {
            escape_html(md, range, &math, &mut edits);
        }
    }
    edits
}

/// `span` with its line break, and the blank lines after it when a blank line comes
/// before it, if it fills its lines: so that dropping it leaves no gap.
fn whole_lines(md: &str, span: Range<usize>) -> Range<usize> {
    let before = &md[..span.start];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before[line_start..].trim().is_empty() || !md[span.end..].starts_with('\n') {
        return span;
    }
    let mut end = span.end + 1;
    let prev_blank = line_start == 0 || {
        let prev = &before[..line_start - 1];
        prev[prev.rfind('\n').map_or(0, |i| i + 1)..]
            .trim()
            .is_empty()
    };
    if prev_blank {
        while let Some(nl) = md[end..].find('\n') {
            if !md[end..end + nl].trim().is_empty() {
                break;
            }
            end += nl + 1;
        }
    }
    span.start..end
}

/// Keeps the text of an unsafe link (an image's as `[image: …]`) and drops the rest.
fn unlink(o: &Open, edits: &mut Vec<Edit>) {
    let (before, after) = if o.image {
        ("\\[image: ", "\\]")
    } else {
        ("", "")
    };
    match &o.text {
        Some(t) if o.range.start <= t.start && t.end <= o.range.end => {
            edits.push(Edit {
                range: o.range.start..t.start,
                with: before,
            });
            edits.push(Edit {
                range: t.end..o.range.end,
                with: after,
            });
        }
        _ => edits.push(Edit {
            range: o.range.clone(),
            with: if o.image { "\\[image\\]" } else { "" },
        }),
    }
}

/// Escapes, in the raw HTML at `range`, each `<` that can start a tag, comment or
/// declaration, and each `&` that starts an entity. `math`: the formulas, in order.
fn escape_html(md: &str, range: Range<usize>, math: &[Range<usize>], edits: &mut Vec<Edit>) {
    let bytes = md.as_bytes();
    for i in range {
        let escaped = bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1;
        match bytes[i] {
            b'<' if !escaped
                && bytes.get(i + 1).is_some_and(|&b| {
                    b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?')
                }) =>
            {
                let after = math.partition_point(|m| m.end <= i);
                if math.get(after).is_some_and(|m| m.start <= i) {
                    edits.push(Edit {
                        range: i..i + 1,
                        with: "\\lt ",
                    });
                } else {
                    edits.push(Edit::insert(i, "\\"));
                }
            }
            b'&' if !escaped && is_entity(&bytes[i..]) => edits.push(Edit::insert(i, "\\")),
            _ => {}
        }
    }
}

/// Whether `s` starts with an HTML entity: `&name;`, `&#123;` or `&#x1F;`.
fn is_entity(s: &[u8]) -> bool {
    let Some(rest) = s.strip_prefix(b"&") else {
        return false;
    };
    let (digits, max, valid): (&[u8], usize, fn(&u8) -> bool) = if let Some(hex) = rest
        .strip_prefix(b"#x")
        .or_else(|| rest.strip_prefix(b"#X"))
    {
        (hex, 6, u8::is_ascii_hexdigit)
    } else if let Some(dec) = rest.strip_prefix(b"#") {
        (dec, 7, u8::is_ascii_digit)
    } else if rest.first().is_some_and(u8::is_ascii_alphabetic) {
        (rest, 32, u8::is_ascii_alphanumeric)
    } else {
        return false;
    };
    let n = digits.iter().take_while(|b| valid(b)).count();
    (1..=max).contains(&n) && digits.get(n) == Some(&b';')
}

/// The byte ranges of the formulas in `md`, as a renderer with math reads it, in order.
fn math_ranges(md: &str) -> Vec<Range<usize>> {
    Parser::new_ext(md, gfm())
        .into_offset_iter()
        .filter(|(e, _)| matches!(e, Event::InlineMath(_) | Event::DisplayMath(_)))
        .map(|(_, r)| r)
        .collect()
}

/// `md` with the edits applied, in order; an edit that overlaps an earlier one is left for
/// the next round.
fn apply(md: &str, mut edits: Vec<Edit>) -> String {
    crate::sort::sort_by_key(&mut edits, |e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(md.len() + edits.len() * 2);
    let mut at = 0;
    for e in edits {
        if e.range.start < at || !md.is_char_boundary(e.range.start) {
            continue;
        }
        out.push_str(&md[at..e.range.start]);
        out.push_str(e.with);
        at = e.range.end;
    }
    out.push_str(&md[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(md: &str) -> String {
        chat_markdown(md)
    }

    /// The shortcut never skips a text the full rewrite would change: random texts made of
    /// Markdown's and HTML's active characters, each written both ways.
    #[test]
    fn skipping_the_parse_changes_nothing() {
        let mut pieces: Vec<String> = "<>[]():!?/aB1 \n`$&*\\-#|\"^@"
            .chars()
            .map(String::from)
            .collect();
        pieces.extend(["javascript:".to_owned(), "http://x".to_owned()]);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut skipped = 0;
        for _ in 0..60_000 {
            let len = (next() % 24) as usize;
            let md: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize].as_str())
                .collect();
            let fenced = close_open_fence(&md);
            if !may_be_unsafe(&fenced) {
                skipped += 1;
                assert_eq!(rewritten(fenced.clone()), fenced, "{md:?}");
            }
        }
        assert!(skipped > 10_000, "{skipped}");
    }

    #[test]
    fn text_without_html_or_links_is_unchanged() {
        for md in [
            "Plain **bold** and `code` with 3 < 4 and a & b, `<b>` in code.",
            "```html\n<script>alert(1)</script>\n```",
            "    <b>indented code</b>",
            "[ok](https://example.com/a?b=1&c=2) [rel](../x) <https://example.com> <a@b.c>",
            "Math $a < b$ and $$x<y$$, a footnote[^1].\n\n[^1]: A note.",
            "Entities &amp; &lt;b&gt; stay entities.",
            "[ref] and [ok][ref]\n\n[ref]: https://example.com \"Title\"",
            "| a | b |\n|---|---|\n| 1 < 2 | x |",
        ] {
            assert_eq!(safe(md), md, "{md}");
        }
    }

    #[test]
    fn raw_html_shows_as_text() {
        assert_eq!(
            safe("<script>alert(1)</script>\n\nAfter."),
            "\\<script>alert(1)\\</script>\n\nAfter."
        );
        assert_eq!(
            safe("<iframe src=\"javascript:alert(1)\"></iframe>"),
            "\\<iframe src=\"javascript:alert(1)\">\\</iframe>"
        );
        assert_eq!(
            safe("Hi <b onclick=\"alert(7)\">bold?</b> `<i>` <!-- c --> <?php ?>"),
            "Hi \\<b onclick=\"alert(7)\">bold?\\</b> `<i>` \\<!-- c --> \\<?php ?>"
        );
        // In a table cell, in a list, in a quote, in a footnote.
        assert_eq!(
            safe("| a | b |\n|---|---|\n| x<br>y | <br/> |"),
            "| a | b |\n|---|---|\n| x\\<br>y | \\<br/> |"
        );
        assert_eq!(
            safe("- <u>x</u>\n\n> <img src=x>"),
            "- \\<u>x\\</u>\n\n> \\<img src=x>"
        );
        assert_eq!(
            safe("A[^n]\n\n[^n]: <i>x</i>"),
            "A[^n]\n\n[^n]: \\<i>x\\</i>"
        );
        // An HTML block over several lines, with entities: all of it literal.
        assert_eq!(
            safe("<div title=\"&quot;\">\n&amp; <p>x</p>\n</div>"),
            "\\<div title=\"\\&quot;\">\n\\&amp; \\<p>x\\</p>\n\\</div>"
        );
        // Already escaped, or not a tag: left alone.
        assert_eq!(safe("\\<b> a <3 b < c <-"), "\\<b> a <3 b < c <-");
    }

    #[test]
    fn html_in_math_stays_math() {
        // Math to GitHub and Obsidian, raw HTML to markdown-it: `\lt` is `<` to TeX.
        assert_eq!(
            safe("$<img src=x onerror=alert(1)>$ and $a<b>c$"),
            "$\\lt img src=x onerror=alert(1)>$ and $a\\lt b>c$"
        );
        // HTML that only a renderer with math sees (the `$` pair takes the backtick).
        assert_eq!(safe("$`$<img src=x>`"), "$`$\\<img src=x>`");
    }

    #[test]
    fn unsafe_links_keep_their_text() {
        for (md, out) in [
            ("[click](javascript:alert(1))", "click"),
            ("[click](JaVaScRiPt:alert(1))", "click"),
            ("[click](<java\tscript:alert(1)>)", "click"),
            ("[click](&#106;avascript:alert(1))", "click"),
            ("[click](javascript&#58;alert(1))", "click"),
            ("[click](vbscript:msgbox(1))", "click"),
            ("[c](data:text/html,<script>alert(1)</script>)", "c"),
            ("[c](file:///etc/passwd)", "c"),
            ("[**bold** `x`](javascript:y)", "**bold** `x`"),
            ("[](javascript:y)", ""),
            ("<javascript:alert(1)>", "javascript:alert(1)"),
            ("![x](javascript:alert(1))", "\\[image: x\\]"),
            ("![x](data:image/svg+xml,%3Csvg%3E)", "\\[image: x\\]"),
            // Not an image (a `<` in the destination): text and raw HTML.
            (
                "![x](data:image/svg+xml,<svg onload=alert(1)>)",
                "![x](data:image/svg+xml,\\<svg onload=alert(1)>)",
            ),
            ("![](vbscript:x)", "\\[image\\]"),
            (
                "[![in](javascript:a)](https://ok.example/)",
                "[\\[image: in\\]](https://ok.example/)",
            ),
            (
                "| [x](javascript:y) | b |\n|---|---|",
                "| x | b |\n|---|---|",
            ),
        ] {
            assert_eq!(safe(md), out, "{md}");
        }
    }

    #[test]
    fn unsafe_definitions_are_dropped() {
        assert_eq!(
            safe("[click][r] and [r]\n\n[r]: javascript:alert(1)\n[ok]: https://example.com"),
            "click and r\n\n[ok]: https://example.com"
        );
        assert_eq!(
            safe("A [r].\n\n[r]: file:///etc\n\n  \nB.\n> [q]: data:x\n> C"),
            "A r.\n\nB.\n> \n> C"
        );
        // A definition alone would still serve links in the other messages of the file.
        assert_eq!(safe("Text.\n\n[r]: javascript:alert(1)"), "Text.");
        // A footnote that is only a URL is a link definition to a renderer without footnotes.
        assert_eq!(safe("A[^1]\n\n[^1]: javascript:alert(1)"), "A^1");
        assert_eq!(
            safe("A[^1]\n\n[^1]: javascript:void(0) is a no-op."),
            "A[^1]\n\n[^1]: javascript:void(0) is a no-op."
        );
    }

    #[test]
    fn nested_tricks_are_caught() {
        // Unwrapping reveals a new link: caught in the next round.
        assert_eq!(safe("[[x](javascript:a)](javascript:b)"), "x");
        // `<scr<` and `</scr<` start no tag.
        assert_eq!(
            safe("<scr<script>ipt>alert(1)</scr</script>ipt>"),
            "<scr\\<script>ipt>alert(1)</scr\\</script>ipt>"
        );
        // A block whose content becomes Markdown once its start is text.
        let out = safe("<div>\n[x](javascript:a)\n</div>");
        assert_eq!(out, "\\<div>\nx\n\\</div>");
        // Unlinking that leaves a fence at a line start: closed.
        assert_eq!(safe("[```](javascript:a)\nx"), "```\nx\n```");
    }

    #[test]
    fn deep_nesting_falls_back_to_code() {
        let md = format!("{}x{}", "[".repeat(40), "](javascript:a)".repeat(40));
        let out = safe(&md);
        assert!(out.starts_with("```markdown\n"), "{out}");
        assert!(out.ends_with("\n```"), "{out}");
    }

    #[test]
    fn entities() {
        assert!(is_entity(b"&amp;"));
        assert!(is_entity(b"&#106;x"));
        assert!(is_entity(b"&#x6A;"));
        assert!(!is_entity(b"&b=2"));
        assert!(!is_entity(b"&#;"));
        assert!(!is_entity(b"&#12345678;"));
        assert!(!is_entity(b"& x;"));
    }
}
