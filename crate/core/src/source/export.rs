//! The official export: `conversations.json` (one array, or split into
//! `conversations-NNN.json`), `chat.html` (`var jsonData = [...]`), and the ZIP holding them
//! with the images and files the conversations point to.
//!
//! Everything streams: conversations are handed to a callback one at a time, so memory is
//! bounded by the largest conversation, whatever the size of the export.

use super::split::{describe_start, ArraySplitter};
use crate::{Error, Origin, Result, Transcript};
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::ops::ControlFlow;
use zip::ZipArchive;

/// How far a long read has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of conversation JSON read so far.
    pub bytes_read: u64,
    /// Total bytes of conversation JSON, when known.
    pub bytes_total: Option<u64>,
    /// Conversations read so far (including failed ones).
    pub conversations: usize,
}

/// The callback of the streaming readers: a transcript, or the error of one conversation that
/// could not be read (the others still are). Return `ControlFlow::Break(())` to stop early.
pub type OnConversation<'f> = dyn FnMut(Result<Transcript>, &Progress) -> ControlFlow<()> + 'f;

/// The callback of the raw readers: one conversation's JSON (the array element, verbatim
/// bytes, not yet parsed). Return `ControlFlow::Break(())` to stop early.
pub type OnElement<'f> = dyn FnMut(Vec<u8>, &Progress) -> ControlFlow<()> + 'f;

/// The callback of [`ZipExport::for_each_json_with_assets`]: [`OnElement`]'s, plus the
/// export's assets to fill a transcript with.
pub type OnElementWithAssets<'f, R> =
    dyn FnMut(Vec<u8>, &Progress, &mut ZipAssets<R>) -> ControlFlow<()> + 'f;

const CHUNK: usize = 256 * 1024;

/// Reads a `conversations.json` array from a stream. `progress` carries the running totals
/// across several files (split exports). Conversation-level errors go to `f`; an error that
/// stops the read (truncation, damaged JSON between conversations, I/O) is returned after
/// every conversation before it was delivered.
pub fn read_json<R: Read>(r: R, progress: &mut Progress, f: &mut OnConversation<'_>) -> Result<()> {
    read_json_elements(r, progress, &mut |el, p| f(parse_element(el), p))
}

/// [`read_json`] without parsing: each conversation's JSON goes to `f` as it is.
pub fn read_json_elements<R: Read>(
    r: R,
    progress: &mut Progress,
    f: &mut OnElement<'_>,
) -> Result<()> {
    read_array(r, None, progress, f).map(|_| ())
}

/// Streams the elements of the JSON array in `r` (after `<marker> = ` when `assign` is
/// given) to `f`. Returns whether the array was found; an incomplete array is an error.
fn read_array<R: Read>(
    r: R,
    assign: Option<(&[u8], u8)>,
    progress: &mut Progress,
    f: &mut OnElement<'_>,
) -> Result<bool> {
    let mut splitter = ArraySplitter::new();
    let mut stop = false;
    let found = pump(r, assign, |data, n| {
        progress.bytes_read += n;
        stop = deliver(&mut splitter, data, progress, f)?;
        Ok(stop || splitter.is_done())
    })?;
    if !found || stop || splitter.is_done() {
        return Ok(found);
    }
    splitter.finish().map(|()| found)
}

/// Feeds `data` to the splitter and each completed conversation to `f`. Returns whether
/// `f` asked to stop.
fn deliver(
    splitter: &mut ArraySplitter,
    data: &[u8],
    progress: &mut Progress,
    f: &mut OnElement<'_>,
) -> Result<bool> {
    let mut ready = Vec::new();
    // Conversations completed before damage in the same chunk are delivered first.
    let pushed = splitter.push(data, |el| ready.push(el));
    for el in ready {
        progress.conversations += 1;
        if f(el, progress).is_break() {
            return Ok(true);
        }
    }
    pushed.map(|_| false)
}

/// Reads `r` in chunks and hands them to `sink` (with the number of bytes read from `r`)
/// until it returns `true` or the input ends. With `assign = Some((marker, open))`, what
/// comes before `<marker> = <open>` is skipped (the first chunk handed over starts at
/// `open`). Returns whether the data was found (always, without `assign`).
fn pump<R: Read>(
    mut r: R,
    assign: Option<(&[u8], u8)>,
    mut sink: impl FnMut(&[u8], u64) -> Result<bool>,
) -> Result<bool> {
    let mut buf = vec![0u8; CHUNK];
    let mut carry: Vec<u8> = Vec::new();
    let mut found = assign.is_none();
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(found),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let done = match (found, assign) {
            (false, Some((marker, open))) => {
                carry.extend_from_slice(&buf[..n]);
                match find_assignment_of(&carry, marker, open) {
                    Assignment::At(start) => {
                        found = true;
                        let rest = carry.split_off(start);
                        carry = Vec::new();
                        sink(&rest, n as u64)?
                    }
                    Assignment::NeedMore(keep_from) => {
                        carry.drain(..keep_from);
                        sink(&[], n as u64)?
                    }
                }
            }
            _ => sink(&buf[..n], n as u64)?,
        };
        if done {
            return Ok(found);
        }
    }
}

/// Parses one element of the array as a conversation.
pub fn parse_element(el: Vec<u8>) -> Result<Transcript> {
    // simdutf8 checks with SIMD, several times faster than `String::from_utf8` (whose fast
    // path is a machine word of ASCII at a time: 4 bytes in wasm32): checking and copying
    // a conversation costs less than std's check alone (the copy is one memcpy).
    match simdutf8::basic::from_utf8(&el) {
        Ok(s) => parse_element_text(s.to_owned()),
        Err(_) => {
            let lossy = String::from_utf8_lossy(&el).into_owned();
            parse_element_text(lossy).map(|mut t| {
                t.warnings.push(crate::Warning::reader("the conversation contained bytes that are not UTF-8; they were replaced with \u{FFFD}"));
                t
            })
        }
    }
}

/// [`parse_element`] for an element already checked to be UTF-8.
pub fn parse_element_text(el: String) -> Result<Transcript> {
    // An element of the list that is not an object is one unreadable conversation, not a
    // file that is "not an export".
    let first = el
        .chars()
        .find(|c| !c.is_ascii_whitespace() && *c != '\u{FEFF}');
    if first != Some('{') {
        let start: String = el.chars().take(40).collect();
        return Err(Error::Conversation {
            id: None,
            title: None,
            detail: format!("the list holds {start:?} where a conversation object should be"),
        });
    }
    super::api::read_with_origin(el, Origin::Export)
}

/// Reads the conversations embedded in `chat.html` (`var jsonData = [...]`), streaming.
pub fn read_chat_html<R: Read>(
    r: R,
    progress: &mut Progress,
    f: &mut OnConversation<'_>,
) -> Result<()> {
    read_chat_html_elements(r, progress, &mut |el, p| f(parse_element(el), p))
}

/// [`read_chat_html`] without parsing: each conversation's JSON goes to `f` as it is.
pub fn read_chat_html_elements<R: Read>(
    r: R,
    progress: &mut Progress,
    f: &mut OnElement<'_>,
) -> Result<()> {
    if read_array(r, Some((b"jsonData", b'[')), progress, f)? {
        return Ok(());
    }
    Err(Error::NotAnExport {
        found: "an HTML page without ChatGPT's conversation data (no jsonData)".to_owned(),
    })
}

enum Assignment {
    /// The array starts at this index.
    At(usize),
    /// Not found yet: keep the buffer from this index on and read more.
    NeedMore(usize),
}

/// Finds `<marker> = <open>` in `buf`.
fn find_assignment_of(buf: &[u8], marker: &[u8], open: u8) -> Assignment {
    let mut from = 0;
    while let Some(k) = memchr::memmem::find(&buf[from..], marker) {
        let at = from + k;
        let mut j = at + marker.len();
        let skip_ws = |j: &mut usize| {
            while *j < buf.len() && buf[*j].is_ascii_whitespace() {
                *j += 1;
            }
        };
        skip_ws(&mut j);
        if j >= buf.len() {
            return Assignment::NeedMore(at);
        }
        if buf[j] == b'=' {
            j += 1;
            skip_ws(&mut j);
            if j >= buf.len() {
                return Assignment::NeedMore(at);
            }
            if buf[j] == open {
                return Assignment::At(j);
            }
        }
        from = at + marker.len();
    }
    Assignment::NeedMore(buf.len().saturating_sub(marker.len()))
}

/// Where the conversations are inside an export ZIP.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    /// `conversations.json` or `conversations-000.json`, `-001`, … in order (entry indexes).
    Json(Vec<usize>),
    /// Only `chat.html`.
    ChatHtml(usize),
}

/// An opened export ZIP.
///
/// It takes two readers of the same bytes (two file handles, two cursors over one buffer):
/// one streams the conversations while the other fetches the images they point to.
pub struct ZipExport<R: Read + Seek> {
    conversations: ZipConversations<R>,
    assets: ZipAssets<R>,
}

/// The conversations of an export ZIP without its images and files ([`ZipExport::into_parts`]).
pub struct ZipConversations<R: Read + Seek> {
    conversations: ZipArchive<R>,
    plan: Plan,
    json_bytes: u64,
}

impl<R: Read + Seek> ZipConversations<R> {
    /// Streams every conversation's JSON to `f`, as [`ZipExport::for_each_json`] does.
    pub fn for_each_json(&mut self, f: &mut OnElement<'_>) -> Result<()> {
        stream_elements(&mut self.conversations, &self.plan, self.json_bytes, f)
    }
}

/// The images and files of an export ZIP, apart from its conversations
/// ([`ZipExport::into_parts`]).
pub struct ZipAssets<R: Read + Seek> {
    index: AssetIndex<R>,
    load: bool,
}

impl<R: Read + Seek> ZipAssets<R> {
    /// Fills the assets of `t` (a conversation of this export), as [`ZipExport::for_each`]
    /// does (unless [`ZipExport::load_assets`] said not to).
    pub fn resolve(&mut self, t: &mut Transcript) {
        if self.load {
            self.index.resolve(t);
        }
    }

    /// Fetches one file of the export by its id (`file-…`, `file_…`), with its stored
    /// name, as [`ZipExport::asset`] does.
    pub fn fetch(&mut self, file_id: &str) -> Option<(String, Vec<u8>)> {
        self.index.fetch(file_id)
    }

    /// Parses one conversation of this export ([`parse_element`]) and fills its assets
    /// ([`Self::resolve`]).
    pub fn parse(&mut self, el: Vec<u8>) -> Result<Transcript> {
        parse_element(el).map(|mut t| {
            self.resolve(&mut t);
            t
        })
    }
}

/// Past this ratio of uncompressed to compressed size (and this size), an entry is refused.
const MAX_RATIO: u64 = 400;
const RATIO_FLOOR: u64 = 256 * 1024 * 1024;

impl<R: Read + Seek> ZipExport<R> {
    /// Opens an export ZIP.
    pub fn open(mut a: R, b: R) -> Result<Self> {
        // A ZIP's table of contents is at its end: a file that starts like a ZIP but has
        // none was cut off (an interrupted download), which deserves its own message.
        let mut magic = [0u8; 4];
        let starts_like_zip = a.read_exact(&mut magic).is_ok() && is_zip(&magic);
        a.seek(std::io::SeekFrom::Start(0))?;
        let conversations = ZipArchive::new(a).map_err(|e| match e {
            zip::result::ZipError::InvalidArchive(_) if starts_like_zip => Error::Zip {
                detail: "it is incomplete: it ends before the archive's table of contents, \
                         so the download was probably cut off"
                    .to_owned(),
            },
            zip::result::ZipError::InvalidArchive(_) => Error::NotAnExport {
                found: "a file that is not a ZIP archive, or a damaged one".to_owned(),
            },
            other => other.into(),
        })?;
        let assets = ZipArchive::new(b)?;
        let mut split: Vec<(u32, usize)> = Vec::new();
        let mut single = None;
        let mut chat_html = None;
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        let mut names = Vec::new();
        for i in 0..conversations.len() {
            let Some(Ok(name)) = conversations.name_for_index(i) else {
                continue;
            };
            let name = name.into_owned();
            let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
            let depth = name.matches('/').count();
            let top = depth == 0 || (depth == 1 && is_wrapper_dir(&name));
            if top && base == "conversations.json" {
                single = Some(i);
            } else if top && base.starts_with("conversations-") && base.ends_with(".json") {
                if let Ok(n) = base["conversations-".len()..base.len() - 5].parse::<u32>() {
                    split.push((n, i));
                }
            } else if top && base == "chat.html" {
                chat_html = Some(i);
            } else if !name.ends_with('/') {
                if let Some(key) = asset_key(&base) {
                    by_id.entry(key.to_owned()).or_default().push(i);
                }
            }
            names.push(name);
        }
        crate::sort::sort_by(&mut split, Ord::cmp);
        let plan = match (single, split.is_empty(), chat_html) {
            (_, false, _) => Plan::Json(split.into_iter().map(|(_, i)| i).collect()),
            (Some(i), true, _) => Plan::Json(vec![i]),
            (None, true, Some(i)) => Plan::ChatHtml(i),
            (None, true, None) => {
                let mut shown: Vec<&str> = names.iter().map(String::as_str).take(5).collect();
                if names.len() > 5 {
                    shown.push("…");
                }
                return Err(Error::NotAnExport {
                    found: if names.is_empty() {
                        "an empty ZIP archive".to_owned()
                    } else {
                        format!(
                            "a ZIP without conversations.json (it holds: {})",
                            shown.join(", ")
                        )
                    },
                });
            }
        };
        let entries: Vec<usize> = match &plan {
            Plan::Json(v) => v.clone(),
            Plan::ChatHtml(i) => vec![*i],
        };
        let mut json_bytes = 0u64;
        for &i in &entries {
            let e = conversations.by_index_data(i)?;
            let size = e.size();
            if size > RATIO_FLOOR && size / e.compressed_size().max(1) > MAX_RATIO {
                return Err(Error::TooLarge {
                    entry: e.name().map(|n| n.into_owned()).unwrap_or_default(),
                    size,
                });
            }
            json_bytes += size;
        }
        let assets = AssetIndex {
            zip: assets,
            by_id,
            chat_html,
            assets_json: None,
        };
        Ok(ZipExport {
            conversations: ZipConversations {
                conversations,
                plan,
                json_bytes,
            },
            assets: ZipAssets {
                index: assets,
                load: true,
            },
        })
    }

    /// Splits the export into its conversations and its images and files, so that one
    /// thread can read conversations while another completes them with their assets.
    pub fn into_parts(self) -> (ZipConversations<R>, ZipAssets<R>) {
        (self.conversations, self.assets)
    }

    /// Whether to load the bytes of images and files into transcripts (default: yes).
    /// Listing conversations doesn't need them.
    pub fn load_assets(&mut self, yes: bool) {
        self.assets.load = yes;
    }

    /// The account's own name, e-mail address and phone number from the export's
    /// `user.json` ([`crate::redact::account_terms`]), to offer as redaction terms; empty
    /// when the export has no `user.json`. Nothing of it is written into any save.
    ///
    /// # Errors
    ///
    /// [`Error::Zip`] when the entry cannot be read, [`Error::BadJson`] when it is not a
    /// JSON object.
    pub fn account_terms(&mut self) -> Result<Vec<String>> {
        let zip = &mut self.assets.index.zip;
        let name = zip.file_names().flatten().find_map(|n| {
            let top = n == "user.json"
                || (n.matches('/').count() == 1 && n.ends_with("/user.json") && is_wrapper_dir(&n));
            top.then(|| n.into_owned())
        });
        let Some(name) = name else {
            return Ok(Vec::new());
        };
        let mut entry = zip.by_name(&name)?;
        // An account file is a few hundred bytes: anything huge is not one.
        if entry.size() > 1 << 20 {
            return Ok(Vec::new());
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).map_err(|e| Error::Zip {
            detail: format!("{name} could not be read: {e}"),
        })?;
        crate::redact::account_terms(&text)
    }

    /// Total uncompressed bytes of the conversation data, for progress.
    pub fn json_bytes(&self) -> u64 {
        self.conversations.json_bytes
    }

    /// Streams every conversation to `f`, with its assets resolved from the ZIP.
    pub fn for_each(&mut self, f: &mut OnConversation<'_>) -> Result<()> {
        self.for_each_json_with_assets(&mut |el, p, assets| f(assets.parse(el), p))
    }

    /// Streams every conversation's JSON to `f` together with the export's assets, so that
    /// `f` can parse only the conversations it wants, with [`ZipAssets::parse`].
    pub fn for_each_json_with_assets(&mut self, f: &mut OnElementWithAssets<'_, R>) -> Result<()> {
        let assets = &mut self.assets;
        self.conversations
            .for_each_json(&mut |el, p| f(el, p, assets))
    }

    /// Streams every conversation's JSON to `f`, verbatim and unparsed (for callers that
    /// keep or index the raw conversations; [`ZipExport::resolve_assets`] fills a transcript
    /// parsed from it later).
    pub fn for_each_json(&mut self, f: &mut OnElement<'_>) -> Result<()> {
        self.conversations.for_each_json(f)
    }

    /// Fills the assets of `t` (a conversation of this export) from the ZIP, as
    /// [`ZipExport::for_each`] does.
    pub fn resolve_assets(&mut self, t: &mut Transcript) {
        self.assets.index.resolve(t);
    }

    /// Fetches one file of the export by its id (`file-…`, `file_…`), with its stored name.
    pub fn asset(&mut self, file_id: &str) -> Option<(String, Vec<u8>)> {
        self.assets.fetch(file_id)
    }
}

/// Where one entry of an export's conversation data lies in the ZIP, for a reader that
/// inflates it itself (a browser's `DecompressionStream`) and feeds the result to a
/// [`JsonFeed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonEntry {
    /// The entry's name (`conversations.json`, `conversations-001.json`).
    pub name: String,
    /// Where its data starts in the ZIP file.
    pub data_start: u64,
    /// Its size in the ZIP.
    pub compressed_size: u64,
    /// Its size once inflated.
    pub size: u64,
    /// Raw DEFLATE (method 8) when true; stored (method 0) when false.
    pub deflated: bool,
    /// The CRC-32 of its inflated bytes.
    pub crc32: u32,
}

impl<R: Read + Seek> ZipExport<R> {
    /// The entries holding the conversations, in order, for reading them outside the core;
    /// `None` when they cannot be read that way (the conversations are in `chat.html`, or an
    /// entry is encrypted or compressed otherwise than stored or deflated): read those with
    /// [`ZipExport::for_each_json`].
    pub fn json_entries(&mut self) -> Result<Option<Vec<JsonEntry>>> {
        let Plan::Json(indexes) = &self.conversations.plan else {
            return Ok(None);
        };
        let zip = &mut self.conversations.conversations;
        let mut out = Vec::with_capacity(indexes.len());
        for &i in indexes {
            let e = zip.by_index_raw(i)?;
            let deflated = match e.compression() {
                zip::CompressionMethod::Stored => false,
                zip::CompressionMethod::Deflated => true,
                _ => return Ok(None),
            };
            let Some(data_start) = e.data_start() else {
                return Ok(None);
            };
            if e.encrypted() {
                return Ok(None);
            }
            out.push(JsonEntry {
                name: e.name().map(|n| n.into_owned()).unwrap_or_default(),
                data_start,
                compressed_size: e.compressed_size(),
                size: e.size(),
                deflated,
                crc32: e.crc32(),
            });
        }
        Ok(Some(out))
    }
}

/// The conversations of an export's [`JsonEntry`]s, fed their inflated bytes entry after
/// entry, in chunks of any size: each entry's size and CRC-32 are checked at its end, as
/// the core's own ZIP reader does.
#[derive(Debug)]
pub struct JsonFeed {
    entries: Vec<JsonEntry>,
    at: usize,
    splitter: ArraySplitter,
    crc: crc32fast::Hasher,
    fed: u64,
    /// Conversations of the entries before this one.
    before: usize,
}

impl JsonFeed {
    /// A feed of these entries (from [`ZipExport::json_entries`]).
    pub fn new(entries: Vec<JsonEntry>) -> Self {
        JsonFeed {
            entries,
            at: 0,
            splitter: ArraySplitter::new(),
            crc: crc32fast::Hasher::new(),
            fed: 0,
            before: 0,
        }
    }

    /// Conversations completed so far, over every entry.
    pub fn count(&self) -> usize {
        self.before + self.splitter.count()
    }

    /// Feeds the next inflated bytes of the current entry; calls `emit(index, json)` for
    /// each conversation they complete (`index` its position in the export).
    ///
    /// # Errors
    ///
    /// [`Error::Zip`] when the entry inflates to more than its declared size (nothing more
    /// is read: a damaged archive or a zip bomb), and the splitter's errors on bytes that
    /// are not a JSON array of conversations.
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(usize, Vec<u8>)) -> Result<()> {
        let Some(entry) = self.entries.get(self.at) else {
            return Err(Error::Zip {
                detail: "more conversation data than the archive lists".to_owned(),
            });
        };
        self.fed += chunk.len() as u64;
        if self.fed > entry.size {
            return Err(Error::Zip {
                detail: format!(
                    "{} inflates to more than its declared {} bytes",
                    entry.name, entry.size
                ),
            });
        }
        self.crc.update(chunk);
        if self.splitter.is_done() {
            return Ok(());
        }
        let before = self.before;
        let mut index = before + self.splitter.count();
        self.splitter.push(chunk, |el| {
            emit(index, el);
            index += 1;
        })?;
        Ok(())
    }

    /// Ends the current entry: checks its size and CRC-32 and that its array is complete,
    /// then moves to the next. Returns whether entries remain.
    ///
    /// # Errors
    ///
    /// [`Error::Zip`] naming the entry when its size or checksum is wrong;
    /// [`Error::Truncated`]-like errors of the splitter when its array is incomplete.
    pub fn end_entry(&mut self) -> Result<bool> {
        let Some(entry) = self.entries.get(self.at) else {
            return Ok(false);
        };
        let crc = std::mem::take(&mut self.crc).finalize();
        let damaged = |what: &str| Error::Zip {
            detail: format!(
                "{} could not be read after {} conversation(s): {what}",
                entry.name,
                self.before + self.splitter.count()
            ),
        };
        if self.fed != entry.size {
            return Err(damaged(&format!(
                "it inflates to {} bytes, not the {} the archive lists",
                self.fed, entry.size
            )));
        }
        if crc != entry.crc32 {
            return Err(damaged("its checksum does not match its contents"));
        }
        if !self.splitter.is_done() {
            self.splitter.finish()?;
        }
        self.before += self.splitter.count();
        self.splitter = ArraySplitter::new();
        self.fed = 0;
        self.at += 1;
        Ok(self.at < self.entries.len())
    }
}

/// Reads the conversation entries of `plan` in order, handing each element to `f`.
fn stream_elements<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    plan: &Plan,
    json_bytes: u64,
    f: &mut OnElement<'_>,
) -> Result<()> {
    let mut progress = Progress {
        bytes_total: Some(json_bytes),
        ..Progress::default()
    };
    let (entries, html) = match plan {
        Plan::Json(v) => (v.clone(), false),
        Plan::ChatHtml(i) => (vec![*i], true),
    };
    let stopped = std::cell::Cell::new(false);
    let mut wrapped = |el: Vec<u8>, p: &Progress| {
        let flow = f(el, p);
        stopped.set(flow.is_break());
        flow
    };
    for i in entries {
        let mut entry = zip.by_index(i)?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let read = if html {
            read_chat_html_elements(&mut entry, &mut progress, &mut wrapped)
        } else {
            read_json_elements(&mut entry, &mut progress, &mut wrapped)
        };
        // The checksum is verified at the entry's end: read what follows the data too.
        let read = read.and_then(|()| {
            if stopped.get() {
                return Ok(());
            }
            std::io::copy(&mut entry, &mut std::io::sink())
                .map(|_| ())
                .map_err(Error::from)
        });
        // Reading an entry fails on damaged data (bad checksum, broken compression): that
        // is the ZIP's fault, not the disk's; say which entry, after what was delivered.
        read.map_err(|e| match e {
            Error::Io(e) => Error::Zip {
                detail: format!(
                    "{name} could not be read after {} conversation(s): {e}",
                    progress.conversations
                ),
            },
            other => other,
        })?;
        if stopped.get() {
            break;
        }
    }
    Ok(())
}

/// A top-level wrapper folder (`export/conversations.json`) counts as the root.
fn is_wrapper_dir(name: &str) -> bool {
    !name.starts_with("user-")
        && !name.starts_with("dalle-generations")
        && !name.starts_with("textdocs")
}

/// The file id an entry's base name starts with: `file-9xCj…-report.pdf` → `file-9xCj…`,
/// `file_00000000e9c8….png` → `file_00000000e9c8…`.
pub fn asset_key(base: &str) -> Option<&str> {
    if !(base.starts_with("file-") || base.starts_with("file_")) {
        return None;
    }
    let end = base[5..].find(['-', '.']).map_or(base.len(), |k| k + 5);
    Some(&base[..end])
}

/// Finds the files of an export ZIP by the pointers conversations hold.
struct AssetIndex<R: Read + Seek> {
    zip: ZipArchive<R>,
    /// File id → entry indexes.
    by_id: HashMap<String, Vec<usize>>,
    /// `chat.html`, whose `assetsJson` maps pointers to paths in newer exports.
    chat_html: Option<usize>,
    /// `assetsJson`, read on the first pointer not found by name.
    assets_json: Option<HashMap<String, String>>,
}

impl<R: Read + Seek> AssetIndex<R> {
    /// Fills the bytes (and, when missing, the name and type) of every asset found in the
    /// ZIP. Assets not in the ZIP stay as they are: the writers show a placeholder.
    fn resolve(&mut self, t: &mut Transcript) {
        t.for_each_asset_mut(|asset| {
            let Some(id) = asset.file_id().map(str::to_owned) else {
                return;
            };
            let found = self.fetch(&id).or_else(|| {
                asset
                    .pointer
                    .as_deref()
                    .and_then(|p| self.fetch_mapped(p, &id))
            });
            if let Some((entry, data)) = found {
                fill_asset(asset, &entry, &id, data);
            }
        });
    }

    /// By file name: the first entry whose name starts with the id, preferring the root,
    /// then `dalle-generations/`, then `user-*/`.
    fn fetch(&mut self, file_id: &str) -> Option<(String, Vec<u8>)> {
        let candidates = self.by_id.get(asset_key(file_id).unwrap_or(file_id))?;
        let rank = |name: &str| {
            if !name.contains('/') {
                0
            } else if name.starts_with("dalle-generations/") {
                1
            } else if name.starts_with("user-") {
                2
            } else {
                3
            }
        };
        let mut best: Option<(u8, usize)> = None;
        for &i in candidates {
            let Some(Ok(name)) = self.zip.name_for_index(i) else {
                continue;
            };
            let r = rank(&name);
            if best.is_none_or(|b| r < b.0) {
                best = Some((r, i));
            }
        }
        self.read_entry(best?.1)
    }

    /// Through `chat.html`'s `assetsJson` (pointer → path), read once, on first need.
    fn fetch_mapped(&mut self, pointer: &str, file_id: &str) -> Option<(String, Vec<u8>)> {
        if self.assets_json.is_none() {
            let map = self
                .chat_html
                .and_then(|i| {
                    self.zip
                        .by_index(i)
                        .ok()
                        .and_then(|e| read_assets_json(e).ok())
                })
                .unwrap_or_default();
            self.assets_json = Some(map);
        }
        let map = self.assets_json.as_ref()?;
        let path = map.get(pointer).or_else(|| map.get(file_id))?.clone();
        let i = self.zip.index_for_name(path.trim_start_matches("./"))?;
        self.read_entry(i)
    }

    fn read_entry(&mut self, i: usize) -> Option<(String, Vec<u8>)> {
        let mut entry = self.zip.by_index(i).ok()?;
        // Images and files of a chat are far below this; anything larger is not embedded.
        const MAX_ASSET: u64 = 512 * 1024 * 1024;
        if entry.size() > MAX_ASSET {
            return None;
        }
        let name = entry.name().ok()?.into_owned();
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data).ok()?;
        Some((name, data))
    }
}

/// Reads `var assetsJson = {...}` from `chat.html`: pointer → path in the ZIP (the value is
/// a path, or `{file_path, mime_type}`).
fn read_assets_json<R: Read>(r: R) -> Result<HashMap<String, String>> {
    let mut splitter = ArraySplitter::new();
    // The splitter reads arrays: the object is its first element.
    splitter.push(b"[", |_| {})?;
    let mut object: Option<Vec<u8>> = None;
    pump(r, Some((b"assetsJson", b'{')), |data, _| {
        let pushed = splitter.push(data, |el| {
            if object.is_none() {
                object = Some(el);
            }
        });
        // What follows the object (`;`) is not part of it.
        if object.is_some() {
            return Ok(true);
        }
        pushed.map(|_| false)
    })?;
    let Some(object) = object else {
        return Ok(HashMap::new());
    };
    let raw: HashMap<String, serde_json::Value> =
        serde_json::from_slice(&object).map_err(|e| Error::BadJson {
            at: "chat.html assetsJson".to_owned(),
            detail: e.to_string(),
        })?;
    Ok(raw
        .into_iter()
        .filter_map(|(k, v)| {
            let path = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Object(o) => o.get("file_path")?.as_str()?.to_owned(),
                _ => return None,
            };
            Some((k, path))
        })
        .collect())
}

pub use crate::model::fill_asset;

/// What kind of export file some bytes start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A ZIP archive.
    Zip,
    /// A JSON array (`conversations.json`).
    JsonArray,
    /// One JSON object (one conversation).
    JsonObject,
    /// An HTML page (`chat.html`, a saved page, a share page).
    Html,
}

/// Whether a file's first bytes are a ZIP archive's (the one list of signatures, [`crate::mime`]).
fn is_zip(head: &[u8]) -> bool {
    crate::mime::sniff(head) == Some("application/zip")
}

/// Tells what kind of input a file is from its first bytes.
pub fn sniff(head: &[u8]) -> Result<InputKind> {
    if is_zip(head) {
        return Ok(InputKind::Zip);
    }
    let b = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let k = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    match b.get(k) {
        Some(b'[') => Ok(InputKind::JsonArray),
        Some(b'{') => Ok(InputKind::JsonObject),
        Some(b'<') => Ok(InputKind::Html),
        _ => Err(Error::NotAnExport {
            found: describe_start(head),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_keys() {
        assert_eq!(asset_key("file-9xCjAB-report.pdf"), Some("file-9xCjAB"));
        assert_eq!(
            asset_key("file_00000000e9c8.png"),
            Some("file_00000000e9c8")
        );
        assert_eq!(asset_key("file_00ab-1234-uuid.png"), Some("file_00ab"));
        assert_eq!(asset_key("conversations.json"), None);
    }

    #[test]
    fn assets_json_from_chat_html() {
        let html = b"<script>// assetsJson below\nvar jsonData = [];\nvar assetsJson = {\"sediment://file_1\": \"a/b.png\", \"file-2\": {\"file_path\": \"c.png\", \"mime_type\": \"image/png\"}, \"x\": 3};\n</script>";
        for chunk in [1usize, 7, 4096] {
            let r = ChunkedReader { data: html, chunk };
            let map = read_assets_json(r).unwrap_or_default();
            assert_eq!(
                map.get("sediment://file_1").map(String::as_str),
                Some("a/b.png")
            );
            assert_eq!(map.get("file-2").map(String::as_str), Some("c.png"));
            assert_eq!(map.len(), 2);
        }
    }

    #[test]
    fn chat_html_stream_at_any_chunk_size() {
        let html = br#"<html><script>// jsonData holds it
var jsonData = [{"id":"a","title":"A","mapping":{}}, {"id":"b","title":"B]","mapping":{}}];
function render(jsonData) {}</script></html>"#;
        for chunk in [1usize, 3, 16, 4096] {
            let mut titles = Vec::new();
            let r = read_chat_html(
                ChunkedReader { data: html, chunk },
                &mut Progress::default(),
                &mut |t, _| {
                    titles.push(t.map(|t| t.title).unwrap_or_default());
                    ControlFlow::Continue(())
                },
            );
            assert!(r.is_ok(), "{r:?}");
            assert_eq!(titles, ["A", "B]"], "chunk {chunk}");
        }
    }

    /// Hands out at most `chunk` bytes per read.
    struct ChunkedReader<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for ChunkedReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"PK\x03\x04rest").ok(), Some(InputKind::Zip));
        assert_eq!(sniff(b"PK\x05\x06").ok(), Some(InputKind::Zip));
        assert_eq!(sniff(b"\xEF\xBB\xBF  [").ok(), Some(InputKind::JsonArray));
        assert_eq!(sniff(b"\n{").ok(), Some(InputKind::JsonObject));
        assert_eq!(sniff(b"<!DOCTYPE html>").ok(), Some(InputKind::Html));
        assert!(sniff(b"\x89PNG\r\n").is_err());
    }
}
