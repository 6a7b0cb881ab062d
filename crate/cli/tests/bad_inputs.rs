//! Damaged inputs end to end: the exit code, one specific message, and every conversation
//! that could be read written. The damaged files are made at test time.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chatkeep"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chatkeep-bad-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Runs `chatkeep convert INPUT --out DIR`: (exit code, stderr, Markdown files written).
fn convert(input: &Path, out: &Path) -> (Option<i32>, String, usize) {
    let o = bin()
        .args(["convert", "--quiet", "--out"])
        .arg(out)
        .arg(input)
        .output()
        .expect("run chatkeep");
    let md = std::fs::read_dir(out)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
                .count()
        })
        .unwrap_or(0);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        md,
    )
}

fn real_export_zip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/export/chatgpt-export-2026-01.zip")
}

fn conversation(id: &str, title: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "title": title, "create_time": 1_700_000_000.0, "current_node": "b",
        "mapping": {
            "a": {"id": "a", "parent": null, "children": ["b"], "message": {"id": "a",
                  "author": {"role": "user"}, "content": {"content_type": "text", "parts": ["Hi"]}}},
            "b": {"id": "b", "parent": "a", "children": [], "message": {"id": "b",
                  "author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["Hello"]}}}
        }
    })
}

#[test]
fn empty_file() {
    let d = temp_dir("empty");
    let input = d.join("conversations.json");
    std::fs::write(&input, b"").expect("write");
    let (code, stderr, _) = convert(&input, &d.join("out"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("an empty file"), "{stderr}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn missing_file_and_empty_folder() {
    let d = temp_dir("missing");
    let (code, stderr, _) = convert(&d.join("nope.zip"), &d.join("out"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot open"), "{stderr}");
    let empty = d.join("unzipped");
    std::fs::create_dir_all(&empty).expect("dir");
    let (code, stderr, _) = convert(&empty, &d.join("out"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("holds no conversations.json"), "{stderr}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn truncated_zip() {
    let d = temp_dir("truncated-zip");
    let full = std::fs::read(real_export_zip()).expect("real export");
    let input = d.join("export.zip");
    std::fs::write(&input, &full[..full.len() / 2]).expect("write");
    let (code, stderr, md) = convert(&input, &d.join("out"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("incomplete") && stderr.contains("Download the export again"),
        "{stderr}"
    );
    assert_eq!(md, 0);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn zip_with_a_bad_checksum_writes_everything_and_says_so() {
    let d = temp_dir("crc");
    let array = serde_json::Value::Array(
        (0..3)
            .map(|i| conversation(&format!("c{i}"), &format!("Title {i}")))
            .collect(),
    );
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("conversations.json", opts).expect("entry");
    w.write_all(&serde_json::to_vec(&array).expect("json"))
        .expect("write");
    let mut z = w.finish().expect("zip").into_inner();
    let at = z.windows(7).position(|x| x == b"Title 2").expect("title") + 1;
    z[at] = b'X';
    let input = d.join("export.zip");
    std::fs::write(&input, &z).expect("write");
    let (code, stderr, md) = convert(&input, &d.join("out"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("Wrote 3 conversation(s)"), "{stderr}");
    assert!(
        stderr.contains("conversations.json") && stderr.contains("checksum"),
        "{stderr}"
    );
    assert_eq!(md, 3);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn json_cut_inside_conversation_250_writes_249() {
    let d = temp_dir("cut-250");
    let mut json = Vec::new();
    zip::ZipArchive::new(std::fs::File::open(real_export_zip()).expect("open"))
        .expect("zip")
        .by_name("conversations.json")
        .expect("entry")
        .read_to_end(&mut json)
        .expect("read");
    // Start of conversation 250: the 250th object at depth 1 of the array.
    let (mut depth, mut in_str, mut esc, mut seen, mut cut) = (0u32, false, false, 0, 0);
    for (i, &b) in json.iter().enumerate() {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth == 2 && b == b'{' {
                    seen += 1;
                    if seen == 250 {
                        cut = i + 1000;
                        break;
                    }
                }
            }
            b'}' | b']' => depth -= 1,
            _ => {}
        }
    }
    assert!(cut > 0);
    let input = d.join("conversations.json");
    std::fs::write(&input, &json[..cut]).expect("write");
    let (code, stderr, md) = convert(&input, &d.join("out"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("Wrote 249 conversation(s)")
            && stderr.contains("cut off after 249 complete conversation(s)"),
        "{stderr}"
    );
    assert_eq!(md, 249);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn png_binary_and_non_utf8() {
    let d = temp_dir("kinds");
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    let input = d.join("export.zip");
    std::fs::write(&input, &garbage).expect("write");
    let (code, stderr, _) = convert(&input, &d.join("out"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("a binary file"), "{stderr}");

    // One conversation's JSON with a Latin-1 byte: written, with a note.
    let mut one = serde_json::to_vec(&conversation("x", "Caf\u{e9}")).expect("json");
    let at = one.windows(3).position(|w| w == b"Caf").expect("title") + 3;
    one.splice(at..at + 2, [0xE9]);
    let input = d.join("conversation.json");
    std::fs::write(&input, &one).expect("write");
    let (code, stderr, md) = convert(&input, &d.join("out"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    assert_eq!(md, 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn one_broken_node_does_not_lose_the_conversation() {
    let d = temp_dir("node");
    let mut c = conversation("n", "Nodes");
    c["mapping"]["a"]["children"] = serde_json::json!(7);
    c["mapping"]["zz"] = serde_json::json!("not a node");
    let input = d.join("conversations.json");
    std::fs::write(
        &input,
        serde_json::to_vec(&serde_json::json!([c])).expect("json"),
    )
    .expect("write");
    let (code, stderr, md) = convert(&input, &d.join("out"));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(md, 1);
    let _ = std::fs::remove_dir_all(&d);
}
