//! Damaged and hostile inputs: each gets a specific error, nothing panics, and whatever can
//! be saved is saved. The damaged files are built here, at test time, from the real export
//! in `../shared/fixtures/export/` and from small synthetic conversations (no big binaries
//! are committed).

use chatkeep_core::source::export::{self, Progress, ZipExport};
use chatkeep_core::source::{api, page, share};
use chatkeep_core::{render, Block, Error, Format, Options, Result, Transcript};
use serde_json::{json, Value};
use std::io::{Cursor, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn real_export_zip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/export/chatgpt-export-2026-01.zip")
}

/// The real export's `conversations.json` (88 MB, 491 conversations), unzipped once.
fn real_conversations_json() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| {
        let f = std::fs::File::open(real_export_zip()).expect("open the real export");
        let mut z = zip::ZipArchive::new(f).expect("zip");
        let mut e = z.by_name("conversations.json").expect("conversations.json");
        let mut v = Vec::new();
        e.read_to_end(&mut v).expect("read");
        v
    })
}

/// Byte ranges of every element of a JSON array, found with the core's own splitter and
/// located verbatim in `data`.
fn element_ranges(data: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut from = 0;
    export::read_json_elements(data, &mut Progress::default(), &mut |el, _| {
        let at = from + memchr::memmem::find(&data[from..], &el).expect("element is verbatim");
        ranges.push(at..at + el.len());
        from = at + el.len();
        ControlFlow::Continue(())
    })
    .expect("the real export reads");
    ranges
}

/// Everything a streaming read delivered, and how it ended.
#[derive(Debug)]
struct Delivered {
    ok: Vec<Transcript>,
    failed: Vec<Error>,
    end: Result<()>,
}

fn read_json_all(data: &[u8]) -> Delivered {
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    let end = export::read_json(data, &mut Progress::default(), &mut |r, _| {
        match r {
            Ok(t) => ok.push(t),
            Err(e) => failed.push(e),
        }
        ControlFlow::Continue(())
    });
    Delivered { ok, failed, end }
}

fn read_zip_all(zip: &[u8]) -> Result<Delivered> {
    let mut z = ZipExport::open(Cursor::new(zip), Cursor::new(zip))?;
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    let end = z.for_each(&mut |r, _| {
        match r {
            Ok(t) => ok.push(t),
            Err(e) => failed.push(e),
        }
        ControlFlow::Continue(())
    });
    Ok(Delivered { ok, failed, end })
}

fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(true);
    for (name, data) in entries {
        w.start_file(*name, opts).expect("start entry");
        w.write_all(data).expect("write entry");
    }
    w.finish().expect("finish zip").into_inner()
}

/// A small valid conversation with `n` user/assistant exchanges.
fn conversation(id: &str, title: &str, n: usize) -> Value {
    let mut mapping = serde_json::Map::new();
    mapping.insert(
        "root".into(),
        json!({"id": "root", "parent": null, "children": ["m0"], "message": null}),
    );
    for i in 0..2 * n {
        let id_i = format!("m{i}");
        let parent = if i == 0 {
            "root".to_owned()
        } else {
            format!("m{}", i - 1)
        };
        let children: Vec<String> = if i + 1 < 2 * n {
            vec![format!("m{}", i + 1)]
        } else {
            vec![]
        };
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        mapping.insert(
            id_i.clone(),
            json!({"id": id_i, "parent": parent, "children": children, "message": {
                "id": id_i, "author": {"role": role}, "create_time": 1_700_000_000.0 + i as f64,
                "content": {"content_type": "text", "parts": [format!("message {i}\n\n```rust\nfn f{i}() {{}}\n```")]},
                "metadata": {}, "recipient": "all"
            }}),
        );
    }
    json!({
        "id": id, "conversation_id": id, "title": title, "create_time": 1_700_000_000.0,
        "current_node": format!("m{}", 2 * n - 1), "mapping": mapping
    })
}

fn all_formats(t: &Transcript) -> [String; 3] {
    let opts = Options::default();
    Format::ALL.map(|f| render::to_string(t, f, &opts))
}

// ---------------------------------------------------------------------------------------
// Not an export at all

#[test]
fn empty_file_says_it_is_empty() {
    let expect_empty = |what: &str, e: Error| {
        assert_eq!(e.kind(), "not_an_export", "{what}: {e}");
        assert!(e.to_string().contains("an empty file"), "{what}: {e}");
    };
    expect_empty("sniff", export::sniff(b"").expect_err("empty is refused"));
    expect_empty(
        "whitespace",
        export::sniff(b" \n\t").expect_err("blank is refused"),
    );
    let r = read_json_all(b"");
    assert!(r.ok.is_empty() && r.failed.is_empty());
    expect_empty("read_json", r.end.expect_err("error"));
    let r = export::read_chat_html(&b""[..], &mut Progress::default(), &mut |_, _| {
        ControlFlow::Continue(())
    });
    assert_eq!(r.err().map(|e| e.kind()), Some("not_an_export"));
    expect_empty(
        "conversation",
        api::read_conversation("").expect_err("error"),
    );
    let z = ZipExport::open(Cursor::new(&b""[..]), Cursor::new(&b""[..]));
    assert_eq!(z.err().map(|e| e.kind()), Some("not_an_export"));
    let s = share::read_share_page("").expect_err("error");
    assert_eq!(s.kind(), "not_an_export", "{s}");
}

#[test]
fn png_renamed_zip_is_named_as_a_png() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let e = export::sniff(png).expect_err("refused");
    assert_eq!(e.kind(), "not_an_export");
    assert!(e.to_string().contains("a PNG image"), "{e}");
    let e = ZipExport::open(Cursor::new(&png[..]), Cursor::new(&png[..]))
        .err()
        .expect("refused");
    assert_eq!(e.kind(), "not_an_export", "{e}");
    assert!(e.to_string().contains("not a ZIP"), "{e}");
    let r = read_json_all(png);
    assert!(r.end.is_err_and(|e| e.to_string().contains("a PNG image")));
}

#[test]
fn binary_garbage_is_named_binary() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    let e = export::sniff(&garbage).expect_err("refused");
    assert!(e.to_string().contains("a binary file"), "{e}");
}

#[test]
fn zip_without_conversations_lists_what_it_holds() {
    let z = zip_of(
        &[("notes.txt", b"hi"), ("photo.jpg", b"\xFF\xD8\xFF")],
        zip::CompressionMethod::Stored,
    );
    let e = read_zip_all(&z).expect_err("refused");
    assert_eq!(e.kind(), "not_an_export");
    let msg = e.to_string();
    assert!(
        msg.contains("without conversations.json") && msg.contains("notes.txt"),
        "{msg}"
    );
    let empty = zip_of(&[], zip::CompressionMethod::Stored);
    let e = read_zip_all(&empty).expect_err("refused");
    assert!(e.to_string().contains("an empty ZIP archive"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Damaged ZIPs

#[test]
fn truncated_zip_says_it_is_incomplete() {
    let full = std::fs::read(real_export_zip()).expect("read the real export");
    for cut in [full.len() / 2, full.len() - 10, 100] {
        let e = read_zip_all(&full[..cut]).expect_err("refused");
        assert_eq!(e.kind(), "zip", "cut at {cut}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains("incomplete") && msg.contains("Download the export again"),
            "cut at {cut}: {msg}"
        );
    }
}

#[test]
fn bad_crc_delivers_everything_then_names_the_damaged_entry() {
    let array = Value::Array(
        (0..3)
            .map(|i| conversation(&format!("c{i}"), &format!("Title {i}"), 2))
            .collect(),
    );
    let mut data = serde_json::to_vec(&array).expect("json");
    // Stored, so one changed letter still parses but breaks the checksum.
    let good = zip_of(
        &[("conversations.json", &data)],
        zip::CompressionMethod::Stored,
    );
    let at = memchr::memmem::find(&good, b"Title 2").expect("title in the zip") + 1;
    let mut bad = good.clone();
    bad[at] = b'X';
    let r = read_zip_all(&bad).expect("opens");
    assert_eq!(r.ok.len(), 3, "every conversation is still delivered");
    assert!(r.failed.is_empty());
    let e = r.end.expect_err("the checksum error is reported");
    assert_eq!(e.kind(), "zip", "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("conversations.json") && msg.contains("checksum"),
        "{msg}"
    );

    // Deflated: a flipped byte in the middle of the compressed stream.
    data.extend_from_slice(b" ");
    let z = zip_of(
        &[("conversations.json", &data)],
        zip::CompressionMethod::Deflated,
    );
    let mid = z.len() / 3;
    let mut bad = z.clone();
    bad[mid] ^= 0x55;
    if let Ok(r) = read_zip_all(&bad) {
        assert!(
            r.end.is_err() || !r.failed.is_empty() || r.ok.len() == 3,
            "damage is reported, never silently dropped"
        );
    }
}

#[test]
fn damaged_real_export_never_panics() {
    let full = std::fs::read(real_export_zip()).expect("read the real export");
    // Flip bytes at a few spots of the compressed conversations.json.
    for frac in [0.001, 0.25, 0.6] {
        let mut bad = full.clone();
        let at = (bad.len() as f64 * frac) as usize + 64;
        for b in &mut bad[at..at + 16] {
            *b ^= 0xA5;
        }
        let Ok(r) = read_zip_all(&bad) else {
            continue;
        };
        let lost = r.end.is_err() || !r.failed.is_empty();
        assert!(
            lost,
            "damage at {frac} went unnoticed ({} read)",
            r.ok.len()
        );
        for e in r.failed.iter().chain(r.end.as_ref().err()) {
            assert!(
                matches!(e.kind(), "zip" | "bad_json" | "truncated" | "conversation"),
                "{e}"
            );
        }
    }
}

#[test]
fn zip_bomb_is_refused_with_a_clear_message() {
    // 300 MB of spaces deflate to ~300 KB: far past the ratio limit.
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    w.start_file("conversations.json", opts).expect("entry");
    w.write_all(b"[").expect("write");
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..300 {
        w.write_all(&spaces).expect("write");
    }
    w.write_all(b"]").expect("write");
    let bomb = w.finish().expect("zip").into_inner();
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let e = read_zip_all(&bomb).expect_err("refused");
    assert_eq!(e.kind(), "too_large", "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("conversations.json") && msg.contains("was not opened"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------
// Damaged JSON

#[test]
fn truncated_inside_conversation_250_delivers_249() {
    let data = real_conversations_json();
    let ranges = element_ranges(data);
    assert_eq!(ranges.len(), 491);
    let c250 = &ranges[249];
    let cut = c250.start + (c250.end - c250.start) / 2;
    let r = read_json_all(&data[..cut]);
    assert_eq!(r.ok.len() + r.failed.len(), 249);
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    match r.end {
        Err(ref e @ Error::Truncated { complete: 249 }) => {
            let msg = e.to_string();
            assert!(msg.contains("after 249 complete conversation(s)"), "{msg}");
        }
        other => panic!("expected Truncated {{ complete: 249 }}, got {other:?}"),
    }
    // The 249 are exactly the first 249 of the full file, in order.
    for (t, range) in r.ok.iter().zip(&ranges) {
        let el = String::from_utf8_lossy(&data[range.clone()]);
        let id = api::read_conversation(&el)
            .map(|t| t.id)
            .unwrap_or_default();
        assert_eq!(t.id, id);
    }

    // The same cut inside a re-zipped export.
    let z = zip_of(
        &[("conversations.json", &data[..cut])],
        zip::CompressionMethod::Deflated,
    );
    let r = read_zip_all(&z).expect("opens");
    assert_eq!(r.ok.len(), 249);
    assert!(matches!(r.end, Err(Error::Truncated { complete: 249 })));
}

#[test]
fn truncated_at_every_kind_of_boundary() {
    let array = serde_json::to_vec(&Value::Array(
        (0..3)
            .map(|i| conversation(&format!("c{i}"), "T", 1))
            .collect(),
    ))
    .expect("json");
    let ranges = element_ranges(&array);
    // Right after element 2, after its comma, and inside it.
    for (cut, complete) in [
        (ranges[1].end, 2),
        (ranges[1].end + 1, 2),
        (ranges[1].start + 3, 1),
        (1, 0),
    ] {
        let r = read_json_all(&array[..cut]);
        assert_eq!(r.ok.len(), complete, "cut at {cut}");
        match r.end {
            Err(Error::Truncated { complete: c }) => assert_eq!(c, complete),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn garbage_between_conversations_keeps_those_before() {
    let a = serde_json::to_string(&conversation("a", "A", 1)).expect("json");
    let input = format!("[{a}, {a} oops {a}]");
    let r = read_json_all(input.as_bytes());
    assert_eq!(r.ok.len(), 2);
    let e = r.end.expect_err("error");
    assert_eq!(e.kind(), "bad_json");
    assert!(e.to_string().contains("after conversation 2"), "{e}");
}

#[test]
fn non_utf8_bytes_are_replaced_and_the_conversation_kept() {
    let a = serde_json::to_vec(&conversation("a", "A", 1)).expect("json");
    let mut b = serde_json::to_vec(&conversation("b", "Caf\u{e9}", 1)).expect("json");
    // Latin-1 é instead of UTF-8 in the title.
    let at = memchr::memmem::find(&b, "Caf\u{e9}".as_bytes()).expect("title") + 3;
    b.splice(at..at + 2, [0xE9]);
    let mut input = b"[".to_vec();
    input.extend_from_slice(&a);
    input.push(b',');
    input.extend_from_slice(&b);
    input.push(b']');
    let r = read_json_all(&input);
    assert!(r.end.is_ok(), "{:?}", r.end);
    assert_eq!(r.ok.len(), 2);
    assert_eq!(r.ok[1].title, "Caf\u{FFFD}");
    assert!(r.ok[1]
        .warnings
        .iter()
        .any(|w| w.message.contains("not UTF-8")));
}

/// Every field of a rich conversation, replaced in turn by every wrong type: never a panic;
/// a wrong value inside one message never costs the conversation.
#[test]
fn wrong_types_in_every_field() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/api/tools/input.json");
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let wrong = [
        json!(null),
        json!(7),
        json!(-1.5e300),
        json!("text"),
        json!(true),
        json!([]),
        json!({}),
        json!([{"x": 1}]),
    ];
    let mut paths = Vec::new();
    collect_paths(&original, &mut Vec::new(), &mut paths);
    assert!(paths.len() > 200, "{}", paths.len());
    let (mut runs, mut whole_failures) = (0usize, Vec::new());
    for p in &paths {
        for w in &wrong {
            let mut v = original.clone();
            *pointer_mut(&mut v, p) = w.clone();
            runs += 1;
            match api::read_conversation(&v.to_string()) {
                Ok(t) => {
                    let _ = all_formats(&t);
                }
                Err(e) => {
                    assert_eq!(e.kind(), "conversation", "{p:?} = {w}: {e}");
                    whole_failures.push(format!("{} = {w}", p.join(".")));
                }
            }
        }
    }
    // Only the top-level `mapping` itself may make a conversation unreadable.
    let outside_mapping: Vec<&String> = whole_failures
        .iter()
        .filter(|f| !f.starts_with("mapping ="))
        .collect();
    assert!(
        outside_mapping.is_empty(),
        "{} of {runs} runs lost a whole conversation: {outside_mapping:#?}",
        outside_mapping.len()
    );
}

fn collect_paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                out.push(at.clone());
                collect_paths(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(i.to_string());
                out.push(at.clone());
                collect_paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn pointer_mut<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    let mut cur = v;
    for k in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(k).expect("key"),
            Value::Array(a) => &mut a[k.parse::<usize>().expect("index")],
            _ => unreachable!("path follows the value"),
        };
    }
    cur
}

// ---------------------------------------------------------------------------------------
// Sizes and depths

#[test]
fn ten_megabyte_message_is_kept_whole() {
    let mut c = conversation("big", "Big", 1);
    let line = "A long line with **bold**, `code`, <b>tags</b> and $x^2$. ";
    let text: String = line.repeat(10 * 1024 * 1024 / line.len());
    let body = format!("{text}\n\n```python\n{}\n```", "print(1)\n".repeat(1000));
    c["mapping"]["m1"]["message"]["content"]["parts"] = json!([body]);
    let started = std::time::Instant::now();
    let array = serde_json::to_vec(&json!([c])).expect("json");
    let mut delivered = Vec::new();
    // Streamed in small chunks, as from a slow disk.
    let end = export::read_json(
        std::io::BufReader::with_capacity(4096, &array[..]),
        &mut Progress::default(),
        &mut |r, _| {
            delivered.push(r);
            ControlFlow::Continue(())
        },
    );
    assert!(end.is_ok(), "{end:?}");
    let t = delivered.pop().expect("one").expect("readable");
    let Some(Block::Text { markdown }) = t.messages[1].blocks.first() else {
        panic!("text block")
    };
    assert!(markdown.len() >= text.len());
    let [md, html, json] = all_formats(&t);
    assert!(md.len() > text.len() && html.len() > text.len() && json.len() > text.len());
    assert!(md.contains("print(1)\nprint(1)"));
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn hundred_thousand_message_chain() {
    let started = std::time::Instant::now();
    let c = conversation("long", "Long", 50_000);
    let t = api::read_conversation(&c.to_string()).expect("readable");
    assert_eq!(t.messages.len(), 100_000);
    assert!(t.branches.is_empty());
    let [md, html, json] = all_formats(&t);
    assert_eq!(md.matches("```rust").count(), 100_000);
    assert_eq!(html.matches("<pre").count(), 100_000, "one code block each");
    assert!(json.len() > md.len());

    // The same chain as a cycle with no current node: read, not looped over.
    let mut c = c;
    c["mapping"]["root"]["parent"] = json!("m99999");
    c["mapping"]["m99999"]["children"] = json!(["root"]);
    c["current_node"] = json!(null);
    let t = api::read_conversation(&c.to_string()).expect("readable");
    let all = t.messages.len() + t.branches.iter().map(|b| b.messages.len()).sum::<usize>();
    assert_eq!(all, 100_000, "every message once");
    assert!(
        started.elapsed().as_secs() < 120,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn deep_json_nesting_never_overflows() {
    // 100,000 nested arrays in one message's content: serde_json's recursion limit.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut c = serde_json::to_string(&conversation("d", "Deep", 1)).expect("json");
    c = c.replacen("\"metadata\":{}", &format!("\"metadata\":{deep}"), 1);
    // The message's metadata is read leniently: the conversation is still saved, or, if
    // not, the error names it.
    match api::read_conversation(&c) {
        Ok(t) => assert_eq!(t.messages.len(), 2),
        Err(e) => {
            assert_eq!(e.kind(), "conversation", "{e}");
            assert!(
                e.to_string().contains("\"Deep\""),
                "names the conversation: {e}"
            );
        }
    }
    // Too deep for any reader: the whole conversation object.
    let too_deep = format!("{{\"title\":\"Deep\",\"mapping\":{{}},\"x\":{deep}}}");
    match api::read_conversation(&too_deep) {
        Ok(t) => assert_eq!(t.title, "Deep"),
        Err(e) => assert_eq!(e.kind(), "conversation", "{e}"),
    }
    let deep_mapping = format!("{{\"title\":\"Deep\",\"mapping\":{deep}}}");
    let e = api::read_conversation(&deep_mapping).expect_err("refused");
    assert_eq!(e.kind(), "conversation", "{e}");
    // In an array: the splitter counts depth without recursion; the next one is still read.
    let ok = serde_json::to_string(&conversation("ok", "Fine", 1)).expect("json");
    let input = format!("[{too_deep},{c},{ok}]");
    let r = read_json_all(input.as_bytes());
    assert!(r.end.is_ok(), "{:?}", r.end);
    assert_eq!(r.failed.len() + r.ok.len(), 3);
    assert!(r.ok.iter().any(|t| t.title == "Fine"));
}

#[test]
fn deep_markdown_nesting_renders() {
    for body in [
        "> ".repeat(20_000) + "quote",
        "- ".repeat(20_000) + "item",
        "[".repeat(50_000) + &"]".repeat(50_000),
        "*".repeat(100_000),
        "<div>".repeat(50_000),
        "$".repeat(10_000) + &"\\frac{".repeat(10_000),
        "|a|\n|-|\n".to_owned() + &"|x|\n".repeat(50_000),
    ] {
        let mut c = conversation("m", "Markdown", 1);
        c["mapping"]["m1"]["message"]["content"]["parts"] = json!([body]);
        let t = api::read_conversation(&c.to_string()).expect("readable");
        // Rendered on a thread with the CLI's stack size (8 MB, the main thread's).
        let out = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || all_formats(&t))
            .expect("thread")
            .join();
        assert!(out.is_ok(), "rendering panicked for {}…", &body[..20]);
    }
}

#[test]
fn deeply_nested_saved_page_is_read() {
    let html = format!(
        "<html><body><main>{}<article data-testid=\"conversation-turn-1\"><div data-message-author-role=\"user\" data-message-id=\"u1\">hello</div></article>{}</main></body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let out = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let (root, title, url) = page::html::parse(&html);
            let r = page::read_page(&root, url.as_deref(), title.as_deref());
            r.map(|t| t.messages.len()).map_err(|e| e.kind())
        })
        .expect("thread")
        .join();
    let r = out.expect("no panic, no stack overflow");
    assert!(matches!(r, Ok(_) | Err("no_conversation")), "{r:?}");
}

#[test]
fn deeply_nested_page_tree_json_is_refused() {
    let mut s = String::new();
    for _ in 0..100_000 {
        s.push_str("{\"t\":\"div\",\"c\":[");
    }
    for _ in 0..100_000 {
        s.push_str("]}");
    }
    assert!(serde_json::from_str::<page::DomElement>(&s).is_err());
}

#[test]
fn hostile_share_pages_are_refused_cleanly() {
    // A turbo-stream table whose entries reference each other: bounded expansion.
    let mut table = vec![json!(["_1", 1])];
    for i in 1..60 {
        table.push(json!([i + 1, i + 1]));
    }
    table.push(json!("leaf"));
    let payload = serde_json::to_string(&table).expect("json");
    let html = format!(
        "<script>window.__reactRouterContext.streamController.enqueue({});</script>",
        serde_json::to_string(&payload).expect("json")
    );
    let e = share::read_share_page(&html).expect_err("refused");
    assert_eq!(e.kind(), "not_an_export", "{e}");

    // Deep nesting and self-reference.
    let deep: Vec<Value> = (0..100_000).map(|i| json!([i + 1])).collect();
    let html = format!(
        "<script>streamController.enqueue({});</script>",
        serde_json::to_string(&serde_json::to_string(&deep).expect("json")).expect("json")
    );
    let out = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            share::read_share_page(&html)
                .map(|_| ())
                .map_err(|e| e.kind())
        })
        .expect("thread")
        .join();
    assert_eq!(out.expect("no panic"), Err("not_an_export"));
}

/// Regression (found by the `page_tree` fuzz target): a saved page with a multi-byte
/// character across byte 4096 panicked while looking for the "saved from" address.
#[test]
fn saved_page_with_a_multibyte_character_at_4096() {
    let prefix = "<!-- {\"url\":\"https://chatgpt.com/c/abc\"} -->";
    for pad in (4096 - prefix.len() - 4)..(4096 - prefix.len()) {
        let html = format!("{prefix}{}\u{1F600}<main></main>", "x".repeat(pad));
        let (root, title, url) = page::html::parse(&html);
        assert_eq!(url.as_deref(), Some("https://chatgpt.com/c/abc"));
        let r = page::read_page(&root, url.as_deref(), title.as_deref());
        assert!(
            matches!(r, Ok(_) | Err(Error::NoConversation { .. })),
            "{r:?}"
        );
    }
}
