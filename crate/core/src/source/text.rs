//! Text clean-up shared by the readers: TeX delimiters to `$…$`/`$$…$$`, private-use
//! citation markers removed. Both leave code (fenced blocks and inline spans) untouched.

use std::borrow::Cow;

/// The private-use range ChatGPT uses for citation markers.
pub(crate) fn is_marker_char(c: char) -> bool {
    ('\u{E200}'..='\u{E2FF}').contains(&c)
}

/// Whether `s` holds a character of U+E200–U+E2FF (UTF-8 `EE 88..8B xx`): a byte search,
/// as this runs over every text of every conversation.
pub(crate) fn has_marker(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(0xEE, b).any(|i| b.get(i + 1).is_some_and(|&n| (0x88..=0x8B).contains(&n)))
}

/// Removes every private-use marker. Unresolved `\u{E200}kind\u{E202}arg…\u{E201}` groups are
/// dropped whole, except `entity` markers, which become their display name.
pub(crate) fn strip_markers(s: &str) -> Cow<'_, str> {
    if !has_marker(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((i, c)) = rest.char_indices().find(|&(_, c)| is_marker_char(c)) {
        out.push_str(&rest[..i]);
        let after = &rest[i + c.len_utf8()..];
        if c == '\u{E200}' {
            if let Some(end) = after.find('\u{E201}') {
                let group = &after[..end];
                if let Some(name) = entity_name(group) {
                    out.push_str(&name);
                }
                rest = &after[end + '\u{E201}'.len_utf8()..];
                continue;
            }
        }
        rest = after;
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Line ends as `\n`: `\r\n` (Windows) and a lone `\r` (old Mac) both become `\n`, so no
/// output holds a CR (a CR alone ends a line for CommonMark, splitting every paragraph).
pub(crate) fn normalize_newlines(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

/// [`normalize_newlines`] on a string in place.
pub(crate) fn normalize_newlines_in(s: &mut String) {
    if let Cow::Owned(n) = normalize_newlines(s) {
        *s = n;
    }
}

/// `entity\u{E202}["people","Name","…"]` → `Name`.
fn entity_name(group: &str) -> Option<String> {
    let mut args = group.split('\u{E202}');
    if args.next()? != "entity" {
        return None;
    }
    let arr: Vec<serde_json::Value> = serde_json::from_str(args.next()?).ok()?;
    let name = arr.get(1)?.as_str()?;
    Some(name.chars().filter(|&c| !is_marker_char(c)).collect())
}

/// Rewrites TeX delimiters outside code: `\(x\)` → `$x$`, `\[x\]` → `$$x$$`, and escapes a
/// lone `$` that starts an amount (`$5`) so Markdown renderers don't read it as math.
pub(crate) fn normalize_math(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let has_tex = memchr::memchr_iter(b'\\', b).any(|i| matches!(b.get(i + 1), Some(b'(' | b'[')));
    if !has_tex && memchr::memchr(b'$', b).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut prose = String::new();
    let mut fence: Option<(u8, usize)> = None;
    for line in s.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let run = |ch: u8| trimmed.bytes().take_while(|&b| b == ch).count();
        match fence {
            Some((ch, len)) => {
                out.push_str(line);
                if run(ch) >= len && trimmed[run(ch)..].trim().is_empty() {
                    fence = None;
                }
            }
            None => {
                let (b, t) = (run(b'`'), run(b'~'));
                if b >= 3 || t >= 3 {
                    inline(&prose, &mut out);
                    prose.clear();
                    fence = Some(if b >= 3 { (b'`', b) } else { (b'~', t) });
                    out.push_str(line);
                } else {
                    prose.push_str(line);
                }
            }
        }
    }
    inline(&prose, &mut out);
    Cow::Owned(out)
}

/// Byte ranges of `s` that Markdown shows as code: fenced blocks (fence lines included) and
/// inline code spans. Text put there shows literally, so citations must not go there.
pub(crate) fn code_ranges(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    if memchr::memchr2(b'`', b'~', b).is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut fence: Option<(u8, usize, usize)> = None;
    let mut prose_start = 0;
    let mut pos = 0;
    let inline_spans = |from: usize, to: usize, out: &mut Vec<(usize, usize)>| {
        let mut i = from;
        while i < to {
            if b[i] == b'`' {
                let k = b[i..to].iter().take_while(|&&c| c == b'`').count();
                match find_backtick_run(&b[..to], i + k, k) {
                    Some(end) => {
                        out.push((i, end + k));
                        i = end + k;
                    }
                    None => i += k,
                }
            } else {
                i += 1;
            }
        }
    };
    for line in s.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let trimmed = line.trim_start();
        let run = |ch: u8| trimmed.bytes().take_while(|&c| c == ch).count();
        match fence {
            Some((ch, len, open)) => {
                if run(ch) >= len && trimmed[run(ch)..].trim().is_empty() {
                    out.push((open, pos));
                    fence = None;
                    prose_start = pos;
                }
            }
            None => {
                let (bt, tl) = (run(b'`'), run(b'~'));
                if bt >= 3 || tl >= 3 {
                    inline_spans(prose_start, start, &mut out);
                    fence = Some(if bt >= 3 {
                        (b'`', bt, start)
                    } else {
                        (b'~', tl, start)
                    });
                }
            }
        }
    }
    match fence {
        Some((_, _, open)) => out.push((open, s.len())),
        None => inline_spans(prose_start, s.len(), &mut out),
    }
    crate::sort::sort_by(&mut out, Ord::cmp);
    out
}

/// ChatGPT's directive blocks (`:::contextList` … `:::`) as plain content: the fence lines
/// go (a blank line keeps the blocks apart), what is inside stays. Code is left alone.
pub(crate) fn strip_directives(s: &str) -> Cow<'_, str> {
    if memchr::memmem::find(s.as_bytes(), b":::").is_none() {
        return Cow::Borrowed(s);
    }
    let code = code_ranges(s);
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    let mut changed = false;
    for line in s.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let t = line.trim();
        let directive = t.strip_prefix(":::").is_some_and(|rest| {
            !rest.starts_with(':')
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        if directive && !code.iter().any(|&(a, b)| a <= start && start < b) {
            out.push('\n');
            changed = true;
        } else {
            out.push_str(line);
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// Moves footnote references that follow the last `|` of a table row into its last cell
/// (`| 371,000 |[^1]` → `| 371,000 [^1] |`): after the row's end, GFM drops them.
pub(crate) fn citations_into_cells(s: &str) -> Cow<'_, str> {
    // Only a text with `|[^` or `| [^` can change: one scan for `[^`, each checked for the
    // `|` before it (instead of one scan per pattern).
    let b = s.as_bytes();
    let after_bar = |i: usize| b[..i].ends_with(b"|") || b[..i].ends_with(b"| ");
    if !memchr::memmem::find_iter(b, b"[^").any(after_bar) {
        return Cow::Borrowed(s);
    }
    let code = code_ranges(s);
    let mut out = String::with_capacity(s.len() + 8);
    let mut pos = 0;
    let mut changed = false;
    for line in s.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let in_code = code.iter().any(|&(a, b)| a <= start && start < b);
        let body = line.trim_end_matches(['\n', '\r']);
        let eol = &line[body.len()..];
        let t = body.trim_end();
        // The footnote references at the end of the line.
        let mut refs_start = t.len();
        while let Some(open) = t[..refs_start].rfind("[^") {
            let inner = &t[open + 2..refs_start];
            if refs_start > open + 3
                && inner.ends_with(']')
                && inner[..inner.len() - 1].bytes().all(|c| c.is_ascii_digit())
            {
                refs_start = open;
            } else {
                break;
            }
        }
        let before = t[..refs_start].trim_end();
        if in_code
            || refs_start == t.len()
            || !before.ends_with('|')
            || !before.trim_start().starts_with('|')
            || before.len() < 2
        {
            out.push_str(line);
            continue;
        }
        out.push_str(before[..before.len() - 1].trim_end());
        out.push(' ');
        out.push_str(&t[refs_start..]);
        out.push_str(" |");
        out.push_str(eol);
        changed = true;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// The inline pass over prose (no fenced code inside).
fn inline(s: &str, out: &mut String) {
    let b = s.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'`' => {
                let k = b[i..].iter().take_while(|&&c| c == b'`').count();
                i = match find_backtick_run(b, i + k, k) {
                    Some(end) => end + k,
                    None => i + k,
                };
            }
            b'\\' if i + 1 < b.len() => {
                let (open, close, delim) = match b[i + 1] {
                    b'(' => ("\\(", "\\)", "$"),
                    b'[' => ("\\[", "\\]", "$$"),
                    _ => {
                        i += 2;
                        continue;
                    }
                };
                let body_start = i + open.len();
                match s[body_start..].find(close) {
                    Some(rel) if !s[body_start..body_start + rel].contains("\n\n") => {
                        let body = &s[body_start..body_start + rel];
                        out.push_str(&s[copied..i]);
                        out.push_str(delim);
                        out.push_str(if delim == "$" { body.trim() } else { body });
                        out.push_str(delim);
                        i = body_start + rel + close.len();
                        copied = i;
                    }
                    _ => i += 2,
                }
            }
            b'$' => {
                if b.get(i + 1) == Some(&b'$') {
                    i += 2;
                } else if b.get(i + 1).is_some_and(u8::is_ascii_digit)
                    || b.get(i + 1).is_none_or(u8::is_ascii_whitespace)
                        && (i == 0 || b[i - 1].is_ascii_whitespace())
                {
                    // `$5`, or a lone `$`: an amount, not math (`$x$ ` closes, so it stays).
                    out.push_str(&s[copied..i]);
                    out.push_str("\\$");
                    i += 1;
                    copied = i;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&s[copied..]);
}

/// Finds the next run of exactly `k` backticks at or after `from`.
fn find_backtick_run(b: &[u8], from: usize, k: usize) -> Option<usize> {
    let mut j = from;
    while j < b.len() {
        if b[j] == b'`' {
            let n = b[j..].iter().take_while(|&&c| c == b'`').count();
            if n == k {
                return Some(j);
            }
            j += n;
        } else {
            j += 1;
        }
    }
    None
}

/// A line that opens or closes a code fence: three or more backticks or tildes after any
/// number of spaces, and (for backticks) an info string without a backtick, as CommonMark
/// requires. Returns the fence character, its length, the info string and the indentation
/// (CommonMark only counts it as a fence with at most three spaces).
fn fence_line(line: &str) -> Option<(u8, usize, &str, usize)> {
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    let rest = &line[indent..];
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let n = rest.bytes().take_while(|&b| b == ch).count();
    let info = &rest[n..];
    (n >= 3 && !(ch == b'`' && info.contains('`'))).then_some((ch, n, info, indent))
}

/// The user's words as Markdown that shows them as typed (ChatGPT shows prompts literally):
/// each line goes through the writers' one escaper ([`md_line`](crate::render::escape::md_line):
/// markup characters and block markers at a line start are escaped), line breaks are kept,
/// fenced code blocks stay code blocks.
///
/// A line is left unescaped only where every CommonMark reader sees code, or raw HTML in it
/// would be live: inside a real fence, or inside a fence indented by four spaces or more
/// (as in a nested list) that starts after a blank line, as long as its lines stay indented
/// by four (CommonMark's indented code block).
pub(crate) fn plain_to_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    // (fence character, length, indented by four or more)
    let mut fence: Option<(u8, usize, bool)> = None;
    let lines: Vec<&str> = s.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        if let Some((_, _, true)) = fence {
            if indent < 4 && !line.trim().is_empty() {
                // The indented code block ends here for CommonMark.
                fence = None;
            }
        }
        let verbatim = match fence {
            Some((ch, len, indented)) => {
                if fence_line(line).is_some_and(|(c, n, info, ind)| {
                    c == ch && n >= len && info.trim().is_empty() && (indented || ind <= 3)
                }) {
                    fence = None;
                }
                true
            }
            None => match fence_line(line) {
                Some((c, n, _, ind)) if ind <= 3 || i == 0 || lines[i - 1].trim().is_empty() => {
                    fence = Some((c, n, ind > 3));
                    true
                }
                _ => false,
            },
        };
        if verbatim {
            out.push_str(line);
        } else {
            out.push_str(&crate::render::escape::md_line(line));
            // A line followed by another line of the same paragraph: a hard break.
            let next_blank = lines.get(i + 1).is_none_or(|n| n.trim().is_empty());
            if !last && !line.trim().is_empty() && !next_blank {
                out.push_str("  ");
            }
        }
        if !last {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_delimiters() {
        assert_eq!(normalize_math(r"a \( x^2 \) b"), "a $x^2$ b");
        assert_eq!(normalize_math("\\[\nE=mc^2\n\\]\n"), "$$\nE=mc^2\n$$\n");
        assert_eq!(normalize_math("costs $5 or $ 6"), "costs \\$5 or \\$ 6");
        assert_eq!(normalize_math("$x$ then $y$."), "$x$ then $y$.");
        assert_eq!(normalize_math("keep $x$ and $$y$$"), "keep $x$ and $$y$$");
        assert_eq!(normalize_math("`\\(a\\)` \\(b\\)"), "`\\(a\\)` $b$");
        assert_eq!(
            normalize_math("```\n\\(a\\) $5\n```\n\\(b\\)"),
            "```\n\\(a\\) $5\n```\n$b$"
        );
        assert_eq!(normalize_math("no close \\( here"), "no close \\( here");
        assert_eq!(normalize_math("plain"), "plain");
    }

    #[test]
    fn plain_text() {
        assert_eq!(
            plain_to_markdown("a *b* <i>\nnext $5\n\nnew"),
            "a \\*b\\* \\<i\\>  \nnext \\$5\n\nnew"
        );
        assert_eq!(plain_to_markdown("# not a heading"), "\\# not a heading");
        assert_eq!(
            plain_to_markdown("```js\nlet a = <b>;\n```\nafter"),
            "```js\nlet a = <b>;\n```\nafter"
        );
    }

    /// Regression: lines that look like a fence but are not one for CommonMark (a backtick
    /// in the info string, four spaces of indentation) left the following raw HTML unescaped.
    #[test]
    fn only_real_fences_stay_unescaped() {
        assert_eq!(
            plain_to_markdown("``` and ```\n<script>x</script>"),
            "\\`\\`\\` and \\`\\`\\`  \n\\<script\\>x\\</script\\>"
        );
        assert_eq!(
            plain_to_markdown("text\n    ```\n<b onclick=x>"),
            "text  \n    \\`\\`\\`  \n\\<b onclick=x\\>"
        );
        // Indented by four after a blank line (a fence in a nested list): code while its
        // lines stay indented, escaped again when they don't.
        assert_eq!(
            plain_to_markdown("a\n\n    ```json\n    {\"a_b\": 1}\n    ```"),
            "a\n\n    ```json\n    {\"a_b\": 1}\n    ```"
        );
        assert_eq!(
            plain_to_markdown("a\n\n    ```\n<script>x</script>"),
            "a\n\n    ```\n\\<script\\>x\\</script\\>"
        );
        // A fence indented by up to three spaces is one; inside it, nothing is escaped.
        assert_eq!(
            plain_to_markdown("   ~~~\n<b>\n   ~~~"),
            "   ~~~\n<b>\n   ~~~"
        );
    }

    #[test]
    fn table_citations() {
        assert_eq!(
            citations_into_cells("| a | b |\n|---|---|\n| 1 | 371,000 |[^1][^2]\nafter [^3]\n"),
            "| a | b |\n|---|---|\n| 1 | 371,000 [^1][^2] |\nafter [^3]\n"
        );
        assert_eq!(
            citations_into_cells("```\n| x |[^1]\n```\n"),
            "```\n| x |[^1]\n```\n"
        );
        assert_eq!(citations_into_cells("|[^1]"), "|[^1]");
        // With a space between the row's end and the reference, and first in the text.
        assert_eq!(citations_into_cells("| 1 | 2 | [^1]\n"), "| 1 | 2 [^1] |\n");
        assert_eq!(citations_into_cells("[^1] |"), "[^1] |");
    }

    #[test]
    fn directives() {
        assert_eq!(
            strip_directives("a\n\n:::contextList\n**Canva**\n:::\n\n```\n:::x\n```\n"),
            "a\n\n\n**Canva**\n\n\n```\n:::x\n```\n"
        );
        assert_eq!(strip_directives("a ::: b"), "a ::: b");
    }

    #[test]
    fn code_spans() {
        let s = "a `b` c\n```\nx\n```\nd ``e`` f `g";
        let r: Vec<&str> = code_ranges(s).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(r, ["`b`", "```\nx\n```\n", "``e``"]);
    }

    #[test]
    fn line_ends() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
        assert!(matches!(normalize_newlines("a\nb"), Cow::Borrowed(_)));
        assert_eq!(
            plain_to_markdown(&normalize_newlines("line one\r\n  indented\r\n")),
            "line one  \n  indented\n"
        );
    }

    #[test]
    fn markers() {
        assert_eq!(
            strip_markers("a\u{E200}cite\u{E202}turn0search2\u{E201} b"),
            "a b"
        );
        assert_eq!(
            strip_markers("\u{E200}entity\u{E202}[\"people\",\"Ada\",\"x\"]\u{E201} wrote"),
            "Ada wrote"
        );
        assert_eq!(strip_markers("\u{E203}said\u{E204}\u{E206}"), "said");
        assert_eq!(strip_markers("dangling \u{E200}cite"), "dangling cite");
    }
}
