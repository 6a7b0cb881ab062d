//! Golden tests: every folder under `tests/fixtures/<kind>/<case>/` is a case.
//!
//! A case holds its input — `input.json` (one conversation, or an array like
//! `conversations.json`), `input.html` (`chat.html`; a share page under `share/`, a saved chat page under `page/`), or
//! `source.txt` naming such a file in `../shared/fixtures/`, or an `input/` folder zipped in
//! memory and read as an export ZIP — plus an optional `options.json` (default: all three
//! formats) and the expected output in `expected/`: every file the conversion writes (one
//! `.md`, `.html`, `.json` per conversation, linked assets, and `errors.txt` listing what could
//! not be read). `UPDATE_GOLDEN=1 cargo test` rewrites `expected/`; review the diff.
//! A `known_failing.txt` (with the reason) marks a case that is expected to differ; the run
//! fails the day it starts passing.

use chatkeep_core::source::export::{self, InputKind, Progress, ZipExport};
use chatkeep_core::{naming, render, source, Format, Options, Result, Transcript};
use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

type Files = BTreeMap<String, Vec<u8>>;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(kinds) = std::fs::read_dir(fixtures_root()) else {
        return out;
    };
    for kind in kinds.flatten().filter(|e| e.path().is_dir()) {
        let Ok(cases) = std::fs::read_dir(kind.path()) else {
            continue;
        };
        for case in cases.flatten().filter(|e| e.path().is_dir()) {
            out.push(case.path());
        }
    }
    out.sort();
    out
}

fn zip_folder(dir: &Path) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read input folder").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    files.sort();
    for f in files {
        let name = f
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        w.start_file(name, opts).expect("zip entry");
        w.write_all(&std::fs::read(&f).expect("read file"))
            .expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// Runs the conversion for a case, returning every output file.
fn convert_case(dir: &Path) -> Files {
    let opts: Options = match std::fs::read_to_string(dir.join("options.json")) {
        Ok(s) => serde_json::from_str(&s).expect("options.json must match the Options struct"),
        Err(_) => Options {
            formats: Format::ALL.to_vec(),
            ..Options::default()
        },
    };
    let mut out = Files::new();
    let mut errors = String::new();
    let mut names = naming::UniqueNames::new();
    let mut write = |r: Result<Transcript>, out: &mut Files, errors: &mut String| match r {
        Ok(t) => {
            let stem = names.claim_for(&t, &opts);
            let (files, assets) = render::outputs(&t, &opts, &stem);
            for f in files {
                out.insert(f.file_name, f.text.into_bytes());
            }
            for a in assets {
                out.insert(a.path, a.data.to_vec());
            }
            for w in &t.warnings {
                errors.push_str(&format!("note: {} ({}): {w}\n", t.title, t.id));
            }
        }
        Err(e) => errors.push_str(&format!("error: {e}\n")),
    };
    let mut progress = Progress::default();
    let fatal: Result<()> = if dir.join("input").is_dir() {
        let bytes = zip_folder(&dir.join("input"));
        ZipExport::open(Cursor::new(&bytes[..]), Cursor::new(&bytes[..])).and_then(|mut z| {
            z.for_each(&mut |r, _| {
                write(r, &mut out, &mut errors);
                ControlFlow::Continue(())
            })
        })
    } else if let Ok(bytes) = std::fs::read(dir.join("input.json")) {
        match export::sniff(&bytes) {
            Ok(InputKind::JsonArray) => {
                export::read_json(&bytes[..], &mut progress, &mut |r, _| {
                    write(r, &mut out, &mut errors);
                    ControlFlow::Continue(())
                })
            }
            _ => {
                let r = String::from_utf8(bytes)
                    .map_err(|_| chatkeep_core::Error::NotAnExport {
                        found: "non-UTF-8".into(),
                    })
                    .and_then(|s| source::api::read_conversation(&s));
                write(r, &mut out, &mut errors);
                Ok(())
            }
        }
    } else if let Some(bytes) = input_html(dir) {
        let kind = dir
            .parent()
            .and_then(Path::file_name)
            .and_then(|k| k.to_str())
            .unwrap_or("");
        if kind == "page" {
            let (root, title, url) = source::page::html::parse(&String::from_utf8_lossy(&bytes));
            let r = source::page::read_page(&root, url.as_deref(), title.as_deref());
            write(r, &mut out, &mut errors);
            Ok(())
        } else if kind == "share" {
            let r = source::share::read_share_page(&String::from_utf8_lossy(&bytes));
            write(r, &mut out, &mut errors);
            Ok(())
        } else {
            export::read_chat_html(&bytes[..], &mut progress, &mut |r, _| {
                write(r, &mut out, &mut errors);
                ControlFlow::Continue(())
            })
        }
    } else {
        panic!(
            "{}: no input.json, input.html or input/ folder",
            dir.display()
        );
    };
    if let Err(e) = fatal {
        errors.push_str(&format!("fatal: {e}\n"));
    }
    if !errors.is_empty() {
        out.insert("errors.txt".to_owned(), errors.into_bytes());
    }
    out
}

/// `input.html`, or the shared fixture named in `source.txt` (a path from the repository root).
fn input_html(dir: &Path) -> Option<Vec<u8>> {
    if let Ok(b) = std::fs::read(dir.join("input.html")) {
        return Some(b);
    }
    let rel = std::fs::read_to_string(dir.join("source.txt")).ok()?;
    let path = fixtures_root().join("../..").join(rel.trim());
    Some(
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: cannot read {}: {e}", dir.display(), path.display())),
    )
}

fn read_expected(dir: &Path) -> Files {
    let mut out = Files::new();
    let root = dir.join("expected");
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(&root)
                    .expect("prefix")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(e.path()).expect("read expected"));
            }
        }
    }
    out
}

fn write_expected(dir: &Path, files: &Files) {
    let root = dir.join("expected");
    let _ = std::fs::remove_dir_all(&root);
    for (name, data) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, data).expect("write expected");
    }
}

/// The first difference between two file sets, in words.
fn difference(expected: &Files, actual: &Files) -> Option<String> {
    for name in expected.keys() {
        if !actual.contains_key(name) {
            return Some(format!("missing output {name}"));
        }
    }
    for (name, data) in actual {
        let Some(exp) = expected.get(name) else {
            return Some(format!("unexpected output {name}"));
        };
        if exp != data {
            let (e, a) = (String::from_utf8_lossy(exp), String::from_utf8_lossy(data));
            let line = e
                .lines()
                .zip(a.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(e.lines().count().min(a.lines().count()));
            return Some(format!(
                "{name} differs at line {}:\n  expected: {}\n  actual:   {}",
                line + 1,
                e.lines().nth(line).unwrap_or("<end of file>"),
                a.lines().nth(line).unwrap_or("<end of file>")
            ));
        }
    }
    None
}

#[test]
fn golden_cases() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let cases = cases();
    assert!(
        !cases.is_empty(),
        "no golden cases found under {}",
        fixtures_root().display()
    );
    let mut failures = Vec::new();
    for dir in &cases {
        let actual = convert_case(dir);
        let known_failing = dir.join("known_failing.txt").exists();
        if update && !known_failing {
            write_expected(dir, &actual);
            continue;
        }
        let diff = difference(&read_expected(dir), &actual);
        match (diff, known_failing) {
            (Some(d), false) => failures.push(format!("{}: {d}", dir.display())),
            (None, true) => failures.push(format!(
                "{}: passes now; delete known_failing.txt",
                dir.display()
            )),
            _ => {}
        }
    }
    println!("{} golden case(s) checked", cases.len());
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed (UPDATE_GOLDEN=1 to accept):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
