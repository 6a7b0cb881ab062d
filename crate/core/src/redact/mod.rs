//! Redaction: finds personal data and secrets in a transcript and replaces them with
//! labelled placeholders (`[email 1]`, `[phone 2]`, `[name 1]`) before any writer runs.
//!
//! Guarantees:
//! - Within one conversation a value always gets the same placeholder, wherever it appears
//!   (title, text, code, citations, alt text, file names, and the JSON's `source` when it is
//!   redacted inside rather than left out, see [`SourceMode`]).
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
///
/// Left out by default: a redacted save is made for sharing, and the `source` is everything
/// ChatGPT stores, fields chatkeep does not read included (ids, file pointers, custom
/// instructions, tool internals). The detectors find patterns, not every personal detail in
/// free text, so the fewer places such details can hide in, the safer the save. Redacting
/// inside it is the choice of whoever needs the raw object in a redacted save (it also costs
/// more: the `source` repeats the conversation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceMode {
    /// Redacted inside, with the same placeholders; everything else kept verbatim.
    Redact,
    /// Left out (`"source": null`). The default.
    #[default]
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
    /// What happens to the JSON's `source` (default: left out, [`SourceMode::Drop`]).
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
            source: SourceMode::Drop,
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
    view: Unescaped,
    json_buf: String,
    seen: Seen,
}

/// What the detectors found in each distinct text this redactor has scanned (as they see
/// it: [`unescaped`]), so a text met again is not scanned again. The detectors' result
/// depends only on that text, so reusing it changes nothing in the output. It pays for the
/// JSON's verbatim `source`, which repeats the conversation: its message parts are the
/// blocks' texts (a user's text once its escapes are looked through), and ids, keys and
/// types come back in every node. Short texts are kept too: a lookup is quicker than a scan.
#[derive(Default)]
struct Seen {
    by_text: HashMap<Box<str>, Box<[Match]>, std::hash::BuildHasherDefault<EndsHasher>>,
}

/// A hasher for [`Seen`]'s texts that reads a long text's length and its first and last
/// 64 bytes only, so a lookup costs the same for a 100 KB text as for a short one (the texts
/// are still compared whole: texts that agree there only share a bucket). Hashing whole
/// texts was a fifth of redaction's own cost on the real export's JSON.
#[derive(Default)]
struct EndsHasher(rustc_hash::FxHasher);

impl std::hash::Hasher for EndsHasher {
    fn write(&mut self, bytes: &[u8]) {
        const ENDS: usize = 64;
        if bytes.len() <= 2 * ENDS {
            self.0.write(bytes);
        } else {
            self.0.write_usize(bytes.len());
            self.0.write(&bytes[..ENDS]);
            self.0.write(&bytes[bytes.len() - ENDS..]);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0.write_u8(i);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

impl Seen {
    /// Whether `text`, which has no backslash and no line end (a JSON string without
    /// escapes), was scanned before and nothing was found in it. Such a text is its own view
    /// unless it ends in whitespace, which the view trims.
    fn is_clean(&self, text: &str) -> bool {
        !text.ends_with(char::is_whitespace)
            && self.by_text.get(text).is_some_and(|ms| ms.is_empty())
    }

    /// The detectors' matches in `text` into `out` (cleared first), from the cache when
    /// `text` was scanned before.
    fn find(&mut self, d: &detect::Detectors, text: &str, out: &mut Vec<Match>) {
        if let Some(ms) = self.by_text.get(text) {
            out.clear();
            out.extend_from_slice(ms);
            return;
        }
        d.find(text, out);
        self.by_text.insert(text.into(), out.as_slice().into());
    }
}

/// Decodes the inside of a JSON string literal (without its quotes) into `out`; false when
/// it is not valid JSON. A lone surrogate becomes U+FFFD.
fn json_unescape(raw: &str, out: &mut String) -> bool {
    out.clear();
    let b = raw.as_bytes();
    let hex = |at: usize| {
        raw.get(at..at + 4)
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let (mut last, mut i) = (0, 0);
    while let Some(k) = memchr::memchr(b'\\', &b[i..]) {
        let p = i + k;
        out.push_str(&raw[last..p]);
        i = p + 2;
        match b.get(p + 1) {
            Some(b'"') => out.push('"'),
            Some(b'\\') => out.push('\\'),
            Some(b'/') => out.push('/'),
            Some(b'b') => out.push('\u{8}'),
            Some(b'f') => out.push('\u{c}'),
            Some(b'n') => out.push('\n'),
            Some(b'r') => out.push('\r'),
            Some(b't') => out.push('\t'),
            Some(b'u') => {
                let Some(u) = hex(p + 2) else {
                    return false;
                };
                i = p + 6;
                let c = if (0xD800..0xDC00).contains(&u) && raw[i..].starts_with("\\u") {
                    match hex(i + 2) {
                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                            i += 6;
                            char::from_u32(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))
                        }
                        _ => None,
                    }
                } else {
                    char::from_u32(u)
                };
                out.push(c.unwrap_or('\u{FFFD}'));
            }
            _ => return false,
        }
        last = i;
    }
    out.push_str(&raw[last..]);
    true
}

/// Whether `c` is a character Markdown lets a backslash escape (ASCII punctuation).
fn escapable(c: u8) -> bool {
    c.is_ascii_punctuation()
}

/// The units of a text that the detectors see rewritten, in order, as (where the unit
/// starts, the byte they see, where it ends): a Markdown backslash escape (`\_` → `_`), and
/// a line end with the spaces before it (`  \n`, `\r\n`, a lone `\r` → `\n`). The readers
/// write a user's text as escaped Markdown whose lines end with hard-break spaces, and line
/// ends as `\n`; read this way, the verbatim `source`'s texts read as the blocks' texts, and
/// [`Seen`] finds them. The spaces taken must follow the unit before.
struct Rewrites<'a> {
    b: &'a [u8],
    /// Where the unit before ended.
    from: usize,
    /// Where the search goes on.
    at: usize,
    /// The next backslash or CR, and the next space before a `\n`, at or after where they
    /// were last looked for (`None`: there is none).
    escape: Option<usize>,
    space_break: Option<usize>,
}

/// The searcher for a space before a `\n`, built once (building one per text cost more
/// than the search).
static SPACE_BREAK: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b" \n"));

impl<'a> Rewrites<'a> {
    fn new(b: &'a [u8]) -> Self {
        Rewrites {
            b,
            from: 0,
            at: 0,
            escape: memchr::memchr2(b'\\', b'\r', b),
            space_break: SPACE_BREAK.find(b),
        }
    }
}

impl Iterator for Rewrites<'_> {
    type Item = (usize, u8, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.b;
        loop {
            let at = self.at;
            if self.escape.is_some_and(|p| p < at) {
                self.escape = memchr::memchr2(b'\\', b'\r', &b[at..]).map(|k| at + k);
            }
            if self.space_break.is_some_and(|p| p < at) {
                self.space_break = SPACE_BREAK.find(&b[at..]).map(|k| at + k);
            }
            let p = match (self.escape, self.space_break) {
                (Some(e), Some(s)) => e.min(s),
                (e, s) => e.or(s)?,
            };
            if b[p] == b'\\' {
                match b.get(p + 1).filter(|&&c| escapable(c)) {
                    Some(&c) => return Some(self.unit(p, c, p + 2)),
                    None => {
                        self.at = p + 1;
                        continue;
                    }
                }
            }
            // The line end: the space's `\n`, or the CR.
            let end_of_line = if b[p] == b' ' { p + 1 } else { p };
            let mut start = end_of_line;
            while start > self.from && b[start - 1] == b' ' {
                start -= 1;
            }
            let crlf = b[end_of_line] == b'\r' && b.get(end_of_line + 1) == Some(&b'\n');
            return Some(self.unit(start, b'\n', end_of_line + if crlf { 2 } else { 1 }));
        }
    }
}

impl Rewrites<'_> {
    fn unit(&mut self, start: usize, c: u8, end: usize) -> (usize, u8, usize) {
        self.from = end;
        self.at = end;
        (start, c, end)
    }
}

/// `s` as the detectors see it: its end trimmed (as the readers trim a user's text),
/// Markdown backslash escapes removed (`ghp\_x` → `ghp_x`; `\\` → `\`), line ends as `\n`
/// without the spaces before them ([`Rewrites`]).
fn unescaped(s: &str) -> std::borrow::Cow<'_, str> {
    let s = s.trim_end();
    let mut units = Rewrites::new(s.as_bytes()).peekable();
    if units.peek().is_none() {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    write_view(s, units, &mut out, |_| {});
    out.into()
}

/// Writes the view of `s` (already trimmed) with its rewritten `units` into `out`, calling
/// `unit` with each as (the offset in `out` of the byte it became, its start, its end).
fn write_view(
    s: &str,
    units: impl Iterator<Item = (usize, u8, usize)>,
    out: &mut String,
    mut unit: impl FnMut((usize, usize, usize)),
) {
    let mut last = 0;
    for (start, c, end) in units {
        out.push_str(&s[last..start]);
        unit((out.len(), start, end));
        out.push(char::from(c));
        last = end;
    }
    out.push_str(&s[last..]);
}

/// A view of a text as the detectors see it ([`unescaped`]), and the way back: the
/// detectors scan the view, and a match's offsets are mapped to the original text so the
/// replacement removes the escaped form (`ghp\_…`) too.
#[derive(Default)]
struct Unescaped {
    text: String,
    /// Each rewritten unit, in order: (the offset in `text` of the byte it became, where it
    /// starts in the original, where it ends there). Between units the two texts agree
    /// byte for byte, so this is the whole way back.
    units: Vec<(usize, usize, usize)>,
}

impl Unescaped {
    /// Builds the view of `s`; false when the view would be `s` itself (scan `s`).
    fn build(&mut self, s: &str) -> bool {
        self.text.clear();
        self.units.clear();
        let trimmed = s.trim_end();
        let mut units = Rewrites::new(trimmed.as_bytes()).peekable();
        if units.peek().is_none() && trimmed.len() == s.len() {
            return false;
        }
        self.text.reserve(trimmed.len());
        let kept = &mut self.units;
        write_view(trimmed, units, &mut self.text, |u| kept.push(u));
        true
    }

    /// The offset in the original text of the view's offset `i`: a rewritten byte maps to
    /// where its unit starts (the backslash, the CR, the first space).
    fn original(&self, i: usize) -> usize {
        let k = self.units.partition_point(|u| u.0 <= i);
        match k.checked_sub(1).and_then(|k| self.units.get(k)) {
            None => i,
            Some(&(at, start, _)) if at == i => start,
            Some(&(at, _, end)) => end + (i - at - 1),
        }
    }
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
            crate::sort::sort_by_key(&mut t, |x| std::cmp::Reverse(x.len()));
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
            view: Unescaped::default(),
            json_buf: String::new(),
            seen: Seen::default(),
        }
    }

    /// Every match in `text`, in order, without overlaps; allowed values left out.
    ///
    /// Markdown backslash escapes (`ghp\_…`, as the readers keep a user's plain text) are
    /// looked through: a match covers the escaped form, backslashes included.
    pub fn find(&mut self, text: &str) -> Vec<Match> {
        let mut out = Vec::new();
        self.find_into(text, &mut out);
        out
    }

    /// [`Self::find`] into `out` (cleared first), reusing the unescaped view's buffers.
    fn find_into(&mut self, text: &str, out: &mut Vec<Match>) {
        if self.view.build(text) {
            self.seen.find(&self.detectors, &self.view.text, out);
            for m in out.iter_mut() {
                m.start = self.view.original(m.start);
                m.end = self.view.original(m.end);
            }
        } else {
            self.seen.find(&self.detectors, text, out);
        }
        if !self.allow.is_empty() {
            out.retain(|m| {
                let v = unescaped(&text[m.start..m.end]);
                !self.allow.iter().any(|a| *a == v)
            });
        }
    }

    /// The text with every match replaced, or `None` when nothing was found.
    pub fn redact_str(&mut self, text: &str) -> Option<String> {
        let mut ms = std::mem::take(&mut self.matches);
        self.find_into(text, &mut ms);
        if ms.is_empty() {
            self.matches = ms;
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in &ms {
            out.push_str(&text[last..m.start]);
            let value = unescaped(&text[m.start..m.end]);
            out.push_str(&self.placeholder(m.kind, &value, m.rule));
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
                // Decoded into one buffer reused for every string of the document.
                let mut buf = std::mem::take(&mut self.json_buf);
                let r = if json_unescape(inner, &mut buf) {
                    self.redact_str(&buf)
                } else {
                    None
                };
                self.json_buf = buf;
                r
            } else if self.seen.is_clean(inner) {
                // Met before and found clean: most of the `source`'s strings are keys and
                // ids met again, and this spares them the view and the allow list.
                None
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
/// verbatim `source` (left out or redacted inside, as `opts.source` says). Sets
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
        r.redact_in_place(&mut w.message);
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

/// The transcript as a save in `opts.formats` writes it: redacted (a copy) when
/// `opts.redact.enabled`, else itself. Every save path (one chat, a selection, the backup's
/// readable copies, the CLI) calls this before naming and writing. Only the JSON writes
/// the verbatim `source`: without JSON among the formats it is dropped from the copy rather
/// than redacted for nothing.
pub fn prepared<'a>(t: &'a Transcript, opts: &crate::Options) -> std::borrow::Cow<'a, Transcript> {
    if !opts.redact.enabled {
        return std::borrow::Cow::Borrowed(t);
    }
    let mut copy = t.clone();
    if !opts.formats.contains(&crate::Format::Json) {
        copy.source_json = None;
    }
    apply(&mut copy, &opts.redact);
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

/// The account's own name, e-mail address and phone number from an official export's
/// `user.json` (its `name`, `email` and `phone_number`; missing or empty ones are left
/// out), offered as redaction terms. Nothing of it is ever written into a save.
///
/// ```
/// let t = chatkeep_core::redact::account_terms(
///     r#"{"id": "user-1", "email": "ana@firma.de", "name": "Ana Lima", "phone_number": null}"#,
/// );
/// assert_eq!(t.ok(), Some(vec!["Ana Lima".to_owned(), "ana@firma.de".to_owned()]));
/// ```
///
/// # Errors
///
/// [`crate::Error::BadJson`] when `user.json` is not a JSON object.
pub fn account_terms(user_json: &str) -> crate::Result<Vec<String>> {
    let v: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(user_json.trim_start_matches('\u{feff}')).map_err(|e| {
            crate::Error::BadJson {
                at: "user.json".to_owned(),
                detail: e.to_string(),
            }
        })?;
    let mut out: Vec<String> = Vec::new();
    for key in ["name", "email", "phone_number"] {
        if let Some(s) = v.get(key).and_then(serde_json::Value::as_str) {
            let s = s.trim();
            if s.chars().count() >= 2 && !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
                out.push(s.to_owned());
            }
        }
    }
    Ok(out)
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
