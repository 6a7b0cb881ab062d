//! Options shared by the CLI and the extension (one serde struct; every field has a default,
//! so JavaScript may pass only the fields it changes).

use serde::{Deserialize, Serialize};

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
        }
    }
}
