//! Opening whatever the user points at: an export ZIP, `conversations.json`, a folder of
//! split files (an unzipped export), `chat.html`, or one conversation's JSON.

use anyhow::{bail, Context, Result};
use chatkeep_core::source::export::{
    self, InputKind, OnConversation, OnElement, Progress, ZipConversations, ZipExport,
};
use chatkeep_core::{source, Origin, Transcript};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

/// An opened input.
pub enum Source {
    /// An export ZIP.
    Zip(Box<ZipExport<BufReader<File>>>),
    /// One or more `conversations*.json` files, in order.
    Json {
        files: Vec<PathBuf>,
        assets: Option<DirAssets>,
        total: u64,
    },
    /// `chat.html`.
    ChatHtml {
        file: PathBuf,
        assets: Option<DirAssets>,
        total: u64,
    },
    /// One conversation object.
    Single {
        file: PathBuf,
        assets: Option<DirAssets>,
        total: u64,
    },
    /// A saved share page (`chatgpt.com/share/<id>`).
    SharePage { file: PathBuf, total: u64 },
}

/// Images and files of an unzipped export, found by file id.
pub struct DirAssets {
    by_id: HashMap<String, Vec<PathBuf>>,
}

impl DirAssets {
    /// Indexes the root of an unzipped export and its `dalle-generations/` and `user-*/` folders.
    fn scan(root: &Path) -> Option<Self> {
        let mut by_id: HashMap<String, Vec<PathBuf>> = HashMap::new();
        let mut dirs = vec![root.to_path_buf()];
        if let Ok(rd) = std::fs::read_dir(root) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if e.path().is_dir() && (name == "dalle-generations" || name.starts_with("user-")) {
                    dirs.push(e.path());
                }
            }
        }
        for d in dirs {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(key) = export::asset_key(&name) {
                    by_id.entry(key.to_owned()).or_default().push(e.path());
                }
            }
        }
        (!by_id.is_empty()).then_some(DirAssets { by_id })
    }

    fn resolve(&self, t: &mut Transcript) {
        t.for_each_asset_mut(|asset| {
            let Some(id) = asset.file_id().map(str::to_owned) else {
                return;
            };
            let key = export::asset_key(&id).unwrap_or(&id).to_owned();
            let Some(path) = self.by_id.get(&key).and_then(|v| v.first()) else {
                return;
            };
            if let Ok(data) = std::fs::read(path) {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                export::fill_asset(asset, &name, &id, data);
            }
        });
    }
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Opens an input, telling what it is from its content rather than its name.
pub fn open(path: &Path) -> Result<Source> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
    if meta.is_dir() {
        let mut split: Vec<PathBuf> = Vec::new();
        let mut single = None;
        let mut html = None;
        for e in std::fs::read_dir(path)
            .with_context(|| format!("cannot read the folder {}", path.display()))?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "conversations.json" {
                single = Some(e.path());
            } else if name.starts_with("conversations-") && name.ends_with(".json") {
                split.push(e.path());
            } else if name == "chat.html" {
                html = Some(e.path());
            }
        }
        split.sort();
        let assets = DirAssets::scan(path);
        if !split.is_empty() || single.is_some() {
            let files = if split.is_empty() {
                single.into_iter().collect()
            } else {
                split
            };
            let total = files.iter().map(|f| file_len(f)).sum();
            return Ok(Source::Json {
                files,
                assets,
                total,
            });
        }
        if let Some(file) = html {
            let total = file_len(&file);
            return Ok(Source::ChatHtml {
                file,
                assets,
                total,
            });
        }
        bail!(
            "the folder {} holds no conversations.json, conversations-NNN.json or chat.html; point at the export ZIP or at the unzipped export's folder",
            path.display()
        );
    }
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let kind = export::sniff(&head[..n])?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let total = meta.len();
    Ok(match kind {
        InputKind::Zip => {
            let open = || -> Result<BufReader<File>> { Ok(BufReader::new(File::open(path)?)) };
            Source::Zip(Box::new(ZipExport::open(open()?, open()?)?))
        }
        InputKind::JsonArray => Source::Json {
            files: vec![path.to_path_buf()],
            assets: DirAssets::scan(dir),
            total,
        },
        InputKind::JsonObject => Source::Single {
            file: path.to_path_buf(),
            assets: DirAssets::scan(dir),
            total,
        },
        InputKind::Html => {
            // chat.html can be as large as the whole export: only smaller pages are searched
            // for what they are; a large one is read as chat.html, streaming.
            let small = total < 64 * 1024 * 1024;
            let is_chat_html = !small
                || std::fs::read(path)
                    .map(|b| memchr::memmem::find(&b, b"jsonData").is_some())
                    .with_context(|| format!("cannot read {}", path.display()))?;
            if is_chat_html {
                Source::ChatHtml {
                    file: path.to_path_buf(),
                    assets: DirAssets::scan(dir),
                    total,
                }
            } else {
                Source::SharePage {
                    file: path.to_path_buf(),
                    total,
                }
            }
        }
    })
}

impl Source {
    /// Bytes of conversation data, for the progress bar.
    pub fn total_bytes(&self) -> Option<u64> {
        match self {
            Source::Zip(z) => Some(z.json_bytes()),
            Source::Json { total, .. }
            | Source::ChatHtml { total, .. }
            | Source::Single { total, .. }
            | Source::SharePage { total, .. } => Some(*total),
        }
    }

    /// Don't load images and files (for listing).
    pub fn skip_assets(&mut self) {
        match self {
            Source::Zip(z) => z.load_assets(false),
            Source::Json { assets, .. }
            | Source::ChatHtml { assets, .. }
            | Source::Single { assets, .. } => *assets = None,
            Source::SharePage { .. } => {}
        }
    }

    /// Streams every conversation to `f`.
    pub fn for_each(self, f: &mut OnConversation<'_>) -> chatkeep_core::Result<()> {
        let total = self.total_bytes();
        match self.split() {
            Split::Many(reader, mut assets) => reader.run(total, &mut |el, p| {
                let r = export::parse_element(el).map(|mut t| {
                    assets(&mut t);
                    t
                });
                f(r, p)
            }),
            Split::One(one) => one.run(total, f),
        }
    }

    /// A source of many conversations as where they are read from and what completes them
    /// with their images and files; or a single conversation.
    fn split(self) -> Split {
        match self {
            Source::Zip(z) => {
                let (conversations, mut assets) = z.into_parts();
                Split::Many(
                    Reader::Zip(conversations),
                    Box::new(move |t| assets.resolve(t)),
                )
            }
            Source::Json { files, assets, .. } => Split::Many(
                Reader::Json(files),
                Box::new(move |t| assets.iter().for_each(|a| a.resolve(t))),
            ),
            Source::ChatHtml { file, assets, .. } => Split::Many(
                Reader::ChatHtml(file),
                Box::new(move |t| assets.iter().for_each(|a| a.resolve(t))),
            ),
            Source::SharePage { file, .. } => Split::One(One::SharePage(file)),
            Source::Single { file, assets, .. } => Split::One(One::Single { file, assets }),
        }
    }
}

/// What [`Source::split`] makes of a source.
enum Split {
    Many(Reader, AssetFiller<'static>),
    One(One),
}

/// A source of one conversation.
enum One {
    /// A saved share page.
    SharePage(PathBuf),
    /// One conversation's JSON.
    Single {
        file: PathBuf,
        assets: Option<DirAssets>,
    },
}

impl One {
    /// Reads the conversation and hands it to `f`.
    fn run(self, total: Option<u64>, f: &mut OnConversation<'_>) -> chatkeep_core::Result<()> {
        let mut progress = Progress {
            bytes_total: total,
            conversations: 1,
            ..Progress::default()
        };
        match self {
            One::SharePage(file) => {
                let bytes = std::fs::read(file.as_path())?;
                progress.bytes_read = bytes.len() as u64;
                let t = source::share::read_share_page(&String::from_utf8_lossy(&bytes))?;
                let _ = f(Ok(t), &progress);
                Ok(())
            }
            One::Single { file, assets } => {
                let text = std::fs::read(file.as_path())?;
                progress.bytes_read = text.len() as u64;
                // Bytes that are not UTF-8 are replaced, as in an export, not refused.
                let (text, lossy) = match String::from_utf8(text) {
                    Ok(t) => (t, false),
                    Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
                };
                let r = source::api::read_with_origin(text, Origin::Api).map(|mut t| {
                    if lossy {
                        t.warnings.push(chatkeep_core::Warning::reader("the file contained bytes that are not UTF-8; they were replaced with \u{FFFD}"));
                    }
                    if let Some(a) = &assets {
                        a.resolve(&mut t);
                    }
                    t
                });
                let _ = f(r, &progress);
                Ok(())
            }
        }
    }
}

/// Completes a transcript with its images and files.
type AssetFiller<'a> = Box<dyn FnMut(&mut Transcript) + 'a>;

/// Where [`Source::for_each_pipelined`] reads conversations from, on its own thread.
enum Reader {
    Zip(ZipConversations<BufReader<File>>),
    Json(Vec<PathBuf>),
    ChatHtml(PathBuf),
}

impl Reader {
    /// Hands every conversation's JSON to `f`, verbatim.
    fn run(self, total: Option<u64>, f: &mut OnElement<'_>) -> chatkeep_core::Result<()> {
        let mut progress = Progress {
            bytes_total: total,
            ..Progress::default()
        };
        match self {
            Reader::Zip(mut z) => z.for_each_json(f),
            Reader::Json(files) => {
                let mut stopped = false;
                for file in files {
                    let r = BufReader::with_capacity(256 * 1024, File::open(file)?);
                    export::read_json_elements(r, &mut progress, &mut |el, p| {
                        let flow = f(el, p);
                        stopped = flow.is_break();
                        flow
                    })?;
                    if stopped {
                        break;
                    }
                }
                Ok(())
            }
            Reader::ChatHtml(file) => {
                let r = BufReader::with_capacity(256 * 1024, File::open(file)?);
                export::read_chat_html_elements(r, &mut progress, f)
            }
        }
    }
}

/// What the in-order step of [`Source::for_each_pipelined`] makes of a conversation.
pub enum Next<W> {
    /// Nothing more to do for it.
    Done,
    /// Hand `W` to a worker thread.
    Work(W),
    /// Stop reading.
    Stop,
}

/// A job for the worker threads of [`Source::for_each_pipelined`].
enum Job<W> {
    /// Parse the conversation at this position of the input (its JSON, checked as UTF-8 on
    /// the reading thread).
    Parse(u64, Result<String, Vec<u8>>, Progress),
    /// The caller's work for one conversation.
    Work(W),
}

/// What the worker threads and the reading thread report to the calling thread.
enum Report<R> {
    Parsed(u64, Box<chatkeep_core::Result<Transcript>>, Progress),
    Worked(R),
    /// The reader handed over this many conversations and stopped.
    Read(u64),
}

impl Source {
    /// Streams every conversation through three stages, using the machine's cores while
    /// keeping the output what a serial loop would make:
    ///
    /// - one thread reads the file (decompresses it and splits it into conversations);
    /// - `threads` worker threads parse them, in any order;
    /// - on the calling thread, `ordered` gets each conversation (with its images and files)
    ///   in the input's order, so that whatever must happen in order (claiming unique file
    ///   names, messages) does, and returns the work to do on it in parallel, if any;
    /// - the workers run `work` on that and `done` gets each result, on the calling thread
    ///   in the order they finish.
    ///
    /// Memory stays bounded whatever the input's size: at most `window` conversations are
    /// between being read and being done.
    pub fn for_each_pipelined<W: Send, R: Send>(
        self,
        threads: usize,
        ordered: &mut dyn FnMut(chatkeep_core::Result<Transcript>, &Progress) -> Next<W>,
        work: &(dyn Fn(W) -> R + Sync),
        done: &mut dyn FnMut(R) -> ControlFlow<()>,
    ) -> chatkeep_core::Result<()> {
        let total = self.total_bytes();
        let (reader, mut assets) = match self.split() {
            Split::Many(reader, assets) => (reader, assets),
            Split::One(one) => {
                return one.run(total, &mut |r, p| match ordered(r, p) {
                    Next::Work(w) => done(work(w)),
                    Next::Done => ControlFlow::Continue(()),
                    Next::Stop => ControlFlow::Break(()),
                });
            }
        };
        let threads = threads.max(1);
        let window = 4 * threads + 4;
        let stop = AtomicBool::new(false);
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job<W>>();
        let jobs_rx = Mutex::new(jobs_rx);
        let (report_tx, report_rx) = mpsc::channel::<Report<R>>();
        std::thread::scope(|scope| {
            // One credit per conversation in flight: the reader takes one before handing a
            // conversation over, and it comes back when that conversation is done.
            let (credit_tx, credit_rx) = mpsc::channel::<()>();
            for _ in 0..window {
                let _ = credit_tx.send(());
            }

            let reader_jobs = jobs_tx.clone();
            let reader_report = report_tx.clone();
            let stop = &stop;
            let producer = scope.spawn(move || {
                let mut seq = 0u64;
                let r = reader.run(total, &mut |el, p| {
                    if credit_rx.recv().is_err() || stop.load(Ordering::Relaxed) {
                        return ControlFlow::Break(());
                    }
                    // The UTF-8 check is done here (non-UTF-8 elements are decoded by the
                    // parser, with a warning).
                    let el = String::from_utf8(el).map_err(|e| e.into_bytes());
                    match reader_jobs.send(Job::Parse(seq, el, *p)) {
                        Ok(()) => {
                            seq += 1;
                            ControlFlow::Continue(())
                        }
                        Err(_) => ControlFlow::Break(()),
                    }
                });
                let _ = reader_report.send(Report::Read(seq));
                r
            });

            let jobs_rx = &jobs_rx;
            for _ in 0..threads {
                let report = report_tx.clone();
                let credit = credit_tx.clone();
                scope.spawn(move || loop {
                    // The lock is held only while waiting for the next job.
                    let job = match jobs_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let sent = match job {
                        Err(_) => return,
                        Ok(Job::Parse(seq, el, p)) => {
                            let r = match el {
                                Ok(text) => export::parse_element_text(text),
                                Err(bytes) => export::parse_element(bytes),
                            };
                            report.send(Report::Parsed(seq, Box::new(r), p))
                        }
                        Ok(Job::Work(w)) => {
                            let r = work(w);
                            let _ = credit.send(());
                            report.send(Report::Worked(r))
                        }
                    };
                    if sent.is_err() {
                        return;
                    }
                });
            }
            drop(report_tx);

            // Conversations parsed ahead of their turn, by position.
            let mut waiting: BTreeMap<u64, (Box<chatkeep_core::Result<Transcript>>, Progress)> =
                BTreeMap::new();
            let (mut next, mut read, mut working) = (0u64, None::<u64>, 0usize);
            let mut stopped = false;
            let halt = |stopped: &mut bool| {
                *stopped = true;
                stop.store(true, Ordering::Relaxed);
                // Wakes the reader if it waits for a credit.
                let _ = credit_tx.send(());
            };
            while read != Some(next) || working > 0 {
                if stopped && working == 0 {
                    break;
                }
                let Ok(report) = report_rx.recv() else { break };
                match report {
                    Report::Read(n) => read = Some(n),
                    Report::Worked(r) => {
                        working -= 1;
                        if done(r).is_break() && !stopped {
                            halt(&mut stopped);
                        }
                    }
                    Report::Parsed(seq, r, p) => {
                        waiting.insert(seq, (r, p));
                        while let Some((r, p)) = waiting.remove(&next) {
                            next += 1;
                            if stopped {
                                continue;
                            }
                            let r = (*r).map(|mut t| {
                                assets(&mut t);
                                t
                            });
                            match ordered(r, &p) {
                                Next::Work(w) => {
                                    working += 1;
                                    // The credit comes back when the work is done.
                                    if jobs_tx.send(Job::Work(w)).is_err() {
                                        working -= 1;
                                    }
                                    continue;
                                }
                                Next::Done => {}
                                Next::Stop => halt(&mut stopped),
                            }
                            let _ = credit_tx.send(());
                        }
                    }
                }
            }
            // No more jobs: the workers end, and the reader's next send fails.
            drop(jobs_tx);
            drop(report_rx);
            producer.join().unwrap_or_else(|_| {
                Err(chatkeep_core::Error::Io(std::io::Error::other(
                    "the thread reading the file stopped unexpectedly",
                )))
            })
        })
    }
}
