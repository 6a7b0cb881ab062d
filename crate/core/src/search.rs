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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::api::read_conversation;

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
