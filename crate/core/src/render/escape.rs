//! Escaping of untrusted strings for Markdown, YAML and URLs.

/// Escapes one line of plain text for Markdown inline content: the result renders as the
/// same characters and can neither start a construct (link, emphasis, code, HTML, math,
/// footnote, Obsidian tag or comment) nor, at the start of a line, a block.
/// Line breaks become spaces.
pub(crate) fn md_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match c {
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '$' | '#' | '^' => {
                out.push('\\');
                out.push(c);
            }
            // Entities (`&amp;`), Obsidian comments (`%%`) and highlights (`==`).
            '&' if next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#') => {
                out.push_str("\\&");
            }
            '%' | '=' if next == Some(c) => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    let trimmed = out.trim();
    escape_line_start(trimmed)
}

/// Escapes what would start a block at the beginning of a line (`- `, `+ `, `1. `, `=`).
fn escape_line_start(line: &str) -> String {
    let bytes = line.as_bytes();
    match bytes.first() {
        Some(b'-' | b'+' | b'=') => format!("\\{line}"),
        Some(b'0'..=b'9') => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            match bytes.get(digits) {
                Some(b'.' | b')') => {
                    format!("{}\\{}", &line[..digits], &line[digits..])
                }
                _ => line.to_owned(),
            }
        }
        _ => line.to_owned(),
    }
}

/// Escapes multi-line plain text as Markdown paragraphs: blank lines separate paragraphs,
/// single line breaks are kept as hard breaks.
pub(crate) fn md_paragraphs(s: &str) -> String {
    let mut out = String::new();
    for para in split_paragraphs(s) {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        let lines: Vec<String> = para
            .lines()
            .map(md_inline)
            .filter(|l| !l.is_empty())
            .collect();
        out.push_str(&lines.join("  \n"));
    }
    out
}

fn split_paragraphs(s: &str) -> impl Iterator<Item = String> + '_ {
    let mut paras = Vec::new();
    let mut cur = String::new();
    for line in s.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
        } else {
            if !cur.is_empty() {
                cur.push('\n');
            }
            cur.push_str(line);
        }
    }
    if !cur.is_empty() {
        paras.push(cur);
    }
    paras.into_iter()
}

/// A YAML double-quoted scalar holding exactly `s`.
pub(crate) fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The URL, cleaned the way browsers read it (tabs and line breaks removed, surrounding
/// spaces and control characters trimmed), if its scheme is `http`, `https` or `mailto`.
/// `relative` also accepts URLs without a scheme (relative paths, `#fragments`).
pub(crate) fn safe_url(url: &str, relative: bool) -> Option<String> {
    let cleaned: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c <= ' ' || c.is_control());
    if cleaned.is_empty() {
        return None;
    }
    let scheme_end = cleaned.find(':');
    let path_start = cleaned.find(['/', '?', '#']);
    match scheme_end {
        Some(i) if path_start.is_none_or(|p| i < p) => {
            let scheme = cleaned[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto").then(|| cleaned.to_owned())
        }
        _ if relative && !cleaned.starts_with('\\') => Some(cleaned.to_owned()),
        _ => None,
    }
}

/// A URL for a Markdown link destination: safe characters only (spaces, parentheses,
/// angle brackets and controls percent-encoded), or `None` if the scheme is not allowed.
pub(crate) fn md_url(url: &str) -> Option<String> {
    let url = safe_url(url, false)?;
    Some(percent_encode_unsafe(&url))
}

/// Percent-encodes the characters that end or break a Markdown link destination.
pub(crate) fn percent_encode_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '(' | ')' | '<' | '>' | '"' | '\\' | '`' | '[' | ']' | '{' | '}' | '|' | '^' => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a relative file path for a link: everything but unreserved ASCII and `/`.
pub(crate) fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The first `max` characters of `s` on one line, with `…` when cut.
pub(crate) fn snippet(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Prefixes every line with `> ` (blank lines with `>`).
pub(crate) fn quote_lines(s: &str) -> String {
    s.trim_end()
        .lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_owned()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The longest run of `c` in `s`.
pub(crate) fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut cur = 0;
    for ch in s.chars() {
        if ch == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// An inline code span showing `s` (one line) verbatim.
pub(crate) fn code_span(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    if s.starts_with('`') || s.ends_with('`') {
        format!("{ticks} {s} {ticks}")
    } else {
        format!("{ticks}{s}{ticks}")
    }
}

/// A code fence for `code`: backticks, longer than any backtick run inside (at least 3).
pub(crate) fn fence_for(code: &str) -> String {
    "`".repeat((longest_run(code, '`') + 1).max(3))
}

/// A fenced code block's info string: the first word of `lang`, restricted to characters
/// that are safe in an info string.
pub(crate) fn fence_lang(lang: Option<&str>) -> String {
    let lang = lang.unwrap_or("").split_whitespace().next().unwrap_or("");
    if lang.eq_ignore_ascii_case("unknown") {
        return String::new();
    }
    lang.chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '+' | '-' | '#' | '.' | '_'))
        .take(40)
        .collect()
}

/// A fenced code block holding `code` verbatim.
pub(crate) fn fenced(code: &str, lang: &str) -> String {
    let fence = fence_for(code);
    let body = code.strip_suffix('\n').unwrap_or(code);
    format!("{fence}{lang}\n{body}\n{fence}")
}

/// Closes a fenced code block left open at the end of `md` (a truncated answer), so it
/// cannot swallow what follows in the document. The closing fence gets the container
/// prefix of the opening one (`> `, list indentation) so it closes the right block.
pub(crate) fn close_open_fence(md: &str) -> String {
    let md = md.trim_end_matches(['\n', '\r']);
    let Some(open_at) = swallowing_fence(md) else {
        return md.to_owned();
    };
    let line_start = md[..open_at].rfind('\n').map_or(0, |i| i + 1);
    let line = md[line_start..].lines().next().unwrap_or("");
    let Some(fence_pos) = line.find("```").or_else(|| line.find("~~~")) else {
        return md.to_owned();
    };
    let fence_char = line[fence_pos..].chars().next().unwrap_or('`');
    let run = line[fence_pos..]
        .chars()
        .take_while(|c| *c == fence_char)
        .count();
    let prefix: String = line[..fence_pos]
        .chars()
        .map(|c| if c == '>' { '>' } else { ' ' })
        .collect();
    let mut out = format!("{md}\n{prefix}");
    out.extend(std::iter::repeat_n(fence_char, run));
    out
}

/// The byte offset of a fenced code block in `md` that would swallow any text written
/// after `md`, if there is one.
fn swallowing_fence(md: &str) -> Option<usize> {
    use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
    const SENTINEL: &str = "chatkeep-sentinel-5b1e";
    if !md.contains("```") && !md.contains("~~~") {
        return None;
    }
    let probe = format!("{md}\n\n{SENTINEL}");
    let opts = Options::ENABLE_TABLES | Options::ENABLE_GFM | Options::ENABLE_FOOTNOTES;
    let mut open: Option<usize> = None;
    for (event, range) in Parser::new_ext(&probe, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => open = Some(range.start),
            Event::End(TagEnd::CodeBlock) => open = None,
            Event::Text(t) if t.contains(SENTINEL) => return open.filter(|o| *o < md.len()),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escaping() {
        assert_eq!(md_inline("<script>"), "\\<script\\>");
        assert_eq!(md_inline("[x](javascript:y)"), "\\[x\\](javascript:y)");
        assert_eq!(md_inline("- item"), "\\- item");
        assert_eq!(md_inline("12. item"), "12\\. item");
        assert_eq!(md_inline("a\nb"), "a b");
        assert_eq!(
            md_inline("#tag %%c%% ==h== $x$ 5% Q&A &amp;"),
            "\\#tag \\%%c\\%% \\==h\\== \\$x\\$ 5% Q\\&A \\&amp;"
        );
        assert_eq!(md_paragraphs("a\nb\n\n\nc"), "a  \nb\n\nc");
    }

    #[test]
    fn yaml() {
        assert_eq!(yaml_quote("a \"b\": c\\"), r#""a \"b\": c\\""#);
        assert_eq!(yaml_quote("x\ny\u{7}"), r#""x\ny\x07""#);
    }

    #[test]
    fn urls() {
        assert_eq!(
            safe_url("https://a.b/c", false).as_deref(),
            Some("https://a.b/c")
        );
        assert_eq!(safe_url("java\tscript:alert(1)", true), None);
        assert_eq!(safe_url(" JAVASCRIPT:alert(1)", true), None);
        assert_eq!(safe_url("data:text/html,x", true), None);
        assert_eq!(safe_url("file:///etc", true), None);
        assert_eq!(safe_url("vbscript:x", true), None);
        assert_eq!(safe_url("../x:y", true).as_deref(), Some("../x:y"));
        assert_eq!(safe_url("#a", true).as_deref(), Some("#a"));
        assert_eq!(safe_url("#a", false), None);
        assert_eq!(
            md_url("https://a/b (c)").as_deref(),
            Some("https://a/b%20%28c%29")
        );
        assert_eq!(percent_encode_path("my dir/ä.png"), "my%20dir/%C3%A4.png");
    }

    #[test]
    fn code_spans() {
        assert_eq!(code_span("javascript:x"), "`javascript:x`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`a"), "`` `a ``");
        assert_eq!(code_span("a\nb"), "`a b`");
    }

    #[test]
    fn fences() {
        assert_eq!(fence_for("a ``` b"), "````");
        assert_eq!(fence_for("x"), "```");
        assert_eq!(fence_lang(Some("python title=x")), "python");
        assert_eq!(fence_lang(Some("unknown")), "");
        assert_eq!(fence_lang(Some("c`x")), "cx");
        assert_eq!(close_open_fence("a\n```py\nx\n"), "a\n```py\nx\n```");
        assert_eq!(close_open_fence("a\n````\nx\n````\n"), "a\n````\nx\n````");
        assert_eq!(close_open_fence("~~~\n```\n"), "~~~\n```\n~~~");
        // Inside a container the fence ends with the container.
        assert_eq!(close_open_fence("- a\n  ```\n  x"), "- a\n  ```\n  x");
        assert_eq!(close_open_fence("> ```\n> x"), "> ```\n> x");
        assert_eq!(close_open_fence("x ``` y"), "x ``` y");
    }
}
