//! The JSON writer: chatkeep's versioned transcript format, `chatkeep.transcript/1`
//! (described by `schema/chatkeep.transcript.v1.schema.json`).
//!
//! Every message is included, hidden ones too (marked with `hidden` and
//! `hidden_reason`), whatever the `include_*` options say; each carries the typed
//! `blocks` and the `markdown` the Markdown writer shows for it. The original
//! conversation is written last, verbatim, as `source`.

use std::fmt::{self, Write};

use serde::Serialize;

use super::assets::AssetNames;
use super::markdown::Ctx;
use crate::Warning;
use crate::{
    time_fmt, Block, BranchKind, Hidden, Message, Options, Origin, Role, Source, Transcript,
};

/// The value of the `schema` key.
pub const SCHEMA: &str = "chatkeep.transcript/1";

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    id: &'a str,
    title: &'a str,
    url: Option<&'a str>,
    create_time: Option<String>,
    update_time: Option<String>,
    model: Option<&'a str>,
    gizmo_id: Option<&'a str>,
    is_archived: bool,
    origin: Origin,
    messages: Vec<Msg<'a>>,
    branches: Vec<JsonBranch<'a>>,
    sources: &'a [Source],
    warnings: Vec<Warning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redaction: Option<Redaction>,
}

/// What a redacted save replaced (absent when not redacted).
#[derive(Serialize)]
struct Redaction {
    /// Distinct values replaced, per kind.
    counts: std::collections::BTreeMap<&'static str, usize>,
    /// `redacted` (the `source` below is redacted inside) or `dropped` (it is `null`).
    source: &'static str,
    files_dropped: usize,
}

#[derive(Serialize)]
struct Msg<'a> {
    id: &'a str,
    role: Role,
    author_name: Option<&'a str>,
    recipient: Option<&'a str>,
    create_time: Option<String>,
    model: Option<&'a str>,
    hidden: bool,
    hidden_reason: Option<Hidden>,
    variant: Option<(usize, usize)>,
    markdown: String,
    blocks: &'a [Block],
}

#[derive(Serialize)]
struct JsonBranch<'a> {
    parent_id: Option<&'a str>,
    kind: BranchKind,
    index: usize,
    count: usize,
    label: String,
    messages: Vec<Msg<'a>>,
}

/// Writes the JSON transcript (pretty-printed, two-space indent). Assets are described
/// without their bytes; `markdown` fields link assets into `assets_dir` like the
/// Markdown writer does.
pub fn write<W: Write>(
    t: &Transcript,
    opts: &Options,
    assets_dir: &str,
    out: &mut W,
) -> fmt::Result {
    let names = AssetNames::new(t);
    let ctx = Ctx::new(t, opts, assets_dir, &names);
    let msgs = |list| messages(&ctx, list);
    let doc = Doc {
        schema: SCHEMA,
        id: &t.id,
        title: &t.title,
        url: t.url.as_deref(),
        create_time: t.create_time.and_then(time_fmt::rfc3339),
        update_time: t.update_time.and_then(time_fmt::rfc3339),
        model: t.effective_model(),
        gizmo_id: t.gizmo_id.as_deref(),
        is_archived: t.is_archived,
        origin: t.origin,
        messages: msgs(&t.messages)?,
        branches: t
            .branches
            .iter()
            .map(|b| {
                Ok(JsonBranch {
                    parent_id: b.parent_id.as_deref(),
                    kind: b.kind,
                    index: b.index,
                    count: b.count,
                    label: b.label(),
                    messages: msgs(&b.messages)?,
                })
            })
            .collect::<Result<_, fmt::Error>>()?,
        sources: &t.sources,
        warnings: warnings(t),
        redaction: t.redaction.as_ref().map(|n| Redaction {
            counts: {
                // Inserted one by one: `collect` would sort with its own copy of the sort.
                let mut counts = std::collections::BTreeMap::new();
                for (k, c) in &n.counts {
                    counts.insert(k.label(), *c);
                }
                counts
            },
            source: match n.source {
                crate::redact::SourceMode::Redact => "redacted",
                crate::redact::SourceMode::Drop => "dropped",
            },
            files_dropped: n.files_dropped,
        }),
    };
    let json = serde_json::to_string_pretty(&doc).map_err(|_| fmt::Error)?;
    // The document is a non-empty object: it ends with "\n}". Add the source last, verbatim.
    let Some(body) = json.strip_suffix("\n}") else {
        return Err(fmt::Error);
    };
    out.write_str(body)?;
    out.write_str(",\n  \"source\": ")?;
    match t.source_json.as_deref().filter(|s| is_json(s)) {
        Some(raw) => out.write_str(raw)?,
        None => out.write_str("null")?,
    }
    out.write_str("\n}\n")
}

/// The reader's warnings, then one per image whose file is missing (every message, hidden
/// ones and branches included, as the JSON holds them all).
fn warnings(t: &Transcript) -> Vec<Warning> {
    let mut out: Vec<Warning> = t.warnings.clone();
    let all = t
        .messages
        .iter()
        .chain(t.branches.iter().flat_map(|b| b.messages.iter()));
    for m in all {
        for b in &m.blocks {
            if let Block::Image { asset, .. } = b {
                let remote = asset
                    .pointer
                    .as_deref()
                    .is_some_and(|p| p.starts_with("https://") || p.starts_with("http://"));
                if asset.data.is_none() && !remote {
                    let what = asset
                        .name
                        .as_deref()
                        .or(asset.pointer.as_deref())
                        .unwrap_or("an image");
                    out.push(Warning::new(
                        crate::WarningKind::MissingImage,
                        format!(
                            "image {what} in message {}: {}",
                            m.id,
                            t.origin.missing_note()
                        ),
                    ));
                }
            }
        }
    }
    out
}

fn messages<'a>(ctx: &Ctx<'_>, list: &'a [Message]) -> Result<Vec<Msg<'a>>, fmt::Error> {
    list.iter().map(|m| message(ctx, m)).collect()
}

fn message<'a>(ctx: &Ctx<'_>, m: &'a Message) -> Result<Msg<'a>, fmt::Error> {
    let mut markdown = String::new();
    ctx.blocks(m, &mut markdown)?;
    Ok(Msg {
        id: &m.id,
        role: m.role,
        author_name: m.author_name.as_deref(),
        recipient: m.recipient.as_deref(),
        create_time: m.create_time.and_then(time_fmt::rfc3339),
        model: m.model.as_deref(),
        hidden: m.hidden.is_some(),
        hidden_reason: m.hidden,
        variant: m.variant,
        markdown,
        blocks: &m.blocks,
    })
}

/// Whether `s` is one JSON value (so writing it verbatim keeps the output valid).
fn is_json(s: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_support::*;
    use crate::render::{message_markdown, to_string};
    use crate::Format;
    use serde_json::Value;

    fn json(t: &Transcript) -> (String, Value) {
        let mut s = String::new();
        write(t, &Options::default(), "assets", &mut s).unwrap();
        let v: Value = serde_json::from_str(&s).expect("valid JSON");
        (s, v)
    }

    const TOP: &[&str] = &[
        "schema",
        "id",
        "title",
        "url",
        "create_time",
        "update_time",
        "model",
        "gizmo_id",
        "is_archived",
        "origin",
        "messages",
        "branches",
        "sources",
        "warnings",
        "source",
    ];
    const MESSAGE: &[&str] = &[
        "id",
        "role",
        "author_name",
        "recipient",
        "create_time",
        "model",
        "hidden",
        "hidden_reason",
        "variant",
        "markdown",
        "blocks",
    ];

    #[test]
    fn contract() {
        let t = rich();
        let (s, v) = json(&t);
        let obj = v.as_object().unwrap();
        for key in TOP {
            assert!(obj.contains_key(*key), "missing {key}");
        }
        assert_eq!(obj.len(), TOP.len());
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["id"], "0d5c-conv");
        assert_eq!(v["create_time"], "2024-12-29T13:23:55Z");
        assert_eq!(v["origin"], "export");
        assert_eq!(v["is_archived"], false);
        // All messages, hidden ones included and marked.
        let msgs = v["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), t.messages.len());
        for (m, jm) in t.messages.iter().zip(msgs) {
            let o = jm.as_object().unwrap();
            for key in MESSAGE {
                assert!(o.contains_key(*key), "message missing {key}");
            }
            assert_eq!(jm["id"], m.id.as_str());
            assert_eq!(jm["hidden"], m.hidden.is_some());
            assert_eq!(
                jm["markdown"],
                message_markdown(&t, m, &Options::default(), "assets").as_str()
            );
        }
        assert_eq!(msgs[0]["role"], "system");
        assert_eq!(msgs[0]["hidden_reason"], "system");
        assert_eq!(msgs[4]["hidden_reason"], "tool_call");
        assert_eq!(msgs[4]["recipient"], "python");
        assert_eq!(msgs[2]["hidden_reason"], Value::Null);
        assert_eq!(msgs[2]["create_time"], "2024-12-29T13:23:55Z");
        assert_eq!(msgs[5]["variant"], serde_json::json!([2, 3]));
        assert_eq!(msgs[5]["blocks"][0]["type"], "text");
        assert_eq!(msgs[5]["blocks"][3]["type"], "image");
        assert_eq!(
            msgs[5]["blocks"][3]["asset"]["pointer"],
            "sediment://file_chart"
        );
        assert!(msgs[5]["blocks"][3]["asset"].get("data").is_none());
        assert!(msgs[5]["markdown"]
            .as_str()
            .unwrap()
            .contains("![chart.png](assets/chart.png)"));
        // Branches in the same shape.
        let b = &v["branches"][0];
        assert_eq!(b["parent_id"], "u1");
        assert_eq!(b["kind"], "alternative_answer");
        assert_eq!(b["index"], 1);
        assert_eq!(b["count"], 3);
        assert_eq!(b["label"], "Alternative answer 1/3");
        assert_eq!(b["messages"][0]["markdown"], "An older answer.");
        assert_eq!(
            v["sources"][0]["url"],
            "https://en.wikipedia.org/wiki/Parabola"
        );
        assert_eq!(v["warnings"][0]["kind"], "reader");
        assert_eq!(v["warnings"][0]["message"], "A warning");
        // The source, verbatim (its odd spacing kept) and last.
        let raw = t.source_json.as_deref().unwrap();
        assert!(s.ends_with(&format!("\"source\": {raw}\n}}\n")));
        assert_eq!(v["source"]["id"], "0d5c-conv");
        assert!(s.starts_with("{\n  \"schema\": \"chatkeep.transcript/1\",\n  \"id\""));
    }

    #[test]
    fn without_source_and_with_junk() {
        let mut t = branchy();
        t.source_json = None;
        let (_, v) = json(&t);
        assert_eq!(v["source"], Value::Null);
        assert_eq!(v["url"], Value::Null);
        assert_eq!(v["create_time"], Value::Null);
        assert_eq!(v["branches"][2]["parent_id"], Value::Null);
        t.source_json = Some("{not json".to_owned());
        t.messages[0].create_time = Some(f64::NAN);
        let (_, v) = json(&t);
        assert_eq!(v["source"], Value::Null);
        assert_eq!(v["messages"][0]["create_time"], Value::Null);
    }

    #[test]
    fn same_through_to_string() {
        let t = rich();
        let a = to_string(&t, Format::Json, &Options::default());
        let (b, _) = json(&t);
        assert_eq!(a, b);
    }

    #[test]
    fn schema_file_matches_writer() {
        let schema: Value = serde_json::from_str(include_str!(
            "../../../../schema/chatkeep.transcript.v1.schema.json"
        ))
        .expect("the schema is valid JSON");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let (_, v) = json(&rich());
        let obj = v.as_object().unwrap();
        assert_eq!(required.len(), obj.len());
        for key in obj.keys() {
            assert!(
                required.contains(&key.as_str()),
                "{key} not required by the schema"
            );
        }
        assert_eq!(schema["properties"]["schema"]["const"], SCHEMA);
        let msg_required: Vec<&str> = schema["$defs"]["message"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for key in v["messages"][0].as_object().unwrap().keys() {
            assert!(
                msg_required.contains(&key.as_str()),
                "message.{key} not in schema"
            );
        }
        // Every block type the writer emits is described.
        let block_types: Vec<&str> = schema["$defs"]["block"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["properties"]["type"]["const"].as_str())
            .collect();
        for m in v["messages"].as_array().unwrap() {
            for b in m["blocks"].as_array().unwrap() {
                let ty = b["type"].as_str().unwrap();
                assert!(block_types.contains(&ty), "block type {ty} not in schema");
            }
        }
        assert_eq!(block_types.len(), 17);
    }
}
