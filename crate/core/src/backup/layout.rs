//! How a backup is laid out as a ZIP, like ChatGPT's official export: `conversations.json`
//! (or `conversations-000.json`, … past [`PART_BYTES`]), each file at the root as
//! `<file id>-<name>`, and `chatkeep-backup.json`, the manifest. Any tool that reads
//! official exports reads it, chatkeep's export page and CLI included.

use serde::Serialize;
use serde_json::json;

use super::{Backup, Place};
use crate::naming;
use crate::time_fmt::rfc3339;

/// The most conversation JSON one `conversations-NNN.json` holds (a lone conversation
/// larger than this gets a part of its own).
pub const PART_BYTES: u64 = 64 * 1024 * 1024;

/// The name of the manifest inside the ZIP.
pub const MANIFEST: &str = "chatkeep-backup.json";

/// The folder of the readable copies (Markdown, HTML or JSON per conversation, and an
/// index), when the options ask for them.
pub const READABLE: &str = "readable";

/// What the backup ZIP holds, in the order to write it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// The conversation files: each a JSON array of the kept conversations, as fetched.
    pub parts: Vec<LayoutPart>,
    /// The files (images, attachments).
    pub files: Vec<LayoutFile>,
    /// The ZIP's file name: `chatkeep-backup-YYYY-MM-DD.zip` (the date in UTC).
    pub zip_name: String,
    /// The manifest's name (`chatkeep-backup.json`).
    pub manifest_name: &'static str,
    /// The manifest's text.
    pub manifest: String,
    /// The folder the caller writes the readable copies into (after the files, before the
    /// manifest), absent when the options do not ask for them.
    pub readable: Option<&'static str>,
}

/// One conversations file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutPart {
    /// `conversations.json` or `conversations-NNN.json`.
    pub name: String,
    /// The conversation ids, in order (oldest first, as in the official export).
    pub ids: Vec<String>,
}

/// One file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutFile {
    /// The file id (the key its bytes are kept under).
    pub id: String,
    /// Its entry name in the ZIP.
    pub name: String,
}

/// The entry name of a file: `<id>-<original name>` as the official export names it, so
/// that readers that look a pointer's file up by its id prefix find it.
pub(crate) fn file_entry(id: &str, name: Option<&str>, mime: Option<&str>) -> String {
    let id = naming::clean(id);
    let name = name.map(naming::clean).filter(|n| n != "conversation");
    match name {
        Some(n) if n.starts_with(&id) => n,
        Some(n) => format!("{id}-{n}"),
        None => {
            let ext = match mime.and_then(|m| m.split(';').next()).map(str::trim) {
                Some("image/png") => ".png",
                Some("image/jpeg") => ".jpg",
                Some("image/webp") => ".webp",
                Some("image/gif") => ".gif",
                Some("application/pdf") => ".pdf",
                _ => ".dat",
            };
            format!("{id}{ext}")
        }
    }
}

impl Backup {
    /// The ZIP's layout at `now` (epoch ms), with `account` (e-mail or name, when known)
    /// named in the manifest. Conversations go oldest first, split into parts of at most
    /// [`PART_BYTES`] (`part_bytes` overrides it, for tests).
    pub fn layout(&self, now_ms: f64, account: Option<&str>, part_bytes: Option<u64>) -> Layout {
        let limit = part_bytes.unwrap_or(PART_BYTES).max(1);
        let mut order: Vec<(&String, &super::Kept)> = self.s.kept.iter().collect();
        crate::sort::sort_by(&mut order, |a, b| {
            a.1.create_time
                .unwrap_or(a.1.update_time)
                .total_cmp(&b.1.create_time.unwrap_or(b.1.update_time))
                .then_with(|| a.0.cmp(b.0))
        });
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut size = 0u64;
        for (id, k) in order {
            match groups.last_mut() {
                Some(g) if size + k.bytes < limit => g.push(id.clone()),
                _ => {
                    groups.push(vec![id.clone()]);
                    size = 0;
                }
            }
            size += k.bytes + 1;
        }
        let parts = if groups.len() <= 1 {
            vec![LayoutPart {
                name: "conversations.json".into(),
                ids: groups.pop().unwrap_or_default(),
            }]
        } else {
            groups
                .into_iter()
                .enumerate()
                .map(|(i, ids)| LayoutPart {
                    name: format!("conversations-{i:03}.json"),
                    ids,
                })
                .collect()
        };
        let files = self
            .s
            .files
            .iter()
            .map(|(id, name)| LayoutFile {
                id: id.clone(),
                name: name.clone(),
            })
            .collect();
        let date = crate::time_fmt::date(now_ms / 1000.0, 0).unwrap_or_default();
        Layout {
            parts,
            files,
            zip_name: format!("chatkeep-backup-{date}.zip"),
            manifest_name: MANIFEST,
            manifest: self.manifest(now_ms, account),
            readable: self.s.options.readable.then_some(READABLE),
        }
    }

    /// The manifest: when, which account, what the backup holds, what failed.
    fn manifest(&self, now_ms: f64, account: Option<&str>) -> String {
        let s = &self.s;
        let mut counts = super::PlaceCounts::default();
        let mut gone = 0;
        let mut per_project: std::collections::BTreeMap<&str, u64> = Default::default();
        for k in s.kept.values() {
            counts.add(&k.place);
            if !k.listed {
                gone += 1;
            }
            if let Place::Project { gizmo } = &k.place {
                *per_project.entry(gizmo).or_default() += 1;
            }
        }
        let projects: Vec<_> = per_project
            .iter()
            .map(|(id, n)| json!({"id": id, "name": s.projects.get(*id), "conversations": n}))
            .collect();
        let time = |ms: f64| rfc3339(ms / 1000.0);
        let manifest = json!({
            "schema": "chatkeep.backup/1",
            "generator": format!("chatkeep {}", env!("CARGO_PKG_VERSION")),
            "created": time(now_ms),
            "account": account,
            "conversations": {
                "total": s.kept.len(),
                "ordinary": counts.ordinary,
                "archived": counts.archived,
                "project": counts.project,
                "no_longer_listed": gone,
            },
            "projects": projects,
            "files": s.files.len(),
            "readable": self.s.options.readable.then(|| format!("{READABLE}/index.html")),
            "last_run": {
                "started": time(s.run.started),
                "finished": s.run.finished.and_then(time),
                "complete": s.run.finished.is_some() && !s.lists_incomplete && s.failures.is_empty(),
                "lists_complete": !s.lists_incomplete,
                "fetched": s.run.fetched,
                "up_to_date": s.run.up_to_date,
                "files_fetched": s.run.files,
                "requests": s.run.requests,
                "rate_limited": s.run.rate_limited,
            },
            "failed": s.failures.values().collect::<Vec<_>>(),
        });
        serde_json::to_string_pretty(&manifest).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_entries_follow_the_official_names() {
        assert_eq!(
            file_entry("file-AB1", Some("photo.png"), None),
            "file-AB1-photo.png"
        );
        assert_eq!(
            file_entry("file_00aa", Some("file_00aa-1234.png"), None),
            "file_00aa-1234.png"
        );
        assert_eq!(file_entry("file-X", None, Some("image/jpeg")), "file-X.jpg");
        assert_eq!(
            file_entry("file-X", Some("a/../b?.png"), None),
            "file-X-a_.._b_.png"
        );
    }

    #[test]
    fn readable_copies_are_named_in_the_layout_and_the_manifest_when_asked() {
        let manifest = |b: &Backup| -> serde_json::Value {
            serde_json::from_str(&b.layout(0.0, None, None).manifest).unwrap_or_default()
        };
        let plain = Backup::new(super::super::BackupOptions::default());
        assert_eq!(plain.layout(0.0, None, None).readable, None);
        assert!(manifest(&plain)["readable"].is_null());
        let options = super::super::BackupOptions {
            readable: true,
            ..Default::default()
        };
        let readable = Backup::new(options);
        assert_eq!(readable.layout(0.0, None, None).readable, Some("readable"));
        assert_eq!(manifest(&readable)["readable"], "readable/index.html");
    }
}
