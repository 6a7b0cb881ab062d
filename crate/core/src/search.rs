//! Full-text search support for lists of conversations (the extension's export page): one
//! compact, lowercase string per conversation that a caller can search with a plain
//! substring test.

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
    let mut out = String::new();
    push_collapsed(&mut out, &t.title, false);
    for m in t.visible_messages() {
        out.push('\n');
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
            push_collapsed(&mut out, text, markdown);
            out.push(' ');
        }
        if out.ends_with(' ') {
            out.pop();
        }
    }
    out
}

/// Appends `text` lowercased, with each run of whitespace (newlines included) as one space;
/// with `markdown`, a backslash before ASCII punctuation (an escape) is dropped.
fn push_collapsed(out: &mut String, text: &str, markdown: bool) {
    // One pass over the characters, with fast paths for ASCII and for scripts without
    // case (most of a CJK text): lowercasing char by char through the Unicode tables is the
    // slowest part of indexing an export otherwise.
    let mut need_space = !(out.is_empty() || out.ends_with([' ', '\n']));
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            if in_word {
                need_space = true;
                in_word = false;
            }
            continue;
        }
        if need_space {
            out.push(' ');
            need_space = false;
        }
        in_word = true;
        if markdown && c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            continue;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if caseless(c) {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
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
            push_collapsed(&mut phrase, part, false);
            if !phrase.is_empty() {
                terms.push(phrase);
            }
        } else {
            for word in part.split_whitespace() {
                let mut term = String::new();
                push_collapsed(&mut term, word, false);
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
    terms: Vec<memchr::memmem::Finder<'static>>,
}

impl Query {
    /// The query for the words and "quoted phrases" of `query`.
    pub fn new(query: &str) -> Self {
        Query {
            terms: query_terms(query)
                .iter()
                .map(|t| memchr::memmem::Finder::new(t.as_bytes()).into_owned())
                .collect(),
        }
    }

    /// Whether the query has nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// If `text` (a [`search_text`]) holds every term, the snippet a result list shows: the
    /// message text around the earliest match after the title, on one line, with `…` where
    /// it is cut (`""` when only the title matched). `None` when a term is missing.
    pub fn snippet(&self, text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        if self.terms.iter().any(|t| t.find(bytes).is_none()) {
            return None;
        }
        let Some(title_end) = memchr::memchr(b'\n', bytes) else {
            return Some(String::new());
        };
        let body = title_end + 1;
        // Positions found in UTF-8 for a UTF-8 term are character boundaries.
        let Some((at, len)) = self
            .terms
            .iter()
            .filter_map(|t| t.find(&bytes[body..]).map(|k| (body + k, t.needle().len())))
            .min_by_key(|&(k, _)| k)
        else {
            return Some(String::new());
        };
        Some(snippet_at(text, body, at, len))
    }
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

/// A conversation a search found: its position in the file and its [`Query::snippet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The conversation's position in the file (0 for the first).
    pub index: usize,
    /// The text around the match.
    pub snippet: String,
}

/// The search texts of a file's conversations, kept while they fit a byte budget, to search
/// them without reading the file again. Past the budget, every text is dropped (the memory
/// is freed) and [`SearchIndex::complete`] says so: searches must then read the file again,
/// matching each conversation's text as it comes ([`SearchScan`]).
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Every text, one after another.
    text: String,
    /// Per conversation kept: its position in the file and where its text ends in `text`.
    ends: Vec<(usize, usize)>,
    budget: usize,
    complete: bool,
}

impl SearchIndex {
    /// An empty index that keeps up to `budget` bytes of text.
    pub fn new(budget: usize) -> Self {
        SearchIndex {
            budget,
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
        let start = self.text.len();
        let text = search_text(t);
        if start + text.len() > self.budget {
            self.complete = false;
            self.text = String::new();
            self.ends = Vec::new();
            return;
        }
        self.text.push_str(&text);
        self.ends.push((index, self.text.len()));
    }

    /// Whether every conversation added so far is kept (searches can use [`Self::find`]).
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Bytes of text kept.
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    /// The conversations whose text holds every term of `query` ([`query_terms`]), in file
    /// order; `None` for a query without terms (nothing to look for).
    pub fn find(&self, query: &str) -> Option<Vec<Hit>> {
        let query = Query::new(query);
        if query.is_empty() {
            return None;
        }
        let mut start = 0;
        let mut hits = Vec::new();
        for &(index, end) in &self.ends {
            if let Some(snippet) = self.text.get(start..end).and_then(|t| query.snippet(t)) {
                hits.push(Hit { index, snippet });
            }
            start = end;
        }
        Some(hits)
    }
}

/// A search made while reading a file, for when its texts did not fit a [`SearchIndex`]:
/// each conversation added is matched at once and only the hits are kept.
#[derive(Debug)]
pub struct SearchScan {
    query: Query,
    hits: Vec<Hit>,
}

impl SearchScan {
    /// A scan for the terms of `query` ([`query_terms`]).
    pub fn new(query: &str) -> Self {
        SearchScan {
            query: Query::new(query),
            hits: Vec::new(),
        }
    }

    /// Matches the conversation at `index`.
    pub fn add(&mut self, index: usize, t: &Transcript) {
        if self.query.is_empty() {
            return;
        }
        if let Some(snippet) = self.query.snippet(&search_text(t)) {
            self.hits.push(Hit { index, snippet });
        }
    }

    /// The conversations found so far, in the order added; `None` when the query has no
    /// terms.
    pub fn hits(&self) -> Option<&[Hit]> {
        (!self.query.is_empty()).then_some(self.hits.as_slice())
    }
}

#[cfg(test)]
mod tests {
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
        let snippet = |text: &str, q: &str| Query::new(q).snippet(text);
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
        let hits = index.find("voilà").unwrap_or_default();
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(hits[0].snippet, "voilà: `print(1)`");
        assert_eq!(index.find("ANOTHER").map(|h| h.len()), Some(1));
        assert_eq!(index.find("absent"), Some(Vec::new()));
        assert_eq!(index.find("  "), None, "no terms: nothing to look for");
        let mut scan = SearchScan::new("\"VOILÀ: `print\"");
        scan.add(2, &t);
        assert_eq!(
            scan.hits(),
            Some(&hits[1..]),
            "a scan finds what the index finds"
        );
        assert_eq!(SearchScan::new("").hits(), None);
        assert!(index.complete());
        let mut small = SearchIndex::new(search_text(&t).len() + 5);
        small.add(0, &t);
        assert!(small.complete());
        small.add(1, &t);
        assert!(!small.complete());
        assert_eq!(small.bytes(), 0, "the memory is freed");
        small.add(2, &t);
        assert_eq!(small.bytes(), 0);
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
    #[test]
    fn same_as_char_by_char_lowercasing() {
        fn reference(text: &str, markdown: bool) -> String {
            let mut out = String::new();
            for word in text.split_whitespace() {
                if !out.is_empty() {
                    out.push(' ');
                }
                let mut chars = word.chars().peekable();
                while let Some(c) = chars.next() {
                    if markdown && c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation)
                    {
                        continue;
                    }
                    out.extend(c.to_lowercase());
                }
            }
            out
        }
        let samples = [
            "  Hello\tWORLD \n\n ",
            "今天重大新闻 概览：ＡＢＣ　全角 ＳＰＡＣＥ",
            "ΣΊΣΥΦΟΣ İstanbul ǅemal Straße",
            "한국어 테스트 MIXED 混合 Text",
            "\\*not bold\\* \\\\ back\\slash\\",
            "",
        ];
        for text in samples {
            for markdown in [false, true] {
                let mut out = String::new();
                push_collapsed(&mut out, text, markdown);
                assert_eq!(out, reference(text, markdown), "{text:?}");
            }
        }
    }
}
