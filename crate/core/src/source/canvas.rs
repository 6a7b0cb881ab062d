//! Canvas documents: replaying the model's edits (`canmore.update_textdoc`), and the lines
//! an edit changed, as a unified diff.

use super::raw;

/// The patterns ChatGPT's Canvas tool reads as "the whole document".
const WHOLE: &[&str] = &[
    ".*",
    "(?s).*",
    "^.*$",
    "(?s)^.*$",
    "[\\s\\S]*",
    "^[\\s\\S]*$",
];

/// `body` after the edits `updates`, and whether one of them rewrote the whole document;
/// `None` if one of them cannot be replayed here: a regular expression other than "the
/// whole document", or a literal pattern that is not in the document.
pub(crate) fn apply(body: &str, updates: &[raw::CanvasUpdate<'_>]) -> Option<(String, bool)> {
    let mut body = body.to_owned();
    let mut whole = false;
    for u in updates {
        let pattern = u.pattern.as_deref().unwrap_or("");
        let replacement = expand(u.replacement.as_deref().unwrap_or(""))?;
        let replacement = replacement.as_str();
        if WHOLE.contains(&pattern) {
            body = replacement.to_owned();
            whole = true;
        } else if let Some(literal) = literal_of(pattern).filter(|l| body.contains(l.as_str())) {
            body = if u.multiple == Some(true) {
                body.replace(&literal, replacement)
            } else {
                body.replacen(&literal, replacement, 1)
            };
        } else {
            return None;
        }
    }
    Some((body, whole))
}

/// The text a regular expression matches when it is plain text (punctuation may be escaped:
/// `<div class=\\"box\\">`); `None` for an empty pattern or one using any operator.
fn literal_of(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(e) if e.is_ascii_punctuation() => out.push(e),
                _ => return None,
            },
            '.' | '^' | '$' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
                return None
            }
            c => out.push(c),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A replacement as the Canvas tool reads it (Python's `re` template, `match.expand`):
/// `\\` is a backslash, `\n`, `\t` … are control characters, other punctuation after a
/// backslash stays as written; `None` for a group reference or an unknown letter escape (the
/// tool fails on those with a literal pattern).
fn expand(r: &str) -> Option<String> {
    if !r.contains('\\') {
        return Some(r.to_owned());
    }
    let mut out = String::with_capacity(r.len());
    let mut it = r.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some(c) if c.is_ascii_alphanumeric() => return None,
            Some(c) => {
                out.push('\\');
                out.push(c);
            }
            None => return None,
        }
    }
    Some(out)
}

/// Edits that could not be replayed, as written: `@@ /<pattern>/ @@` and the replacement's
/// lines as added lines, for each.
pub(crate) fn edit_as_written(updates: &[raw::CanvasUpdate<'_>]) -> String {
    let mut out = String::new();
    for u in updates {
        let pattern = u.pattern.as_deref().unwrap_or("");
        out.push_str(&format!("@@ /{}/ @@\n", pattern.replace(['\r', '\n'], " ")));
        for line in u.replacement.as_deref().unwrap_or("").lines() {
            out.push('+');
            out.push_str(line);
            out.push('\n');
        }
    }
    out.pop();
    out
}

/// Lines of context around each change.
const CONTEXT: usize = 2;
/// Above this many (old × new) changed lines, the changed middle is one hunk instead of a
/// line-by-line comparison (bounded time and memory).
const MAX_CELLS: usize = 1_000_000;

/// One line of a diff.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Same,
    Removed,
    Added,
}

/// The lines that differ between `old` and `new`, as a unified diff (hunks with
/// `@@ -a,b +c,d @@` headers and two lines of context). Empty if they are the same.
pub(crate) fn unified_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    if am.is_empty() && bm.is_empty() {
        return String::new();
    }
    // Every line as (op, index in old, index in new).
    let mut ops: Vec<(Op, usize, usize)> = (0..prefix).map(|i| (Op::Same, i, i)).collect();
    ops.extend(
        middle(am, bm)
            .into_iter()
            .map(|(op, i, j)| (op, prefix + i, prefix + j)),
    );
    let (ea, eb) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|k| (Op::Same, ea + k, eb + k)));

    // Hunks: runs of changes with their context, merged when the context overlaps.
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != Op::Same).collect();
    let mut out = String::new();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CONTEXT + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        let old_n = hunk.iter().filter(|o| o.0 != Op::Added).count();
        let new_n = hunk.iter().filter(|o| o.0 != Op::Removed).count();
        let line_no = |n: usize, at: usize| if n == 0 { at } else { at + 1 };
        out.push_str(&format!(
            "@@ -{},{old_n} +{},{new_n} @@\n",
            line_no(old_n, hunk[0].1),
            line_no(new_n, hunk[0].2)
        ));
        for &(op, i, j) in hunk {
            let (mark, line) = match op {
                Op::Same => (' ', a[i]),
                Op::Removed => ('-', a[i]),
                Op::Added => ('+', b[j]),
            };
            out.push(mark);
            out.push_str(line);
            out.push('\n');
        }
    }
    out.pop();
    out
}

/// The changed middle, line by line (longest common subsequence); one block of removals
/// then additions when it is too large to compare.
fn middle(a: &[&str], b: &[&str]) -> Vec<(Op, usize, usize)> {
    let (n, m) = (a.len(), b.len());
    let mut ops = Vec::with_capacity(n + m);
    if n.saturating_mul(m) > MAX_CELLS {
        ops.extend((0..n).map(|i| (Op::Removed, i, 0)));
        ops.extend((0..m).map(|j| (Op::Added, n, j)));
        return ops;
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let w = m + 1;
    let mut lcs = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((Op::Same, i, j));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j]) {
            ops.push((Op::Added, i, j));
            j += 1;
        } else {
            ops.push((Op::Removed, i, j));
            i += 1;
        }
    }
    // Removals before additions within each run of changes, as diffs are read.
    let mut k = 0;
    while k < ops.len() {
        if ops[k].0 == Op::Same {
            k += 1;
            continue;
        }
        let end = (k..ops.len())
            .find(|&e| ops[e].0 == Op::Same)
            .unwrap_or(ops.len());
        crate::sort::sort_by_key(&mut ops[k..end], |o| o.0 == Op::Added);
        k = end;
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_only_the_changed_lines_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nk";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nk\nj";
        assert_eq!(
            unified_diff(old, new),
            "@@ -3,5 +3,5 @@\n c\n d\n-e\n+E\n f\n g\n@@ -9,2 +9,3 @@\n i\n k\n+j"
        );
        // A line added at the end: the two lines before it as context.
        assert_eq!(
            unified_diff("1\n2\n3\n4\n5\n6", "1\n2\n3\n4\n5\n6\n7"),
            "@@ -5,2 +5,3 @@\n 5\n 6\n+7"
        );
        assert_eq!(unified_diff("same\ntext", "same\ntext"), "");
        assert_eq!(unified_diff("", "new"), "@@ -0,0 +1,1 @@\n+new");
        assert_eq!(unified_diff("x\ny", "x"), "@@ -1,2 +1,1 @@\n x\n-y");
        // Close changes share one hunk; a replaced run shows its removals first.
        assert_eq!(
            unified_diff("1\n2\n3\n4\n5", "1\nX\nY\n3\nZ\n5"),
            "@@ -1,5 +1,6 @@\n 1\n-2\n+X\n+Y\n 3\n-4\n+Z\n 5"
        );
    }

    #[test]
    fn edits_replay_literally_or_not_at_all() {
        let up = |p: &str, r: &str, multiple: Option<bool>| raw::CanvasUpdate {
            pattern: Some(p.to_owned().into()),
            replacement: Some(r.to_owned().into()),
            multiple,
        };
        let applied = |body: &str, u: raw::CanvasUpdate<'_>| apply(body, &[u]);
        assert_eq!(
            applied("a b a", up("a", "x", None)),
            Some(("x b a".to_owned(), false))
        );
        assert_eq!(
            applied("a b a", up("a", "x", Some(true))),
            Some(("x b x".to_owned(), false))
        );
        assert_eq!(
            applied("old", up(".*", "new", None)),
            Some(("new".to_owned(), true))
        );
        assert_eq!(
            edit_as_written(&[up("<h3>(.*)</h3>", "<h2>A</h2>\n<p>B</p>", None)]),
            "@@ /<h3>(.*)</h3>/ @@\n+<h2>A</h2>\n+<p>B</p>"
        );
        assert_eq!(apply("a b", &[up("missing", "x", None)]), None);
        // The replacement is a template: `\\` is one backslash, `\n` a line break.
        assert_eq!(
            applied("a", up("a", "x.replace(/\\\\s+/g)\\n\\/", None)),
            Some(("x.replace(/\\s+/g)\n\\/".to_owned(), false))
        );
        assert_eq!(applied("a", up("a", "\\d", None)), None);
        assert_eq!(applied("a", up("a", "\\1", None)), None);
        assert_eq!(apply("a b", &[up("a\\s+b", "x", None)]), None);
        // Escaped punctuation is still plain text.
        assert_eq!(
            applied(
                "<div class=\"box\">",
                up("<div class=\\\"box\\\">", "<p>", None)
            ),
            Some(("<p>".to_owned(), false))
        );
    }
}
