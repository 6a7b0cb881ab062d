//! The Markdown writer: CommonMark + GFM, or the Obsidian dialect.
//!
//! Layout: optional YAML front matter, `# Title`, one `## You` / `## ChatGPT` section per
//! turn, then (with all branches) one section per branch, then footnote definitions for
//! the cited sources. Text blocks (and Canvas documents, reasoning) are Markdown already and
//! are written as they are, except that raw HTML in them shows as text and links to unsafe
//! URLs lose their link ([`super::md_text`]); every other string from the transcript
//! (titles, file names, quotes, tool names) is escaped so it shows as text and cannot add
//! links, HTML or structure.

use std::collections::BTreeSet;
use std::fmt::{self, Write};

use super::assets::{self, AssetNames};
use super::escape::{
    code_span, fence_lang, fenced, md_inline, md_paragraphs, md_url, percent_encode_path,
    quote_lines, safe_url, yaml_quote,
};
use super::layout::{self, Part, Turn};
use super::md_text::chat_markdown;
use crate::{
    time_fmt, Asset, Block, Branches, Flavor, FrontMatterField, Images, Message, Options, Origin,
    Transcript,
};

/// Writes the Markdown of a transcript. Linked assets (with [`Images::Link`]) point into
/// `assets_dir`, relative to the Markdown file; [`super::asset_files`] lists them.
pub fn write<W: Write>(
    t: &Transcript,
    opts: &Options,
    assets_dir: &str,
    out: &mut W,
) -> fmt::Result {
    let names = AssetNames::new(t);
    let ctx = Ctx::new(t, opts, assets_dir, &names);
    front_matter(t, opts, out)?;
    writeln!(out, "# {}", md_inline(&t.title))?;
    if let Some(note) = &t.redaction {
        writeln!(
            out,
            "\n*{}*",
            md_inline(&crate::redact::note_sentence(note))
        )?;
    }
    for w in t.incomplete_warnings() {
        writeln!(out, "\n> **Incomplete:** {}", md_inline(w))?;
    }

    let mut body = String::new();
    for turn in layout::turns(&t.messages, opts) {
        ctx.turn(&turn, 2, true, &mut body)?;
    }
    if opts.branches == Branches::All {
        for (i, branch) in t.branches.iter().enumerate() {
            let fork = layout::fork_point(t, i).describe();
            writeln!(
                body,
                "\n---\n\n## {}\n\n*{}.*",
                md_inline(&branch.label()),
                md_inline(&fork)
            )?;
            for turn in layout::turns(&branch.messages, opts) {
                ctx.turn(&turn, 3, false, &mut body)?;
            }
        }
    }
    out.write_str(&body)?;
    footnotes(t, &body, out)
}

fn front_matter<W: Write>(t: &Transcript, opts: &Options, out: &mut W) -> fmt::Result {
    if opts.front_matter.is_empty() {
        return Ok(());
    }
    out.write_str("---\n")?;
    for field in &opts.front_matter {
        match field {
            FrontMatterField::Title => writeln!(out, "title: {}", yaml_quote(&t.title))?,
            FrontMatterField::Id => writeln!(out, "conversation_id: {}", yaml_quote(&t.id))?,
            FrontMatterField::Url => {
                if let Some(url) = &t.url {
                    writeln!(out, "url: {}", yaml_quote(url))?;
                }
            }
            FrontMatterField::Created => {
                if let Some(ts) = t.create_time.and_then(time_fmt::rfc3339) {
                    writeln!(out, "created: {ts}")?;
                }
            }
            FrontMatterField::Updated => {
                if let Some(ts) = t.update_time.and_then(time_fmt::rfc3339) {
                    writeln!(out, "updated: {ts}")?;
                }
            }
            FrontMatterField::Model => {
                if let Some(m) = t.effective_model() {
                    writeln!(out, "model: {}", yaml_quote(m))?;
                }
            }
            FrontMatterField::Messages => {
                writeln!(out, "messages: {}", t.visible_messages().count())?;
            }
            FrontMatterField::Gizmo => {
                if let Some(g) = &t.gizmo_id {
                    let key = if t.is_project() { "project" } else { "gpt" };
                    writeln!(out, "{key}: {}", yaml_quote(g))?;
                }
            }
            FrontMatterField::Origin => writeln!(out, "source: {}", origin_name(t.origin))?,
        }
    }
    if let Some(note) = &t.redaction {
        let counts: Vec<String> = note
            .counts
            .iter()
            .map(|(k, n)| format!("{}: {n}", k.label()))
            .collect();
        writeln!(out, "redacted: {{{}}}", counts.join(", "))?;
    }
    out.write_str("---\n\n")
}

fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Export => "export",
        Origin::Api => "api",
        Origin::Share => "share",
        Origin::Page => "page",
    }
}

/// Footnote definitions for the sources referenced (`[^N]`) in `body`, then the sources
/// never cited in what is shown, as a list (the HTML and JSON list every source too; an
/// unreferenced footnote definition would not be shown by Markdown readers).
fn footnotes<W: Write>(t: &Transcript, body: &str, out: &mut W) -> fmt::Result {
    if t.sources.is_empty() {
        return Ok(());
    }
    let used = footnote_refs(body, t.sources.len());
    let entry = |n: usize, out: &mut W| -> fmt::Result {
        let Some(src) = t.sources.get(n - 1) else {
            return Ok(());
        };
        let title = src
            .title
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .or(src.attribution.as_deref())
            .or(src.url.as_deref())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Source {n}"));
        match src.url.as_deref().and_then(md_url) {
            Some(url) => write!(out, "[{}]({url})", md_inline(&title))?,
            // A single word after `[^N]:` is a link definition to a renderer without
            // footnotes: one with a scheme it must not follow is written as code.
            None if !title.trim().contains(char::is_whitespace)
                && safe_url(title.trim(), true).is_none() =>
            {
                out.write_str(&code_span(title.trim()))?;
            }
            None => out.write_str(&md_inline(&title))?,
        }
        if let Some(attr) = src.attribution.as_deref() {
            if !attr.trim().is_empty() && attr != title {
                write!(out, " — {}", md_inline(attr))?;
            }
        }
        out.write_str("\n")
    };
    if !used.is_empty() {
        out.write_str("\n")?;
        for &n in &used {
            write!(out, "[^{n}]: ")?;
            entry(n, out)?;
        }
    }
    let uncited: Vec<usize> = (1..=t.sources.len())
        .filter(|n| !used.contains(n))
        .collect();
    if !uncited.is_empty() {
        out.write_str("\n**Sources not cited in the text**\n\n")?;
        for n in uncited {
            out.write_str("- ")?;
            entry(n, out)?;
        }
    }
    Ok(())
}

/// The source numbers referenced as `[^N]` in `md`, in `1..=max`.
pub(crate) fn footnote_refs(md: &str, max: usize) -> BTreeSet<usize> {
    footnote_spans(md, max)
        .into_iter()
        .map(|(_, _, n)| n)
        .collect()
}

/// The `[^N]` references in `md` (N in `1..=max`), in order, each with its byte span: the
/// writer's footnotes and the reader's renumbering of sources both find them here.
pub(crate) fn footnote_spans(md: &str, max: usize) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for start in memchr::memmem::find_iter(md.as_bytes(), b"[^") {
        // After the ASCII `[^`: a character boundary.
        let digits = md[start + 2..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = start + 2 + digits;
        if digits == 0 || md.as_bytes().get(end) != Some(&b']') {
            continue;
        }
        if let Ok(n) = md[start + 2..end].parse::<usize>() {
            if (1..=max).contains(&n) {
                out.push((start, end + 1, n));
            }
        }
    }
    out
}

/// What the Markdown writer needs to render blocks.
pub(crate) struct Ctx<'a> {
    opts: &'a Options,
    /// How a file missing from the input is described.
    missing: &'static str,
    assets_dir: &'a str,
    names: &'a AssetNames,
}

/// The kind of a collapsible section (Obsidian callout type).
#[derive(Clone, Copy)]
enum Fold {
    Reasoning,
    Instructions,
    Hidden,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        t: &Transcript,
        opts: &'a Options,
        assets_dir: &'a str,
        names: &'a AssetNames,
    ) -> Self {
        Ctx {
            opts,
            missing: t.origin.missing_note(),
            assets_dir,
            names,
        }
    }

    fn obsidian(&self) -> bool {
        self.opts.flavor == Flavor::Obsidian
    }

    /// One turn: its heading, then its messages.
    fn turn<W: Write>(
        &self,
        turn: &Turn<'_>,
        level: usize,
        main: bool,
        out: &mut W,
    ) -> fmt::Result {
        let mut parts = Vec::new();
        for part in &turn.parts {
            let mut md = String::new();
            match part {
                Part::Shown(m) => self.blocks(m, &mut md)?,
                Part::Hidden(m) => {
                    let mut inner = String::new();
                    self.blocks(m, &mut inner)?;
                    if !inner.is_empty() {
                        self.collapsible(&layout::hidden_label(m), &inner, Fold::Hidden, &mut md)?;
                    }
                }
            }
            if !md.is_empty() {
                parts.push(md);
            }
        }
        if parts.is_empty() {
            return Ok(());
        }
        if let Some(label) = turn.group.label() {
            write!(out, "\n{} {label}", "#".repeat(level))?;
            if main {
                if let Some((m, v)) = turn.variant() {
                    write!(out, " · {}", layout::variant_note(m, v))?;
                }
            }
            if self.opts.timestamps {
                if let Some(time) = turn
                    .time()
                    .and_then(|ts| time_fmt::human(ts, self.opts.utc_offset_minutes))
                {
                    write!(out, " · {time}")?;
                }
            }
            out.write_str("\n")?;
        }
        for md in parts {
            writeln!(out, "\n{md}")?;
        }
        Ok(())
    }

    /// The blocks of a message, separated by blank lines, without a trailing newline.
    pub(crate) fn blocks<W: Write>(&self, m: &Message, out: &mut W) -> fmt::Result {
        let mut first = true;
        for block in &m.blocks {
            let mut md = String::new();
            self.block(block, &mut md)?;
            let md = skip_blank_lines(md.trim_end_matches('\n'));
            if md.trim().is_empty() {
                continue;
            }
            if !first {
                out.write_str("\n\n")?;
            }
            first = false;
            out.write_str(md)?;
        }
        Ok(())
    }

    fn block(&self, block: &Block, out: &mut String) -> fmt::Result {
        match block {
            Block::Text { markdown } => out.push_str(&chat_markdown(markdown)),
            Block::Code { language, code } => {
                out.push_str(&fenced(code, &fence_lang(language.as_deref())));
            }
            Block::ExecutionOutput { text } => {
                write!(out, "*Output:*\n\n{}", fenced(text, "text"))?;
            }
            Block::Image { asset, prompt } => {
                self.image(asset, out)?;
                if let Some(p) = prompt.as_deref().filter(|p| !p.trim().is_empty()) {
                    write!(out, "\n\n*Prompt:* {}", md_inline(p))?;
                }
            }
            Block::Attachment { asset } => self.file("Attachment", "file", asset, out)?,
            Block::Audio { asset } => self.file("Audio", "recording", asset, out)?,
            // ChatGPT's spoken replies are transcribed as Markdown: written as its text is.
            // What the user said is plain speech: escaped.
            Block::Transcription { text, direction }
                if direction.as_deref() != Some("in") && !text.trim().is_empty() =>
            {
                write!(out, "*(voice)*\n\n{}", chat_markdown(text.trim()))?;
            }
            Block::Transcription { text, .. } => {
                let text = md_paragraphs(text);
                if !text.is_empty() {
                    write!(out, "*(voice)* {text}")?;
                }
            }
            Block::Quote {
                title,
                url,
                domain,
                text,
            } => self.quote(
                title.as_deref(),
                url.as_deref(),
                domain.as_deref(),
                text,
                out,
            )?,
            Block::Canvas {
                title,
                kind,
                content,
            } => {
                let kind = kind.as_deref().unwrap_or("document");
                let title = title.as_deref().filter(|t| !t.trim().is_empty());
                write!(
                    out,
                    "*Canvas:* **{}**",
                    md_inline(title.unwrap_or("Untitled"))
                )?;
                match kind.strip_prefix("code/") {
                    Some(lang) => {
                        write!(out, "\n\n{}", fenced(content, &fence_lang(Some(lang))))?;
                    }
                    None => {
                        write!(
                            out,
                            " *({})*\n\n{}",
                            md_inline(kind),
                            chat_markdown(content)
                        )?;
                    }
                }
            }
            Block::CanvasEdit { title, diff, .. } => {
                let title = title.as_deref().filter(|t| !t.trim().is_empty());
                write!(
                    out,
                    "*Canvas edited:* **{}**",
                    md_inline(title.unwrap_or("Untitled"))
                )?;
                if diff.is_empty() {
                    out.push_str(" *(no change)*");
                } else {
                    write!(out, "\n\n{}", fenced(diff, "diff"))?;
                }
            }
            Block::Reasoning { thoughts } => {
                let mut body = String::new();
                for th in thoughts {
                    if !body.is_empty() {
                        body.push_str("\n\n");
                    }
                    if let Some(s) = th.summary.as_deref().filter(|s| !s.trim().is_empty()) {
                        write!(body, "**{}**", md_inline(s))?;
                        if !th.content.trim().is_empty() {
                            body.push_str("\n\n");
                        }
                    }
                    body.push_str(&chat_markdown(th.content.trim_end()));
                }
                if !body.trim().is_empty() {
                    self.collapsible("Reasoning", &body, Fold::Reasoning, out)?;
                }
            }
            Block::ReasoningRecap { text } => {
                if !text.trim().is_empty() {
                    write!(out, "*{}*", md_inline(text))?;
                }
            }
            Block::CustomInstructions {
                about_user,
                instructions,
            } => {
                let mut body = String::new();
                for (q, a) in [
                    ("What should ChatGPT know about you?", about_user),
                    ("How should ChatGPT respond?", instructions),
                ] {
                    if let Some(a) = a.as_deref().filter(|a| !a.trim().is_empty()) {
                        if !body.is_empty() {
                            body.push_str("\n\n");
                        }
                        write!(body, "**{q}**\n\n{}", md_paragraphs(a))?;
                    }
                }
                if !body.is_empty() {
                    self.collapsible("Custom instructions", &body, Fold::Instructions, out)?;
                }
            }
            Block::Memory { text } => out.push_str(&md_paragraphs(text)),
            Block::ToolOutput { text } => out.push_str(&fenced(text, "text")),
            Block::SystemError { name, text } => {
                let name = name.as_deref().filter(|n| !n.trim().is_empty());
                let head = match name {
                    Some(n) => format!("Error: {}", md_inline(n)),
                    None => "Error".to_owned(),
                };
                let body = md_paragraphs(text);
                if self.obsidian() {
                    write!(out, "> [!error] {head}")?;
                } else {
                    write!(out, "> **{head}**")?;
                }
                if !body.is_empty() {
                    out.push('\n');
                    out.push_str(&quote_lines(&body));
                }
            }
            Block::Unsupported { content_type, .. } => {
                write!(out, "*(unsupported content: {})*", md_inline(content_type))?;
            }
        }
        Ok(())
    }

    fn quote(
        &self,
        title: Option<&str>,
        url: Option<&str>,
        domain: Option<&str>,
        text: &str,
        out: &mut String,
    ) -> fmt::Result {
        let title = title
            .filter(|t| !t.trim().is_empty())
            .or(domain)
            .or(url)
            .unwrap_or("Source");
        let link = match url.and_then(md_url) {
            Some(u) => format!("[{}]({u})", md_inline(title)),
            None => md_inline(title),
        };
        let body = md_paragraphs(text);
        if self.obsidian() {
            write!(out, "> [!quote] {link}")?;
            if !body.is_empty() {
                write!(out, "\n{}", quote_lines(&body))?;
            }
        } else {
            if !body.is_empty() {
                writeln!(out, "{}\n>", quote_lines(&body))?;
            }
            write!(out, "> — {link}")?;
        }
        Ok(())
    }

    /// An image: a link into the assets folder, a `data:` URI, or a placeholder.
    fn image(&self, asset: &Asset, out: &mut String) -> fmt::Result {
        let name = assets::display_name(asset, "image");
        let alt = md_inline(name);
        match (&asset.data, self.opts.images) {
            (_, Images::Omit) => write!(out, "*\\[image: {alt}\\]*"),
            (None, _) => write!(out, "*\\[image: {alt} — {}\\]*", self.missing),
            (Some(data), Images::Embed) => {
                write!(out, "![{alt}]({})", assets::data_uri(asset, data))
            }
            (Some(_), Images::Link) => write!(out, "![{alt}]({})", self.asset_path(asset)),
        }
    }

    /// An attachment or recording: a link to the file, or its name.
    fn file(&self, what: &str, fallback: &str, asset: &Asset, out: &mut String) -> fmt::Result {
        let name = md_inline(assets::display_name(asset, fallback));
        let size = asset
            .size
            .or(asset.data.as_ref().map(|d| d.len() as u64))
            .map(|s| format!(" ({})", assets::human_size(s)))
            .unwrap_or_default();
        write!(out, "*{what}:* ")?;
        match (&asset.data, self.opts.images) {
            (_, Images::Omit) => write!(out, "{name}{size}"),
            (None, _) => write!(out, "{name}{size} — {}", self.missing),
            (Some(data), Images::Embed) => {
                write!(out, "[{name}]({}){size}", assets::data_uri(asset, data))
            }
            (Some(_), Images::Link) => write!(out, "[{name}]({}){size}", self.asset_path(asset)),
        }
    }

    fn asset_path(&self, asset: &Asset) -> String {
        percent_encode_path(&assets::join(self.assets_dir, &self.names.name(asset)))
    }

    /// A collapsible section: `<details>` (plain) or a folded callout (Obsidian).
    fn collapsible(&self, title: &str, body: &str, fold: Fold, out: &mut String) -> fmt::Result {
        // One line: a line break would end the callout header or the `<summary>` HTML
        // block, and the rest of the title would be read as Markdown.
        let title = &title.split_whitespace().collect::<Vec<_>>().join(" ");
        if self.obsidian() {
            let kind = match fold {
                Fold::Reasoning => "abstract",
                Fold::Instructions => "info",
                Fold::Hidden => "note",
            };
            write!(
                out,
                "> [!{kind}]- {}\n{}",
                md_inline(title),
                quote_lines(body)
            )
        } else {
            let mut summary = String::new();
            // Writing to a `String` cannot fail.
            let _ = pulldown_cmark_escape::escape_html(&mut summary, title);
            write!(
                out,
                "<details>\n<summary>{summary}</summary>\n\n{}\n\n</details>",
                body.trim_end()
            )
        }
    }
}

/// `s` without its leading blank lines (the first line's indentation is kept).
fn skip_blank_lines(s: &str) -> &str {
    let mut rest = s;
    while let Some(nl) = rest.find('\n') {
        if rest[..nl].trim().is_empty() {
            rest = &rest[nl + 1..];
        } else {
            break;
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_support::*;
    use crate::render::{asset_files, message_markdown, to_string};
    use crate::{Format, Hidden, Role};

    fn md(t: &Transcript, opts: &Options) -> String {
        let mut s = String::new();
        write(t, opts, "assets", &mut s).unwrap();
        s
    }

    #[test]
    fn every_block_kind() {
        let t = rich();
        let opts = Options {
            timestamps: false,
            ..Options::default()
        };
        let out = md(&t, &opts);
        assert!(out.starts_with(
            "---\ntitle: \"Plots: \\\"quotes\\\" </title><script>alert(1)</script> & more\"\n"
        ));
        assert!(out.contains(
            "\n# Plots: \"quotes\" \\</title\\>\\<script\\>alert(1)\\</script\\> & more\n"
        ));
        // Text blocks as they are (math kept as `$…$`).
        assert!(out.contains("Sure! Here is the parabola $y = x^2$[^1]:"));
        assert!(out.contains("$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$"));
        // Fence longer than the backtick run inside.
        assert!(out.contains("````rust\nfn main() {\n    let s = \"```\";"));
        assert!(out.contains("*Output:*\n\n```text\n1\n4\n9 <b>not bold</b>\n```"));
        assert!(out.contains("![chart.png](assets/chart.png)"));
        assert!(out.contains("*\\[image: lost \\<image\\>.png — not included in the export\\]*"));
        assert!(out.contains("*Prompt:* A \\*cat\\* in \\[space\\]"));
        assert!(
            out.contains("*Attachment:* report (final).pdf (17 KB) — not included in the export")
        );
        assert!(out.contains("> Rust is a language empowering everyone.\n>\n> — [Rust \\<Book\\>](https://doc.rust-lang.org/book/)"));
        assert!(out.contains("*Canvas:* **plot.py**\n\n```python\nimport matplotlib"));
        assert!(out.contains("*Canvas:* **Notes** *(document)*\n\n# Notes\n\nSome **notes**."));
        assert!(out.contains("*Audio:* [file\\_audio](assets/file_audio.wav) (16 bytes)"));
        // ChatGPT's spoken reply is Markdown, kept as such.
        assert!(out.contains("*(voice)*\n\nHello there *friend*"), "{out}");
        assert!(out.contains("*Thought for 17s*"));
        assert!(out.contains("> **Error: RateLimit**\n> Too many \\<requests\\>"));
        assert!(out.contains("*(unsupported content: app\\_pairing\\_content)*"));
        assert!(out.contains("```text\nbrowsing result\n```"));
        assert!(out.contains("User likes Rust."));
        // Headings: one ChatGPT heading per turn, with the variant note.
        assert!(out.contains("\n## You\n"));
        assert!(out.contains("\n## ChatGPT · answer 2/3\n"));
        // Hidden messages are not shown by default.
        assert!(!out.contains("You are ChatGPT."));
        assert!(!out.contains("print(1)"));
        assert!(!out.contains("Reasoning"));
        assert!(!out.contains("Custom instructions"));
        // Footnotes: [^1] is used, [^2] too; the javascript: URL is not linked.
        assert!(out.contains(
            "[^1]: [Parabola – Wikipedia](https://en.wikipedia.org/wiki/Parabola) — Wikipedia\n"
        ));
        assert!(out.contains("[^2]: Evil \\<source\\>\n"));
        // The branch is not written by default.
        assert!(!out.contains("An older answer."));
    }

    #[test]
    fn front_matter_escaping() {
        let t = Transcript {
            id: "id\"1".to_owned(),
            title: "a: \"b\"\n- c # d\u{7} 'e' \\ ✓".to_owned(),
            gizmo_id: Some("g-abc".to_owned()),
            create_time: Some(1735478635.89),
            messages: vec![user("u", "x"), hidden(user("h", "y"), Hidden::System)],
            ..Transcript::default()
        };
        let out = md(&t, &Options::default());
        let fm = out.split("---\n").nth(1).unwrap();
        assert_eq!(
            fm,
            "title: \"a: \\\"b\\\"\\n- c # d\\x07 'e' \\\\ ✓\"\nconversation_id: \"id\\\"1\"\n\
             created: 2024-12-29T13:23:55Z\nmessages: 1\ngpt: \"g-abc\"\nsource: export\n"
        );
        let none = md(
            &t,
            &Options {
                front_matter: vec![],
                ..Options::default()
            },
        );
        assert!(none.starts_with("# a: \"b\" - c \\# d 'e' \\\\ ✓\n"));
    }

    #[test]
    fn hidden_reasoning_and_instructions() {
        let t = rich();
        let opts = Options {
            include_reasoning: true,
            include_custom_instructions: true,
            timestamps: false,
            ..Options::default()
        };
        let out = md(&t, &opts);
        assert!(out.contains(
            "<details>\n<summary>Reasoning</summary>\n\n**Weighing \\<options\\>**\n\nFirst *this*, then that.\n\n</details>"
        ));
        assert!(out.contains("<summary>Custom instructions</summary>\n\n**What should ChatGPT know about you?**\n\nI write \\<Rust\\>.\n\n**How should ChatGPT respond?**\n\nBe brief.  \nUse metric units."));
        // Reasoning is inside the assistant turn: one heading for reasoning + answer.
        let chatgpt = out.matches("## ChatGPT").count();
        assert_eq!(chatgpt, 1);
        assert!(out.find("## ChatGPT").unwrap() < out.find("<summary>Reasoning").unwrap());
        assert!(!out.contains("print(1)"));

        let opts = Options {
            include_hidden: true,
            timestamps: false,
            ..Options::default()
        };
        let out = md(&t, &opts);
        assert!(out.contains("<details>\n<summary>Tool call (python)</summary>\n\n```python\nprint(1)\n```\n\n</details>"));
        assert!(out.contains("\n## System\n\n<details>\n<summary>System message</summary>\n\nYou are ChatGPT.\n\n</details>"));
        assert!(out.contains("<summary>Reasoning</summary>"));
    }

    #[test]
    fn obsidian_callouts() {
        let t = rich();
        let opts = Options {
            include_reasoning: true,
            include_custom_instructions: true,
            include_hidden: true,
            flavor: Flavor::Obsidian,
            ..Options::default()
        };
        let out = md(&t, &opts);
        assert!(out.contains(
            "> [!abstract]- Reasoning\n> **Weighing \\<options\\>**\n>\n> First *this*, then that."
        ));
        assert!(out
            .contains("> [!info]- Custom instructions\n> **What should ChatGPT know about you?**"));
        assert!(out.contains("> [!note]- Tool call (python)\n> ```python\n> print(1)\n> ```"));
        assert!(out.contains(
            "> [!quote] [Rust \\<Book\\>](https://doc.rust-lang.org/book/)\n> Rust is a language"
        ));
        assert!(out.contains("> [!error] Error: RateLimit\n> Too many"));
        assert!(!out.contains("<details>"));
        assert!(out.contains("## You · 2024-12-29 13:23 UTC"));
    }

    #[test]
    fn branches_section() {
        let t = branchy();
        let opts = Options {
            branches: Branches::All,
            timestamps: false,
            front_matter: vec![],
            ..Options::default()
        };
        let out = md(&t, &opts);
        let expected = "# Branches\n\n## You\n\nWhat is Rust?\n\n## ChatGPT · answer 2/2\n\nA systems language.\n\
            \n---\n\n## Alternative answer 1/2\n\n*Forks after message 1 (You: “What is Rust?”).*\n\n### ChatGPT\n\nA language.\n\n### You\n\nTell me more\n\
            \n---\n\n## Edited prompt 1/2\n\n*Forks after message 1 of Alternative answer 1/2 (ChatGPT: “A language.”).*\n\n### You\n\nTell me less\n\
            \n---\n\n## Edited prompt 1/2\n\n*Forks at the start of the conversation.*\n\n### You\n\nWhat is Go?\n";
        assert_eq!(out, expected);
        let current = md(
            &t,
            &Options {
                branches: Branches::Current,
                ..opts
            },
        );
        assert!(!current.contains("Tell me"));
    }

    #[test]
    fn assets_link_embed_omit_missing() {
        let mut t = rich();
        // Two images with the same file name get distinct files.
        t.messages.push(msg(
            "a2",
            Role::Assistant,
            vec![image(
                "sediment://file_chart2",
                Some("chart.png"),
                Some(png()),
            )],
        ));
        let link = Options::default();
        let out = md(&t, &link);
        assert!(out.contains("![chart.png](assets/chart.png)"));
        assert!(out.contains("![chart.png](assets/chart-2.png)"));
        let files = asset_files(&t, &link, "assets");
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "assets/chart.png",
                "assets/file_audio.wav",
                "assets/chart-2.png"
            ]
        );
        assert_eq!(files[0].data, png().as_slice());
        for f in &files {
            assert!(
                out.contains(&format!("]({})", f.path)),
                "{} not linked",
                f.path
            );
        }
        // A folder with a space is percent-encoded in links, not in paths.
        let files = asset_files(&t, &link, "My Chat_files");
        assert_eq!(files[0].path, "My Chat_files/chart.png");
        let mut s = String::new();
        write(&t, &link, "My Chat_files", &mut s).unwrap();
        assert!(s.contains("![chart.png](My%20Chat_files/chart.png)"));

        let embed = Options {
            images: Images::Embed,
            ..Options::default()
        };
        let out = md(&t, &embed);
        assert!(out.contains("![chart.png](data:image/png;base64,iVBORw0KGgo"));
        assert!(out.contains("*Audio:* [file\\_audio](data:audio/wav;base64,"));
        assert!(asset_files(&t, &embed, "assets").is_empty());

        let omit = Options {
            images: Images::Omit,
            ..Options::default()
        };
        let out = md(&t, &omit);
        assert!(out.contains("*\\[image: chart.png\\]*"));
        assert!(!out.contains("base64"));
        assert!(!out.contains("](assets/"));
        assert!(asset_files(&t, &omit, "assets").is_empty());
        // Missing bytes: a placeholder in every mode, never a link.
        assert!(md(&t, &link).contains("lost \\<image\\>.png — not included in the export"));
    }

    #[test]
    fn hostile_strings_are_escaped() {
        let mut t = rich();
        t.title = "<script>alert(1)</script> [x](javascript:y)".to_owned();
        // Only what the writer itself writes (text blocks are Markdown by design).
        t.messages
            .retain(|m| !m.blocks.iter().any(|b| matches!(b, Block::Text { .. })));
        t.messages.push(msg(
            "a9",
            Role::Assistant,
            vec![Block::Quote {
                title: Some("](javascript:alert(1))".to_owned()),
                url: Some("javascript:alert(1)".to_owned()),
                domain: None,
                text: "<img src=x onerror=alert(1)>".to_owned(),
            }],
        ));
        let opts = Options {
            include_hidden: true,
            front_matter: vec![],
            ..Options::default()
        };
        let out = md(&t, &opts);
        assert!(out.contains("# \\<script\\>alert(1)\\</script\\> \\[x\\](javascript:y)\n"));
        assert!(out.contains("> \\<img src=x onerror=alert(1)\\>\n>\n> — \\](javascript:alert(1))"));
        assert!(!out.replace("\\]", "").contains("](javascript:"));
        // The only raw HTML is the writer's own `<details>` wrapper.
        let stripped = ["\\<", "<details>", "</details>", "<summary>", "</summary>"]
            .iter()
            .fold(out.clone(), |s, tag| s.replace(tag, ""));
        assert!(!stripped.contains('<'), "{stripped}");
    }

    #[test]
    fn chat_html_and_script_links_are_text_in_every_role_and_flavour() {
        let raw = "Hi <iframe src=\"javascript:alert(1)\"></iframe> [x](JaVaScRiPt:alert(2)) `<b>`";
        let shown = "Hi \\<iframe src=\"javascript:alert(1)\">\\</iframe> x `<b>`";
        let mut messages: Vec<Message> = [Role::User, Role::Assistant, Role::System, Role::Tool]
            .into_iter()
            .enumerate()
            .map(|(i, role)| msg(&format!("m{i}"), role, vec![text(raw)]))
            .collect();
        messages.push(msg(
            "c",
            Role::Assistant,
            vec![
                Block::Canvas {
                    title: None,
                    kind: None,
                    content: raw.to_owned(),
                },
                Block::Reasoning {
                    thoughts: vec![crate::Thought {
                        summary: None,
                        content: raw.to_owned(),
                    }],
                },
            ],
        ));
        let t = Transcript {
            title: "t".to_owned(),
            messages,
            ..Transcript::default()
        };
        for flavor in [Flavor::Plain, Flavor::Obsidian] {
            let opts = Options {
                include_reasoning: true,
                flavor,
                ..Options::default()
            };
            let out = md(&t, &opts);
            // Four roles, the Canvas document and the reasoning.
            assert_eq!(out.matches(shown).count(), 6, "{out}");
            assert!(!out.replace("\\<", "").contains("<iframe"), "{out}");
            assert!(!out.contains("javascript:alert(2)"), "{out}");
        }
        // The writer's own footnote: a lone script URL is code, not a link definition.
        let mut t = rich();
        t.sources[1].title = Some("javascript:alert(3)".to_owned());
        t.messages.push(assistant("a8", "See[^2]."));
        let out = md(&t, &Options::default());
        assert!(out.contains("\n[^2]: `javascript:alert(3)`\n"), "{out}");
    }

    #[test]
    fn unclosed_fence_is_closed() {
        let t = Transcript {
            title: "t".to_owned(),
            messages: vec![
                assistant("a", "Code:\n```python\nprint(1)"),
                user("u", "Next"),
            ],
            ..Transcript::default()
        };
        let out = md(&t, &Options::default());
        assert!(out.contains("```python\nprint(1)\n```\n\n## You"));
    }

    #[test]
    fn message_markdown_matches_writer() {
        let t = rich();
        let opts = Options::default();
        let out = to_string(&t, Format::Markdown, &opts);
        for m in t.visible_messages() {
            let md = message_markdown(&t, m, &opts, "assets");
            assert!(!md.is_empty());
            assert!(out.contains(&md), "{md}");
        }
    }

    #[test]
    fn leading_blank_lines_are_dropped() {
        assert_eq!(skip_blank_lines("\n  \n    code\nx"), "    code\nx");
        assert_eq!(skip_blank_lines("x"), "x");
        let m = assistant("a", "\n\nHello");
        let t = Transcript::default();
        assert_eq!(
            message_markdown(&t, &m, &Options::default(), "assets"),
            "Hello"
        );
    }

    #[test]
    fn footnote_scan() {
        let used = footnote_refs("a[^1] b[^3][^12] [^x] [^2", 3);
        assert_eq!(used.into_iter().collect::<Vec<_>>(), [1, 3]);
    }
}
