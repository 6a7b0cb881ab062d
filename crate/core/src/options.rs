//! Options shared by the CLI and the extension (one serde struct; every field has a default,
//! so JavaScript may pass only the fields it changes).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Error, Result};

/// An output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Markdown (`.md`).
    #[default]
    #[serde(alias = "md")]
    Markdown,
    /// One self-contained HTML file (`.html`).
    Html,
    /// chatkeep's JSON transcript (`.json`).
    Json,
}

impl Format {
    /// All formats, in the order "all" writes them.
    pub const ALL: [Format; 3] = [Format::Markdown, Format::Html, Format::Json];

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Json => "json",
        }
    }

    /// The MIME type of the file.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown;charset=utf-8",
            Format::Html => "text/html;charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// Which branches of a conversation to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Branches {
    /// Only the branch the user last saw.
    #[default]
    Current,
    /// The main line, then every alternative branch, each marked.
    All,
}

/// How images and other files are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Images {
    /// Markdown links to files in an assets folder next to the output (HTML embeds anyway,
    /// to stay one self-contained file).
    #[default]
    Link,
    /// Embedded as `data:` URIs in both Markdown and HTML.
    Embed,
    /// Not written: a one-line placeholder with the file name.
    Omit,
}

/// The Markdown dialect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    /// CommonMark + GFM; collapsible parts as `<details>`.
    #[default]
    Plain,
    /// Obsidian: roles and collapsible parts as callouts (`> [!note]-`).
    Obsidian,
}

/// A YAML front-matter field of the Markdown output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrontMatterField {
    /// `title`
    Title,
    /// `conversation_id`
    Id,
    /// `url`
    Url,
    /// `created`
    Created,
    /// `updated`
    Updated,
    /// `model`
    Model,
    /// `messages` (count of visible main-line messages)
    Messages,
    /// `project` / `gpt` (the gizmo id)
    Gizmo,
    /// `source` (export, api, share, page)
    Origin,
}

impl FrontMatterField {
    /// Every field, in output order.
    pub const ALL: [FrontMatterField; 9] = [
        FrontMatterField::Title,
        FrontMatterField::Id,
        FrontMatterField::Url,
        FrontMatterField::Created,
        FrontMatterField::Updated,
        FrontMatterField::Model,
        FrontMatterField::Messages,
        FrontMatterField::Gizmo,
        FrontMatterField::Origin,
    ];
}

/// Everything a user can choose about the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Formats to write (the CLI's `--format all` is all three).
    pub formats: Vec<Format>,
    /// Current branch only, or all branches.
    pub branches: Branches,
    /// Include model reasoning (collapsed).
    pub include_reasoning: bool,
    /// Include messages the site hides (tool calls and outputs, system and memory messages).
    pub include_hidden: bool,
    /// Include the user's custom instructions (collapsed).
    pub include_custom_instructions: bool,
    /// Show each message's time.
    pub timestamps: bool,
    /// Offset from UTC, in minutes, used to show times (the extension passes the browser's).
    pub utc_offset_minutes: i32,
    /// How images are written.
    pub images: Images,
    /// The Markdown dialect.
    pub flavor: Flavor,
    /// The YAML front-matter fields (empty: no front matter).
    pub front_matter: Vec<FrontMatterField>,
    /// The file name template: `{title}`, `{date}` (created, `YYYY-MM-DD`), `{time}` (`HH-MM`),
    /// `{updated}`, `{id}`, `{short_id}` (first 8 characters), `{model}`.
    pub filename_template: String,
    /// Redaction of personal data and secrets before writing (off by default; see
    /// [`crate::redact`]).
    pub redact: crate::redact::RedactOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            formats: vec![Format::Markdown],
            branches: Branches::Current,
            include_reasoning: false,
            include_hidden: false,
            include_custom_instructions: false,
            timestamps: true,
            utc_offset_minutes: 0,
            images: Images::Link,
            flavor: Flavor::Plain,
            front_matter: FrontMatterField::ALL.to_vec(),
            filename_template: "{date} {title}".to_owned(),
            redact: crate::redact::RedactOptions::default(),
        }
    }
}

impl Options {
    /// Whether the files of a conversation (images, uploads) must be fetched for these
    /// options: HTML shows them, and Markdown unless images are omitted; JSON never.
    pub fn needs_files(&self) -> bool {
        self.formats.contains(&Format::Html)
            || (self.formats.contains(&Format::Markdown) && self.images != Images::Omit)
    }

    /// The options of one save: the user's stored settings (`stored`), overridden by the
    /// caller's (`call`); each an object (or `null`). A key of `stored` that this version
    /// does not know (left by another version) or whose value it cannot read is dropped,
    /// so old settings never stop a save; a key of `call` that nobody knows, or a value of
    /// the wrong type, is an error that names it. `null` values count as absent.
    ///
    /// # Errors
    ///
    /// [`Error::Options`] naming the caller's unknown key or wrong value.
    pub fn merged(stored: &Value, call: &Value) -> Result<Options> {
        let mut map = Map::new();
        for (k, v) in entries(stored, "the stored settings")? {
            // One key at a time: the others keep their defaults.
            let mut one = Map::new();
            one.insert(k.clone(), v.clone());
            let one = Value::Object(one);
            if serde_json::from_value::<Options>(one).is_ok() {
                map.insert(k.clone(), v.clone());
            }
        }
        let known = serde_json::to_value(Options::default()).unwrap_or_default();
        for (k, v) in entries(call, "the options")? {
            if known.get(k).is_none() {
                return Err(Error::Options {
                    detail: unknown_key(k, &known),
                });
            }
            map.insert(k.clone(), v.clone());
        }
        serde_json::from_value(Value::Object(map)).map_err(|e| Error::Options {
            detail: e.to_string(),
        })
    }

    /// What of these options differs from [`Options::default`], as the object to store for
    /// the user (the extension's settings; [`Options::merged`] reads it back to these same
    /// options). An object option (`redact`) keeps only its fields that differ, so a field
    /// the user never changed takes the default of whichever version reads it, not the one
    /// of the version that wrote it. Nothing differs: an empty object.
    pub fn changes(&self) -> Value {
        let this = serde_json::to_value(self).unwrap_or_default();
        let defaults = serde_json::to_value(Options::default()).unwrap_or_default();
        differing(&this, &defaults).unwrap_or_else(|| Value::Object(Map::new()))
    }
}

/// `value` where it differs from `base`: for two objects, the keys whose values differ
/// (compared the same way); otherwise `value` itself. `None`: nothing differs.
fn differing(value: &Value, base: &Value) -> Option<Value> {
    match (value, base) {
        (Value::Object(v), Value::Object(b)) => {
            let out: Map<String, Value> = v
                .iter()
                .filter_map(|(k, x)| {
                    let d = match b.get(k) {
                        Some(y) => differing(x, y)?,
                        None => x.clone(),
                    };
                    Some((k.clone(), d))
                })
                .collect();
            (!out.is_empty()).then_some(Value::Object(out))
        }
        _ => (value != base).then(|| value.clone()),
    }
}

/// The non-null entries of an options object (`null`: none).
fn entries<'a>(v: &'a Value, what: &str) -> Result<Vec<(&'a String, &'a Value)>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Object(m) => Ok(m.iter().filter(|(_, v)| !v.is_null()).collect()),
        _ => Err(Error::Options {
            detail: format!("{what} must be an object"),
        }),
    }
}

/// "unknown option `format` (did you mean `formats`?)".
fn unknown_key(key: &str, known: &Value) -> String {
    let near = known.as_object().and_then(|m| {
        m.keys().find(|k| {
            let (a, b) = (k.as_str(), key);
            a.starts_with(b)
                || b.starts_with(a)
                || a.replace('_', "") == b.replace(['_', '-'], "").to_lowercase()
        })
    });
    match near {
        Some(n) => format!("unknown option `{key}` (did you mean `{n}`?)"),
        None => {
            let all: Vec<&str> = known
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            format!(
                "unknown option `{key}` (the options are {})",
                all.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_caller_overrides_the_stored_settings() {
        let o = Options::merged(
            &json!({"formats": ["html"], "timestamps": false}),
            &json!({"formats": ["json"], "include_hidden": true, "flavor": null}),
        )
        .expect("valid");
        assert_eq!(o.formats, vec![Format::Json]);
        assert!(!o.timestamps, "kept from the stored settings");
        assert!(o.include_hidden);
        assert_eq!(o.flavor, Options::default().flavor, "null is absent");
    }

    #[test]
    fn a_key_nobody_knows_is_an_error_that_names_it() {
        let e = Options::merged(&Value::Null, &json!({"format": ["html"]})).expect_err("refused");
        assert_eq!(e.kind(), "options");
        let text = e.to_string();
        assert!(
            text.contains("`format`") && text.contains("did you mean `formats`"),
            "{text}"
        );
        let e = Options::merged(&Value::Null, &json!({"colour": "red"})).expect_err("refused");
        assert!(
            e.to_string().contains("the options are ") && e.to_string().contains("formats"),
            "{e}"
        );
        let e = Options::merged(&Value::Null, &json!({"timestamps": "yes"})).expect_err("refused");
        assert!(e.to_string().contains("invalid type"), "{e}");
        assert!(Options::merged(&Value::Null, &json!(["md"])).is_err());
    }

    #[test]
    fn files_are_needed_for_html_and_for_markdown_with_images() {
        let with = |formats: Vec<Format>, images: Images| Options {
            formats,
            images,
            ..Options::default()
        };
        assert!(with(vec![Format::Html], Images::Omit).needs_files());
        assert!(with(vec![Format::Markdown], Images::Link).needs_files());
        assert!(!with(vec![Format::Markdown], Images::Omit).needs_files());
        assert!(!with(vec![Format::Json], Images::Embed).needs_files());
    }

    /// What is stored is what differs, an object option field by field: a field left alone
    /// is not stored and takes the default of the version that reads it (redaction's
    /// `source`, now left out by default); a field the user set is kept, even to what is
    /// now the default of another version.
    #[test]
    fn only_what_differs_is_stored_and_reads_back() {
        assert_eq!(Options::default().changes(), json!({}));
        let mut o = Options {
            formats: vec![Format::Html, Format::Json],
            timestamps: false,
            ..Options::default()
        };
        o.redact.enabled = true;
        o.redact.terms = vec!["Ana".to_owned()];
        let stored = o.changes();
        assert_eq!(
            stored,
            json!({"formats": ["html", "json"], "timestamps": false,
                   "redact": {"enabled": true, "terms": ["Ana"]}})
        );
        assert_eq!(Options::merged(&stored, &Value::Null).ok(), Some(o.clone()));
        assert_eq!(
            Options::merged(&stored, &Value::Null)
                .map(|o| o.redact.source)
                .ok(),
            Some(crate::redact::SourceMode::Drop),
            "never chosen: the default"
        );
        o.redact.source = crate::redact::SourceMode::Redact;
        let stored = o.changes();
        assert_eq!(stored["redact"]["source"], "redact");
        assert_eq!(Options::merged(&stored, &Value::Null).ok(), Some(o));
        let kept = Options::merged(&json!({"redact": {"source": "redact"}}), &Value::Null)
            .map(|o| o.redact.source)
            .ok();
        assert_eq!(
            kept,
            Some(crate::redact::SourceMode::Redact),
            "chosen: kept"
        );
    }

    #[test]
    fn stale_or_broken_stored_keys_are_dropped() {
        let o = Options::merged(
            &json!({"old_option": 1, "formats": "not a list", "timestamps": false}),
            &Value::Null,
        )
        .expect("old settings never stop a save");
        assert_eq!(o.formats, Options::default().formats);
        assert!(!o.timestamps);
    }
}
