//! Safe, unique file names from the options' template.
//!
//! Names are valid on Windows, macOS and Linux (no reserved characters or device names, no
//! trailing dots or spaces, at most 150 bytes before the extension) and never contain a path
//! separator, so a template cannot write outside the chosen folder.

use crate::{time_fmt, Format, Options, Transcript};
use std::collections::HashSet;

/// The longest stem, in bytes (leaves room for a ` (123)` suffix, an extension and a folder).
const MAX_STEM: usize = 150;

/// Whether a save of the positions `wanted` (sorted; `None`: every conversation) writes
/// the conversation at `index`.
pub fn is_wanted(wanted: Option<&[u32]>, index: usize) -> bool {
    wanted.is_none_or(|w| u32::try_from(index).is_ok_and(|i| w.binary_search(&i).is_ok()))
}

/// The placeholders a file-name template may use (`{title}`, `{date}` …); any other
/// `{word}` stays in the name as typed.
pub const PLACEHOLDERS: [&str; 7] = [
    "title", "date", "time", "updated", "id", "short_id", "model",
];

/// The `{things}` of `template` that are not [`PLACEHOLDERS`] (so [`stem`] keeps them as
/// typed), each once, in order, without their braces.
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let key = &after[..close];
        if !PLACEHOLDERS.contains(&key) && !out.iter().any(|k| k == key) {
            out.push(key.to_owned());
        }
        rest = &after[close + 1..];
    }
    out
}

/// Fills the template for a transcript: the file name without extension, already safe.
pub fn stem(t: &Transcript, opts: &Options) -> String {
    let template = if opts.filename_template.trim().is_empty() {
        "{date} {title}"
    } else {
        opts.filename_template.as_str()
    };
    let off = opts.utc_offset_minutes;
    // A transcript without times (read from a page) is named by the time it was read.
    let created = t.create_time.or(t.update_time).or(t.read_time);
    let mut out = String::with_capacity(template.len() + t.title.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let key = &after[..close];
        let value: Option<String> = match key {
            "title" => Some(t.title.clone()),
            "date" => created.and_then(|c| time_fmt::date(c, off)),
            "time" => created.and_then(|c| time_fmt::clock(c, off)),
            "updated" => t.update_time.and_then(|c| time_fmt::date(c, off)),
            "id" => Some(t.id.clone()),
            "short_id" => Some(t.id.chars().take(8).collect()),
            "model" => t.effective_model().map(str::to_owned),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(&v),
            None if PLACEHOLDERS.contains(&key) => {}
            None => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    clean(&out)
}

/// The full file name (stem and extension) for one format.
pub fn file_name(t: &Transcript, format: Format, opts: &Options) -> String {
    format!("{}.{}", stem(t, opts), format.extension())
}

/// Makes any text a safe file-name stem.
pub fn clean(s: &str) -> String {
    // One line, single spaces.
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let one_line = one_line
        .trim_matches(|c: char| c == ' ' || c == '.' || c == '-')
        .to_owned();
    let upper = one_line.to_ascii_uppercase();
    let base = upper.split('.').next().unwrap_or("").trim();
    let device = matches!(base, "CON" | "PRN" | "AUX" | "NUL")
        || (base.len() == 4
            && (base.starts_with("COM") || base.starts_with("LPT"))
            && base.as_bytes()[3].is_ascii_digit());
    let one_line = if device {
        format!("_{one_line}")
    } else {
        one_line
    };
    // Reserved on Windows (`<>:"/\\|?*`) or anywhere (`/`, NUL), and controls: replaced.
    // (Written out rather than taken from a crate: the usual one pulls `regex` into the
    // wasm, some 200 KB for these few rules.)
    let mut name: String = one_line
        .chars()
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    // The private-use range (citation markers and icons) has no place in a file name.
    name.retain(|c| !('\u{E000}'..='\u{F8FF}').contains(&c));
    if name.len() > MAX_STEM {
        let mut cut = MAX_STEM;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    let name = name
        .trim_matches(|c: char| c == ' ' || c == '.' || c == '-')
        .to_owned();
    if name.is_empty() || name == "_" {
        "conversation".to_owned()
    } else {
        name
    }
}

/// Hands out names that are unique in one folder, compared case-insensitively (as on
/// Windows and macOS): `Title.md`, `Title (2).md`, …
#[derive(Debug, Default, Clone)]
pub struct UniqueNames {
    used: HashSet<String>,
}

impl UniqueNames {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves a name (stem + `.ext`) and returns it, adding ` (2)`, ` (3)`, … when taken.
    pub fn claim(&mut self, stem: &str, ext: &str) -> String {
        let dot = if ext.is_empty() { "" } else { "." };
        let mut n = 1usize;
        loop {
            let candidate = if n == 1 {
                format!("{stem}{dot}{ext}")
            } else {
                format!("{stem} ({n}){dot}{ext}")
            };
            if self.used.insert(candidate.to_lowercase()) {
                return candidate;
            }
            n += 1;
        }
    }

    /// Reserves the stem of a conversation's files in every format `opts` asks for: its
    /// templated name ([`stem`]), or that name with ` (2)`, … when one of its files is
    /// taken. The one rule the CLI, the extension and the golden tests name files by.
    pub fn claim_for(&mut self, t: &Transcript, opts: &Options) -> String {
        let exts: Vec<&str> = opts.formats.iter().map(|f| f.extension()).collect();
        self.claim_stem(&stem(t, opts), &exts)
    }

    /// What a save writes for `t` among the files of this set: the transcript as the
    /// options want it written ([`crate::redact::prepared`]: redacted when they say so) and
    /// the stem claimed for its files ([`Self::claim_for`], from the redacted title).
    pub fn prepare<'a>(
        &mut self,
        t: &'a Transcript,
        opts: &Options,
    ) -> (std::borrow::Cow<'a, Transcript>, String) {
        let t = crate::redact::prepared(t, opts);
        let stem = self.claim_for(&t, opts);
        (t, stem)
    }

    /// Reserves a stem for every format at once, so `a.md`, `a.html` and `a.json` (and the
    /// `a_files` folder) share one stem.
    pub fn claim_stem(&mut self, stem: &str, exts: &[&str]) -> String {
        let mut n = 1usize;
        loop {
            let candidate = if n == 1 {
                stem.to_owned()
            } else {
                format!("{stem} ({n})")
            };
            let keys: Vec<String> = exts
                .iter()
                .map(|e| format!("{candidate}.{e}").to_lowercase())
                .collect();
            if keys.iter().all(|k| !self.used.contains(k)) {
                self.used.extend(keys);
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_save_writes_the_wanted_positions_redacted_and_uniquely_named() {
        assert!(is_wanted(None, 7));
        assert!(is_wanted(Some(&[1, 3, 9]), 3));
        assert!(!is_wanted(Some(&[1, 3, 9]), 4));
        assert!(!is_wanted(Some(&[]), 0));
        assert!(
            !is_wanted(Some(&[0]), usize::MAX),
            "past u32: not a position asked for"
        );
        let t = Transcript {
            title: "Secret plan".to_owned(),
            ..Transcript::default()
        };
        let mut opts = Options {
            filename_template: "{title}".to_owned(),
            ..Options::default()
        };
        opts.redact.enabled = true;
        opts.redact.terms = vec!["Secret".to_owned()];
        let mut names = UniqueNames::new();
        let (first, stem) = names.prepare(&t, &opts);
        assert!(
            !first.title.contains("Secret") && !stem.contains("Secret"),
            "{stem}"
        );
        let (_, again) = names.prepare(&t, &opts);
        assert_eq!(again, format!("{stem} (2)"));
    }

    #[test]
    fn unknown_placeholders_are_what_the_name_keeps_as_typed() {
        assert_eq!(
            unknown_placeholders("{date} {Title} {x} {title} {x} {unclosed"),
            ["Title", "x"]
        );
        assert!(unknown_placeholders("{date} {title} {short_id}").is_empty());
        let t = Transcript {
            title: "T".to_owned(),
            ..Transcript::default()
        };
        let o = Options {
            filename_template: "{Title} {title}".to_owned(),
            ..Options::default()
        };
        assert_eq!(stem(&t, &o), "{Title} T");
    }

    use super::*;

    fn t(title: &str) -> Transcript {
        Transcript {
            id: "6770d3bb-1234".into(),
            title: title.into(),
            create_time: Some(1735478635.89),
            ..Transcript::default()
        }
    }

    #[test]
    fn template_and_cleaning() {
        let o = Options::default();
        assert_eq!(
            file_name(&t("Hello: world?"), Format::Markdown, &o),
            "2024-12-29 Hello_ world_.md"
        );
        assert_eq!(stem(&t("a/b\\c\n\td"), &o), "2024-12-29 a_b_c d");
        let o2 = Options {
            filename_template: "{short_id}-{title}-{nope}".into(),
            ..Options::default()
        };
        assert_eq!(stem(&t("x"), &o2), "6770d3bb-x-{nope}");
        let o3 = Options {
            filename_template: "{title}".into(),
            ..Options::default()
        };
        assert_eq!(stem(&t("CON"), &o3), "_CON");
        assert_eq!(stem(&t("..."), &o3), "conversation");
        assert_eq!(stem(&t(" trailing. "), &o3), "trailing");
        let long = "가".repeat(200);
        let s = stem(&t(&long), &o3);
        assert!(s.len() <= MAX_STEM && s.chars().all(|c| c == '가'));
    }

    #[test]
    fn a_page_without_times_is_named_by_the_time_it_was_read() {
        let mut page = Transcript {
            title: "From the page".into(),
            ..Transcript::default()
        };
        let o = Options::default();
        assert_eq!(stem(&page, &o), "From the page");
        page.date_by_read_time(1735478635.89);
        assert_eq!(stem(&page, &o), "2024-12-29 From the page");
        assert!(page
            .warnings
            .iter()
            .any(|w| w.message.contains("the day it was saved")));
        // Its own times win, and no warning is added.
        let mut dated = t("Dated");
        dated.date_by_read_time(1_800_000_000.0);
        assert_eq!(stem(&dated, &o), "2024-12-29 Dated");
        assert!(dated.warnings.is_empty() && dated.read_time.is_none());
    }

    #[test]
    fn unique() {
        let mut u = UniqueNames::new();
        assert_eq!(u.claim("a", "md"), "a.md");
        assert_eq!(u.claim("A", "md"), "A (2).md");
        assert_eq!(u.claim_stem("a", &["md", "html"]), "a (3)");
        assert_eq!(u.claim_stem("b", &["md", "html"]), "b");
    }
}
