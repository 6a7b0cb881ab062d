//! The `chatkeep` binary end to end: exit codes, messages, files written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chatkeep"))
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chatkeep-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(cmd: &mut Command) -> (Output, String) {
    let out = cmd.output().expect("run chatkeep");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

#[test]
fn converts_one_conversation_to_all_formats() {
    let out_dir = temp_dir("one");
    let (out, stderr) = run(bin()
        .args(["convert", "--format", "all", "--quiet", "--out"])
        .arg(&out_dir)
        .arg(fixture("api/basic-markdown/input.json")));
    assert!(out.status.success(), "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("out dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.iter().any(|n| n.ends_with(".md"))
            && names.iter().any(|n| n.ends_with(".html"))
            && names.iter().any(|n| n.ends_with(".json"))
    );
    let json = std::fs::read_to_string(
        out_dir.join(names.iter().find(|n| n.ends_with(".json")).expect("json")),
    )
    .expect("read");
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert!(v["schema"]
        .as_str()
        .is_some_and(|s| s.starts_with("chatkeep.transcript/")));
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn broken_conversation_is_reported_and_others_written() {
    let out_dir = temp_dir("broken");
    let (out, stderr) = run(bin()
        .args(["convert", "--out"])
        .arg(&out_dir)
        .arg(fixture("export/array-with-broken/input.json")));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Broken conversation"), "{stderr}");
    assert!(stderr.contains("Wrote 2 conversation(s)"), "{stderr}");
    let md = std::fs::read_dir(&out_dir)
        .expect("out")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .count();
    assert_eq!(md, 2);
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn not_an_export_says_what_it_found() {
    let dir = temp_dir("png");
    let png = dir.join("photo.zip");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    let (out, stderr) = run(bin().args(["convert"]).arg(&png));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("not a ChatGPT export") && stderr.contains("PNG"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn list_prints_one_line_per_conversation() {
    let (out, stderr) = run(bin()
        .arg("list")
        .arg(fixture("export/chat-html/input.html")));
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    for line in stdout.lines() {
        assert_eq!(line.split('\t').count(), 4, "{line}");
    }
}

#[test]
fn help_has_examples() {
    let (out, _) = run(bin().args(["convert", "--help"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("Examples:") && stdout.contains("--format"));
}
