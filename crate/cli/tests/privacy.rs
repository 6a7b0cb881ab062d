//! `--redact*` and `--password-file`: a redacted save holds none of the secrets, in any
//! format; the encrypted ZIP opens with Debian's `7z` and the right password (every file
//! equal to the unencrypted save) and yields nothing with a wrong one.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chatkeep"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chatkeep-privacy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const EMAIL: &str = "ana.lima@firma.de";
const KEY: &str = "sk-proj-Qm9vT3x8Zr2LkW5bN7cY1dF4hJ6gP0sA";
const NAME: &str = "Håkon Berg";

fn conversation(dir: &Path) -> PathBuf {
    let text = format!("Hi, I am {NAME} ({EMAIL}). My key is {KEY}, phone +49 30 12345678.");
    let code = format!("```python\nclient = OpenAI(api_key=\"{KEY}\")\n```");
    let json = serde_json::json!({
        "id": "c-privacy", "title": format!("Mail from {EMAIL}"), "create_time": 1700000000.0,
        "current_node": "b",
        "mapping": {
            "a": {"id": "a", "parent": null, "children": ["b"], "message": {"id": "a",
                "author": {"role": "user"}, "content": {"content_type": "text", "parts": [text]}}},
            "b": {"id": "b", "parent": "a", "children": [], "message": {"id": "b",
                "author": {"role": "assistant"}, "content": {"content_type": "text", "parts": [code]}}}
        }
    });
    let p = dir.join("conversation.json");
    std::fs::write(&p, json.to_string()).expect("write input");
    p
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&p).expect("read file")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn redacted_save_holds_no_secret_in_any_format() {
    let dir = temp_dir("redact");
    let input = conversation(&dir);
    std::fs::write(dir.join("terms.txt"), format!("# people\n{NAME}\n")).expect("terms");
    let out = dir.join("out");
    let o = bin()
        .args(["convert", "--format", "all", "--redact", "--redact-terms"])
        .arg(dir.join("terms.txt"))
        .arg("--out")
        .arg(&out)
        .arg(&input)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("Redacted"), "{stderr}");
    let written = files(&out);
    assert_eq!(written.len(), 3);
    for (name, data) in &written {
        let text = String::from_utf8_lossy(data);
        for secret in [EMAIL, KEY, NAME, "12345678", "firma.de"] {
            assert!(
                !text.contains(secret) && !name.contains(secret),
                "{name} holds {secret}"
            );
        }
        assert!(
            text.contains("[email 1]") && text.contains("[secret 1]") && text.contains("[name 1]"),
            "{name}"
        );
    }
    let json = &written
        .iter()
        .find(|(n, _)| n.ends_with(".json"))
        .expect("json")
        .1;
    let v: serde_json::Value = serde_json::from_slice(json).expect("valid JSON");
    assert_eq!(v["redaction"]["source"], "dropped");
    assert_eq!(v["redaction"]["counts"]["email"], 1);
    assert!(v["source"].is_null(), "the source is left out by default");
    // Only e-mail addresses: the key stays.
    let only = dir.join("only-email");
    let o = bin()
        .args(["convert", "--quiet", "--redact-kinds", "email", "--out"])
        .arg(&only)
        .arg(&input)
        .output()
        .expect("run");
    assert!(o.status.success());
    let md = String::from_utf8_lossy(&files(&only)[0].1).into_owned();
    assert!(
        !md.contains(EMAIL) && md.contains(KEY) && md.contains("redacted: {email: 1}"),
        "{md}"
    );
    let bad = bin()
        .args(["convert", "--redact-kinds", "email,faces", "--out"])
        .arg(&only)
        .arg(&input)
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown redaction kind \"faces\""));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JSON of a redacted save of `input` with `flags`, and what the CLI wrote to stderr.
fn redacted_json(input: &Path, out: &Path, flags: &[&str]) -> (serde_json::Value, String) {
    let o = bin()
        .args([
            "convert", "--quiet", "--format", "json", "--redact", "--out",
        ])
        .arg(out)
        .args(flags)
        .arg(input)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{flags:?}: {stderr}");
    let written = files(out);
    assert_eq!(written.len(), 1, "{flags:?}");
    let text = String::from_utf8_lossy(&written[0].1).into_owned();
    for secret in [EMAIL, KEY, "12345678", "firma.de"] {
        assert!(!text.contains(secret), "{flags:?}: the JSON holds {secret}");
    }
    let v = serde_json::from_str(&text).expect("valid JSON");
    (v, stderr)
}

/// `--redact-keep-source` redacts inside the JSON's `source` instead of leaving it out;
/// `--redact-drop-source`, the default's name, still works; both at once is a usage error.
#[test]
fn the_source_is_left_out_unless_kept() {
    let dir = temp_dir("source");
    let input = conversation(&dir);
    let (kept, _) = redacted_json(&input, &dir.join("keep"), &["--redact-keep-source"]);
    assert_eq!(kept["redaction"]["source"], "redacted");
    assert!(
        kept["source"]["mapping"]["a"].is_object(),
        "the source is kept, redacted inside"
    );
    let part = kept["source"]["mapping"]["a"]["message"]["content"]["parts"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        part.contains("[email 1]") && part.contains("[secret 1]"),
        "{part}"
    );
    let (dropped, _) = redacted_json(&input, &dir.join("drop"), &["--redact-drop-source"]);
    assert_eq!(dropped["redaction"]["source"], "dropped");
    assert!(dropped["source"].is_null());
    let both = bin()
        .args([
            "convert",
            "--redact",
            "--redact-keep-source",
            "--redact-drop-source",
        ])
        .arg("--out")
        .arg(dir.join("both"))
        .arg(&input)
        .output()
        .expect("run");
    assert_eq!(both.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&both.stderr);
    assert!(
        stderr.contains("--redact-keep-source") && stderr.contains("--redact-drop-source"),
        "{stderr}"
    );
    assert!(!dir.join("both").exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}

fn seven_zip() -> Command {
    let found = Command::new("7z")
        .arg("i")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "Debian's 7z is needed: apt-get install -y p7zip-full"
    );
    Command::new("7z")
}

#[test]
fn encrypted_zip_opens_with_7z_and_the_right_password_only() {
    let dir = temp_dir("zip");
    let input = conversation(&dir);
    let password = "quartz-7-lemon-2-otter-9-banjo";
    std::fs::write(dir.join("pw.txt"), format!("{password}\n")).expect("pw");
    let plain = dir.join("plain");
    let o = bin()
        .args(["convert", "--quiet", "--format", "all", "--redact", "--out"])
        .arg(&plain)
        .arg(&input)
        .output()
        .expect("run");
    assert!(o.status.success());
    // `--out chats` writes `chats.zip` beside it.
    let o = bin()
        .args([
            "convert",
            "--quiet",
            "--format",
            "all",
            "--redact",
            "--password-file",
        ])
        .arg(dir.join("pw.txt"))
        .arg("--out")
        .arg(dir.join("chats"))
        .arg(&input)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let zip = dir.join("chats.zip");
    assert!(zip.is_file() && !dir.join("chats").exists());

    let t = seven_zip()
        .arg("t")
        .arg(format!("-p{password}"))
        .arg(&zip)
        .output()
        .expect("7z");
    let listing = String::from_utf8_lossy(&t.stdout).into_owned();
    assert!(t.status.success(), "{listing}");
    let l = seven_zip()
        .args(["l", "-slt"])
        .arg(format!("-p{password}"))
        .arg(&zip)
        .output()
        .expect("7z");
    let slt = String::from_utf8_lossy(&l.stdout).into_owned();
    assert!(
        slt.contains("Method = AES-256 Deflate"),
        "every entry AES-256: {slt}"
    );
    assert!(!slt.contains("Encrypted = -"), "{slt}");

    let good = dir.join("good");
    let x = seven_zip()
        .arg("x")
        .arg(format!("-p{password}"))
        .arg(format!("-o{}", good.display()))
        .arg(&zip)
        .output()
        .expect("7z");
    assert!(x.status.success());
    assert_eq!(
        files(&good),
        files(&plain),
        "every file matches the unencrypted save"
    );

    let bad = dir.join("bad");
    let x = seven_zip()
        .arg("x")
        .arg("-pwrong-password")
        .arg(format!("-o{}", bad.display()))
        .arg(&zip)
        .output()
        .expect("7z");
    assert!(!x.status.success(), "a wrong password fails");
    let leaked: Vec<_> = files(&bad)
        .into_iter()
        .filter(|(_, d)| !d.is_empty())
        .collect();
    assert!(
        leaked.is_empty(),
        "nothing is extracted with a wrong password: {leaked:?}"
    );

    // `--out FILE.zip`; a short password is refused before anything is written.
    std::fs::write(dir.join("short.txt"), "abc\n").expect("pw");
    let o = bin()
        .args(["convert", "--quiet", "--password-file"])
        .arg(dir.join("short.txt"))
        .arg("--out")
        .arg(dir.join("other.zip"))
        .arg(&input)
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("too short"));
    assert!(!dir.join("other.zip").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
