//! Benchmark helpers, driven by `bench/bench.py` (`./build.sh bench`):
//!
//! - `bench parse FILE`: the baseline — a bare typed `serde_json` parse of a whole
//!   `conversations.json` read into memory (what a careful native exporter does before any
//!   rendering). Prints the conversation count.
//! - `bench convert FILE FORMAT`: chatkeep in-process, streaming, rendering every conversation
//!   to a string (no disk writes; FORMAT `read` stops after reading). Prints the count and
//!   bytes written.
//!   A fifth argument `redact` redacts every conversation first (every kind, the JSON's
//!   `source` left out: the default), to measure redaction's cost; `redact-keep-source`
//!   redacts inside the JSON's `source` instead (the CLI's `--redact-keep-source`).
//! - `bench redact CORPUS_DIR`: precision and recall per kind on the labelled corpus
//!   (`tests/redact/`), one JSON line.
//! - `bench generate OUT MEGABYTES FIXTURE`: a deterministic export of about that size, made
//!   by repeating the real fixture's conversations (same content mix and size distribution)
//!   under new ids, written streaming.

use chatkeep_core::source::export::{read_json, Progress, ZipExport};
use chatkeep_core::{render, Format, Options};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::ops::ControlFlow;

#[path = "../../../tests/redact/scoring.rs"]
mod scoring;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Conv<'a> {
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    create_time: Option<f64>,
    #[serde(borrow)]
    current_node: Option<Cow<'a, str>>,
    #[serde(borrow)]
    mapping: HashMap<Cow<'a, str>, Node<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Node<'a> {
    #[serde(borrow)]
    parent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    children: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Msg<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Msg<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    author: Author<'a>,
    create_time: Option<f64>,
    #[serde(borrow)]
    content: Content<'a>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Author<'a> {
    #[serde(borrow)]
    role: Cow<'a, str>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Content<'a> {
    #[serde(borrow)]
    content_type: Cow<'a, str>,
    #[serde(borrow, default)]
    parts: Option<Vec<&'a RawValue>>,
}

fn json_of(path: &str) -> Vec<u8> {
    let mut data = Vec::new();
    if path.ends_with(".zip") {
        let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut z = zip::ZipArchive::new(f).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut e = z
            .by_name("conversations.json")
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        e.read_to_end(&mut data)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    } else {
        data = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    data
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("parse") => {
            let data = json_of(&args[2]);
            let text = std::str::from_utf8(&data).unwrap_or_else(|e| panic!("{e}"));
            let convs: Vec<Conv<'_>> = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
            println!("{} conversations, {} bytes", convs.len(), data.len());
        }
        Some("convert") => {
            let path = &args[2];
            // `read`: the readers alone, no rendering; `list`: what opening an export on the
            // export page does with each conversation (its summary and its search text).
            let list = args.get(3).map(String::as_str) == Some("list");
            let read_only = list || args.get(3).map(String::as_str) == Some("read");
            let mut search = chatkeep_core::search::Search::kept(128 << 20);
            let mut listed = 0usize;
            let format = match args.get(3).map(String::as_str) {
                Some("html") => Format::Html,
                Some("json") => Format::Json,
                _ => Format::Markdown,
            };
            let redact = args.get(4).map(String::as_str);
            let keep_source = redact == Some("redact-keep-source");
            let opts = Options {
                formats: vec![format],
                redact: chatkeep_core::redact::RedactOptions {
                    enabled: redact == Some("redact") || keep_source,
                    source: if keep_source {
                        chatkeep_core::redact::SourceMode::Redact
                    } else {
                        chatkeep_core::redact::SourceMode::default()
                    },
                    ..Default::default()
                },
                ..Options::default()
            };
            let (mut n, mut bytes) = (0usize, 0usize);
            let mut out = String::new();
            let mut on = |r: chatkeep_core::Result<chatkeep_core::Transcript>, _: &Progress| {
                if let Ok(mut t) = r {
                    if opts.redact.enabled {
                        if format != Format::Json {
                            t.source_json = None;
                        }
                        chatkeep_core::redact::apply(&mut t, &opts.redact);
                    }
                    if list {
                        let summary = chatkeep_core::model::Summary::from(&t);
                        listed += summary.title.len();
                        search.add(n, &t);
                    }
                    if !read_only {
                        out.clear();
                        render::write(&t, format, &opts, "assets", &mut out);
                        bytes += out.len();
                    }
                    n += 1;
                }
                ControlFlow::Continue(())
            };
            if path.ends_with(".zip") {
                let open =
                    || BufReader::new(std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}")));
                let mut z = ZipExport::open(open(), open()).unwrap_or_else(|e| panic!("{e}"));
                z.for_each(&mut on).unwrap_or_else(|e| panic!("{e}"));
            } else {
                let f = BufReader::with_capacity(
                    1 << 20,
                    std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}")),
                );
                read_json(f, &mut Progress::default(), &mut on).unwrap_or_else(|e| panic!("{e}"));
            }
            println!(
                "{n} conversations, {bytes} bytes of {}, {listed} title bytes listed",
                format.extension()
            );
        }
        Some("redact") => redact_corpus(&args[2]),
        Some("generate") => {
            let out_path = &args[2];
            let megabytes: u64 = args[3].parse().unwrap_or_else(|e| panic!("{e}"));
            let data = json_of(&args[4]);
            let all: Vec<&RawValue> =
                serde_json::from_slice(&data).unwrap_or_else(|e| panic!("{e}"));
            let target = megabytes * 1024 * 1024;
            let mut w = BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(out_path).unwrap_or_else(|e| panic!("{e}")),
            );
            let mut written = 1u64;
            let _ = w.write_all(b"[");
            let mut i = 0usize;
            while written < target {
                let src = all[i % all.len()].get();
                // A new, unique id for each copy (ids are 36-character UUIDs).
                let copy = i / all.len();
                let text = if copy == 0 {
                    src.to_owned()
                } else {
                    src.replace("\"id\": \"", &format!("\"id\": \"{copy:08x}-"))
                        .replace(
                            "\"conversation_id\": \"",
                            &format!("\"conversation_id\": \"{copy:08x}-"),
                        )
                };
                if i > 0 {
                    let _ = w.write_all(b",\n");
                    written += 2;
                }
                let _ = w.write_all(text.as_bytes());
                written += text.len() as u64;
                i += 1;
            }
            let _ = w.write_all(b"]");
            let _ = w.flush();
            println!("{i} conversations, {} bytes", written + 1);
        }
        _ => {
            eprintln!("usage: bench parse FILE | convert FILE [md|html|json|read] [redact|redact-keep-source] | redact CORPUS_DIR | generate OUT MEGABYTES FIXTURE");
            std::process::exit(2);
        }
    }
}

/// Precision and recall per kind on the labelled corpus, scored as the core's test scores
/// it (`tests/redact/scoring.rs`).
fn redact_corpus(dir: &str) {
    use chatkeep_core::redact::Kind;
    let (cases, terms) = scoring::load(dir);
    let opts = scoring::options(terms);
    let started = std::time::Instant::now();
    let (score, _) = scoring::score(&cases, &opts);
    let micros = started.elapsed().as_micros();
    let kinds: Vec<serde_json::Value> = Kind::ALL
        .iter()
        .map(|k| {
            let s = score.get(k).copied().unwrap_or_default();
            serde_json::json!({
                "kind": k.label(),
                "precision": s.precision(),
                "recall": s.recall(),
                "tp": s.tp, "fp": s.fp, "fn": s.fn_,
            })
        })
        .collect();
    let changed = cases.iter().filter(|c| !c.expect.is_empty()).count();
    println!(
        "{}",
        serde_json::json!({"texts": cases.len(), "to_change": changed, "to_leave": cases.len() - changed, "micros": micros, "kinds": kinds})
    );
}
