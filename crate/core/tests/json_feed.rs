//! Reading an export ZIP's conversations outside the core (the export page inflates them
//! with the browser's DecompressionStream): `ZipExport::json_entries` says where each
//! conversation entry's data lies, and `JsonFeed` splits the inflated bytes, fed in chunks
//! of any size, into conversations numbered across entries, checking each entry's size and
//! CRC-32 as the core's own ZIP reader does.

use chatkeep_core::source::export::{JsonFeed, ZipExport};
use chatkeep_core::Error;
use std::io::{Cursor, Write};
use zip::CompressionMethod;

fn zip_of(entries: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, method) in entries {
        let opts = zip::write::SimpleFileOptions::default().compression_method(*method);
        w.start_file(*name, opts).expect("start entry");
        w.write_all(data).expect("write entry");
    }
    w.finish().expect("finish zip").into_inner()
}

fn open(bytes: &[u8]) -> ZipExport<Cursor<Vec<u8>>> {
    ZipExport::open(Cursor::new(bytes.to_vec()), Cursor::new(bytes.to_vec())).expect("opens")
}

const PART0: &[u8] = r#"[{"id":"a","title":"A"},{"id":"b","title":"B \"]\" é"}]"#.as_bytes();
const PART1: &[u8] = b"[\n {\"id\":\"c\",\"title\":\"C\"},\n {\"id\":\"d\",\"title\":\"D\"}\n]\n";

fn split_export() -> Vec<u8> {
    zip_of(&[
        ("conversations-001.json", PART1, CompressionMethod::Deflated),
        (
            "file-x1-photo.png",
            b"not really a png",
            CompressionMethod::Stored,
        ),
        ("conversations-000.json", PART0, CompressionMethod::Stored),
    ])
}

/// Feeds `parts` in chunks of `chunk` bytes; returns (index, element) for each conversation.
fn feed_all(feed: &mut JsonFeed, parts: &[&[u8]], chunk: usize) -> Vec<(usize, String)> {
    let mut got = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        for piece in part.chunks(chunk) {
            feed.push(piece, |index, el| {
                got.push((index, String::from_utf8(el).expect("utf-8")))
            })
            .expect("push");
        }
        assert_eq!(
            feed.end_entry().expect("entry ends well"),
            i + 1 < parts.len()
        );
    }
    got
}

#[test]
fn entries_in_order_with_their_data_where_they_say() {
    let bytes = split_export();
    let mut export = open(&bytes);
    let entries = export
        .json_entries()
        .expect("reads")
        .expect("a JSON export");
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["conversations-000.json", "conversations-001.json"]);
    // The stored entry's data is the file's bytes at data_start.
    let e0 = &entries[0];
    assert!(!e0.deflated);
    let start = e0.data_start as usize;
    assert_eq!(&bytes[start..start + e0.compressed_size as usize], PART0);
    assert_eq!(e0.size, PART0.len() as u64);
    assert_eq!(e0.crc32, crc32fast::hash(PART0));
    let e1 = &entries[1];
    assert!(e1.deflated);
    assert_eq!(e1.size, PART1.len() as u64);
    assert_eq!(e1.crc32, crc32fast::hash(PART1));
    assert!(e1.data_start > 0 && e1.data_start + e1.compressed_size <= bytes.len() as u64);
}

#[test]
fn conversations_numbered_across_entries_at_any_chunk_size() {
    let bytes = split_export();
    for chunk in [1, 2, 7, 64, 1 << 20] {
        let mut export = open(&bytes);
        let entries = export
            .json_entries()
            .expect("reads")
            .expect("a JSON export");
        let mut feed = JsonFeed::new(entries);
        let got = feed_all(&mut feed, &[PART0, PART1], chunk);
        let indexes: Vec<usize> = got.iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, [0, 1, 2, 3], "chunk {chunk}");
        assert_eq!(got[1].1, r#"{"id":"b","title":"B \"]\" é"}"#);
        assert_eq!(got[3].1, r#"{"id":"d","title":"D"}"#);
        assert_eq!(feed.count(), 4);
    }
}

fn one_entry(data: &[u8]) -> JsonFeed {
    let bytes = zip_of(&[("conversations.json", data, CompressionMethod::Deflated)]);
    let mut export = open(&bytes);
    JsonFeed::new(
        export
            .json_entries()
            .expect("reads")
            .expect("a JSON export"),
    )
}

fn zip_detail(e: Error) -> String {
    match e {
        Error::Zip { detail } => detail,
        other => panic!("expected a ZIP error, got {other:?}"),
    }
}

#[test]
fn damaged_data_is_refused_naming_the_entry() {
    // A flipped byte inside a string: the JSON still splits, the checksum catches it.
    let mut feed = one_entry(PART0);
    let mut bad = PART0.to_vec();
    bad[10] ^= 0x01;
    feed.push(&bad, |_, _| {}).expect("splits");
    let detail = zip_detail(feed.end_entry().expect_err("bad checksum"));
    assert!(
        detail.contains("conversations.json") && detail.contains("checksum"),
        "{detail}"
    );

    // Fewer bytes than the archive lists.
    let mut feed = one_entry(PART0);
    feed.push(&PART0[..PART0.len() - 1], |_, _| {})
        .expect("splits");
    let detail = zip_detail(feed.end_entry().expect_err("short"));
    assert!(detail.contains("not the"), "{detail}");

    // More bytes than the archive lists: refused at once.
    let mut feed = one_entry(PART0);
    let mut long = PART0.to_vec();
    long.extend_from_slice(b"    ");
    let detail = zip_detail(feed.push(&long, |_, _| {}).expect_err("too long"));
    assert!(detail.contains("more than its declared"), "{detail}");
}

#[test]
fn a_cut_off_array_is_reported_after_what_it_held() {
    let cut: &[u8] = br#"[{"id":"a","title":"A"},{"id":"b""#;
    let mut feed = one_entry(cut);
    let mut got = 0;
    feed.push(cut, |_, _| got += 1).expect("splits");
    assert_eq!(got, 1);
    let e = feed.end_entry().expect_err("incomplete");
    assert_eq!(e.kind(), "truncated", "{e}");
}

#[test]
fn chat_html_exports_are_left_to_the_core() {
    let bytes = zip_of(&[(
        "chat.html",
        b"<script>var jsonData = [];</script>",
        CompressionMethod::Deflated,
    )]);
    let mut export = open(&bytes);
    assert!(export.json_entries().expect("reads").is_none());
}
