//! CJK-friendly emphasis for the HTML output.
//!
//! CommonMark's flanking rule does not let `**` close between punctuation and a following
//! letter, so `**영업레버리지(DOL)**를` keeps its asterisks: Korean particles, and Japanese and
//! Chinese text, follow emphasis without a space. The CommonMark CJK-friendly amendment
//! (commonmark-spec issue 650; implemented by markdown-it-cjk-friendly and comrak) counts a
//! CJK character beside a delimiter run like whitespace for that rule. pulldown-cmark 0.13 has
//! no such option, so this pass runs after it: the `*` runs it left as text are matched again
//! with the amended rule, within the same block and inline container, and become emphasis.
//! Text it already matched, code, math and escaped asterisks are never touched. The Markdown
//! output keeps the author's text as it is.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// A `*` run left as text by the parser. The parser may split it over several text events.
struct Delim {
    /// Its stars: (index of the text event, byte offset in that event's text).
    stars: Vec<(usize, usize)>,
    can_open: bool,
    can_close: bool,
    /// The block and inline container it sits in (both must match to pair).
    container: usize,
}

/// Whether a character is CJK in the amendment's sense (East Asian Wide, Fullwidth or
/// Halfwidth, or Hangul), by ranges.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F // Hangul Jamo (leading consonants, wide)
        | 0x2E80..=0x2FFF // CJK radicals, Kangxi, ideographic description
        | 0x3001..=0x303E // CJK symbols and punctuation (not the ideographic space)
        | 0x3041..=0x33FF // Kana, Bopomofo, Hangul compatibility Jamo, CJK compatibility
        | 0x3400..=0x4DBF // CJK Extension A
        | 0x4E00..=0x9FFF // CJK Unified Ideographs
        | 0xA000..=0xA4CF // Yi
        | 0xA960..=0xA97F // Hangul Jamo Extended-A
        | 0xAC00..=0xD7FF // Hangul syllables, Jamo Extended-B
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFE10..=0xFE19 // vertical forms
        | 0xFE30..=0xFE6F // CJK compatibility forms, small forms
        | 0xFF01..=0xFFEE // fullwidth and halfwidth forms
        | 0x1B000..=0x1B16F // Kana supplement and extensions
        | 0x20000..=0x3FFFD // CJK Extensions B and later
    )
}

/// CommonMark's Unicode punctuation (P and S categories), approximated without tables:
/// ASCII punctuation, and any other character that is neither a letter, a digit nor
/// whitespace.
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_punctuation()
    } else {
        !c.is_alphanumeric() && !c.is_whitespace() && !is_variation_selector(c)
    }
}

fn is_variation_selector(c: char) -> bool {
    matches!(c as u32, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

fn is_non_cjk_punct(c: char) -> bool {
    is_punct(c) && !is_cjk(c)
}

/// Whitespace for flanking: the start or end of the text, or a whitespace character.
fn space(c: Option<char>) -> bool {
    c.is_none_or(char::is_whitespace)
}

/// `(left-flanking, right-flanking)` of a delimiter run between `prev` and `next`, by the
/// amended rule. `prev_base` is the character before a variation selector in `prev`.
fn flanking(prev: Option<char>, prev_base: Option<char>, next: Option<char>) -> (bool, bool) {
    // A standard variation selector belongs to the character before it.
    let p = match prev {
        Some(c) if matches!(c as u32, 0xFE00..=0xFE0E) => prev_base,
        other => other,
    };
    let prev_ivs = prev.is_some_and(|c| matches!(c as u32, 0xE0100..=0xE01EF));
    let next_non_cjk_punct = next.is_some_and(is_non_cjk_punct);
    let prev_non_cjk_punct = p.is_some_and(is_non_cjk_punct);
    let left = !space(next)
        && (!next_non_cjk_punct
            || space(p)
            || prev_non_cjk_punct
            || p.is_some_and(is_cjk)
            || prev_ivs);
    let right = !space(prev)
        && (!prev_non_cjk_punct || space(next) || next_non_cjk_punct || next.is_some_and(is_cjk));
    (left, right)
}

fn inline_tag(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn inline_tag_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// The parser's events for `md` (with their source ranges), with the `*` runs it left as
/// text turned into emphasis where the CJK-friendly rule matches them.
pub(crate) fn emphasis<'a>(
    md: &'a str,
    events: impl Iterator<Item = (Event<'a>, Range<usize>)>,
) -> Vec<Event<'a>> {
    let events: Vec<(Event<'a>, Range<usize>)> = events.collect();
    if !md.contains('*') || !md.chars().any(is_cjk) {
        return events.into_iter().map(|(e, _)| e).collect();
    }
    let delims = leftover_runs(md, &events);
    let pairs = match_runs(&delims);
    if pairs.is_empty() {
        return events.into_iter().map(|(e, _)| e).collect();
    }
    // Per text event, its stars to remove: (byte offset, tags to put there).
    let mut cuts: Vec<Vec<(usize, Vec<Event<'a>>)>> = vec![Vec::new(); events.len()];
    for &(o, c) in &pairs {
        let (o, c) = (&delims[o], &delims[c]);
        let (open, close) = match o.stars.len() {
            1 => (
                vec![Event::Start(Tag::Emphasis)],
                vec![Event::End(TagEnd::Emphasis)],
            ),
            2 => (
                vec![Event::Start(Tag::Strong)],
                vec![Event::End(TagEnd::Strong)],
            ),
            _ => (
                vec![Event::Start(Tag::Emphasis), Event::Start(Tag::Strong)],
                vec![Event::End(TagEnd::Strong), Event::End(TagEnd::Emphasis)],
            ),
        };
        for (d, mut tags) in [(o, open), (c, close)] {
            for (k, &(event, at)) in d.stars.iter().enumerate() {
                let here = if k == 0 {
                    std::mem::take(&mut tags)
                } else {
                    Vec::new()
                };
                cuts[event].push((at, here));
            }
        }
    }
    let mut out = Vec::with_capacity(events.len() + pairs.len() * 4);
    for (i, (event, _)) in events.into_iter().enumerate() {
        let mut my_cuts = std::mem::take(&mut cuts[i]);
        let Event::Text(text) = event else {
            out.push(event);
            continue;
        };
        if my_cuts.is_empty() {
            out.push(Event::Text(text));
            continue;
        }
        crate::sort::sort_by_key(&mut my_cuts, |c| c.0);
        let mut pos = 0;
        for (at, tags) in my_cuts {
            if at > pos {
                out.push(Event::Text(CowStr::from(text[pos..at].to_owned())));
            }
            out.extend(tags);
            pos = at + 1;
        }
        if pos < text.len() {
            out.push(Event::Text(CowStr::from(text[pos..].to_owned())));
        }
    }
    out
}

/// The whole `*` runs (1 to 3 long) left as plain text, with what they can do.
fn leftover_runs(md: &str, events: &[(Event<'_>, Range<usize>)]) -> Vec<Delim> {
    // Every `*` left as text: (source offset, event, offset in the event, container).
    let mut stars: Vec<(usize, usize, usize, usize)> = Vec::new();
    // Container ids: a new one at every block and inline tag; the stack gives the current.
    let mut next_id = 1;
    let mut stack: Vec<usize> = vec![0];
    for (i, (event, range)) in events.iter().enumerate() {
        match event {
            Event::Start(tag) => {
                if !inline_tag(tag) {
                    stack.clear();
                }
                stack.push(next_id);
                next_id += 1;
            }
            Event::End(tag) => {
                if inline_tag_end(tag) {
                    stack.pop();
                } else {
                    stack.clear();
                }
                if stack.is_empty() {
                    stack.push(next_id);
                    next_id += 1;
                }
            }
            Event::Text(text) => {
                // Only text that is its source verbatim, so that offsets in it are offsets
                // in `md`.
                if !text.contains('*') || md.get(range.clone()) != Some(text.as_ref()) {
                    continue;
                }
                let container = *stack.last().unwrap_or(&0);
                for (k, _) in text.match_indices('*') {
                    stars.push((range.start + k, i, k, container));
                }
            }
            _ => {}
        }
    }
    let mut delims = Vec::new();
    let mut k = 0;
    while k < stars.len() {
        let (start, _, _, container) = stars[k];
        let mut j = k + 1;
        while j < stars.len() && stars[j].0 == start + (j - k) && stars[j].3 == container {
            j += 1;
        }
        let end = start + (j - k);
        let run = &stars[k..j];
        k = j;
        let before = &md[..start];
        let after = &md[end..];
        // Part of a longer run (the parser used the rest), escaped, or too long: not ours.
        let escaped = before.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1;
        if before.ends_with('*') || after.starts_with('*') || escaped || run.len() > 3 {
            continue;
        }
        let mut back = before.chars().rev();
        let prev = back.next();
        let prev_base = back.next();
        let (left, right) = flanking(prev, prev_base, after.chars().next());
        if left || right {
            delims.push(Delim {
                stars: run.iter().map(|&(_, e, at, _)| (e, at)).collect(),
                can_open: left,
                can_close: right,
                container,
            });
        }
    }
    delims
}

/// Pairs openers with closers of the same length in the same container, nearest first
/// (CommonMark's "process emphasis", without the rule of three). Returns (opener, closer)
/// indexes into `delims`.
fn match_runs(delims: &[Delim]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut openers: Vec<usize> = Vec::new();
    for (i, d) in delims.iter().enumerate() {
        if d.can_close {
            let found = openers.iter().rposition(|&o| {
                delims[o].container == d.container && delims[o].stars.len() == d.stars.len()
            });
            if let Some(pos) = found {
                let o = openers[pos];
                // Openers between the two can no longer match anything.
                openers.truncate(pos);
                pairs.push((o, i));
                continue;
            }
        }
        if d.can_open {
            openers.push(i);
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{html, Options, Parser};

    fn render(md: &str) -> String {
        let events = emphasis(
            md,
            Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH).into_offset_iter(),
        );
        let mut out = String::new();
        html::push_html(&mut out, events.into_iter());
        out
    }

    #[test]
    fn korean_particle_after_bold() {
        assert_eq!(
            render("**영업레버리지(DOL: Degree of Operating Leverage)**를 보면"),
            "<p><strong>영업레버리지(DOL: Degree of Operating Leverage)</strong>를 보면</p>\n"
        );
        assert_eq!(
            render("문서를 작성할 때 **마크다운(Markdown)**을 사용하세요."),
            "<p>문서를 작성할 때 <strong>마크다운(Markdown)</strong>을 사용하세요.</p>\n"
        );
    }

    #[test]
    fn japanese_and_chinese() {
        assert_eq!(
            render("これは**「重要なこと」**です。"),
            "<p>これは<strong>「重要なこと」</strong>です。</p>\n"
        );
        assert_eq!(
            render("这是**我想做的事。**所以继续。"),
            "<p>这是<strong>我想做的事。</strong>所以继续。</p>\n"
        );
        assert_eq!(render("*「強調」*です"), "<p><em>「強調」</em>です</p>\n");
    }

    #[test]
    fn nested_in_a_link_and_across_a_code_span() {
        assert_eq!(
            render("**이 [링크](https://example.kr/)**만을 강조"),
            "<p><strong>이 <a href=\"https://example.kr/\">링크</a></strong>만을 강조</p>\n"
        );
        assert_eq!(
            render("**`npm publish`(명령)**를 실행"),
            "<p><strong><code>npm publish</code>(명령)</strong>를 실행</p>\n"
        );
    }

    #[test]
    fn what_commonmark_does_is_kept() {
        // Already emphasis, no CJK, escaped, in code, across paragraphs: unchanged.
        assert_eq!(
            render("**굵게**와 **a**"),
            "<p><strong>굵게</strong>와 <strong>a</strong></p>\n"
        );
        assert_eq!(render("a **b(c)**d"), "<p>a **b(c)**d</p>\n");
        assert_eq!(render("\\*\\*(한)\\*\\*는"), "<p>**(한)**는</p>\n");
        assert_eq!(render("`**(한)**는`"), "<p><code>**(한)**는</code></p>\n");
        assert_eq!(render("**(한)\n\n)**는"), "<p>**(한)</p>\n<p>)**는</p>\n");
        assert_eq!(render("2 * 3 = 6, 한 * 둘"), "<p>2 * 3 = 6, 한 * 둘</p>\n");
    }
}
