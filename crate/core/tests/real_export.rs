//! Converts the whole real export in `../shared/fixtures/export/` and checks it against an
//! independent reading of the same JSON (plain `serde_json::Value`, none of the core's code):
//! every conversation written, every visible message kept, every code block present, no
//! private-use citation marker in any output, and the JSON contract with a verbatim source.

use chatkeep_core::source::export::ZipExport;
use chatkeep_core::{naming, render, Format, Options};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::ops::ControlFlow;

mod common;

fn has_marker(s: &str) -> bool {
    s.chars().any(|c| ('\u{E200}'..='\u{E2FF}').contains(&c))
}

/// The site's own rule for what it shows (CHATGPT_FORMATS.md §3), on raw JSON.
fn site_visible(m: &Value) -> bool {
    let role = m["author"]["role"].as_str().unwrap_or("");
    let name = m["author"]["name"].as_str().unwrap_or("");
    let ct = m["content"]["content_type"].as_str().unwrap_or("");
    let recipient = m["recipient"].as_str().unwrap_or("all");
    let meta = &m["metadata"];
    if role == "system" && meta["is_user_system_message"] != Value::Bool(true) {
        return false;
    }
    if meta["is_visually_hidden_from_conversation"] == Value::Bool(true) {
        return false;
    }
    if matches!(
        ct,
        "thoughts" | "reasoning_recap" | "user_editable_context" | "model_editable_context"
    ) {
        return false;
    }
    let blank = |s: &str| {
        s.chars()
            .filter(|c| !('\u{E200}'..='\u{E2FF}').contains(c))
            .all(char::is_whitespace)
    };
    let parts = m["content"]["parts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let has_image = parts
        .iter()
        .any(|p| p["content_type"] == "image_asset_pointer");
    let has_content = match ct {
        "text" | "multimodal_text" => {
            parts
                .iter()
                .any(|p| p.as_str().map_or(p.is_object(), |s| !blank(s)))
                || role == "user"
                    && meta["attachments"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
        }
        "code" | "execution_output" | "system_error" => {
            !blank(
                m["content"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .replace("<<ImageDisplayed>>", "")
                    .as_str(),
            ) || meta["aggregate_result"]["messages"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["message_type"] == "image"))
                || ct == "system_error"
        }
        "tether_quote" => true,
        _ => true,
    };
    if !has_content {
        return false;
    }
    match role {
        "assistant" => {
            recipient == "all"
                || recipient == "python"
                || recipient == "canmore.create_textdoc"
                || (recipient == "canmore.update_textdoc" && {
                    // Every edit shows (ChatGPT's "edited" card), as a diff or, when it
                    // cannot be replayed, as written.
                    let text = m["content"]["text"]
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| parts.first().and_then(|p| p.as_str()).map(str::to_owned));
                    text.and_then(|t| serde_json::from_str::<Value>(&t).ok())
                        .is_some_and(|v| v["updates"].is_array())
                })
        }
        "tool" => {
            has_image
                || matches!(ct, "tether_quote" | "system_error")
                || (ct == "execution_output" && name == "python")
        }
        _ => true,
    }
}

/// Code the user sees: code sent to Python, and fenced blocks in visible text.
fn code_snippets(m: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let ct = m["content"]["content_type"].as_str().unwrap_or("");
    if ct == "code" && m["recipient"] == "python" {
        if let Some(t) = m["content"]["text"].as_str() {
            out.extend(
                t.lines()
                    .map(str::trim)
                    .filter(|l| l.len() > 3)
                    .map(str::to_owned),
            );
        }
    }
    for p in m["content"]["parts"].as_array().into_iter().flatten() {
        let Some(s) = p.as_str() else { continue };
        let mut in_fence = false;
        for line in s.lines() {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            } else if in_fence && line.trim().len() > 3 && !has_marker(line) {
                out.push(line.trim().to_owned());
            }
        }
    }
    out
}

#[test]
fn real_export_converts_completely() {
    let Some(path) = common::real_export() else {
        return;
    };
    // The independent reading.
    let raw_json = {
        let mut z =
            zip::ZipArchive::new(std::fs::File::open(&path).expect("open fixture")).expect("zip");
        let mut s = String::new();
        z.by_name("conversations.json")
            .expect("conversations.json")
            .read_to_string(&mut s)
            .expect("read");
        s
    };
    let all: Vec<Value> = serde_json::from_str(&raw_json).expect("fixture JSON");
    let mut expected: HashMap<String, (HashSet<String>, Vec<String>)> = HashMap::new();
    for c in &all {
        let id = c["id"].as_str().expect("id").to_owned();
        let mapping = c["mapping"].as_object().expect("mapping");
        let mut visible = HashSet::new();
        let mut code = Vec::new();
        let mut at = c["current_node"].as_str().map(str::to_owned);
        let mut steps = 0;
        // The message after this one on the main line (walking up, the one seen before).
        let mut next: Option<&Value> = None;
        while let Some(node_id) = at {
            let node = &mapping[&node_id];
            // A Canvas update the tool answered "Failed with error" changed nothing.
            let failed_update = node["message"]["recipient"] == "canmore.update_textdoc"
                && next.is_some_and(|n| {
                    n["author"]["role"] == "tool"
                        && n["content"]["parts"][0]
                            .as_str()
                            .or(n["content"]["text"].as_str())
                            .is_some_and(|t| t.trim_start().starts_with("Failed with error"))
                });
            if node["message"].is_object() {
                next = Some(&node["message"]);
            }
            if node["message"].is_object() && !failed_update && site_visible(&node["message"]) {
                visible.insert(
                    node["message"]["id"]
                        .as_str()
                        .unwrap_or(&node_id)
                        .to_owned(),
                );
                code.extend(code_snippets(&node["message"]));
            }
            at = node["parent"].as_str().map(str::to_owned);
            steps += 1;
            assert!(steps <= mapping.len(), "cycle in fixture");
        }
        expected.insert(id, (visible, code));
    }
    assert_eq!(all.len(), 491);

    let opts = Options {
        formats: Format::ALL.to_vec(),
        ..Options::default()
    };
    let open = || std::io::BufReader::new(std::fs::File::open(&path).expect("open fixture"));
    let mut z = ZipExport::open(open(), open()).expect("open export");
    let mut names = naming::UniqueNames::new();
    let mut seen = 0usize;
    let mut problems: Vec<String> = Vec::new();
    let mut total_visible = 0usize;
    z.for_each(&mut |r, _| {
        let t = match r {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("failed: {e}"));
                return ControlFlow::Continue(());
            }
        };
        seen += 1;
        let Some((want_visible, want_code)) = expected.get(&t.id) else {
            problems.push(format!("{}: not in the fixture", t.id));
            return ControlFlow::Continue(());
        };
        let stem = names.claim_stem(&naming::stem(&t, &opts), &["md", "html", "json"]);
        assert!(!stem.is_empty());
        let md = render::to_string(&t, Format::Markdown, &opts);
        let html = render::to_string(&t, Format::Html, &opts);
        let json = render::to_string(&t, Format::Json, &opts);
        if has_marker(&md) || has_marker(&html) {
            problems.push(format!("{}: private-use marker in Markdown or HTML", t.id));
        }
        let v: Value = match serde_json::from_str(&json) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{}: JSON output does not parse: {e}", t.id));
                return ControlFlow::Continue(());
            }
        };
        let ours: HashSet<String> = v["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["hidden"] == Value::Bool(false))
            .filter_map(|m| m["id"].as_str().map(str::to_owned))
            .collect();
        total_visible += ours.len();
        if &ours != want_visible {
            let missing: Vec<_> = want_visible.difference(&ours).take(3).collect();
            let extra: Vec<_> = ours.difference(want_visible).take(3).collect();
            problems.push(format!(
                "{} \"{}\": {} visible messages, expected {} (missing {missing:?}, extra {extra:?})",
                t.id, t.title, ours.len(), want_visible.len()
            ));
        }
        for m in v["messages"].as_array().into_iter().flatten() {
            if has_marker(m["markdown"].as_str().unwrap_or("")) {
                problems.push(format!("{}: private-use marker in message markdown", t.id));
            }
        }
        for line in want_code {
            if !md.contains(line.as_str()) {
                problems.push(format!("{}: code line missing from Markdown: {line:?}", t.id));
                break;
            }
        }
        if !v["schema"].as_str().unwrap_or("").starts_with("chatkeep.transcript/") {
            problems.push(format!("{}: JSON has no schema", t.id));
        }
        if v["source"]["id"].as_str() != Some(t.id.as_str()) {
            problems.push(format!("{}: JSON source is not the original conversation", t.id));
        }
        ControlFlow::Continue(())
    })
    .expect("read export");
    assert_eq!(seen, 491, "conversations written");
    println!("491 conversations, {total_visible} visible messages checked");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
