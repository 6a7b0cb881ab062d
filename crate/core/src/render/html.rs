//! The HTML writer: one self-contained page.
//!
//! The page has no script at all and a Content-Security-Policy that forbids loading
//! anything (only `data:` images and the inline style sheet). Every string from the
//! transcript is escaped; Markdown text goes through the filter in `html_text`, which
//! turns raw HTML into text and drops unsafe links. Images that have bytes are embedded
//! as `data:` URIs (unless images are omitted). Light and dark colours follow the
//! reader's system; print rules make "Save as PDF" give clean pages.

use std::cell::Cell;
use std::fmt::{self, Write};

use super::assets;
use super::escape::safe_url;
use super::html_text::{code_open, esc, esc_href, markdown_to_html, CODE_CLOSE};
use super::layout::{self, ForkPoint, Part, Turn};
use crate::{time_fmt, Asset, Block, Branches, Images, Message, Options, Transcript};

const STYLE: &str = include_str!("style.css");

/// The Content-Security-Policy of every page: nothing is loaded, nothing runs.
pub const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// Writes a transcript as one self-contained HTML page.
pub fn write<W: Write>(t: &Transcript, opts: &Options, out: &mut W) -> fmt::Result {
    let ctx = Ctx {
        t,
        opts,
        scope: Cell::new(0),
    };
    let mut s = String::new();
    ctx.page(&mut s)?;
    out.write_str(&s)
}

struct Ctx<'a> {
    t: &'a Transcript,
    opts: &'a Options,
    /// A counter making the ids of footnotes defined inside text blocks unique.
    scope: Cell<usize>,
}

impl Ctx<'_> {
    fn page(&self, out: &mut String) -> fmt::Result {
        let t = self.t;
        let title = esc(&t.title);
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <meta name=\"generator\" content=\"chatkeep\">\n\
             <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n"
        )?;
        self.header(out)?;
        for turn in layout::turns(&t.messages, self.opts) {
            self.turn(&turn, true, out)?;
        }
        if self.opts.branches == Branches::All && !t.branches.is_empty() {
            out.push_str("<section class=\"branches\">\n<h2>Other branches</h2>\n");
            for (i, branch) in t.branches.iter().enumerate() {
                let fork = layout::fork_point(t, i);
                let desc = esc(&fork.describe());
                let desc = match fork {
                    ForkPoint::After { message, .. } => {
                        format!("<a href=\"#msg-{}\">{desc}</a>", esc(&message.id))
                    }
                    _ => desc,
                };
                writeln!(
                    out,
                    "<details class=\"branch\" id=\"branch-{}\">\n<summary><span class=\"branch-label\">{}</span><span class=\"fork\">{desc}</span></summary>\n<div>",
                    i + 1,
                    esc(&branch.label()),
                )?;
                for turn in layout::turns(&branch.messages, self.opts) {
                    self.turn(&turn, false, out)?;
                }
                out.push_str("</div>\n</details>\n");
            }
            out.push_str("</section>\n");
        }
        self.sources(out)?;
        out.push_str(
            "<footer class=\"doc-footer\">Saved with chatkeep</footer>\n</main>\n</body>\n</html>\n",
        );
        Ok(())
    }

    fn header(&self, out: &mut String) -> fmt::Result {
        let t = self.t;
        write!(
            out,
            "<header class=\"doc-header\">\n<h1>{}</h1>\n<p class=\"doc-meta\">",
            esc(&t.title)
        )?;
        let offset = self.opts.utc_offset_minutes;
        for (label, ts) in [("Created", t.create_time), ("Updated", t.update_time)] {
            if let (Some(iso), Some(human)) = (
                ts.and_then(time_fmt::rfc3339),
                ts.and_then(|ts| time_fmt::human(ts, offset)),
            ) {
                write!(
                    out,
                    "<span>{label} <time datetime=\"{iso}\">{}</time></span>",
                    esc(&human)
                )?;
            }
        }
        if let Some(model) = t.effective_model() {
            write!(out, "<span>Model <b>{}</b></span>", esc(model))?;
        }
        if let Some(g) = &t.gizmo_id {
            let what = if t.is_project() { "Project" } else { "GPT" };
            write!(out, "<span>{what} {}</span>", esc(g))?;
        }
        if t.is_archived {
            out.push_str("<span>Archived</span>");
        }
        if let Some(url) = t.url.as_deref().and_then(|u| safe_url(u, false)) {
            write!(
                out,
                "<span><a href=\"{}\">Open in ChatGPT</a><span class=\"print-url\">{}</span></span>",
                esc_href(&url),
                esc(&url)
            )?;
        }
        out.push_str("</p>\n");
        if let Some(note) = &t.redaction {
            writeln!(
                out,
                "<p class=\"doc-redacted\">{}</p>",
                esc(&crate::redact::note_sentence(note))
            )?;
        }
        out.push_str("</header>\n");
        // Styled in place: only files with such a warning carry the rule.
        for w in t.incomplete_warnings() {
            writeln!(
                out,
                "<p class=\"doc-warning\" role=\"note\" style=\"margin:0 0 1.5rem;padding:.6rem .85rem;border-left:4px solid #bf8700;border-radius:4px;background:rgba(191,135,0,.12)\"><strong>Incomplete:</strong> {}</p>",
                esc(w)
            )?;
        }
        Ok(())
    }

    fn turn(&self, turn: &Turn<'_>, main: bool, out: &mut String) -> fmt::Result {
        let mut body = String::new();
        for part in &turn.parts {
            let mut inner = String::new();
            let m = part.message();
            self.blocks(m, &mut inner)?;
            if inner.trim().is_empty() {
                continue;
            }
            match part {
                Part::Shown(_) => writeln!(
                    body,
                    "<div class=\"msg\" id=\"msg-{}\">\n{inner}</div>",
                    esc(&m.id)
                )?,
                Part::Hidden(_) => writeln!(
                    body,
                    "<details class=\"hidden-msg\" id=\"msg-{}\"><summary>{}</summary>\n<div class=\"msg\">\n{inner}</div>\n</details>",
                    esc(&m.id),
                    esc(&layout::hidden_label(m))
                )?,
            }
        }
        if body.is_empty() {
            return Ok(());
        }
        writeln!(out, "<section class=\"turn {}\">", turn.group.class())?;
        if let Some(label) = turn.group.label() {
            write!(
                out,
                "<div class=\"turn-head\"><span class=\"role\">{label}</span>"
            )?;
            if main {
                if let Some((m, v)) = turn.variant() {
                    write!(
                        out,
                        "<span class=\"variant\">{}</span>",
                        esc(&layout::variant_note(m, v))
                    )?;
                }
            }
            if let Some(model) = turn.model() {
                write!(out, "<span class=\"model\">{}</span>", esc(model))?;
            }
            if self.opts.timestamps {
                if let Some(ts) = turn.time() {
                    if let (Some(iso), Some(human)) = (
                        time_fmt::rfc3339(ts),
                        time_fmt::human(ts, self.opts.utc_offset_minutes),
                    ) {
                        write!(out, "<time datetime=\"{iso}\">{}</time>", esc(&human))?;
                    }
                }
            }
            out.push_str("</div>\n");
        }
        writeln!(out, "<div class=\"turn-body\">\n{body}</div>\n</section>")
    }

    fn next_scope(&self) -> String {
        let n = self.scope.get() + 1;
        self.scope.set(n);
        format!("t{n}")
    }

    fn markdown(&self, md: &str, out: &mut String) {
        markdown_to_html(md, self.t.sources.len(), &self.next_scope(), out);
    }

    fn blocks(&self, m: &Message, out: &mut String) -> fmt::Result {
        for block in &m.blocks {
            self.block(block, out)?;
        }
        Ok(())
    }

    fn block(&self, block: &Block, out: &mut String) -> fmt::Result {
        match block {
            Block::Text { markdown } => {
                if !markdown.trim().is_empty() {
                    self.markdown(markdown, out);
                }
            }
            Block::Code { language, code } => {
                write!(
                    out,
                    "{}{}{CODE_CLOSE}",
                    code_open(language.as_deref().unwrap_or("")),
                    esc(code)
                )?;
            }
            Block::ExecutionOutput { text } => {
                writeln!(
                    out,
                    "<div class=\"code-block output\"><div class=\"code-lang\">Output</div><pre><code>{}</code></pre></div>",
                    esc(text)
                )?;
            }
            Block::Image { asset, prompt } => {
                let prompt = prompt.as_deref().filter(|p| !p.trim().is_empty());
                self.image(asset, prompt, out)?;
            }
            Block::Attachment { asset } => self.file("Attachment", "file", asset, out)?,
            Block::Audio { asset } => self.file("Audio", "recording", asset, out)?,
            // ChatGPT's spoken replies are transcribed as Markdown (`**…**`, lists): written
            // like its text. What the user said is plain speech: kept as text.
            Block::Transcription { text, direction } if !text.trim().is_empty() => {
                if direction.as_deref() == Some("in") {
                    writeln!(
                        out,
                        "<p class=\"transcription\"><span class=\"voice\">(voice)</span>{}</p>",
                        lines(text)
                    )?;
                } else {
                    out.push_str(
                        "<div class=\"transcription\"><span class=\"voice\">(voice)</span>",
                    );
                    self.markdown(text, out);
                    out.push_str("</div>\n");
                }
            }
            Block::Transcription { .. } => {}
            Block::Quote {
                title,
                url,
                domain,
                text,
            } => {
                let name = title
                    .as_deref()
                    .filter(|t| !t.trim().is_empty())
                    .or(domain.as_deref())
                    .or(url.as_deref())
                    .unwrap_or("Source");
                let safe = url.as_deref().and_then(|u| safe_url(u, false));
                let link = match &safe {
                    Some(u) => format!("<a href=\"{}\">{}</a>", esc_href(u), esc(name)),
                    None => esc(name),
                };
                let mut domain = domain
                    .as_deref()
                    .filter(|d| *d != name && !d.trim().is_empty())
                    .map(|d| format!("<span class=\"domain\">{}</span>", esc(d)))
                    .unwrap_or_default();
                if let Some(u) = &safe {
                    domain.push_str(&format!("<span class=\"print-url\">{}</span>", esc(u)));
                }
                writeln!(
                    out,
                    "<blockquote class=\"web-quote\">\n{}<footer>— {link}{domain}</footer>\n</blockquote>",
                    paragraphs(text)
                )?;
            }
            Block::Canvas {
                title,
                kind,
                content,
            } => {
                let kind = kind.as_deref().unwrap_or("document");
                let title = title.as_deref().filter(|t| !t.trim().is_empty());
                writeln!(
                    out,
                    "<section class=\"canvas\"><div class=\"canvas-head\">Canvas · <strong>{}</strong> · {}</div>",
                    esc(title.unwrap_or("Untitled")),
                    esc(kind)
                )?;
                match kind.strip_prefix("code/") {
                    Some(lang) => {
                        write!(out, "{}{}{CODE_CLOSE}", code_open(lang), esc(content))?;
                    }
                    None => {
                        out.push_str("<div class=\"canvas-body\">\n");
                        self.markdown(content, out);
                        out.push_str("</div>\n");
                    }
                }
                out.push_str("</section>\n");
            }
            Block::CanvasEdit { title, diff, .. } => {
                let title = title.as_deref().filter(|t| !t.trim().is_empty());
                write!(
                    out,
                    "<section class=\"canvas canvas-edit\"><div class=\"canvas-head\">Canvas edited · <strong>{}</strong>{}</div>",
                    esc(title.unwrap_or("Untitled")),
                    if diff.is_empty() { " · no change" } else { "" }
                )?;
                if !diff.is_empty() {
                    write!(
                        out,
                        "\n<details><summary>What changed</summary>\n{}{}{CODE_CLOSE}</details>",
                        code_open("diff"),
                        esc(diff)
                    )?;
                }
                out.push_str("</section>\n");
            }
            Block::Reasoning { thoughts } => {
                if thoughts
                    .iter()
                    .all(|t| t.content.trim().is_empty() && t.summary.is_none())
                {
                    return Ok(());
                }
                out.push_str("<details class=\"reasoning\"><summary>Reasoning</summary>\n<div>\n");
                for th in thoughts {
                    out.push_str("<div class=\"thought\">\n");
                    if let Some(s) = th.summary.as_deref().filter(|s| !s.trim().is_empty()) {
                        writeln!(out, "<p class=\"thought-title\">{}</p>", esc(s))?;
                    }
                    if !th.content.trim().is_empty() {
                        self.markdown(&th.content, out);
                    }
                    out.push_str("</div>\n");
                }
                out.push_str("</div>\n</details>\n");
            }
            Block::ReasoningRecap { text } => {
                if !text.trim().is_empty() {
                    writeln!(out, "<p class=\"recap\">{}</p>", esc(text))?;
                }
            }
            Block::CustomInstructions {
                about_user,
                instructions,
            } => {
                let items: Vec<(&str, &str)> = [
                    ("What should ChatGPT know about you?", about_user),
                    ("How should ChatGPT respond?", instructions),
                ]
                .into_iter()
                .filter_map(|(q, a)| Some((q, a.as_deref().filter(|a| !a.trim().is_empty())?)))
                .collect();
                if items.is_empty() {
                    return Ok(());
                }
                out.push_str(
                    "<details class=\"custom-instructions\"><summary>Custom instructions</summary>\n<div>\n",
                );
                for (q, a) in items {
                    writeln!(
                        out,
                        "<h4>{q}</h4>\n<p class=\"plain\">{}</p>",
                        esc(a.trim())
                    )?;
                }
                out.push_str("</div>\n</details>\n");
            }
            Block::Memory { text } => {
                if !text.trim().is_empty() {
                    writeln!(out, "<p class=\"plain\">{}</p>", esc(text.trim()))?;
                }
            }
            Block::ToolOutput { text } => {
                writeln!(
                    out,
                    "<div class=\"code-block output\"><pre><code>{}</code></pre></div>",
                    esc(text)
                )?;
            }
            Block::SystemError { name, text } => {
                let head = match name.as_deref().filter(|n| !n.trim().is_empty()) {
                    Some(n) => format!("Error: {}", esc(n)),
                    None => "Error".to_owned(),
                };
                writeln!(
                    out,
                    "<div class=\"system-error\" role=\"note\"><strong>{head}</strong>{}</div>",
                    paragraphs(text)
                )?;
            }
            Block::Unsupported { content_type, .. } => {
                writeln!(
                    out,
                    "<p class=\"unsupported\">(unsupported content: {})</p>",
                    esc(content_type)
                )?;
            }
        }
        Ok(())
    }

    fn image(&self, asset: &Asset, prompt: Option<&str>, out: &mut String) -> fmt::Result {
        let name = assets::display_name(asset, "image");
        let caption = prompt
            .map(|p| format!("<figcaption>{}</figcaption>", esc(p)))
            .unwrap_or_default();
        let shown = match (&asset.data, self.opts.images) {
            (Some(data), Images::Link | Images::Embed) => {
                let mime = assets::mime_of(asset, data);
                mime.filter(|m| assets::is_image_mime(m)).map(|_| data)
            }
            _ => None,
        };
        match shown {
            Some(data) => {
                write!(
                    out,
                    "<figure class=\"image\"><img src=\"{}\" alt=\"{}\"",
                    assets::data_uri(asset, data),
                    esc(name)
                )?;
                if let (Some(w), Some(h)) = (asset.width, asset.height) {
                    write!(out, " width=\"{w}\" height=\"{h}\"")?;
                }
                writeln!(out, ">{caption}</figure>")
            }
            None => {
                let note = match (&asset.data, self.opts.images) {
                    (None, _) => format!(" — {}", self.t.origin.missing_note()),
                    (Some(_), Images::Omit) => String::new(),
                    (Some(_), _) => " — a format browsers cannot show".to_owned(),
                };
                writeln!(
                    out,
                    "<figure class=\"image\"><span class=\"chip\">[image: {}{note}]</span>{caption}</figure>",
                    esc(name)
                )
            }
        }
    }

    fn file(&self, what: &str, fallback: &str, asset: &Asset, out: &mut String) -> fmt::Result {
        let name = assets::display_name(asset, fallback);
        write!(
            out,
            "<p><span class=\"chip\"><span class=\"kind\">{what}</span><span>{}</span>",
            esc(name)
        )?;
        if let Some(size) = asset.size.or(asset.data.as_ref().map(|d| d.len() as u64)) {
            write!(
                out,
                "<span class=\"note\">{}</span>",
                assets::human_size(size)
            )?;
        }
        if asset.data.is_none() {
            write!(
                out,
                "<span class=\"note\">{}</span>",
                self.t.origin.missing_note()
            )?;
        }
        out.push_str("</span></p>\n");
        Ok(())
    }

    fn sources(&self, out: &mut String) -> fmt::Result {
        if self.t.sources.is_empty() {
            return Ok(());
        }
        out.push_str("<section class=\"sources\" id=\"sources\">\n<h2>Sources</h2>\n<ol>\n");
        for (i, src) in self.t.sources.iter().enumerate() {
            let n = i + 1;
            let url = src.url.as_deref().and_then(|u| safe_url(u, false));
            let title = src
                .title
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .or(src.attribution.as_deref())
                .or(src.url.as_deref())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("Source {n}"));
            write!(out, "<li id=\"source-{n}\">")?;
            match &url {
                Some(u) => write!(out, "<a href=\"{}\">{}</a>", esc_href(u), esc(&title))?,
                None => out.push_str(&esc(&title)),
            }
            if let Some(attr) = src
                .attribution
                .as_deref()
                .filter(|a| !a.trim().is_empty() && *a != title)
            {
                write!(out, " <span class=\"attribution\">— {}</span>", esc(attr))?;
            }
            if let Some(u) = &url {
                write!(out, "<span class=\"print-url\">{}</span>", esc(u))?;
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ol>\n</section>\n");
        Ok(())
    }
}

/// Plain text as escaped lines joined by `<br>`.
fn lines(text: &str) -> String {
    text.trim()
        .lines()
        .map(esc)
        .collect::<Vec<_>>()
        .join("<br>\n")
}

/// Plain text as escaped `<p>` paragraphs (blank lines separate them).
fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        out.push_str(&lines(para));
        out.push_str("</p>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_support::*;
    use crate::{Hidden, Role};

    fn html(t: &Transcript, opts: &Options) -> String {
        let mut s = String::new();
        write(t, opts, &mut s).unwrap();
        s
    }

    /// The text of every tag (`<…>`) in the document.
    fn tags(doc: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = doc;
        while let Some(i) = rest.find('<') {
            let after = &rest[i..];
            let end = after.find('>').map_or(after.len(), |e| e + 1);
            out.push(&after[..end]);
            rest = &after[end..];
        }
        out
    }

    fn all_opts() -> Options {
        Options {
            include_reasoning: true,
            include_hidden: true,
            include_custom_instructions: true,
            branches: Branches::All,
            ..Options::default()
        }
    }

    #[test]
    fn page_shell() {
        let out = html(&rich(), &Options::default());
        assert!(out
            .starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"));
        assert!(out
            .contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        assert!(out.contains(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        )));
        assert!(out.contains("<title>Plots: &quot;quotes&quot; &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</title>"));
        assert!(out.contains("@media (prefers-color-scheme: dark)"));
        assert!(out.contains("@media print"));
        assert!(out.contains("<time datetime=\"2024-12-29T13:23:55Z\">2024-12-29 13:23 UTC</time>"));
        assert!(out.contains("<span>Model <b>gpt-4o</b></span>"));
        assert!(out.contains("<span>Project g-p-123</span>"));
        assert!(out.contains("<footer class=\"doc-footer\">Saved with chatkeep</footer>"));
        assert!(out.ends_with("</html>\n"));
    }

    #[test]
    fn no_script_anywhere() {
        for opts in [Options::default(), all_opts()] {
            let out = html(&rich(), &opts);
            let lower = out.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "raw script tag");
            for tag in tags(&out) {
                let tag = tag.to_ascii_lowercase();
                assert!(!tag.contains("onerror"), "{tag}");
                assert!(!tag.contains("javascript:"), "{tag}");
                assert!(
                    !tag.starts_with("<img") || tag.contains("src=\"data:image/png;base64,"),
                    "{tag}"
                );
                assert!(
                    !tag.starts_with("<iframe") && !tag.starts_with("<object"),
                    "{tag}"
                );
            }
            assert!(lower.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert!(lower.contains("&lt;img src=x onerror=alert(1)&gt;"));
        }
    }

    #[test]
    fn every_block_kind() {
        let out = html(&rich(), &all_opts());
        // Math as MathML, citations as links to the sources.
        assert!(out.contains("<math display=\"inline\">"));
        assert!(out.contains("<span class=\"math-display\"><math display=\"block\">"));
        assert!(out.contains("<sup><a href=\"#source-1\">1</a></sup>"));
        assert!(out.contains("<sup><a href=\"#source-2\">2</a></sup>"));
        assert!(out.contains("<table>"));
        assert!(out.contains("<del>old</del>"));
        assert!(out.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\"/>"));
        assert!(out.contains(
            "<a class=\"image-ref\" href=\"https://example.com/a.png\">[image: remote]</a>"
        ));
        assert!(out.contains("<div class=\"code-lang\">rust</div><pre><code class=\"language-rust\">fn main() {\n    let s = &quot;```&quot;;"));
        assert!(out.contains("<div class=\"code-lang\">Output</div><pre><code>1\n4\n9 &lt;b&gt;not bold&lt;/b&gt;</code>"));
        assert!(out.contains("<img src=\"data:image/png;base64,iVBORw0KGgo"));
        assert!(out.contains("alt=\"chart.png\" width=\"2\" height=\"2\">"));
        assert!(out.contains("[image: lost &lt;image&gt;.png — not included in the export]</span><figcaption>A *cat* in [space]</figcaption>"));
        assert!(out.contains("<span class=\"kind\">Attachment</span><span>report (final).pdf</span><span class=\"note\">17 KB</span><span class=\"note\">not included in the export</span>"));
        assert!(out.contains("<span class=\"kind\">Audio</span><span>file_audio</span>"));
        assert!(out.contains("<blockquote class=\"web-quote\">\n<p>Rust is a language empowering everyone.</p>\n<footer>— <a href=\"https://doc.rust-lang.org/book/\">Rust &lt;Book&gt;</a>"));
        assert!(out.contains("Canvas · <strong>plot.py</strong> · code/python</div>\n<div class=\"code-block\"><div class=\"code-lang\">python</div>"));
        assert!(out.contains("<div class=\"canvas-body\">\n<h1>Notes</h1>"));
        // ChatGPT's spoken reply is Markdown, rendered like its text.
        assert!(out.contains("<div class=\"transcription\"><span class=\"voice\">(voice)</span><p>Hello there <em>friend</em></p>"), "{out}");
        assert!(out.contains("<p class=\"recap\">Thought for 17s</p>"));
        assert!(out.contains("<strong>Error: RateLimit</strong><p>Too many &lt;requests&gt;</p>"));
        assert!(out.contains("(unsupported content: app_pairing_content)"));
        assert!(out.contains("<pre><code>browsing result</code></pre>"));
        assert!(out.contains("<p class=\"plain\">User likes Rust.</p>"));
        assert!(out.contains("<details class=\"reasoning\"><summary>Reasoning</summary>"));
        assert!(out.contains("<p class=\"thought-title\">Weighing &lt;options&gt;</p>"));
        assert!(out.contains(
            "<details class=\"custom-instructions\"><summary>Custom instructions</summary>"
        ));
        assert!(out.contains("<p class=\"plain\">Be brief.\nUse metric units.</p>"));
        assert!(out.contains(
            "<details class=\"hidden-msg\" id=\"msg-c1\"><summary>Tool call (python)</summary>"
        ));
        assert!(out.contains(
            "<details class=\"hidden-msg\" id=\"msg-sys\"><summary>System message</summary>"
        ));
        // Sources: safe links only, with printed URLs.
        assert!(out.contains("<li id=\"source-1\"><a href=\"https://en.wikipedia.org/wiki/Parabola\">Parabola – Wikipedia</a> <span class=\"attribution\">— Wikipedia</span><span class=\"print-url\">https://en.wikipedia.org/wiki/Parabola</span></li>"));
        assert!(out.contains("<li id=\"source-2\">Evil &lt;source&gt;</li>"));
        // The variant note and the branch.
        assert!(out.contains("<span class=\"variant\">answer 2/3</span>"));
        assert!(out.contains("<details class=\"branch\" id=\"branch-1\">\n<summary><span class=\"branch-label\">Alternative answer 1/3</span><span class=\"fork\"><a href=\"#msg-u1\">Forks after message 1 (You: “Can you plot $y = x^2$ and explain the `match` keyword? Also…”)</a></span></summary>"));
        assert!(out.contains("An older answer."));
    }

    #[test]
    fn one_heading_per_answer() {
        let t = Transcript {
            title: "t".to_owned(),
            messages: vec![
                user("u", "Q"),
                assistant("a1", "Part one"),
                hidden(tool_call("c", "python", "x"), Hidden::ToolCall),
                msg(
                    "o",
                    Role::Tool,
                    vec![image("sediment://f", None, Some(png()))],
                ),
                assistant("a2", "Part two"),
            ],
            ..Transcript::default()
        };
        let out = html(&t, &Options::default());
        assert_eq!(
            out.matches("<span class=\"role\">ChatGPT</span>").count(),
            1
        );
        assert_eq!(out.matches("<span class=\"role\">You</span>").count(), 1);
        assert!(out.contains("<img src=\"data:image/png;base64,"));
        let omit = html(
            &t,
            &Options {
                images: Images::Omit,
                ..Options::default()
            },
        );
        assert!(!omit.contains("<img"));
        assert!(omit.contains("[image: f]"));
    }

    #[test]
    fn hostile_metadata() {
        let mut t = rich();
        t.url = Some("javascript:alert(1)".to_owned());
        t.model = Some("<b>x</b>".to_owned());
        t.messages.retain(|m| m.role != Role::Assistant);
        t.messages[2].id = "\"><script>alert(1)</script>".to_owned();
        let out = html(&t, &all_opts());
        assert!(!out.to_ascii_lowercase().contains("<script"));
        assert!(!out.contains("Open in ChatGPT"));
        assert!(out.contains("<b>&lt;b&gt;x&lt;/b&gt;</b>"));
    }
}
