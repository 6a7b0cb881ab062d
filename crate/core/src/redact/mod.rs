//! Redaction: finds personal data and secrets in a transcript and replaces them with
//! labelled placeholders (`[email 1]`, `[phone 2]`, `[name 1]`) before any writer runs.
//!
//! Guarantees:
//! - Within one conversation a value always gets the same placeholder, wherever it appears
//!   (title, text, code, citations, alt text, file names, the JSON's `source`).
//! - Placeholders hold no backtick, no newline and no Markdown that opens a construct, so a
//!   code fence or a table stays intact.
//! - Every kind can be switched off ([`RedactOptions::kinds`]); a value in
//!   [`RedactOptions::allow`] (as [`Finding::value`] gives it) is left as it is.
//! - Ordinary numbers, dates, times, versions, UUIDs, git hashes, colour codes, math,
//!   ordinary URLs and code identifiers are not taken (see `tests/redact/` and its
//!   benchmark for the measured precision).
//!
//! ```
//! use chatkeep_core::redact::{RedactOptions, Redactor};
//! let mut r = Redactor::new(&RedactOptions::default());
//! let out = r.redact_str("Mail ana@example.org or call +44 20 7946 0958.");
//! assert_eq!(out.as_deref(), Some("Mail [email 1] or call [phone 1]."));
//! ```

mod detect;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Asset, Block, Message, Transcript};

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// E-mail addresses.
    Email,
    /// Phone numbers, international (`+49 …`, `0049 …`) and national formats.
    Phone,
    /// IPv4 and IPv6 addresses (not loopback, unspecified or netmasks).
    Ip,
    /// Payment card numbers (Luhn-checked, known card prefixes).
    Card,
    /// IBANs (length by country, mod-97-checked).
    Iban,
    /// API keys and tokens of known shapes, private keys, credentials in URLs, tokens in
    /// query strings, and random-looking values assigned to `password`, `api_key`, … .
    Secret,
    /// The user's own words and names ([`RedactOptions::terms`]).
    Name,
}

impl Kind {
    /// Every kind, in the order counts are written.
    pub const ALL: [Kind; 7] = [
        Kind::Email,
        Kind::Phone,
        Kind::Ip,
        Kind::Card,
        Kind::Iban,
        Kind::Secret,
        Kind::Name,
    ];

    /// The word used in placeholders and counts (`email`, `phone`, …, `name`).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Ip => "ip",
            Kind::Card => "card",
            Kind::Iban => "iban",
            Kind::Secret => "secret",
            Kind::Name => "name",
        }
    }

    /// A phrase for people ("e-mail addresses").
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Email => "e-mail addresses",
            Kind::Phone => "phone numbers",
            Kind::Ip => "IP addresses",
            Kind::Card => "payment card numbers",
            Kind::Iban => "IBANs",
            Kind::Secret => "keys, tokens and passwords",
            Kind::Name => "your words and names",
        }
    }

    /// Parses a label as [`Kind::label`] writes it (`ip` also as `ipv4`/`ipv6`, `name` also
    /// as `term`/`terms`).
    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "email" | "e-mail" | "mail" => Kind::Email,
            "phone" => Kind::Phone,
            "ip" | "ipv4" | "ipv6" => Kind::Ip,
            "card" | "cards" => Kind::Card,
            "iban" => Kind::Iban,
            "secret" | "secrets" => Kind::Secret,
            "name" | "names" | "term" | "terms" => Kind::Name,
            _ => return None,
        })
    }
}

/// What happens to the JSON's verbatim `source` object when redacting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceMode {
    /// Redacted inside, with the same placeholders; everything else kept verbatim.
    #[default]
    Redact,
    /// Left out (`"source": null`).
    Drop,
}

/// The user's redaction choices (part of [`crate::Options`]; every field has a default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedactOptions {
    /// Redact at all. Off by default.
    pub enabled: bool,
    /// The kinds to find (default: all). [`Kind::Name`] needs [`Self::terms`].
    pub kinds: Vec<Kind>,
    /// The user's own words and names, matched as whole words, ignoring case.
    pub terms: Vec<String>,
    /// Values to leave as they are (the user unticked these findings).
    pub allow: Vec<String>,
    /// Replace images, attachments and audio by a one-line note and drop their bytes.
    pub drop_files: bool,
    /// What happens to the JSON's `source`.
    pub source: SourceMode,
}

impl Default for RedactOptions {
    fn default() -> Self {
        RedactOptions {
            enabled: false,
            kinds: Kind::ALL.to_vec(),
            terms: Vec::new(),
            allow: Vec::new(),
            drop_files: false,
            source: SourceMode::Redact,
        }
    }
}

/// One place in a text that redaction replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Match {
    /// What it is.
    pub kind: Kind,
    /// Byte offset of its start in the text.
    pub start: usize,
    /// Byte offset just after its end.
    pub end: usize,
    /// Which rule found it ("IPv4 address", "GitHub token", …), for people.
    pub rule: &'static str,
}

/// One value found in a conversation, with its placeholder and how often it appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is.
    pub kind: Kind,
    /// The text found (pass it back in [`RedactOptions::allow`] to keep it).
    pub value: String,
    /// What replaces it (`[email 1]`).
    pub placeholder: String,
    /// Which rule found it, for people.
    pub message: &'static str,
    /// How many times it appears.
    pub count: usize,
}

/// What a redaction changed, written by every writer (front matter, header, JSON field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionNote {
    /// Distinct values replaced, per kind (kinds with none are left out), in [`Kind::ALL`]
    /// order.
    pub counts: Vec<(Kind, usize)>,
    /// What happened to the JSON's `source`.
    pub source: SourceMode,
    /// Images, attachments and recordings left out.
    pub files_dropped: usize,
}

impl RedactionNote {
    /// "2 email, 1 phone" (or "nothing found").
    pub fn summary(&self) -> String {
        if self.counts.is_empty() {
            return "nothing found".to_owned();
        }
        self.counts
            .iter()
            .map(|(k, n)| format!("{n} {}", k.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The sentence the Markdown and HTML writers show under the title of a redacted save.
pub fn note_sentence(note: &RedactionNote) -> String {
    let mut s = format!("Redacted by chatkeep: {}", note.summary());
    if note.files_dropped > 0 {
        s.push_str(&format!("; {} file(s) left out", note.files_dropped));
    }
    s.push('.');
    s
}

/// Redacts the strings of one conversation, giving each value one placeholder.
pub struct Redactor {
    detectors: detect::Detectors,
    allow: Vec<String>,
    placeholders: HashMap<(Kind, String), usize>,
    next: [usize; 7],
    findings: Vec<Finding>,
    matches: Vec<Match>,
}

fn kind_index(k: Kind) -> usize {
    Kind::ALL.iter().position(|&x| x == k).unwrap_or(0)
}

/// The key under which a value gets its placeholder (`Ana@X.org` and `ana@x.org` agree).
fn normalise(kind: Kind, v: &str) -> String {
    match kind {
        Kind::Email | Kind::Ip | Kind::Name => v.to_lowercase(),
        Kind::Phone | Kind::Card => v.chars().filter(char::is_ascii_digit).collect(),
        Kind::Iban => v.chars().filter(|c| !c.is_whitespace()).collect(),
        Kind::Secret => v.to_owned(),
    }
}

impl Redactor {
    /// A redactor for one conversation with these options (`enabled` is not looked at).
    pub fn new(opts: &RedactOptions) -> Self {
        let on = |k| opts.kinds.contains(&k);
        let terms = if on(Kind::Name) {
            let mut t: Vec<Vec<char>> = opts
                .terms
                .iter()
                .map(|t| t.trim())
                .filter(|t| t.chars().count() >= 2)
                .map(|t| t.chars().flat_map(char::to_lowercase).collect())
                .collect();
            // Longer terms first: "Ana Lima" before "Ana".
            t.sort_by_key(|x| std::cmp::Reverse(x.len()));
            t.dedup();
            t
        } else {
            Vec::new()
        };
        Redactor {
            detectors: detect::Detectors {
                email: on(Kind::Email),
                phone: on(Kind::Phone),
                ip: on(Kind::Ip),
                card: on(Kind::Card),
                iban: on(Kind::Iban),
                secret: on(Kind::Secret),
                terms,
            },
            allow: opts.allow.clone(),
            placeholders: HashMap::new(),
            next: [0; 7],
            findings: Vec::new(),
            matches: Vec::new(),
        }
    }

    /// Every match in `text`, in order, without overlaps; allowed values left out.
    pub fn find(&mut self, text: &str) -> Vec<Match> {
        let mut out = Vec::new();
        self.detectors.find(text, &mut out);
        out.retain(|m| !self.allow.iter().any(|a| a == &text[m.start..m.end]));
        out
    }

    /// The text with every match replaced, or `None` when nothing was found.
    pub fn redact_str(&mut self, text: &str) -> Option<String> {
        let mut ms = std::mem::take(&mut self.matches);
        self.detectors.find(text, &mut ms);
        if !self.allow.is_empty() {
            ms.retain(|m| !self.allow.iter().any(|a| a == &text[m.start..m.end]));
        }
        if ms.is_empty() {
            self.matches = ms;
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in &ms {
            out.push_str(&text[last..m.start]);
            let value = &text[m.start..m.end];
            out.push_str(&self.placeholder(m.kind, value, m.rule));
            last = m.end;
        }
        out.push_str(&text[last..]);
        self.matches = ms;
        Some(out)
    }

    /// Redacts in place; whether anything changed.
    pub fn redact_in_place(&mut self, s: &mut String) -> bool {
        match self.redact_str(s) {
            Some(new) => {
                *s = new;
                true
            }
            None => false,
        }
    }

    /// Redacts every string value (and key) of a JSON text, keeping everything else
    /// byte for byte. `None` when nothing was found.
    pub fn redact_json(&mut self, json: &str) -> Option<String> {
        let b = json.as_bytes();
        let mut out: Option<String> = None;
        let mut last = 0;
        let mut i = 0;
        while let Some(k) = memchr::memchr(b'"', &b[i..]) {
            let s = i + k;
            let mut e = s + 1;
            let mut escaped = false;
            loop {
                match memchr::memchr2(b'"', b'\\', &b[e..]) {
                    None => {
                        return out.map(|mut o| {
                            o.push_str(&json[last..]);
                            o
                        })
                    }
                    Some(k) if b[e + k] == b'\\' => {
                        escaped = true;
                        e += k + 2;
                        if e > b.len() {
                            e = b.len();
                            break;
                        }
                    }
                    Some(k) => {
                        e += k;
                        break;
                    }
                }
            }
            if e >= b.len() {
                break;
            }
            // `s..=e` is one string literal.
            let inner = &json[s + 1..e];
            let replaced = if escaped {
                serde_json::from_str::<String>(&json[s..=e])
                    .ok()
                    .and_then(|v| self.redact_str(&v))
            } else {
                self.redact_str(inner)
            };
            if let Some(new) = replaced {
                let o = out.get_or_insert_with(|| String::with_capacity(json.len()));
                o.push_str(&json[last..s]);
                // Serialising a `String` cannot fail.
                o.push_str(&serde_json::to_string(&new).unwrap_or_else(|_| "\"\"".to_owned()));
                last = e + 1;
            }
            i = e + 1;
        }
        out.map(|mut o| {
            o.push_str(&json[last..]);
            o
        })
    }

    fn placeholder(&mut self, kind: Kind, value: &str, rule: &'static str) -> String {
        let key = (kind, normalise(kind, value));
        let idx = match self.placeholders.get(&key) {
            Some(&i) => i,
            None => {
                let slot = &mut self.next[kind_index(kind)];
                *slot += 1;
                self.findings.push(Finding {
                    kind,
                    value: value.to_owned(),
                    placeholder: format!("[{} {}]", kind.label(), *slot),
                    message: rule,
                    count: 0,
                });
                let i = self.findings.len() - 1;
                self.placeholders.insert(key, i);
                i
            }
        };
        let f = &mut self.findings[idx];
        f.count += 1;
        f.placeholder.clone()
    }

    /// The values replaced so far, in order of first appearance.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Distinct values replaced so far, per kind.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        Kind::ALL
            .iter()
            .map(|&k| (k, self.next[kind_index(k)]))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// Redacts a transcript in place: title, url, every block of every message (main line and
/// branches, hidden ones too), asset names and alt text, citations, warnings, and the
/// verbatim `source` (redacted inside or dropped, as `opts.source` says). Sets
/// [`Transcript::redaction`] and returns the findings. Does nothing and returns nothing
/// when `opts.enabled` is false.
pub fn apply(t: &mut Transcript, opts: &RedactOptions) -> Vec<Finding> {
    if !opts.enabled {
        return Vec::new();
    }
    let mut r = Redactor::new(opts);
    r.redact_in_place(&mut t.title);
    if let Some(u) = &mut t.url {
        r.redact_in_place(u);
    }
    let mut files_dropped = 0;
    for m in t
        .messages
        .iter_mut()
        .chain(t.branches.iter_mut().flat_map(|b| b.messages.iter_mut()))
    {
        files_dropped += message(&mut r, m, opts.drop_files);
    }
    for s in &mut t.sources {
        for f in [&mut s.title, &mut s.url, &mut s.attribution]
            .into_iter()
            .flatten()
        {
            r.redact_in_place(f);
        }
    }
    for w in &mut t.warnings {
        r.redact_in_place(w);
    }
    match opts.source {
        SourceMode::Drop => t.source_json = None,
        SourceMode::Redact => {
            if let Some(src) = &t.source_json {
                if let Some(new) = r.redact_json(src) {
                    t.source_json = Some(new);
                }
            }
        }
    }
    t.redaction = Some(RedactionNote {
        counts: r.counts(),
        source: opts.source,
        files_dropped,
    });
    r.findings
}

/// The transcript as a save writes it: redacted (a copy) when `opts.enabled`, else itself.
/// Every save path (one chat, a selection, the backup's readable copies, the CLI) calls
/// this before naming and writing.
pub fn prepared<'a>(t: &'a Transcript, opts: &RedactOptions) -> std::borrow::Cow<'a, Transcript> {
    if !opts.enabled {
        return std::borrow::Cow::Borrowed(t);
    }
    let mut copy = t.clone();
    apply(&mut copy, opts);
    std::borrow::Cow::Owned(copy)
}

/// What [`apply`] would replace, without changing the transcript (counts leave out the
/// verbatim `source`, which repeats the conversation).
pub fn findings(t: &Transcript, opts: &RedactOptions) -> Vec<Finding> {
    let mut copy = t.clone();
    // The verbatim source repeats the conversation: counting it would double every count.
    copy.source_json = None;
    let opts = RedactOptions {
        enabled: true,
        ..opts.clone()
    };
    apply(&mut copy, &opts)
}

fn opt(r: &mut Redactor, s: &mut Option<String>) {
    if let Some(s) = s {
        r.redact_in_place(s);
    }
}

fn asset(r: &mut Redactor, a: &mut Asset) {
    opt(r, &mut a.name);
}

/// Redacts one message; returns how many files it dropped.
fn message(r: &mut Redactor, m: &mut Message, drop_files: bool) -> usize {
    let mut dropped = 0;
    for b in &mut m.blocks {
        if drop_files {
            let what = match b {
                Block::Image { .. } => Some("image"),
                Block::Attachment { .. } => Some("attachment"),
                Block::Audio { .. } => Some("recording"),
                _ => None,
            };
            if let Some(what) = what {
                *b = Block::Text {
                    markdown: format!("*[{what} left out]*"),
                };
                dropped += 1;
                continue;
            }
        }
        match b {
            Block::Text { markdown } => {
                r.redact_in_place(markdown);
            }
            Block::Code { code, .. } => {
                r.redact_in_place(code);
            }
            Block::ExecutionOutput { text }
            | Block::Memory { text }
            | Block::ToolOutput { text }
            | Block::ReasoningRecap { text }
            | Block::Transcription { text, .. } => {
                r.redact_in_place(text);
            }
            Block::Image { asset: a, prompt } => {
                asset(r, a);
                opt(r, prompt);
            }
            Block::Attachment { asset: a } | Block::Audio { asset: a } => asset(r, a),
            Block::Quote {
                title,
                url,
                domain,
                text,
            } => {
                opt(r, title);
                opt(r, url);
                opt(r, domain);
                r.redact_in_place(text);
            }
            Block::Canvas { title, content, .. }
            | Block::CanvasEdit {
                title,
                diff: content,
                ..
            } => {
                opt(r, title);
                r.redact_in_place(content);
            }
            Block::Reasoning { thoughts } => {
                for th in thoughts {
                    opt(r, &mut th.summary);
                    r.redact_in_place(&mut th.content);
                }
            }
            Block::CustomInstructions {
                about_user,
                instructions,
            } => {
                opt(r, about_user);
                opt(r, instructions);
            }
            Block::SystemError { name, text } => {
                opt(r, name);
                r.redact_in_place(text);
            }
            Block::Unsupported { raw, .. } => {
                if let Some(new) = r.redact_json(raw) {
                    *raw = new;
                }
            }
        }
    }
    dropped
}

#[cfg(test)]
mod tests;
