//! Citations: sources numbered as footnotes, in-text citation marks and content
//! references replaced by `[^N]` or what they stand for, and the footnotes renumbered in
//! the order they are shown.

use super::{message::owned, text_helpers::marker_code_block, Ctx};
use crate::model::*;
use crate::render::markdown::footnote_spans;
use crate::source::raw::{self, Str};
use crate::source::text::{code_ranges, strip_markers};

/// Renumbers the sources by their first reference in what is shown: the main line's shown
/// messages in order, then its hidden ones, then the branches; sources never referenced
/// keep their order after those. (Sources are numbered while reading, which also meets
/// citations in hidden messages and in places left out of the text.)
pub(super) fn number_sources_as_shown(t: &mut Transcript) {
    let max = t.sources.len();
    if max < 2 {
        return;
    }
    fn texts(m: &Message) -> impl Iterator<Item = &str> {
        m.blocks.iter().filter_map(|b| match b {
            Block::Text { markdown } => Some(markdown.as_str()),
            Block::Canvas { content, .. } => Some(content.as_str()),
            _ => None,
        })
    }
    let mut order: Vec<usize> = Vec::with_capacity(max);
    let mut seen = vec![false; max + 1];
    let shown = t.messages.iter().filter(|m| m.hidden.is_none());
    let hidden = t.messages.iter().filter(|m| m.hidden.is_some());
    let branches = t.branches.iter().flat_map(|b| b.messages.iter());
    for m in shown.chain(hidden).chain(branches) {
        for md in texts(m) {
            for (_, _, n) in footnote_spans(md, max) {
                if !seen[n] {
                    seen[n] = true;
                    order.push(n);
                }
            }
        }
    }
    order.extend((1..=max).filter(|&n| !seen[n]));
    if order.iter().enumerate().all(|(i, &n)| n == i + 1) {
        return;
    }
    // new_number[old] = new.
    let mut new_number = vec![0; max + 1];
    for (i, &n) in order.iter().enumerate() {
        new_number[n] = i + 1;
    }
    let renumber = |md: &mut String| {
        let spans = footnote_spans(md, max);
        if spans.is_empty() {
            return;
        }
        let mut out = String::with_capacity(md.len());
        let mut pos = 0;
        for (a, b, n) in spans {
            out.push_str(&md[pos..a]);
            out.push_str(&format!("[^{}]", new_number[n]));
            pos = b;
        }
        out.push_str(&md[pos..]);
        *md = out;
    };
    let all = t
        .messages
        .iter_mut()
        .chain(t.branches.iter_mut().flat_map(|b| b.messages.iter_mut()));
    for m in all {
        for b in &mut m.blocks {
            match b {
                Block::Text { markdown } => renumber(markdown),
                Block::Canvas { content, .. } => renumber(content),
                _ => {}
            }
        }
    }
    let mut old: Vec<Option<Source>> = std::mem::take(&mut t.sources)
        .into_iter()
        .map(Some)
        .collect();
    t.sources = order
        .iter()
        .filter_map(|&n| old.get_mut(n - 1).and_then(Option::take))
        .collect();
}

impl Ctx {
    /// The 1-based footnote number for a source (one per distinct URL, else title).
    pub(crate) fn cite(
        &mut self,
        title: Option<&str>,
        url: Option<&str>,
        attribution: Option<&str>,
    ) -> Option<usize> {
        let title = title
            .map(|s| strip_markers(s).trim().to_owned())
            .filter(|s| !s.is_empty());
        let url = url
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let key = url
            .clone()
            .or_else(|| title.clone().map(|t| format!("title:{t}")))?;
        if let Some(&n) = self.source_index.get(&key) {
            return Some(n);
        }
        self.sources.push(Source {
            title,
            url,
            attribution: attribution.map(str::to_owned).filter(|s| !s.is_empty()),
        });
        let n = self.sources.len();
        self.source_index.insert(key, n);
        Some(n)
    }

    /// 2023 browsing and file-search marks (`【11†source】`), located by character index.
    pub(super) fn legacy_citations<'s>(
        &mut self,
        s: &'s str,
        cites: &[raw::Citation<'_>],
    ) -> std::borrow::Cow<'s, str> {
        if cites.is_empty() || !s.contains('【') {
            return s.into();
        }
        let mut spans: Vec<(usize, usize, Option<usize>)> = Vec::new();
        let char_to_byte: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        for c in cites {
            let (Some(a), Some(b)) = (c.start_ix, c.end_ix) else {
                continue;
            };
            let (Some(&a), Some(&b)) = (char_to_byte.get(a as usize), char_to_byte.get(b as usize))
            else {
                continue;
            };
            if a >= b || !s[a..b].starts_with('【') {
                continue;
            }
            let Some(md) = &c.metadata else { continue };
            let title = owned(&md.title).or_else(|| owned(&md.name));
            let n = self.cite(title.as_deref(), md.url.as_deref(), None);
            spans.push((a, b, n));
        }
        if spans.is_empty() {
            return s.into();
        }
        crate::sort::sort_by_key(&mut spans, |s| s.0);
        let code = code_ranges(s);
        let mut out = String::with_capacity(s.len());
        let mut pos = 0;
        for (a, b, n) in spans {
            if a < pos {
                continue;
            }
            out.push_str(&s[pos..a]);
            if let Some(n) = n.filter(|_| !in_code(&code, a)) {
                out.push_str(&format!("[^{n}]"));
            }
            pos = b;
        }
        out.push_str(&s[pos..]);
        out.into()
    }

    /// 2025+ private-use markers, replaced by their `content_references` entry.
    pub(super) fn content_refs<'s>(
        &mut self,
        s: &'s str,
        refs: &[raw::ContentRef<'_>],
    ) -> std::borrow::Cow<'s, str> {
        if refs.is_empty() {
            return s.into();
        }
        let code = code_ranges(s);
        let mut order: Vec<&raw::ContentRef<'_>> = refs.iter().collect();
        crate::sort::sort_by_key(&mut order, |r| r.start_idx.unwrap_or(u64::MAX));
        let mut out = String::with_capacity(s.len());
        let mut pos = 0;
        let mut changed = false;
        for r in order {
            let kind = r.kind.as_deref().unwrap_or("");
            if matches!(kind, "attribution" | "sources_footnote") {
                continue;
            }
            let Some(mt) = r.matched_text.as_deref().filter(|m| !m.trim().is_empty()) else {
                continue;
            };
            // By text first; else by the character offsets (the text and `matched_text`
            // sometimes differ in their spaces), checked against the marker's first character.
            let span = match s[pos..].find(mt) {
                Some(found) => Some((pos + found, pos + found + mt.len())),
                None => by_char_offsets(s, r.start_idx, r.end_idx)
                    .filter(|&(a, b)| a >= pos && s[a..b].chars().next() == mt.chars().next()),
            };
            let Some((a, b)) = span else { continue };
            out.push_str(&s[pos..a]);
            let rep = self.replacement(r);
            // Inside code a footnote would show as a literal `[^1]`: the source is listed,
            // the reference is left out.
            if !(in_code(&code, a) && only_footnotes(&rep)) {
                out.push_str(&rep);
            }
            pos = b;
            changed = true;
        }
        if !changed {
            return s.into();
        }
        out.push_str(&s[pos..]);
        out.into()
    }

    fn replacement(&mut self, r: &raw::ContentRef<'_>) -> String {
        let kind = r.kind.as_deref().unwrap_or("");
        let footnotes = |ctx: &mut Ctx,
                         items: &mut dyn Iterator<
            Item = (Option<&str>, Option<&str>, Option<&str>),
        >| {
            let mut s = String::new();
            let mut seen = Vec::new();
            for (title, url, attribution) in items {
                if let Some(n) = ctx.cite(title, url, attribution) {
                    if !seen.contains(&n) {
                        seen.push(n);
                        s.push_str(&format!("[^{n}]"));
                    }
                }
            }
            s
        };
        match kind {
            "grouped_webpages"
            | "grouped_webpages_model_predicted_fallback"
            | "webpage"
            | "webpage_extended" => {
                let mut items: Vec<(Option<&str>, Option<&str>, Option<&str>)> = r
                    .items
                    .iter()
                    .flatten()
                    .map(|i| {
                        (
                            i.title.as_deref(),
                            i.url.as_deref(),
                            i.attribution.as_deref(),
                        )
                    })
                    .collect();
                if items.is_empty() {
                    items.push((
                        r.title.as_deref(),
                        r.url.as_deref(),
                        r.attribution.as_deref(),
                    ));
                }
                footnotes(self, &mut items.into_iter())
            }
            "file_navlist" => {
                // A list of files, as the site shows it.
                let mut s = String::from("\n");
                for i in r.items.iter().flatten() {
                    let name = i.name.as_deref().or(i.title.as_deref()).unwrap_or("file");
                    s.push_str("- ");
                    s.push_str(&crate::render::escape::md_inline(name));
                    if let Some(d) = i.description.as_deref().filter(|d| !d.trim().is_empty()) {
                        // The model's words, Markdown like the rest of its answer (`**…**`
                        // bold), on one line.
                        s.push_str(" — ");
                        s.push_str(&d.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                    s.push('\n');
                }
                s
            }
            // Images from ChatGPT's image search, labelled by their title (or source).
            // (An `image_v2`'s `alt` is ChatGPT's own Markdown, labelled by the title already;
            // an `image_group`'s labels every image "Image".)
            "image_v2" | "image_group"
                if r.images.as_ref().is_some_and(|i| !i.is_empty())
                    && (kind == "image_group"
                        || r.alt.as_deref().is_none_or(|a| a.trim().is_empty())) =>
            {
                let mut s = String::from("\n");
                for i in r.images.iter().flatten() {
                    s.push_str(&searched_image(i.image_result.as_deref().unwrap_or(i)));
                }
                s
            }
            "file" => {
                let mut items: Vec<(Option<&str>, Option<&str>, Option<&str>)> = r
                    .items
                    .iter()
                    .flatten()
                    .map(|i| (i.name.as_deref().or(i.title.as_deref()), None, None))
                    .collect();
                if items.is_empty() {
                    items.push((r.name.as_deref().or(r.title.as_deref()), None, None));
                }
                footnotes(self, &mut items.into_iter())
            }
            // A code block ChatGPT wrote inside a marker (`\u{E200}code\u{E202}python\u{E202}…`):
            // the reference marks it hidden/invalid, but it is the answer's code; keep it.
            "hidden"
                if r.matched_text
                    .as_deref()
                    .is_some_and(|m| m.starts_with("\u{E200}code\u{E202}")) =>
            {
                marker_code_block(r.matched_text.as_deref().unwrap_or(""))
            }
            "entity" | "alt_text" => r
                .alt
                .as_deref()
                .or(r.name.as_deref())
                .unwrap_or("")
                .to_owned(),
            _ => r.alt.as_deref().unwrap_or("").to_owned(),
        }
    }
}

/// An image search result as Markdown: the image, linked to the page it is on, labelled by
/// its title, else its source (attribution or the page's host). Empty without an image URL.
fn searched_image(i: &raw::RefImage<'_>) -> String {
    let nonempty = |s: &Option<Str<'_>>| owned(s).filter(|s| !s.trim().is_empty());
    let Some(src) = nonempty(&i.content_url)
        .or_else(|| nonempty(&i.thumbnail_url))
        .and_then(|u| crate::render::escape::md_url(&u))
    else {
        return String::new();
    };
    let page = nonempty(&i.url).and_then(|u| crate::render::escape::md_url(&u));
    let host = |u: &str| {
        u.split_once("://")
            .map(|(_, r)| r.split(['/', '?', '#']).next().unwrap_or(r).to_owned())
            .filter(|h| !h.is_empty())
    };
    let label = nonempty(&i.title)
        .or_else(|| nonempty(&i.attribution))
        .or_else(|| page.as_deref().and_then(host))
        .or_else(|| host(&src))
        .unwrap_or_else(|| "image".to_owned());
    let image = format!("![{}]({src})", crate::render::escape::md_inline(&label));
    match page {
        Some(p) => format!("[{image}]({p})\n\n"),
        None => format!("{image}\n\n"),
    }
}

/// Whether byte `at` is inside one of the (sorted) code ranges.
fn in_code(code: &[(usize, usize)], at: usize) -> bool {
    code.iter().any(|&(a, b)| a <= at && at < b)
}

/// Whether `s` is nothing but footnote references (`[^1][^2]`).
fn only_footnotes(s: &str) -> bool {
    !s.is_empty()
        && s.split("[^").skip(1).all(|p| {
            p.strip_suffix(']')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
        })
        && s.starts_with("[^")
}

/// Byte offsets of a span given in characters (code points), if inside `s`.
fn by_char_offsets(s: &str, start: Option<u64>, end: Option<u64>) -> Option<(usize, usize)> {
    let (start, end) = (usize::try_from(start?).ok()?, usize::try_from(end?).ok()?);
    if start >= end {
        return None;
    }
    let mut it = s.char_indices().map(|(i, _)| i).chain([s.len()]);
    let a = it.nth(start)?;
    let b = it.nth(end - start - 1)?;
    Some((a, b))
}
