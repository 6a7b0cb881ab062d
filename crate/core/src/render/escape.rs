//! Escaping of untrusted strings for Markdown, YAML and URLs.

/// The characters that always get a backslash in plain text written as Markdown: each
/// can open a construct somewhere in CommonMark, GFM or a common extension (`\\` escapes,
/// `` ` `` code, `*` `_` emphasis, `[` `]` links, `<` `>` raw HTML, autolinks and quotes,
/// `|` table cells, `~` strike-through, `$` math, `#` headings and Obsidian tags, `^`
/// footnotes). All are ASCII punctuation, so a backslash before them is always a safe
/// CommonMark escape that renders as the character itself.
pub(crate) const MD_SPECIAL: &[u8] = b"\\`*_[]<>|~$#^";

/// Appends `text` to `out` as Markdown inline text that renders as the same characters.
///
/// This is chatkeep's one Markdown escaper for plain text; every reader and writer that
/// puts plain text into Markdown goes through it. The rules:
/// - every character of [`MD_SPECIAL`] gets a backslash;
/// - `&` gets one when an entity could follow (`&amp;`, `&#38;`), so `Q&A` stays as it is;
/// - `%` and `=` get one when doubled (Obsidian comments `%%` and highlights `==`);
/// - every other character is kept as it is.
///
/// It only escapes: whitespace and control characters are the caller's to clean
/// ([`md_inline`] makes line breaks spaces and drops controls, [`md_line`] takes one line). What starts a block at the beginning of a
/// line is [`md_line`]'s job.
pub(crate) fn push_md_text(out: &mut String, text: &str) {
    // Byte by byte (every character the rules name is ASCII, and a byte under 0x80 is
    // always a whole character), copying the runs between escapes whole: the one-click
    // save and the export page run this on every user message.
    let bytes = text.as_bytes();
    out.reserve(text.len());
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match MD_ESCAPE[b as usize] {
            ALWAYS => true,
            AMPERSAND => bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'#'),
            DOUBLED => bytes.get(i + 1) == Some(&b),
            _ => false,
        };
        if escape {
            // `i` is an ASCII byte, so a character boundary.
            out.push_str(&text[from..i]);
            out.push('\\');
            from = i;
        }
    }
    out.push_str(&text[from..]);
}

/// What [`push_md_text`] does before each byte: nothing (`KEEP`, also every byte of a
/// character outside ASCII), a backslash (`ALWAYS`: [`MD_SPECIAL`]), one when an entity
/// could follow (`AMPERSAND`), one when the next byte is the same (`DOUBLED`: `%`, `=`).
const MD_ESCAPE: [u8; 256] = {
    let mut class = [KEEP; 256];
    let mut i = 0;
    while i < MD_SPECIAL.len() {
        class[MD_SPECIAL[i] as usize] = ALWAYS;
        i += 1;
    }
    class[b'&' as usize] = AMPERSAND;
    class[b'%' as usize] = DOUBLED;
    class[b'=' as usize] = DOUBLED;
    class
};
const KEEP: u8 = 0;
const ALWAYS: u8 = 1;
const AMPERSAND: u8 = 2;
const DOUBLED: u8 = 3;

/// One line of plain text as Markdown that renders as the same characters, also at the
/// start of a line: [`push_md_text`], then [`escape_line_start`]. Indentation is kept.
pub(crate) fn md_line(line: &str) -> String {
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    let mut out = String::with_capacity(line.len() + 8);
    out.push_str(&line[..indent]);
    push_md_text(&mut out, &line[indent..]);
    // Four spaces in: a paragraph's continuation or an indented code block, where no block
    // marker opens.
    if indent <= 3 {
        if let Some(at) = line_start_marker(&out[indent..]) {
            out.insert(indent + at, '\\');
        }
    }
    out
}

/// A line of escaped Markdown (text from [`push_md_text`], or markup that opens with none of
/// these) with a backslash before a block marker at its start: `-`, `+`, `=` (list items,
/// setext underlines, thematic breaks) and `1.`, `1)` (ordered lists). `#`, `>`, `*` and
/// `` ` `` need nothing here: [`push_md_text`] escapes them everywhere.
pub(crate) fn escape_line_start(line: &str) -> String {
    match line_start_marker(line) {
        Some(at) => format!("{}\\{}", &line[..at], &line[at..]),
        None => line.to_owned(),
    }
}

/// Where [`escape_line_start`] puts its backslash, if anywhere.
fn line_start_marker(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    match bytes.first() {
        Some(b'-' | b'+' | b'=') => Some(0),
        Some(b'0'..=b'9') => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            matches!(bytes.get(digits), Some(b'.' | b')')).then_some(digits)
        }
        _ => None,
    }
}

/// Plain text as one line of Markdown that renders as the same characters and can start
/// no construct (link, emphasis, code, HTML, math, footnote, Obsidian tag or comment) nor,
/// at the start of a line, a block. Line breaks and tabs become spaces (one for a run),
/// and the ends are trimmed. See [`push_md_text`] for the character set.
pub(crate) fn md_inline(s: &str) -> String {
    let mut flat = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}' => {
                if !flat.ends_with(' ') {
                    flat.push(' ');
                }
            }
            c if c.is_control() => {}
            c => flat.push(c),
        }
    }
    md_line(flat.trim())
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
    // memchr's searcher: `str::contains` here was 4% of converting the real export to
    // Markdown (every answer is looked through).
    let has = |fence: &[u8]| memchr::memmem::find(md.as_bytes(), fence).is_some();
    if !has(b"```") && !has(b"~~~") {
        return None;
    }
    let probe = format!("{md}\n\n{SENTINEL}");
    let opts = Options::ENABLE_TABLES | Options::ENABLE_GFM | Options::ENABLE_FOOTNOTES;
    let mut open: Option<usize> = None;
    for (event, range) in Parser::new_ext(&probe, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => open = Some(range.start),
            Event::End(TagEnd::CodeBlock) => open = None,
            // Only the probe's own line can hold it, not a chat text that quotes it.
            Event::Text(t) if range.end > md.len() && t.contains(SENTINEL) => {
                return open.filter(|o| *o < md.len())
            }
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

    /// Every character of the set, alone and inside a word, comes back behind one backslash;
    /// every other ASCII punctuation character comes back as it is.
    #[test]
    fn every_special_character() {
        for &c in MD_SPECIAL {
            let c = char::from(c);
            let mut out = String::new();
            push_md_text(&mut out, &format!("a{c}b"));
            assert_eq!(out, format!("a\\{c}b"), "{c:?}");
        }
        for c in (b'!'..=b'~').map(char::from) {
            if c.is_ascii_punctuation() && !MD_SPECIAL.contains(&(c as u8)) {
                let mut out = String::new();
                push_md_text(&mut out, &format!("a{c} b"));
                assert_eq!(out, format!("a{c} b"), "{c:?}");
            }
        }
        let mut out = String::new();
        push_md_text(&mut out, "&#38; &x &; & %% % == = tab\there\u{7}");
        assert_eq!(out, "\\&\\#38; \\&x &; & \\%% % \\== = tab\there\u{7}");
    }

    /// The byte-wise escaper writes what the rules say character by character, on random
    /// texts of the characters that matter, a space, a line break and characters of 2, 3 and
    /// 4 bytes (so that a rule's "next character" is sometimes not ASCII).
    #[test]
    fn byte_wise_escaping_is_the_rules() {
        fn by_the_rules(text: &str) -> String {
            let mut out = String::new();
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                let next = chars.peek().copied();
                let escape = c.is_ascii() && MD_SPECIAL.contains(&(c as u8))
                    || c == '&' && next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#')
                    || matches!(c, '%' | '=') && next == Some(c);
                if escape {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }
        let alphabet: Vec<char> = "\\`*_[]<>|~$#^&%=-+.)1aZ#; \né中😀".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let text: String = (0..len)
                .map(|k| alphabet[((seed >> (k * 5)) % alphabet.len() as u64) as usize])
                .collect();
            let mut out = String::new();
            push_md_text(&mut out, &text);
            assert_eq!(out, by_the_rules(&text), "{text:?}");
            let line = format!("{}{text}", " ".repeat((seed >> 60) as usize % 6));
            assert_eq!(md_line(&line), old_md_line(&line, by_the_rules), "{line:?}");
        }
    }

    /// [`md_line`] as it was written before: escape the rest, then the line start.
    fn old_md_line(line: &str, escape: fn(&str) -> String) -> String {
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        let (lead, rest) = line.split_at(indent);
        let out = escape(rest);
        if indent > 3 {
            return format!("{lead}{out}");
        }
        format!("{lead}{}", escape_line_start(&out))
    }

    #[test]
    fn line_start_markers() {
        for (line, want) in [
            ("- a", "\\- a"),
            ("+ a", "\\+ a"),
            ("---", "\\---"),
            ("===", "\\=\\=="),
            ("== a", "\\== a"),
            ("1. a", "1\\. a"),
            ("2024) a", "2024\\) a"),
            ("   - a", "   \\- a"),
            ("# a", "\\# a"),
            ("> a", "\\> a"),
            ("* a", "\\* a"),
            ("```", "\\`\\`\\`"),
            // A number and a dot always: whether a list opens depends on what follows.
            ("3.14", "3\\.14"),
            // Not markers: mid-line, a number without `.`/`)`, four spaces in.
            ("a - b", "a - b"),
            ("1 a", "1 a"),
            ("    - a", "    - a"),
        ] {
            assert_eq!(md_line(line), want, "{line:?}");
        }
        assert_eq!(escape_line_start("**b**"), "**b**");
        assert_eq!(md_inline("  \n - a"), "\\- a");
    }

    /// Raw HTML in plain text stays text: no `<` reaches the output unescaped, so no tag,
    /// comment or autolink can open.
    #[test]
    fn raw_html_stays_text() {
        use pulldown_cmark::{Event, Parser};
        let text = "<b onclick=x>hi</b> <!-- c --> <https://a.example> &lt;i&gt; <img src=x>";
        let md = md_inline(text);
        for event in Parser::new(&md) {
            assert!(
                !matches!(
                    event,
                    Event::Html(_) | Event::InlineHtml(_) | Event::Start(_)
                ) || matches!(event, Event::Start(pulldown_cmark::Tag::Paragraph)),
                "{event:?} in {md}"
            );
        }
        let shown: String = Parser::new(&md)
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.into_string()),
                _ => None,
            })
            .collect();
        assert_eq!(shown, text);
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
        // A chat text that quotes the probe's sentinel does not stop the search early.
        assert_eq!(
            close_open_fence("chatkeep-sentinel-5b1e\n\n```\ncode"),
            "chatkeep-sentinel-5b1e\n\n```\ncode\n```"
        );
    }
}
