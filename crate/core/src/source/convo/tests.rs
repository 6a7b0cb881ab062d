//! Tests of the conversation reader as a whole: both readings, the tree, sources.

use super::*;

#[test]
fn damaged_conversation_is_named_by_its_title() {
    let title = |json: &str| match conversation_error(json, String::new()) {
        Error::Conversation { title, .. } => title,
        _ => None,
    };
    assert_eq!(
        title(r#"{"title":"Whole","mapping":7}"#).as_deref(),
        Some("Whole")
    );
    assert_eq!(
        title(r#"{"id":"x", "title" : "Caf\u00e9 \"quoted\"", "mapping": {oops}"#).as_deref(),
        Some("Caf\u{e9} \"quoted\"")
    );
    assert_eq!(title(r#"{"title": "Cut"garbage"#).as_deref(), Some("Cut"));
    assert_eq!(title(r#"{"title":"unterminated"#), None);
    assert_eq!(title(r#"{"title":"   ", broken"#), None);
    assert_eq!(title(r#"{"title":null, broken"#), None);
    assert_eq!(title("{\"title\":\"\u{e9}\\"), None);
    assert_eq!(title("not json at all"), None);
}

fn node(id: &str, parent: Option<&str>, children: &[&str], role: &str, text: &str) -> String {
    let msg = if role.is_empty() {
        "null".to_owned()
    } else {
        format!(
            r#"{{"id":"{id}","author":{{"role":"{role}"}},"create_time":{},"content":{{"content_type":"text","parts":[{}]}}}}"#,
            id.len(),
            serde_json::to_string(text).unwrap_or_default()
        )
    };
    format!(
        r#""{id}":{{"id":"{id}","message":{msg},"parent":{},"children":{}}}"#,
        parent.map_or("null".to_owned(), |p| format!("\"{p}\"")),
        serde_json::to_string(children).unwrap_or_default()
    )
}

fn conv(current: &str, nodes: &[String]) -> String {
    format!(
        r#"{{"id":"c","title":"T","current_node":"{current}","mapping":{{{}}}}}"#,
        nodes.join(",")
    )
}

fn read_str(s: String) -> Transcript {
    match read(s, Origin::Api) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

/// Whether the one-pass reading gives a transcript for `json`, and whether it equals
/// the layered reading's.
fn both_readings(json: &str) -> (bool, bool) {
    let layered = read_layered(json, Origin::Export);
    let fast = serde_json::from_str::<raw::FastConversation<'_>>(json)
        .ok()
        .and_then(|c| build(c, Origin::Export).ok());
    match (fast, layered) {
        (Some(f), Ok(l)) => (true, f == l),
        _ => (false, true),
    }
}

/// Every conversation of the real export is read in one pass, and the one-pass and the
/// layered readings agree on it, and on the API fixtures.
#[test]
fn one_pass_reading_equals_layered_reading() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for case in [
        "basic-markdown",
        "branches",
        "citations-2025",
        "citations-legacy",
        "hostile",
        "tools",
        "tools-hidden",
    ] {
        let path = root
            .join("tests/fixtures/api")
            .join(case)
            .join("input.json");
        let json =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (fast, same) = both_readings(&json);
        assert!(same, "{case}: the two readings differ");
        // hostile has damaged messages, tools(-hidden) an unknown content type kept raw:
        // they need the layered reading.
        assert!(
            fast || ["hostile", "tools", "tools-hidden"].contains(&case),
            "{case}: not read in one pass"
        );
    }
    let export = root.join("../shared/fixtures/export/chatgpt-export-2026-01.zip");
    let Ok(file) = std::fs::File::open(&export) else {
        eprintln!("skipped the real export: {} is missing", export.display());
        return;
    };
    let Ok(again) = file.try_clone() else { return };
    let mut zip =
        crate::source::export::ZipExport::open(file, again).unwrap_or_else(|e| panic!("{e}"));
    let (mut n, mut slow) = (0, 0);
    zip.for_each_json(&mut |el, _| {
        let json = String::from_utf8(el).unwrap_or_default();
        let (fast, same) = both_readings(&json);
        assert!(same, "conversation {n}: the two readings differ");
        slow += usize::from(!fast);
        n += 1;
        std::ops::ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (n, slow),
        (491, 0),
        "conversations, and those not read in one pass"
    );
}

#[test]
fn main_line_and_branches() {
    let nodes = vec![
        node("root", None, &["u1", "u1b"], "", ""),
        node("u1", Some("root"), &["a1", "a2", "a3"], "user", "Q"),
        node("a1", Some("u1"), &[], "assistant", "first"),
        node("a2", Some("u1"), &["u2"], "assistant", "second"),
        node("a3", Some("u1"), &[], "assistant", "third"),
        node("u2", Some("a2"), &[], "user", "thanks"),
        node("u1b", Some("root"), &["a1b"], "user", "Q edited"),
        node("a1b", Some("u1b"), &[], "assistant", "answer to edit"),
    ];
    let t = read_str(conv("u2", &nodes));
    let ids: Vec<&str> = t.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["u1", "a2", "u2"]);
    assert_eq!(t.messages[1].variant, Some((2, 3)));
    assert_eq!(t.messages[0].variant, Some((1, 2)));
    let labels: Vec<String> = t.branches.iter().map(|b| b.label()).collect();
    assert_eq!(
        labels,
        [
            "Edited prompt 2/2",
            "Alternative answer 1/3",
            "Alternative answer 3/3"
        ]
    );
    assert_eq!(t.branches[0].parent_id, None);
    assert_eq!(t.branches[1].parent_id.as_deref(), Some("u1"));
    let b0: Vec<&str> = t.branches[0]
        .messages
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(b0, ["u1b", "a1b"]);
}

#[test]
fn hostile_structure() {
    // current_node missing, a cycle detached from the root, a dangling parent.
    let nodes = vec![
        node("root", None, &["u1"], "", ""),
        node("u1", Some("root"), &["a1"], "user", "Q"),
        node("a1", Some("u1"), &[], "assistant", "A"),
        node("x", Some("y"), &["y"], "user", "in a cycle"),
        node("y", Some("x"), &["x"], "assistant", "also in a cycle"),
        node("z", Some("nowhere"), &[], "user", "orphan"),
    ];
    let t = read_str(conv("missing", &nodes));
    assert!(!t.warnings.is_empty());
    let total: usize =
        t.messages.len() + t.branches.iter().map(|b| b.messages.len()).sum::<usize>();
    assert_eq!(total, 5, "every message kept exactly once");
    // A cycle on the main line itself.
    let nodes = vec![
        node("p", Some("q"), &["q"], "user", "p"),
        node("q", Some("p"), &["p"], "assistant", "q"),
    ];
    let t = read_str(conv("q", &nodes));
    assert_eq!(t.messages.len(), 2);
    assert!(t.warnings.iter().any(|w| w.message.contains("cycle")));
}

#[test]
fn long_chain_does_not_overflow() {
    let n = 100_000;
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("n{i}");
        let parent = (i > 0).then(|| format!("n{}", i - 1));
        let child = format!("n{}", i + 1);
        let children: Vec<&str> = if i + 1 < n {
            vec![child.as_str()]
        } else {
            vec![]
        };
        nodes.push(node(
            &id,
            parent.as_deref(),
            &children,
            if i % 2 == 0 { "user" } else { "assistant" },
            "x",
        ));
    }
    let t = read_str(conv(&format!("n{}", n - 1), &nodes));
    assert_eq!(t.messages.len(), n);
    assert!(t.branches.is_empty());
}

#[test]
fn empty_and_null_fields() {
    let t = read_str(
        r#"{"title":null,"mapping":null,"current_node":null,"create_time":"2024-12-29T13:23:55Z"}"#
            .to_owned(),
    );
    assert_eq!(t.title, "Untitled conversation");
    assert!(t.messages.is_empty());
    assert_eq!(t.create_time, Some(1735478635.0));
    let t = read_str(r#"{"id":"c","title":5,"mapping":{"a":{"message":{"author":null,"content":{"content_type":"text","parts":[null,"hi",{"x":1}]},"metadata":[]},"parent":null,"children":null}}}"#.to_owned());
    assert_eq!(t.messages.len(), 1);
    assert_eq!(t.messages[0].role, Role::Tool);
    match read(
        r#"{"id":"bad","title":"Broken","mapping":"nope"}"#.to_owned(),
        Origin::Export,
    ) {
        Err(Error::Conversation { id, title, .. }) => {
            assert_eq!(
                (id.as_deref(), title.as_deref()),
                (Some("bad"), Some("Broken"))
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Sources are numbered by their first reference in what is shown: a hidden message
/// read first does not take number 1.
#[test]
fn sources_numbered_as_shown() {
    let cite = |id: &str, parent: &str, child: &str, recipient: &str, text: &str, urls: &[&str]| {
        let refs: Vec<String> = urls
            .iter()
            .enumerate()
            .map(|(k, u)| {
                format!(
                    r#"{{"matched_text":"\ue200cite\ue202turn0search{k}\ue201","type":"grouped_webpages","items":[{{"title":"{u}","url":"https://{u}/"}}]}}"#
                )
            })
            .collect();
        let markers: String = (0..urls.len())
            .map(|k| format!("\\ue200cite\\ue202turn0search{k}\\ue201"))
            .collect();
        format!(
            r#""{id}":{{"id":"{id}","parent":"{parent}","children":[{child}],"message":{{"id":"{id}","author":{{"role":"assistant"}},"recipient":"{recipient}","content":{{"content_type":"text","parts":["{text}{markers}"]}},"metadata":{{"content_references":[{}]}}}}}}"#,
            refs.join(",")
        )
    };
    let json = format!(
        r#"{{"id":"c","title":"T","current_node":"a2","mapping":{{{},{},{}}}}}"#,
        node("u1", None, &["a1"], "user", "Q"),
        cite(
            "a1",
            "u1",
            "\"a2\"",
            "web",
            "searching",
            &["hidden.example"]
        ),
        cite(
            "a2",
            "a1",
            "",
            "all",
            "Answer",
            &["shown.example", "hidden.example"]
        ),
    );
    let t = read_str(json);
    let urls: Vec<&str> = t.sources.iter().filter_map(|s| s.url.as_deref()).collect();
    assert_eq!(urls, ["https://shown.example/", "https://hidden.example/"]);
    let text = |i: usize| match &t.messages[i].blocks[0] {
        Block::Text { markdown } => markdown.clone(),
        b => panic!("{b:?}"),
    };
    assert_eq!(t.messages[1].hidden, Some(Hidden::ToolCall));
    assert_eq!(text(1), "searching[^2]");
    assert_eq!(text(2), "Answer[^1][^2]");
}
