//! Shared-conversation pages (`chatgpt.com/share/<id>`): the page's HTML holds no message
//! markup; the conversation travels in a script. Three generations are read:
//! React Router's turbo-stream (`streamController.enqueue("…")`, 2025–2026), Remix's
//! `__remixContext`, and Next.js's `__NEXT_DATA__`.

use crate::{Error, Origin, Result, Transcript};
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// Past this many values decoded from one payload, the payload is refused (a turbo-stream
/// table can reference one entry many times; this bounds the expansion).
const MAX_DECODED: usize = 20_000_000;
/// Deeper than this, a value is cut (conversation objects are a few dozen levels deep).
const MAX_DEPTH: usize = 256;

/// Reads the conversation of a saved share page.
pub fn read_share_page(html: &str) -> Result<Transcript> {
    let conv = turbo_stream_payloads(html)
        .filter_map(|payload| decode_turbo_stream(&payload).ok())
        .find_map(find_conversation)
        .or_else(|| json_after(html, "__remixContext").and_then(find_conversation))
        .or_else(|| next_data(html).and_then(find_conversation))
        .ok_or_else(|| Error::NotAnExport {
            found: "an HTML page without a shared conversation (no turbo-stream, __remixContext or __NEXT_DATA__ payload)".to_owned(),
        })?;
    let share_id = conv
        .get("__share_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut conv = conv;
    conv.remove("__share_id");
    let og_title = og_title(html);
    if !conv.get("title").is_some_and(Value::is_string) {
        if let Some(t) = og_title {
            conv.insert("title".to_owned(), Value::String(t));
        }
    }
    let json = serde_json::to_string(&Value::Object(conv)).map_err(|e| Error::BadJson {
        at: "share page".to_owned(),
        detail: e.to_string(),
    })?;
    let mut t = super::api::read_with_origin(json, Origin::Share)?;
    if let Some(id) = share_id {
        t.url = Some(format!("https://chatgpt.com/share/{id}"));
    }
    Ok(t)
}

/// The string arguments of every `streamController.enqueue("…")` call, unescaped.
fn turbo_stream_payloads(html: &str) -> impl Iterator<Item = String> + '_ {
    const CALL: &str = "streamController.enqueue(";
    html.match_indices(CALL).filter_map(|(i, _)| {
        let rest = html[i + CALL.len()..].trim_start();
        serde_json::Deserializer::from_str(rest)
            .into_iter::<String>()
            .next()?
            .ok()
    })
}

/// Decodes a turbo-stream payload's first line (a flat table of values, where objects map
/// `"_N"` keys — the key is `table[N]` — to indexes, and negative indexes are special values).
pub(crate) fn decode_turbo_stream(payload: &str) -> Result<Value> {
    let first = payload.lines().next().unwrap_or("");
    let table: Vec<Value> = serde_json::from_str(first).map_err(|e| Error::BadJson {
        at: "the share page's turbo-stream payload".to_owned(),
        detail: e.to_string(),
    })?;
    let mut budget = MAX_DECODED;
    resolve(&table, 0, 0, &mut budget).ok_or_else(|| Error::BadJson {
        at: "the share page's turbo-stream payload".to_owned(),
        detail: "the payload expands beyond any real conversation".to_owned(),
    })
}

fn resolve(table: &[Value], index: usize, depth: usize, budget: &mut usize) -> Option<Value> {
    *budget = budget.checked_sub(1)?;
    if depth > MAX_DEPTH {
        return Some(Value::Null);
    }
    let reference = |v: &Value, budget: &mut usize| -> Option<Value> {
        match v.as_i64() {
            Some(i) if i >= 0 && (i as usize) < table.len() => {
                resolve(table, i as usize, depth + 1, budget)
            }
            _ => Some(Value::Null),
        }
    };
    Some(match table.get(index)? {
        Value::Object(o) => {
            let mut out = Map::with_capacity(o.len());
            for (k, v) in o {
                let key = match k.strip_prefix('_').and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) => match table.get(n) {
                        Some(Value::String(s)) => s.clone(),
                        _ => continue,
                    },
                    None => k.clone(),
                };
                out.insert(key, reference(v, budget)?);
            }
            Value::Object(out)
        }
        Value::Array(a) => {
            // `["D", 1735478635000]` and the like are typed values (dates, promises, …).
            if let Some(Value::String(tag)) = a.first() {
                return Some(match (tag.as_str(), a.get(1)) {
                    ("D", Some(n)) => n
                        .as_f64()
                        .map_or(Value::Null, |ms| serde_json::json!(ms / 1000.0)),
                    _ => Value::Null,
                });
            }
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                out.push(reference(v, budget)?);
            }
            Value::Array(out)
        }
        other => other.clone(),
    })
}

/// The first object (breadth first) that looks like a conversation: it has a `mapping`
/// object. Records the share id found next to it, if any.
fn find_conversation(root: Value) -> Option<Map<String, Value>> {
    let mut queue: VecDeque<(Value, Option<String>)> = VecDeque::from([(root, None)]);
    while let Some((v, share_id)) = queue.pop_front() {
        match v {
            Value::Object(mut o) => {
                if o.get("mapping").is_some_and(Value::is_object) {
                    if let Some(id) = share_id {
                        o.insert("__share_id".to_owned(), Value::String(id));
                    }
                    return Some(o);
                }
                let id = o
                    .get("sharedConversationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or(share_id);
                for (_, child) in o {
                    queue.push_back((child, id.clone()));
                }
            }
            Value::Array(a) => queue.extend(a.into_iter().map(|c| (c, share_id.clone()))),
            _ => {}
        }
    }
    None
}

/// The JSON value assigned after `marker` (`window.__remixContext = {…};`).
fn json_after(html: &str, marker: &str) -> Option<Value> {
    let at = html.find(marker)?;
    let rest = &html[at + marker.len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    serde_json::Deserializer::from_str(rest)
        .into_iter::<Value>()
        .next()?
        .ok()
}

/// `<script id="__NEXT_DATA__" type="application/json">{…}</script>`.
fn next_data(html: &str) -> Option<Value> {
    let at = html.find("__NEXT_DATA__")?;
    let open = html[at..].find('>')? + at + 1;
    let close = html[open..].find("</script>")? + open;
    serde_json::from_str(&html[open..close]).ok()
}

/// `<meta property="og:title" content="ChatGPT - Title">` → `Title`.
fn og_title(html: &str) -> Option<String> {
    let at = html.find("og:title")?;
    let tag_end = html[at..].find('>')? + at;
    let tag = &html[at..tag_end];
    let c = tag.find("content=\"")? + "content=\"".len();
    let end = tag[c..].find('"')? + c;
    let t = html_unescape(&tag[c..end]);
    let t = t.strip_prefix("ChatGPT - ").map(str::to_owned).unwrap_or(t);
    (!t.trim().is_empty()).then_some(t)
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_table() {
        let payload = r#"[{"_1":2},"data",{"_3":4,"_5":6,"_7":-5,"_8":9},"title","Hi","mapping",{},"gone","when",["D",1735478635000]]"#;
        let v = decode_turbo_stream(payload).unwrap_or_default();
        assert_eq!(v["data"]["title"], "Hi");
        assert!(v["data"]["mapping"].is_object());
        assert!(v["data"]["gone"].is_null());
        assert_eq!(v["data"]["when"], serde_json::json!(1735478635.0));
    }

    #[test]
    fn exponential_tables_are_refused() {
        // Each entry references the next twice: 2^40 values if expanded.
        let mut t = vec![];
        for i in 0..40 {
            t.push(format!("[{},{}]", i + 1, i + 1));
        }
        t.push("1".to_owned());
        let payload = format!("[{}]", t.join(","));
        assert!(decode_turbo_stream(&payload).is_err());
    }

    #[test]
    fn other_generations() {
        let conv = r#"{"title":"T","mapping":{"a":{"id":"a","message":{"id":"a","author":{"role":"user"},"content":{"content_type":"text","parts":["hi"]}},"parent":null,"children":[]}},"current_node":"a"}"#;
        let next = format!(
            r#"<script id="__NEXT_DATA__" type="application/json">{{"props":{{"pageProps":{{"serverResponse":{{"data":{conv}}}}}}}}}</script>"#
        );
        assert_eq!(
            read_share_page(&next).map(|t| t.messages.len()).ok(),
            Some(1)
        );
        let remix = format!(
            r#"<script>window.__remixContext = {{"state":{{"loaderData":{{"routes/share.$shareId.($action)":{{"sharedConversationId":"s1","serverResponse":{{"data":{conv}}}}}}}}}}};</script>"#
        );
        let t = read_share_page(&remix).ok();
        assert_eq!(
            t.as_ref().and_then(|t| t.url.as_deref()),
            Some("https://chatgpt.com/share/s1")
        );
        assert!(matches!(
            read_share_page("<html></html>"),
            Err(Error::NotAnExport { .. })
        ));
    }
}
