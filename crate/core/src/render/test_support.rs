//! Hand-built transcripts for the writers' tests.

use crate::{
    Asset, Block, Branch, BranchKind, Hidden, Message, Origin, Role, Source, Thought, Transcript,
};

pub(crate) fn msg(id: &str, role: Role, blocks: Vec<Block>) -> Message {
    Message {
        id: id.to_owned(),
        role,
        blocks,
        ..Message::default()
    }
}

pub(crate) fn text(md: &str) -> Block {
    Block::Text {
        markdown: md.to_owned(),
    }
}

pub(crate) fn user(id: &str, md: &str) -> Message {
    msg(id, Role::User, vec![text(md)])
}

pub(crate) fn assistant(id: &str, md: &str) -> Message {
    Message {
        model: Some("gpt-4o".to_owned()),
        ..msg(id, Role::Assistant, vec![text(md)])
    }
}

pub(crate) fn hidden(mut m: Message, why: Hidden) -> Message {
    m.hidden = Some(why);
    m
}

pub(crate) fn reasoning(id: &str) -> Message {
    msg(
        id,
        Role::Assistant,
        vec![Block::Reasoning {
            thoughts: vec![Thought {
                summary: Some("Weighing <options>".to_owned()),
                content: "First *this*, then that.".to_owned(),
            }],
        }],
    )
}

pub(crate) fn tool_call(id: &str, recipient: &str, code: &str) -> Message {
    Message {
        recipient: Some(recipient.to_owned()),
        ..msg(
            id,
            Role::Assistant,
            vec![Block::Code {
                language: Some("python".to_owned()),
                code: code.to_owned(),
            }],
        )
    }
}

pub(crate) fn png() -> Vec<u8> {
    // A 2×2 PNG.
    vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd,
        0xd4, 0x9a, 0x73, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x9f, 0x81, 0x81, 0x81, 0xe1, 0x3f, 0x03, 0x03, 0x03, 0x00, 0x1f, 0xf0,
        0x04, 0xfc, 0x1f, 0x6d, 0x2b, 0x10, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
        0x42, 0x60, 0x82,
    ]
}

pub(crate) fn image(pointer: &str, name: Option<&str>, data: Option<Vec<u8>>) -> Block {
    Block::Image {
        asset: Asset {
            pointer: Some(pointer.to_owned()),
            name: name.map(str::to_owned),
            mime: Some("image/png".to_owned()),
            size: data.as_ref().map(|d| d.len() as u64),
            width: Some(2),
            height: Some(2),
            data,
        },
        prompt: None,
    }
}

/// A main line of two messages and three branches (one forking from another branch, one
/// at the root).
pub(crate) fn branchy() -> Transcript {
    let mut a1 = assistant("a1", "A systems language.");
    a1.variant = Some((2, 2));
    Transcript {
        id: "conv-1".to_owned(),
        title: "Branches".to_owned(),
        messages: vec![user("u1", "What is Rust?"), a1],
        branches: vec![
            Branch {
                parent_id: Some("u1".to_owned()),
                kind: BranchKind::AlternativeAnswer,
                index: 1,
                count: 2,
                messages: vec![assistant("a1b", "A language."), user("u2b", "Tell me more")],
            },
            Branch {
                parent_id: Some("a1b".to_owned()),
                kind: BranchKind::EditedPrompt,
                index: 1,
                count: 2,
                messages: vec![user("u2c", "Tell me less")],
            },
            Branch {
                parent_id: None,
                kind: BranchKind::EditedPrompt,
                index: 1,
                count: 2,
                messages: vec![user("u0", "What is Go?")],
            },
        ],
        ..Transcript::default()
    }
}

/// Every block kind, hostile strings, math, citations, assets with and without bytes.
pub(crate) fn rich() -> Transcript {
    let mut u1 = msg(
        "u1",
        Role::User,
        vec![
            text("Can you plot $y = x^2$ and explain the `match` keyword?\n\nAlso: <script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1))"),
            Block::Attachment {
                asset: Asset {
                    pointer: Some("file-service://file-report".to_owned()),
                    name: Some("report (final).pdf".to_owned()),
                    mime: Some("application/pdf".to_owned()),
                    size: Some(17046),
                    data: None,
                    ..Asset::default()
                },
            },
        ],
    );
    u1.create_time = Some(1735478635.89);
    let mut a1 = msg(
        "a1",
        Role::Assistant,
        vec![
            text("Sure! Here is the parabola $y = x^2$[^1]:\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n\n| x | y |\n|---|---|\n| 1 | 1 |\n| 2 | 4 |\n\n> A blockquote with **bold**.\n\n- [x] done\n- [ ] todo\n\nSee ![remote](https://example.com/a.png) and [the docs](https://doc.rust-lang.org/) and ~~old~~.[^2]"),
            Block::Code {
                language: Some("rust".to_owned()),
                code: "fn main() {\n    let s = \"```\";\n    println!(\"{s}\");\n}\n".to_owned(),
            },
            Block::ExecutionOutput {
                text: "1\n4\n9 <b>not bold</b>".to_owned(),
            },
            image("sediment://file_chart", Some("chart.png"), Some(png())),
            Block::Image {
                asset: Asset {
                    pointer: Some("sediment://file_gone".to_owned()),
                    name: Some("lost <image>.png".to_owned()),
                    ..Asset::default()
                },
                prompt: Some("A *cat* in [space]".to_owned()),
            },
            Block::Quote {
                title: Some("Rust <Book>".to_owned()),
                url: Some("https://doc.rust-lang.org/book/".to_owned()),
                domain: Some("doc.rust-lang.org".to_owned()),
                text: "Rust is a language empowering everyone.".to_owned(),
            },
            Block::Canvas {
                title: Some("plot.py".to_owned()),
                kind: Some("code/python".to_owned()),
                content: "import matplotlib\nprint('hi')".to_owned(),
            },
            Block::Canvas {
                title: Some("Notes".to_owned()),
                kind: Some("document".to_owned()),
                content: "# Notes\n\nSome **notes**.".to_owned(),
            },
            Block::Audio {
                asset: Asset {
                    pointer: Some("sediment://file_audio".to_owned()),
                    name: None,
                    mime: Some("audio/wav".to_owned()),
                    data: Some(b"RIFF\0\0\0\0WAVEfmt ".to_vec()),
                    ..Asset::default()
                },
            },
            Block::Transcription {
                text: "Hello there *friend*".to_owned(),
                direction: Some("out".to_owned()),
            },
            Block::ReasoningRecap {
                text: "Thought for 17s".to_owned(),
            },
            Block::SystemError {
                name: Some("RateLimit".to_owned()),
                text: "Too many <requests>".to_owned(),
            },
            Block::Unsupported {
                content_type: "app_pairing_content".to_owned(),
                raw: "{\"x\":1}".to_owned(),
            },
            Block::ToolOutput {
                text: "browsing result".to_owned(),
            },
            Block::Memory {
                text: "User likes Rust.".to_owned(),
            },
        ],
    );
    a1.model = Some("gpt-4o".to_owned());
    a1.create_time = Some(1735478640.0);
    a1.variant = Some((2, 3));
    let ci = hidden(
        msg(
            "ci",
            Role::User,
            vec![Block::CustomInstructions {
                about_user: Some("I write <Rust>.".to_owned()),
                instructions: Some("Be brief.\nUse metric units.".to_owned()),
            }],
        ),
        Hidden::CustomInstructions,
    );
    Transcript {
        id: "0d5c-conv".to_owned(),
        title: "Plots: \"quotes\" </title><script>alert(1)</script> & more".to_owned(),
        url: Some("https://chatgpt.com/c/0d5c-conv".to_owned()),
        create_time: Some(1735478635.89),
        update_time: Some(1735478700.0),
        model: Some("gpt-4o".to_owned()),
        gizmo_id: Some("g-p-123".to_owned()),
        origin: Origin::Export,
        messages: vec![
            hidden(
                msg("sys", Role::System, vec![text("You are ChatGPT.")]),
                Hidden::System,
            ),
            ci,
            u1,
            hidden(reasoning("r1"), Hidden::Reasoning),
            hidden(tool_call("c1", "python", "print(1)"), Hidden::ToolCall),
            a1,
        ],
        branches: vec![Branch {
            parent_id: Some("u1".to_owned()),
            kind: BranchKind::AlternativeAnswer,
            index: 1,
            count: 3,
            messages: vec![assistant("a1x", "An older answer.")],
        }],
        sources: vec![
            Source {
                title: Some("Parabola – Wikipedia".to_owned()),
                url: Some("https://en.wikipedia.org/wiki/Parabola".to_owned()),
                attribution: Some("Wikipedia".to_owned()),
            },
            Source {
                title: Some("Evil <source>".to_owned()),
                url: Some("javascript:alert(1)".to_owned()),
                attribution: None,
            },
        ],
        warnings: vec![crate::Warning::reader("A warning")],
        source_json: Some("{\"id\": \"0d5c-conv\",  \"mapping\":{}}".to_owned()),
        ..Transcript::default()
    }
}
