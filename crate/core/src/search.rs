//! Full-text search support for lists of conversations (the extension's export page): one
//! compact, lowercase string per conversation that a caller can search with a plain
//! substring test, beside the same text in its original case for the snippets a result
//! list shows.

use crate::{Block, Transcript};

/// The text a search looks in: the title, then the text of every visible message of the
/// main line (prose, code, code output, voice transcripts, quotes, Canvas documents),
/// lowercased, one line per message, runs of whitespace collapsed to one space, and the
/// Markdown's backslash escapes removed (so `snake_case` is found in `snake\_case`).
///
/// Hidden messages, reasoning, custom instructions and branches are left out: a search finds
/// what the conversation shows. Lowercasing is Unicode's (`str::to_lowercase`), which
/// matches JavaScript's `toLowerCase()` for the text a search box receives.
pub fn search_text(t: &Transcript) -> String {
    let mut text = Texts::default();
    text.fill(t);
    text.lower
}

/// A conversation's [`search_text`], and where its original case differs from it: enough to
/// rebuild the original ([`restore`]) for the few conversations a search shows.
#[derive(Debug, Default)]
struct Texts {
    lower: String,
    /// Where `lower` has a lowercased ASCII capital, in increasing order.
    capitals: Vec<u32>,
    /// Every other character whose lowercase differs from it: where its lowercase starts
    /// in `lower`, and the character, in increasing order of position.
    cased: Vec<(u32, char)>,
}

impl Texts {
    /// Makes this the text of `t` (reusing its buffers).
    fn fill(&mut self, t: &Transcript) {
        self.lower.clear();
        self.capitals.clear();
        self.cased.clear();
        self.push_collapsed(&t.title, false);
        for m in t.visible_messages() {
            self.lower.push('\n');
            for b in &m.blocks {
                let (text, markdown) = match b {
                    Block::Text { markdown } => (markdown.as_str(), true),
                    Block::Code { code, .. } => (code.as_str(), false),
                    Block::ExecutionOutput { text }
                    | Block::Transcription { text, .. }
                    | Block::Quote { text, .. } => (text.as_str(), false),
                    Block::Canvas { content, .. } => (content.as_str(), false),
                    _ => continue,
                };
                self.push_collapsed(text, markdown);
                self.lower.push(' ');
            }
            if self.lower.ends_with(' ') {
                self.lower.pop();
            }
        }
    }

    /// The text in its original case, into `out`.
    fn original(&self, out: &mut String) {
        let mut capitals = self.capitals.iter().peekable();
        let capital = |p: usize| capitals.next_if(|&&q| q as usize == p).is_some();
        restore(&self.lower, 0, &self.cased, capital, out);
    }

    /// [`push_collapsed`], noting where the case differs.
    fn push_collapsed(&mut self, text: &str, markdown: bool) {
        push_collapsed(
            &mut self.lower,
            &mut Some((&mut self.capitals, &mut self.cased)),
            text,
            markdown,
        );
    }
}

/// Where [`push_collapsed`] notes the places whose case it changed (see [`Texts`]).
type CaseNotes<'a> = Option<(&'a mut Vec<u32>, &'a mut Vec<(u32, char)>)>;

/// What [`push_collapsed`] does with each byte of a run of ASCII: copies it (`PLAIN`), notes
/// it as a capital (`CAPITAL`), or looks closer (`SPACE`: ASCII whitespace as
/// `char::is_whitespace` has it; `BACKSLASH`; `OTHER`: not ASCII).
const ASCII_CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut b = 0;
    while b < 0x80 {
        class[b] = match b as u8 {
            b'\t'..=b'\r' | b' ' => SPACE,
            b'A'..=b'Z' => CAPITAL,
            b'\\' => BACKSLASH,
            _ => PLAIN,
        };
        b += 1;
    }
    class
};
const PLAIN: u8 = 0;
const CAPITAL: u8 = 1;
const SPACE: u8 = 2;
const BACKSLASH: u8 = 3;
const OTHER: u8 = 4;

/// Appends `text` lowercased, with each run of whitespace (newlines included) as one space;
/// with `markdown`, a backslash before ASCII punctuation (an escape) is dropped. With
/// `notes`, where the case changed (positions in `out`).
fn push_collapsed(out: &mut String, notes: &mut CaseNotes<'_>, text: &str, markdown: bool) {
    // Runs of ASCII letters are copied and lowercased whole; other characters go one by
    // one, with a fast path for scripts without case (most of a CJK text): lowercasing
    // char by char through the Unicode tables is the slowest part of indexing otherwise.
    let bytes = text.as_bytes();
    let mut need_space = !(out.is_empty() || out.ends_with([' ', '\n']));
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (c, space) = if b < 0x80 {
            (b as char, ASCII_CLASS[b as usize] == SPACE)
        } else {
            match text[i..].chars().next() {
                Some(c) => (c, c.is_whitespace()),
                None => break,
            }
        };
        if space {
            if in_word {
                need_space = true;
                in_word = false;
            }
            i += c.len_utf8();
            continue;
        }
        if need_space {
            out.push(' ');
            need_space = false;
        }
        in_word = true;
        if b < 0x80 {
            if markdown && b == b'\\' && bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) {
                i += 1;
                continue;
            }
            // The run of ASCII up to the next non-ASCII character, (in Markdown) backslash,
            // or whitespace other than one space between two ASCII characters (copied as it
            // is): the character at `i` is part of it even when it is a backslash.
            let at = out.len();
            let mut end = i;
            while let Some(&b) = bytes.get(end) {
                match ASCII_CLASS[b as usize] {
                    PLAIN => {}
                    CAPITAL => {
                        if let Some((capitals, _)) = notes.as_mut() {
                            capitals.push((at + end - i) as u32);
                        }
                    }
                    SPACE
                        if b == b' '
                            && bytes.get(end + 1).is_some_and(|&n| {
                                !matches!(ASCII_CLASS[n as usize], SPACE | OTHER)
                            }) => {}
                    BACKSLASH if end == i || !markdown => {}
                    _ => break,
                }
                end += 1;
            }
            out.push_str(&text[i..end]);
            out[at..].make_ascii_lowercase();
            i = end;
            continue;
        }
        i += c.len_utf8();
        if caseless(c) {
            // With the characters without case that follow it (most of a CJK text), whole.
            let end = i + caseless_run(&bytes[i..]);
            out.push_str(&text[i - c.len_utf8()..end]);
            i = end;
            continue;
        }
        let at = out.len();
        let mut same = true;
        for (n, l) in c.to_lowercase().enumerate() {
            same &= n == 0 && l == c;
            out.push(l);
        }
        if !same {
            if let Some((_, cased)) = notes.as_mut() {
                cased.push((at as u32, c));
            }
        }
    }
}

/// How many bytes at the start of `b` (a `str`'s, from a character boundary) are characters
/// without case (see [`caseless`]) other than whitespace, with a single space before any of
/// them: [`push_collapsed`] copies them as they are. All of them are three bytes long.
fn caseless_run(b: &[u8]) -> usize {
    let mut end = 0;
    loop {
        let at = if b.get(end) == Some(&b' ') {
            end + 1
        } else {
            end
        };
        let Some(&[b0, b1, b2]) = b.get(at..at + 3) else {
            break;
        };
        if !(0xE0..=0xEF).contains(&b0) {
            break;
        }
        let code = u32::from(b0 & 0x0F) << 12 | u32::from(b1 & 0x3F) << 6 | u32::from(b2 & 0x3F);
        match char::from_u32(code) {
            Some(d) if caseless(d) && !d.is_whitespace() => end = at + 3,
            _ => break,
        }
    }
    end
}

/// Rebuilds the original case of `lower` (a text starting at `from` of the text that
/// `cased` and `capital` describe) into `out`: `cased` from the first entry at or after
/// `from`, `capital(p)` whether position `p` was an ASCII capital (asked in increasing
/// order, for ASCII characters only).
fn restore(
    lower: &str,
    from: usize,
    cased: &[(u32, char)],
    mut capital: impl FnMut(usize) -> bool,
    out: &mut String,
) {
    out.clear();
    let mut cased = cased.iter().peekable();
    let mut chars = lower.char_indices();
    while let Some((k, c)) = chars.next() {
        let p = from + k;
        if let Some(&(_, o)) = cased.next_if(|&&(q, _)| q as usize == p) {
            out.push(o);
            // The rest of its lowercase (one character may lowercase to several).
            for _ in 1..o.to_lowercase().count() {
                chars.next();
            }
        } else if c.is_ascii() && capital(p) {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
    }
}

/// Bytes that `c` takes once lowercased as [`push_collapsed`] does it.
fn lowercase_len(c: char) -> usize {
    if c.is_ascii() {
        1
    } else if caseless(c) {
        c.len_utf8()
    } else {
        c.to_lowercase().map(char::len_utf8).sum()
    }
}

/// The range of `original` whose lowercase is at `from..to` of its lowercased text (widened
/// to whole characters where one character lowercases to several).
fn original_range(original: &str, from: usize, to: usize) -> (usize, usize) {
    let mut lower = 0;
    let mut start = None;
    for (k, c) in original.char_indices() {
        let next = lower + lowercase_len(c);
        if start.is_none() && next > from {
            start = Some(k);
        }
        if next >= to && start.is_some() {
            return (start.unwrap_or(k), k + c.len_utf8());
        }
        lower = next;
    }
    let end = original.len();
    (start.unwrap_or(end), end)
}

/// Characters of blocks that have no case at all (CJK punctuation, kana, ideographs,
/// Hangul): lowercase is the character itself.
fn caseless(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7A3}' | '\u{F900}'..='\u{FAFF}')
}

/// The terms of a search query: its words, and each "quoted phrase" as one term, lowercased
/// and with whitespace collapsed as in [`search_text`] (so a phrase matches across line
/// breaks and double spaces). A quote left open runs to the end of the query.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for (i, part) in query.split('"').enumerate() {
        if i % 2 == 1 {
            let mut phrase = String::new();
            push_collapsed(&mut phrase, &mut None, part, false);
            if !phrase.is_empty() {
                terms.push(phrase);
            }
        } else {
            for word in part.split_whitespace() {
                let mut term = String::new();
                push_collapsed(&mut term, &mut None, word, false);
                terms.push(term);
            }
        }
    }
    terms
}

/// Characters of message text shown before and after the match in a [`Query::snippet`].
const BEFORE: usize = 50;
const AFTER: usize = 110;

/// A search query made ready to match many texts: its [`query_terms`], each with a
/// prepared substring searcher.
#[derive(Debug, Clone)]
pub struct Query {
    terms: Vec<String>,
    finders: Vec<memchr::memmem::Finder<'static>>,
}

impl Query {
    /// The query for the words and "quoted phrases" of `query`.
    pub fn new(query: &str) -> Self {
        let terms = query_terms(query);
        let finders = terms
            .iter()
            .map(|t| memchr::memmem::Finder::new(t.as_bytes()).into_owned())
            .collect();
        Query { terms, finders }
    }

    /// Whether the query has nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms it looks for ([`query_terms`]): what a result list highlights.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Whether `lower` holds every term.
    fn matches(&self, lower: &[u8]) -> bool {
        self.finders.iter().all(|t| t.find(lower).is_some())
    }

    /// Where the earliest match after the title is in `lower` (a [`search_text`]), and its
    /// length; `None` when no term is there.
    fn first_match(&self, lower: &str) -> Option<(usize, usize)> {
        let bytes = lower.as_bytes();
        let body = memchr::memchr(b'\n', bytes)? + 1;
        // Positions found in UTF-8 for a UTF-8 term are character boundaries.
        self.finders
            .iter()
            .filter_map(|t| t.find(&bytes[body..]).map(|k| (body + k, t.needle().len())))
            .min_by_key(|&(k, _)| k)
    }
}

/// The cleaned snippet of `original` around the match at `at..at + len` of its lowercase.
fn snippet_of(original: &str, at: usize, len: usize) -> String {
    let (from, to) = original_range(original, at, at + len);
    let body = original.find('\n').map_or(original.len(), |n| n + 1);
    clean_snippet(&snippet_at(original, body, from, to - from))
}

/// The snippet of `text` around the match at `at..at + len`, in the message text that
/// starts at `body`.
fn snippet_at(text: &str, body: usize, at: usize, len: usize) -> String {
    // The start: BEFORE characters back, but not before the match's own line.
    let line = text[..at].rfind('\n').map_or(0, |n| n + 1).max(body);
    let from = text[line..at]
        .char_indices()
        .rev()
        .nth(BEFORE - 1)
        .map_or(line, |(k, _)| line + k);
    let end = at + len;
    let to = text[end..]
        .char_indices()
        .nth(AFTER)
        .map_or(text.len(), |(k, _)| end + k);
    let mut out = String::with_capacity(to - from + 8);
    if from > line {
        out.push('…');
    }
    out.extend(
        text[from..to]
            .chars()
            .map(|c| if c == '\n' { ' ' } else { c }),
    );
    if to < text.len() {
        out.push('…');
    }
    out
}

/// A snippet of Markdown made for reading: without the marks of emphasis (`**`, `__`),
/// code fences (```` ``` ````), headings (`#` to `######` as a word) and quotes (`>` as a
/// word), and with runs of spaces left by them as one.
pub fn clean_snippet(snippet: &str) -> String {
    let chars: Vec<char> = snippet.chars().collect();
    let mut out = String::with_capacity(snippet.len());
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        let run = chars[k..].iter().take_while(|&&x| x == c).count();
        let word_start = k == 0 || chars[k - 1].is_whitespace();
        let word_end = chars.get(k + run).is_some_and(|x| x.is_whitespace());
        let drop = match c {
            '`' => run >= 3,
            '*' | '_' => run >= 2,
            '#' => run <= 6 && word_start && word_end,
            '>' => run == 1 && word_start && word_end,
            _ => false,
        };
        if drop {
            k += run;
            continue;
        }
        if c.is_whitespace() {
            if !out.ends_with(char::is_whitespace) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        k += 1;
    }
    out
}

/// A conversation a search found: its position in the file and its snippet (the text
/// around the match, in its original case, `""` when only the title matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The conversation's position in the file (0 for the first).
    pub index: usize,
    /// The text around the match.
    pub snippet: String,
}

/// What a search found: the conversations, in file order, and the terms it looked for (for
/// highlighting them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The terms of the query ([`query_terms`]).
    pub terms: Vec<String>,
    /// The conversations that hold every term.
    pub hits: Vec<Hit>,
}

/// The search texts of a file's conversations, kept while they fit a byte budget, to search
/// them without reading the file again. Past the budget, every text is dropped (the memory
/// is freed) and [`SearchIndex::complete`] says so: searches must then read the file again,
/// matching each conversation's text as it comes ([`SearchScan`]).
///
/// The texts are kept once, lowercased; their original case, which only snippets need, is
/// kept as the few places where it differs (a bit per byte for ASCII capitals, and each
/// other character whose lowercase differs) and rebuilt for the conversations a search
/// finds. The memory for the budget is reserved at the first text, so the arena never
/// grows by copying (a WebAssembly memory never shrinks: a copy's peak would stay).
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Every text, lowercased, one after another.
    lower: String,
    /// One bit per byte of `lower`: set where the text had an ASCII capital letter.
    capitals: Vec<u64>,
    /// Every other character whose lowercase differs from it: where its lowercase starts
    /// in `lower`, and the character, in increasing order of position.
    cased: Vec<(u32, char)>,
    /// Per conversation kept: its position in the file and where its text ends in `lower`.
    ends: Vec<(usize, usize)>,
    budget: usize,
    complete: bool,
    /// The text being added (its buffers reused from one conversation to the next).
    text: Texts,
}

impl SearchIndex {
    /// An empty index that keeps up to `budget` bytes (texts and what their case needs;
    /// at most 4 GiB).
    pub fn new(budget: usize) -> Self {
        SearchIndex {
            budget: budget.min(u32::MAX as usize),
            complete: true,
            ..SearchIndex::default()
        }
    }

    /// Keeps the search text of the conversation at `index` (positions in increasing
    /// order), if it still fits the budget.
    pub fn add(&mut self, index: usize, t: &Transcript) {
        if !self.complete {
            return;
        }
        self.text.fill(t);
        let text = &self.text;
        // Checked before writing, so the arena never outgrows what was reserved.
        let end = self.lower.len() + text.lower.len();
        if self.bytes()
            + text.lower.len()
            + (end.div_ceil(64) - self.capitals.len()) * 8
            + text.cased.len() * std::mem::size_of::<(u32, char)>()
            > self.budget
        {
            self.drop_all();
            return;
        }
        if self.lower.capacity() == 0 {
            // Reserved, not written: a WebAssembly memory grows by it, the process only by
            // what is written.
            self.lower.reserve_exact(self.budget);
            self.capitals.reserve_exact(self.budget / 64 + 1);
        }
        let p = self.lower.len();
        self.lower.push_str(&text.lower);
        self.capitals.resize(end.div_ceil(64), 0);
        for &k in &text.capitals {
            let q = p + k as usize;
            self.capitals[q / 64] |= 1 << (q % 64);
        }
        self.cased.extend(
            text.cased
                .iter()
                .map(|&(k, c)| ((p + k as usize) as u32, c)),
        );
        self.ends.push((index, self.lower.len()));
    }

    /// Past the budget: frees every text; searches must read the file again.
    fn drop_all(&mut self) {
        self.complete = false;
        self.lower = String::new();
        self.capitals = Vec::new();
        self.cased = Vec::new();
        self.ends = Vec::new();
    }

    /// Whether every conversation added so far is kept (searches can use [`Self::find`]).
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Bytes kept: the texts, their case, and where each conversation's ends.
    pub fn bytes(&self) -> usize {
        self.lower.len()
            + self.capitals.len() * 8
            + self.cased.len() * std::mem::size_of::<(u32, char)>()
            + self.ends.len() * std::mem::size_of::<(usize, usize)>()
    }

    /// The text of `lower[from..to]` (one conversation's) in its original case, into `out`.
    fn original(&self, from: usize, to: usize, out: &mut String) {
        let Some(lower) = self.lower.get(from..to) else {
            out.clear();
            return;
        };
        let cased = &self.cased[self.cased.partition_point(|&(k, _)| (k as usize) < from)..];
        let capitals = &self.capitals;
        restore(
            lower,
            from,
            cased,
            |p| capitals[p / 64] & (1 << (p % 64)) != 0,
            out,
        );
    }

    /// `p` (a position in `lower`), or where the lowercase it is part of starts when it is
    /// inside a character's lowercase of several characters (İ).
    fn char_start(&self, p: usize) -> usize {
        let k = self.cased.partition_point(|&(q, _)| (q as usize) < p);
        match k.checked_sub(1).map(|k| self.cased[k]) {
            Some((q, c)) if q as usize + lowercase_len(c) > p => q as usize,
            _ => p,
        }
    }

    /// The snippet of the conversation at `start..` of `lower` (its text `lower`) around the
    /// match at `at..at + len`, as [`Query::snippet`] cuts it from the whole original: the
    /// original case is rebuilt only around the match, enough for BEFORE characters back
    /// (not before the match's line) and AFTER on, each the lowercase of at most two (İ).
    fn snippet_around(
        &self,
        start: usize,
        lower: &str,
        at: usize,
        len: usize,
        out: &mut String,
    ) -> String {
        let line = lower[..at].rfind('\n').map_or(0, |n| n + 1);
        let back = lower[line..at]
            .char_indices()
            .rev()
            .nth(2 * BEFORE + 1)
            .map_or(line, |(k, _)| line + k);
        let from = self.char_start(start + back) - start;
        let end = at + len;
        let cut = lower[end..]
            .char_indices()
            .nth(2 * (AFTER + 1))
            .map_or(lower.len(), |(k, _)| end + k);
        self.original(start + from, start + cut, out);
        let (f, t) = original_range(out, at - from, end - from);
        clean_snippet(&snippet_at(out, 0, f, t - f))
    }

    /// The conversations whose text holds every term of `query` ([`query_terms`]), in file
    /// order; `None` for a query without terms (nothing to look for).
    pub fn find(&self, query: &str) -> Option<Found> {
        let query = Query::new(query);
        if query.is_empty() {
            return None;
        }
        let mut start = 0;
        let mut hits = Vec::new();
        let mut original = String::new();
        for &(index, end) in &self.ends {
            let lower = self.lower.get(start..end).unwrap_or_default();
            // The original case is rebuilt only for the conversations that match, and only
            // around the match.
            if query.matches(lower.as_bytes()) {
                let snippet = query
                    .first_match(lower)
                    .map_or_else(String::new, |(at, len)| {
                        self.snippet_around(start, lower, at, len, &mut original)
                    });
                hits.push(Hit { index, snippet });
            }
            start = end;
        }
        Some(Found {
            terms: query.terms,
            hits,
        })
    }
}

/// A search made while reading a file, for when its texts did not fit a [`SearchIndex`]:
/// each conversation added is matched at once and only the hits are kept.
#[derive(Debug)]
pub struct SearchScan {
    query: Query,
    hits: Vec<Hit>,
    /// The text being matched, and a hit's original case (buffers reused).
    text: Texts,
    original: String,
}

impl SearchScan {
    /// A scan for the terms of `query` ([`query_terms`]).
    pub fn new(query: &str) -> Self {
        SearchScan {
            query: Query::new(query),
            hits: Vec::new(),
            text: Texts::default(),
            original: String::new(),
        }
    }

    /// Matches the conversation at `index`.
    pub fn add(&mut self, index: usize, t: &Transcript) {
        if self.query.is_empty() {
            return;
        }
        self.text.fill(t);
        let text = &self.text;
        if !self.query.matches(text.lower.as_bytes()) {
            return;
        }
        // The original case is rebuilt only for the conversations that match.
        let snippet = self
            .query
            .first_match(&text.lower)
            .map_or_else(String::new, |(at, len)| {
                text.original(&mut self.original);
                snippet_of(&self.original, at, len)
            });
        self.hits.push(Hit { index, snippet });
    }

    /// How many conversations it found so far.
    pub fn found(&self) -> usize {
        self.hits.len()
    }

    /// The conversations found so far, in the order added, and the terms; `None` when the
    /// query has no terms.
    pub fn hits(&self) -> Option<Found> {
        (!self.query.is_empty()).then(|| Found {
            terms: self.query.terms.clone(),
            hits: self.hits.clone(),
        })
    }
}

/// At least how many bytes of `conversations.json` each byte of search text comes from: the
/// text is about a third of the JSON (343 MB of a generated 1 GB export, made of the real
/// export's conversations; 64 MB holds the text of about 190 MB). A file more than this many
/// times the budget cannot have its text kept; one with an unusually small share of text
/// below this is still tried.
pub const JSON_PER_TEXT_BYTE: usize = 4;

/// The search of an opened file: its texts kept in a [`SearchIndex`] (`Search::Kept`), or,
/// for a file whose texts did not fit, a [`SearchScan`] for one query made while the file is
/// read again (`Search::Scan`). Which one answers a query is decided here, not by callers.
#[derive(Debug)]
pub enum Search {
    /// Texts kept while they fit a budget; [`Search::find`] answers any query.
    Kept(SearchIndex),
    /// One query matched while reading; [`Search::hits`] gives what it found.
    Scan(SearchScan),
}

impl Search {
    /// A search that keeps up to `budget` bytes of text.
    pub fn kept(budget: usize) -> Self {
        Search::Kept(SearchIndex::new(budget))
    }

    /// [`Search::kept`] for a file whose conversations hold `json_bytes` of JSON: when
    /// their text cannot fit `budget` (more than [`JSON_PER_TEXT_BYTE`] times it), nothing is
    /// kept from the start and searches read the file again, as they would once the texts
    /// outgrew the budget, without first reserving the budget: a WebAssembly memory keeps
    /// its peak, so that reservation stayed in the browser for as long as the file was open
    /// (64 MB of the export page's growth opening a 1 GB export).
    pub fn kept_for(budget: usize, json_bytes: usize) -> Self {
        let mut index = SearchIndex::new(budget);
        if json_bytes / JSON_PER_TEXT_BYTE > index.budget {
            index.drop_all();
        }
        Search::Kept(index)
    }

    /// A search for `query`, made as the conversations are read.
    pub fn scanning(query: &str) -> Self {
        Search::Scan(SearchScan::new(query))
    }

    /// Gives it the conversation at `index` (positions in increasing order).
    pub fn add(&mut self, index: usize, t: &Transcript) {
        match self {
            Search::Kept(s) => s.add(index, t),
            Search::Scan(s) => s.add(index, t),
        }
    }

    /// Whether every conversation's text is kept, so that [`Search::find`] answers for all
    /// of them (false for a scan, and for kept texts past their budget).
    pub fn complete(&self) -> bool {
        matches!(self, Search::Kept(s) if s.complete())
    }

    /// How many conversations a scan has found so far (0 for kept texts).
    pub fn found(&self) -> usize {
        match self {
            Search::Scan(s) => s.found(),
            Search::Kept(_) => 0,
        }
    }

    /// Bytes of text kept (0 for a scan).
    pub fn bytes(&self) -> usize {
        match self {
            Search::Kept(s) => s.bytes(),
            Search::Scan(_) => 0,
        }
    }

    /// What the kept texts hold for `query`; `None` for a query with nothing to look for,
    /// and for a scan (see [`Search::hits`]).
    pub fn find(&self, query: &str) -> Option<Found> {
        match self {
            Search::Kept(s) => s.find(query),
            Search::Scan(_) => None,
        }
    }

    /// What a scan found; `None` for a query with nothing to look for, and for kept texts.
    pub fn hits(&self) -> Option<Found> {
        match self {
            Search::Scan(s) => s.hits(),
            Search::Kept(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    /// `text` as `push_collapsed` makes it, written the plain way: words split at Unicode
    /// whitespace, Markdown escapes dropped, lowercased when `lower` (else the original).
    fn reference(text: &str, markdown: bool, lower: bool) -> String {
        let mut out = String::new();
        for word in text.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            let mut chars = word.chars().peekable();
            while let Some(c) = chars.next() {
                if markdown && c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
                    continue;
                }
                if lower {
                    out.extend(c.to_lowercase());
                } else {
                    out.push(c);
                }
            }
        }
        out
    }

    /// [`search_text`] (lowercased) or its original, written the plain way.
    fn reference_text(t: &Transcript, lower: bool) -> String {
        let mut out = reference(&t.title, false, lower);
        for m in t.visible_messages() {
            let blocks: Vec<String> = m
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Text { markdown } => Some(reference(markdown, true, lower)),
                    Block::Code { code: text, .. }
                    | Block::ExecutionOutput { text }
                    | Block::Transcription { text, .. }
                    | Block::Quote { text, .. }
                    | Block::Canvas { content: text, .. } => Some(reference(text, false, lower)),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
                .collect();
            out.push('\n');
            out.push_str(&blocks.join(" "));
        }
        out
    }

    /// What a search shows for a text (`lower`) whose original is `original`.
    fn snippet_in(query: &Query, lower: &str, original: &str) -> Option<String> {
        query.matches(lower.as_bytes()).then(|| {
            query
                .first_match(lower)
                .map_or_else(String::new, |(at, len)| snippet_of(original, at, len))
        })
    }

    use super::*;
    use crate::source::api::read_conversation;

    #[test]
    fn query_terms_are_words_and_quoted_phrases() {
        assert_eq!(query_terms("  Hello   WORLD "), ["hello", "world"]);
        assert_eq!(
            query_terms(r#"rust "Borrow  Checker" x"#),
            ["rust", "borrow checker", "x"]
        );
        assert_eq!(query_terms(r#""open phrase"#), ["open phrase"]);
        assert_eq!(query_terms(r#"" " """#), Vec::<String>::new());
        assert!(query_terms("").is_empty());
    }

    #[test]
    fn snippet_shows_the_earliest_match_after_the_title() {
        let snippet = |text: &str, q: &str| snippet_in(&Query::new(q), text, text);
        let text = "hello world\nfirst line\nsecond line mentions rust here";
        assert_eq!(
            snippet(text, "rust").as_deref(),
            Some("second line mentions rust here")
        );
        assert_eq!(snippet(text, "hello").as_deref(), Some(""), "title only");
        assert_eq!(
            snippet(text, "hello rust").as_deref(),
            Some("second line mentions rust here")
        );
        assert_eq!(
            snippet(text, "rust python"),
            None,
            "every term must be there"
        );
        assert_eq!(snippet("title only", "title").as_deref(), Some(""));
        let long = format!("t\n{}needle{}", "é".repeat(80), "ü".repeat(200));
        let s = snippet(&long, "needle").unwrap_or_default();
        assert_eq!(s, format!("…{}needle{}…", "é".repeat(50), "ü".repeat(110)));
        let at_end = format!("t\nline\n{}needle", "x".repeat(10));
        assert_eq!(
            snippet(&at_end, "needle").as_deref(),
            Some("xxxxxxxxxxneedle")
        );
    }

    #[test]
    fn index_finds_in_file_order_and_drops_everything_past_its_budget() {
        let mut t = read_conversation(JSON).unwrap();
        let mut index = SearchIndex::new(1 << 20);
        index.add(0, &t);
        t.title = "Another".to_owned();
        index.add(2, &t);
        let found = index.find("voilà");
        let hits = found.as_ref().map(|f| f.hits.clone()).unwrap_or_default();
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(
            hits[0].snippet, "Voilà: `print(1)`",
            "in the chat's own case"
        );
        assert_eq!(found.map(|f| f.terms), Some(vec!["voilà".to_owned()]));
        assert_eq!(index.find("ANOTHER").map(|f| f.hits.len()), Some(1));
        assert_eq!(index.find("absent").map(|f| f.hits), Some(Vec::new()));
        assert_eq!(index.find("  "), None, "no terms: nothing to look for");
        let mut scan = SearchScan::new("\"VOILÀ: `print\"");
        scan.add(2, &t);
        assert_eq!(
            scan.hits().map(|f| f.hits),
            Some(hits[1..].to_vec()),
            "a scan finds what the index finds"
        );
        assert_eq!(SearchScan::new("").hits(), None);
        assert!(index.complete());
        // A file whose text cannot fit keeps nothing from the start (no budget reserved).
        let mut big = Search::kept_for(1 << 20, 5 << 20);
        assert!(!big.complete());
        big.add(0, &t);
        assert_eq!((big.complete(), big.bytes()), (false, 0));
        assert_eq!(
            big.find("voilà").map(|f| f.hits.len()),
            Some(0),
            "nothing kept: searches read the file again"
        );
        let mut fits = Search::kept_for(1 << 20, 4 << 20);
        fits.add(0, &t);
        assert!(fits.complete() && fits.bytes() > 0);
        let mut small = SearchIndex::new(2 * search_text(&t).len() + 5);
        small.add(0, &t);
        assert!(small.complete());
        small.add(1, &t);
        assert!(!small.complete());
        assert_eq!(small.bytes(), 0, "the memory is freed");
        small.add(2, &t);
        assert_eq!(small.bytes(), 0);
    }

    #[test]
    fn snippets_keep_the_original_case() {
        let mut t = read_conversation(JSON).unwrap();
        t.messages[0].blocks = vec![Block::Text {
            markdown: r"Run C:\\Projects\\app\\venv\\Scripts\\activate then **İstanbul** KELVIN"
                .to_owned(),
        }];
        let mut index = Search::kept(1 << 20);
        index.add(0, &t);
        let snippet = |q: &str| {
            index
                .find(q)
                .and_then(|f| f.hits.first().map(|h| h.snippet.clone()))
        };
        assert_eq!(
            snippet("scripts").as_deref(),
            Some(
                r"Run C:\Projects\app\venv\Scripts\activate then İstanbul KELVIN print(1) Voilà: `print(1)`"
            ),
            "cut from the text as the chat wrote it, Markdown marks dropped"
        );
        // "İ" lowercases to two characters ("i̇"): the positions still line up.
        let long = format!("x\n{}İİ needle {}", "İ".repeat(70), "Ω".repeat(120));
        let snippet = snippet_in(&Query::new("needle"), &long.to_lowercase(), &long);
        assert_eq!(
            snippet,
            Some(format!("…{} needle {}…", "İ".repeat(49), "Ω".repeat(109))),
            "50 characters of the original before, 110 after"
        );
    }

    /// The index keeps the text once, lowercased, and rebuilds its original case exactly,
    /// whatever the script (ASCII capitals, Greek, Cyrillic, İ's two-character lowercase).
    #[test]
    fn index_rebuilds_the_original_case() {
        let mut t = read_conversation(JSON).unwrap();
        let mut index = SearchIndex::new(1 << 20);
        let samples = [
            "Plain ASCII with CAPITALS and snake\\_Case",
            "ΣΊΣΥΦΟΣ İİstanbul ǅemal Straße ÀÉÎ Москва KELVIN \u{212A}",
            "今天重大新闻 ＡＢＣ 한국어 MIXED 混合 Text",
        ];
        for (i, text) in samples.iter().enumerate() {
            t.title = format!("Title {i} ÉTÉ");
            t.messages[0].blocks = vec![Block::Text {
                markdown: (*text).to_owned(),
            }];
            index.add(i, &t);
        }
        assert!(index.complete());
        let mut start = 0;
        let mut original = String::new();
        for (k, &(i, end)) in index.ends.iter().enumerate() {
            t.title = format!("Title {i} ÉTÉ");
            t.messages[0].blocks = vec![Block::Text {
                markdown: samples[k].to_owned(),
            }];
            index.original(start, end, &mut original);
            assert_eq!(original, reference_text(&t, false), "{}", samples[k]);
            assert_eq!(&index.lower[start..end], reference_text(&t, true));
            start = end;
        }
        assert_eq!(
            index
                .find("straße москва")
                .and_then(|f| f.hits.first().map(|h| h.snippet.clone()))
                .map(|s| s.contains("ΣΊΣΥΦΟΣ İİstanbul ǅemal Straße ÀÉÎ Москва")),
            Some(true)
        );
        assert!(
            index.bytes() < 2 * (index.lower.len()),
            "kept once, not in both cases"
        );
    }

    /// The index rebuilds the original only as far as a snippet reaches: its snippets are
    /// the scan's (which has the whole text), wherever the match and the other terms are.
    #[test]
    fn index_snippets_are_the_scans() {
        let mut t = read_conversation(JSON).unwrap();
        let texts = [
            format!(
                "Start {} NEEDLE {} Tail END",
                "İ".repeat(300),
                "Ab".repeat(300)
            ),
            format!("NEEDLE {} end", "İ".repeat(AFTER)),
            format!("NEEDLE {}", "İ".repeat(AFTER + 1)),
            format!("{} NEEDLE", "Word ".repeat(100)),
        ];
        let mut index = SearchIndex::new(1 << 20);
        for (i, text) in texts.iter().enumerate() {
            t.messages[0].blocks = vec![Block::Text {
                markdown: text.clone(),
            }];
            index.add(i, &t);
        }
        for query in ["needle", "needle end", "start end", "tail", "i̇i̇", "word"] {
            let mut scan = SearchScan::new(query);
            for (i, text) in texts.iter().enumerate() {
                t.messages[0].blocks = vec![Block::Text {
                    markdown: text.clone(),
                }];
                scan.add(i, &t);
            }
            assert_eq!(index.find(query), scan.hits(), "{query}");
        }
        assert_eq!(
            index.find("needle end").map(|f| f.hits.len()),
            Some(2),
            "a term past the rebuilt part still counts"
        );
    }

    #[test]
    fn search_answers_from_kept_texts_or_a_scan() {
        let t = read_conversation(JSON).unwrap();
        let mut kept = Search::kept(1 << 20);
        let mut scan = Search::scanning("code");
        kept.add(3, &t);
        scan.add(3, &t);
        assert!(kept.complete() && !scan.complete());
        assert_eq!(kept.find("code"), scan.hits());
        assert_eq!((kept.found(), scan.found()), (0, 1));
        assert!(kept.bytes() > 0 && scan.bytes() == 0);
        assert_eq!((kept.hits(), scan.find("code")), (None, None));
        let mut tiny = Search::kept(4);
        tiny.add(0, &t);
        assert!(!tiny.complete(), "past the budget");
    }

    #[test]
    fn an_unclosed_quote_runs_to_the_end() {
        // The words highlighted are the words searched: one phrase, not two words.
        assert_eq!(query_terms(r#"say "Hello  World"#), ["say", "hello world"]);
    }

    #[test]
    fn snippet_cleaning_drops_markdown_marks() {
        assert_eq!(
            clean_snippet("## Title **bold** __u__ ```rust code > quote a>b #tag ####### x"),
            " Title bold u rust code quote a>b #tag ####### x"
        );
        assert_eq!(
            clean_snippet("> start and *one* _one_ `one`"),
            " start and *one* _one_ `one`"
        );
        assert_eq!(clean_snippet("a  **  b"), "a b");
    }

    const JSON: &str = r#"{"id":"c1","title":"Hello  World","current_node":"c","mapping":{
      "a":{"id":"a","parent":null,"children":["b"],"message":{"id":"a","author":{"role":"user"},
           "content":{"content_type":"text","parts":["Écris\n\nDU   Code"]}}},
      "b":{"id":"b","parent":"a","children":["c"],"message":{"id":"b","author":{"role":"assistant"},
           "recipient":"python","content":{"content_type":"code","language":"python","text":"print(1)"}}},
      "c":{"id":"c","parent":"b","children":[],"message":{"id":"c","author":{"role":"assistant"},
           "content":{"content_type":"text","parts":["Voilà: `print(1)`"]}}}}}"#;

    #[test]
    fn title_and_visible_text_lowercased_and_collapsed() {
        let t = read_conversation(JSON).unwrap();
        let s = search_text(&t);
        assert!(s.starts_with("hello world\nécris du code"), "{s:?}");
        assert!(s.contains("voilà: `print(1)`"), "{s:?}");
        assert!(!s.contains("  "), "{s:?}");
        assert_eq!(s, s.to_lowercase());
    }

    #[test]
    fn hidden_messages_are_left_out() {
        let t = read_conversation(JSON).unwrap();
        let hidden: Vec<_> = t.messages.iter().filter(|m| m.hidden.is_some()).collect();
        let s = search_text(&t);
        // The code sent to the python tool is hidden by default; it is not searched.
        if !hidden.is_empty() {
            assert_eq!(s.matches("print(1)").count(), 1, "{s:?}");
        }
    }

    #[test]
    fn markdown_escapes_are_dropped() {
        let mut t = read_conversation(JSON).unwrap();
        t.messages[0].blocks = vec![Block::Text {
            markdown: r"snake\_case and C:\\dir \*x\*".to_owned(),
        }];
        let s = search_text(&t);
        assert!(s.contains(r"snake_case and c:\dir *x*"), "{s:?}");
    }

    #[test]
    fn empty_conversation_is_its_title() {
        let mut t = read_conversation(JSON).unwrap();
        t.messages.clear();
        assert_eq!(search_text(&t), "hello world");
    }

    /// The fast paths give what lowercasing every character through the Unicode tables,
    /// word by word, gives.
    /// Over the real export (when present): every conversation's kept text and its rebuilt
    /// original case are what the plain char-by-char way gives, and a scan's snippet is
    /// the kept index's.
    #[test]
    fn real_export_texts_match_the_plain_way() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/export/chatgpt-export-2026-01.zip");
        let Ok(file) = std::fs::File::open(&path) else {
            assert!(
                std::env::var_os("CHATKEEP_SKIP_REAL").is_some(),
                "the real export fixture is missing at {}",
                path.display()
            );
            return;
        };
        let open = || file.try_clone().map(std::io::BufReader::new);
        let mut export =
            crate::source::export::ZipExport::open(open().unwrap(), open().unwrap()).unwrap();
        let mut index = SearchIndex::new(1 << 30);
        let mut scan = SearchScan::new("the");
        let (mut n, mut original) = (0, String::new());
        export
            .for_each(&mut |r, _| {
                let t = r.unwrap();
                index.add(n, &t);
                scan.add(n, &t);
                let start = n.checked_sub(1).map_or(0, |k| index.ends[k].1);
                let end = index.ends[n].1;
                assert_eq!(
                    &index.lower[start..end],
                    reference_text(&t, true),
                    "{}",
                    t.id
                );
                index.original(start, end, &mut original);
                assert_eq!(original, reference_text(&t, false), "{}", t.id);
                n += 1;
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        assert!(n > 400 && index.complete());
        let found = index.find("the").unwrap();
        assert!(found.hits.len() > 100);
        assert_eq!(Some(found), scan.hits());
    }

    #[test]
    fn same_as_char_by_char_lowercasing() {
        let samples = [
            "  Hello\tWORLD \n\n ",
            "今天重大新闻 概览：ＡＢＣ　全角 ＳＰＡＣＥ",
            "ΣΊΣΥΦΟΣ İstanbul ǅemal Straße",
            "한국어 테스트 MIXED 混合 Text",
            // Runs of characters without case, with single and other spaces between them.
            "가 나  다\u{3000}라 마\n바 사A아 中 文字 﨑 가 ",
            " 가 \u{3000}나\t다 \\가",
            "\\*not bold\\* \\\\ back\\slash\\",
            "a\u{b}b\u{85}c\u{a0}d\u{3000}e\u{2028}f \\\\\\*x\\",
            "Ǆ ﬃ K Å ẞ ΐ İ\tMiXeD\r\nCase_With-ASCII.Punct!",
            "",
        ];
        for text in samples {
            for markdown in [false, true] {
                let mut texts = Texts::default();
                texts.push_collapsed(text, markdown);
                assert_eq!(texts.lower, reference(text, markdown, true), "{text:?}");
                let mut original = String::new();
                texts.original(&mut original);
                assert_eq!(original, reference(text, markdown, false), "{text:?}");
            }
        }
    }
}
