//! The conversation lists of ChatGPT's API: which page to ask for, and what a page says.
//!
//! Three kinds of list, merged by id (CHATGPT_FORMATS.md §5):
//! - `GET /backend-api/conversations?offset=N&limit=100&order=updated` (ordinary chats), and
//!   the same with `&is_archived=true` (archived ones). Paged by offset; a page shorter
//!   than asked is the last (`total` is off by one while pages remain, so it is not used).
//! - `GET /backend-api/gizmos/snorlax/sidebar?owned_only=true&conversations_per_gizmo=0&cursor=…`
//!   lists the projects (items nest as `item.gizmo.gizmo`), paged by an opaque cursor;
//! - `GET /backend-api/gizmos/<g-p-…>/conversations?cursor=…` lists one project's chats.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time_fmt::parse_rfc3339;

/// Where a conversation was listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// The main conversation list.
    Ordinary,
    /// The archived conversations.
    Archived,
    /// A project ("snorlax" gizmo).
    Project {
        /// The project's gizmo id (`g-p-…`).
        gizmo: String,
    },
}

impl Place {
    /// A stable one-word name: `ordinary`, `archived`, `project`.
    pub fn name(&self) -> &'static str {
        match self {
            Place::Ordinary => "ordinary",
            Place::Archived => "archived",
            Place::Project { .. } => "project",
        }
    }
}

/// One list and the page of it to ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "list", rename_all = "snake_case")]
pub enum ListPage {
    /// Ordinary conversations from `offset`.
    Ordinary {
        /// Items to skip.
        offset: u64,
    },
    /// Archived conversations from `offset`.
    Archived {
        /// Items to skip.
        offset: u64,
    },
    /// The project list, at `cursor` (`None`: the first page).
    Projects {
        /// The server's cursor.
        cursor: Option<String>,
    },
    /// One project's conversations, at `cursor` (`None`: the first page).
    Project {
        /// The project's gizmo id.
        gizmo: String,
        /// The server's cursor.
        cursor: Option<String>,
    },
}

/// The largest page the conversation list accepts (a larger `limit` is refused with 422).
pub const PAGE_SIZE: u64 = 100;

/// Pages of the offset lists overlap by this many items, so that a conversation deleted
/// while the list is read (which shifts every later one up by one place) is not skipped.
pub const OVERLAP: u64 = 3;

impl ListPage {
    /// The request's path and query, relative to the ChatGPT origin.
    pub fn url(&self) -> String {
        match self {
            ListPage::Ordinary { offset } => {
                format!("/backend-api/conversations?offset={offset}&limit={PAGE_SIZE}&order=updated")
            }
            ListPage::Archived { offset } => format!(
                "/backend-api/conversations?offset={offset}&limit={PAGE_SIZE}&order=updated&is_archived=true"
            ),
            ListPage::Projects { cursor } => format!(
                "/backend-api/gizmos/snorlax/sidebar?owned_only=true&conversations_per_gizmo=0&cursor={}",
                encode(cursor.as_deref().unwrap_or(""))
            ),
            ListPage::Project { gizmo, cursor } => format!(
                "/backend-api/gizmos/{}/conversations?cursor={}",
                encode(gizmo),
                encode(cursor.as_deref().unwrap_or("0"))
            ),
        }
    }

    /// What this list is, for messages: "the conversation list", ….
    pub fn describe(&self) -> String {
        match self {
            ListPage::Ordinary { .. } => "the conversation list".into(),
            ListPage::Archived { .. } => "the archived conversations".into(),
            ListPage::Projects { .. } => "the project list".into(),
            ListPage::Project { gizmo, .. } => format!("the conversations of project {gizmo}"),
        }
    }

    /// The first page of the same list.
    pub fn first(&self) -> ListPage {
        match self {
            ListPage::Ordinary { .. } => ListPage::Ordinary { offset: 0 },
            ListPage::Archived { .. } => ListPage::Archived { offset: 0 },
            ListPage::Projects { .. } => ListPage::Projects { cursor: None },
            ListPage::Project { gizmo, .. } => ListPage::Project {
                gizmo: gizmo.clone(),
                cursor: None,
            },
        }
    }
}

/// Percent-encodes a query or path value (everything but unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A conversation as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    /// The conversation id.
    pub id: String,
    /// Its title (may be empty).
    pub title: String,
    /// When it last changed, in epoch seconds, if the list said.
    pub update_time: Option<f64>,
    /// Where it was listed.
    pub place: Place,
}

/// A project as the sidebar lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Its gizmo id (`g-p-…`).
    pub id: String,
    /// Its name.
    pub name: String,
}

/// What one list page holds.
#[derive(Debug, Default, PartialEq)]
pub struct Page {
    /// The conversations on it.
    pub conversations: Vec<Listed>,
    /// The projects on it (project list only).
    pub projects: Vec<Project>,
    /// The next page of the same list, if there is one.
    pub next: Option<ListPage>,
}

/// Reads one page's JSON. `Err` holds a sentence saying what is wrong with it.
pub fn parse(page: &ListPage, body: &[u8]) -> Result<Page, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let items = v
        .get("items")
        .and_then(Value::as_array)
        .ok_or("the answer has no list of items")?;
    let mut out = Page::default();
    match page {
        ListPage::Ordinary { offset } | ListPage::Archived { offset } => {
            let place = if matches!(page, ListPage::Archived { .. }) {
                Place::Archived
            } else {
                Place::Ordinary
            };
            out.conversations = items.iter().filter_map(|i| listed(i, &place)).collect();
            // The server may cap the page below what was asked; its own `limit` says so.
            let limit = v
                .get("limit")
                .and_then(Value::as_u64)
                .filter(|&l| l > 0)
                .map_or(PAGE_SIZE, |l| l.min(PAGE_SIZE));
            let n = items.len() as u64;
            if n >= limit && n > OVERLAP {
                let next = offset + n - OVERLAP;
                out.next = Some(match page {
                    ListPage::Archived { .. } => ListPage::Archived { offset: next },
                    _ => ListPage::Ordinary { offset: next },
                });
            }
        }
        ListPage::Projects { .. } => {
            for item in items {
                let g = item
                    .pointer("/gizmo/gizmo")
                    .or_else(|| item.get("gizmo"))
                    .unwrap_or(item);
                let Some(id) = g.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let name = g
                    .pointer("/display/name")
                    .or_else(|| g.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                out.projects.push(Project {
                    id: id.to_owned(),
                    name,
                });
            }
            out.next = cursor(&v, items.is_empty()).map(|c| ListPage::Projects { cursor: Some(c) });
        }
        ListPage::Project { gizmo, .. } => {
            let place = Place::Project {
                gizmo: gizmo.clone(),
            };
            out.conversations = items.iter().filter_map(|i| listed(i, &place)).collect();
            out.next = cursor(&v, items.is_empty()).map(|c| ListPage::Project {
                gizmo: gizmo.clone(),
                cursor: Some(c),
            });
        }
    }
    Ok(out)
}

/// The next cursor of a cursor-paged list: none at the end (null, absent, empty) or after
/// an empty page (a server that keeps handing out cursors must not page forever).
fn cursor(v: &Value, empty_page: bool) -> Option<String> {
    if empty_page {
        return None;
    }
    match v.get("cursor")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn listed(item: &Value, place: &Place) -> Option<Listed> {
    let id = item
        .get("id")
        .or_else(|| item.get("conversation_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())?;
    Some(Listed {
        id: id.to_owned(),
        title: item
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        update_time: time_value(item.get("update_time")),
        place: place.clone(),
    })
}

/// A time as lists (ISO 8601 text) or conversations (epoch seconds) write it.
pub(crate) fn time_value(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64().filter(|t| t.is_finite()),
        Value::String(s) => parse_rfc3339(s)
            .or_else(|| s.trim().parse::<f64>().ok())
            .filter(|t| t.is_finite()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            ListPage::Archived { offset: 97 }.url(),
            "/backend-api/conversations?offset=97&limit=100&order=updated&is_archived=true"
        );
        assert_eq!(
            ListPage::Project {
                gizmo: "g-p-1".into(),
                cursor: Some("a b".into())
            }
            .url(),
            "/backend-api/gizmos/g-p-1/conversations?cursor=a%20b"
        );
        assert!(ListPage::Projects { cursor: None }
            .url()
            .ends_with("&cursor="));
    }

    #[test]
    fn offset_pages_overlap_and_stop_on_a_short_page() {
        let items: Vec<String> = (0..100)
            .map(|i| {
                format!(r#"{{"id":"c{i}","title":"t","update_time":"2025-01-01T00:00:00.5Z"}}"#)
            })
            .collect();
        let body = format!(
            r#"{{"items":[{}],"total":250,"limit":100}}"#,
            items.join(",")
        );
        let p = parse(&ListPage::Ordinary { offset: 0 }, body.as_bytes()).unwrap();
        assert_eq!(p.conversations.len(), 100);
        assert_eq!(p.conversations[0].update_time, Some(1735689600.5));
        assert_eq!(p.next, Some(ListPage::Ordinary { offset: 97 }));
        let short = r#"{"items":[{"id":"x","update_time":1.5}],"total":1}"#;
        let p = parse(&ListPage::Ordinary { offset: 97 }, short.as_bytes()).unwrap();
        assert_eq!(p.next, None);
        assert_eq!(p.conversations[0].update_time, Some(1.5));
    }

    #[test]
    fn projects_nest_and_cursors_end() {
        let body = r#"{"items":[{"gizmo":{"gizmo":{"id":"g-p-a","display":{"name":"Garden"}}}}],"cursor":"c2"}"#;
        let p = parse(&ListPage::Projects { cursor: None }, body.as_bytes()).unwrap();
        assert_eq!(
            p.projects,
            vec![Project {
                id: "g-p-a".into(),
                name: "Garden".into()
            }]
        );
        assert_eq!(
            p.next,
            Some(ListPage::Projects {
                cursor: Some("c2".into())
            })
        );
        let end = r#"{"items":[],"cursor":"c3"}"#;
        assert_eq!(
            parse(&ListPage::Projects { cursor: None }, end.as_bytes())
                .unwrap()
                .next,
            None
        );
        assert!(parse(&ListPage::Projects { cursor: None }, b"{\"it").is_err());
        assert!(parse(&ListPage::Projects { cursor: None }, b"{}").is_err());
    }
}
