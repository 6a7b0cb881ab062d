//! The index of a saved selection (`index.md` and `index.html` beside the conversations'
//! files): every saved conversation with its date, message count and links to its files,
//! then what could not be saved. Titles and messages are untrusted text: escaped as every
//! other writer escapes them; dates in the same time zone as the file names.

use std::fmt::Write as _;

use pulldown_cmark_escape::escape_html;
use serde::Deserialize;

use super::escape::{md_inline, percent_encode_path};
use crate::time_fmt;

/// One saved conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct IndexEntry {
    /// Its title.
    pub title: String,
    /// Its files, relative to the index (the first is the one the title links to).
    pub files: Vec<String>,
    /// When it was created, epoch seconds.
    pub create_time: Option<f64>,
    /// How many messages it shows.
    pub messages: Option<u64>,
}

/// A conversation that could not be saved.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct IndexFailure {
    /// Its title (or "Conversation N").
    pub title: String,
    /// Why, as a sentence.
    pub message: String,
}

/// The two index files.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// `index.md`.
    pub markdown: String,
    /// `index.html`: self-contained, no script, a CSP that allows none.
    pub html: String,
}

const STYLE: &str = r#":root { color-scheme: light dark; --muted: #555b6e; --border: #dde1ea; --accent: #4f46e5; }
@media (prefers-color-scheme: dark) { :root { --muted: #a4a8b8; --border: #2d303d; --accent: #8f8ffb; } }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
p { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); }
td:first-child { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
a { color: var(--accent); }"#;

fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Writing to a String cannot fail.
    let _ = escape_html(&mut out, s);
    out
}

/// A file's format label: its extension.
fn label(file: &str) -> &str {
    file.rsplit_once('.').map_or(file, |(_, ext)| ext)
}

/// Writes the index of `saved` (in the order given) and `failed`, headed `title`, with
/// dates shown at `utc_offset_minutes`.
pub fn index(
    title: &str,
    saved: &[IndexEntry],
    failed: &[IndexFailure],
    utc_offset_minutes: i32,
) -> Index {
    let day = |t: Option<f64>| {
        t.and_then(|t| time_fmt::date(t, utc_offset_minutes))
            .unwrap_or_default()
    };
    let count = format!(
        "{} conversation{}, saved by chatkeep.",
        saved.len(),
        if saved.len() == 1 { "" } else { "s" }
    );

    // What both files show of each conversation: date, link target, count, files.
    struct Row<'a> {
        date: String,
        main: String,
        messages: String,
        files: Vec<(String, &'a str)>,
        title: &'a str,
    }
    let table: Vec<Row<'_>> = saved
        .iter()
        .map(|c| Row {
            date: day(c.create_time),
            main: c
                .files
                .first()
                .map_or(String::new(), |f| percent_encode_path(f)),
            messages: c.messages.map_or(String::new(), |n| n.to_string()),
            files: c
                .files
                .iter()
                .map(|f| (percent_encode_path(f), label(f)))
                .collect(),
            title: &c.title,
        })
        .collect();

    let mut md = format!("# {}\n\n{count}\n\n", md_inline(title));
    md.push_str("| Date | Conversation | Messages | Files |\n|---|---|---|---|\n");
    let mut rows = String::new();
    for r in &table {
        let md_links: Vec<String> = r
            .files
            .iter()
            .map(|(href, label)| format!("[{}]({href})", md_inline(label)))
            .collect();
        let _ = writeln!(
            md,
            "| {} | [{}]({}) | {} | {} |",
            r.date,
            md_inline(r.title),
            r.main,
            r.messages,
            md_links.join(" · ")
        );
        let html_links: Vec<String> = r
            .files
            .iter()
            .map(|(href, label)| format!("<a href=\"{}\">{}</a>", html(href), html(label)))
            .collect();
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td><a href=\"{}\">{}</a></td><td class=\"n\">{}</td><td>{}</td></tr>",
            r.date,
            html(&r.main),
            html(r.title),
            r.messages,
            html_links.join(" · ")
        );
    }
    if !failed.is_empty() {
        md.push_str("\n## Not saved\n\n");
        for e in failed {
            let _ = writeln!(md, "- {}: {}", md_inline(&e.title), md_inline(&e.message));
        }
    }

    let mut not_saved = String::new();
    if !failed.is_empty() {
        not_saved.push_str("<h2>Not saved</h2>\n<ul>");
        for e in failed {
            let _ = writeln!(
                not_saved,
                "<li><strong>{}</strong>: {}</li>",
                html(&e.title),
                html(&e.message)
            );
        }
        not_saved.push_str("</ul>\n");
    }
    let t = html(title);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{t}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>{t}</h1>\n<p>{count}</p>\n\
         <table>\n<thead><tr><th>Date</th><th>Conversation</th><th>Messages</th><th>Files</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n{not_saved}</body>\n</html>\n"
    );
    Index { markdown: md, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_text_and_dates_follow_the_offset() {
        let saved = [IndexEntry {
            title: "$x$ and ~~a~~ <script>alert(1)</script> | pipe".into(),
            files: vec!["2024-12-29 A #1?.md".into(), "2024-12-29 A #1?.html".into()],
            // 23:30 UTC on the 29th: the 30th at UTC+01:00.
            create_time: Some(1_735_515_000.0),
            messages: Some(4),
        }];
        let failed = [IndexFailure {
            title: "Broken <b>".into(),
            message: "Could not read it.".into(),
        }];
        let i = index("My *chats*", &saved, &failed, 60);
        assert!(
            i.markdown.starts_with("# My \\*chats\\*\n"),
            "{}",
            i.markdown
        );
        assert!(i.markdown.contains("| 2024-12-30 | [\\$x\\$ and \\~\\~a\\~\\~ \\<script\\>alert(1)\\</script\\> \\| pipe](2024-12-29%20A%20%231%3F.md) | 4 | [md](2024-12-29%20A%20%231%3F.md) · [html](2024-12-29%20A%20%231%3F.html) |"), "{}", i.markdown);
        assert!(i
            .markdown
            .contains("## Not saved\n\n- Broken \\<b\\>: Could not read it.\n"));
        assert!(!i.html.contains("<script>"));
        assert!(i.html.contains("&lt;script&gt;"));
        assert!(i.html.contains("<td>2024-12-30</td>"));
        assert!(i.html.contains("href=\"2024-12-29%20A%20%231%3F.md\""));
        assert!(i.html.contains("default-src 'none'"));
        assert!(i
            .html
            .contains("<li><strong>Broken &lt;b&gt;</strong>: Could not read it.</li>"));
        let one = index("t", &saved[..1], &[], 0);
        assert!(one.markdown.contains("1 conversation, saved"));
        assert!(one.markdown.contains("| 2024-12-29 |"));
    }
}
