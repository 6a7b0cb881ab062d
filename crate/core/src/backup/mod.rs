//! Backing up a whole ChatGPT account through its internal API, as a pure state machine.
//!
//! The backup decides everything — which list page or conversation or file to ask for
//! next, when to wait, what to keep, what failed — and the caller (the extension's
//! background) only performs the requests it is handed and keeps the bytes it is told to
//! keep. Time comes from the caller, so tests drive it with a simulated clock.
//!
//! ```
//! use chatkeep_core::backup::{Backup, BackupOptions, Response, Step};
//! let mut b = Backup::new(BackupOptions::default());
//! b.start(0.0);
//! let Step::Request(r) = b.next(0.0) else { panic!() };
//! assert!(r.url.starts_with("/backend-api/conversations?offset=0"));
//! let out = b.record(0.0, r.seq, Response::ok(br#"{"items":[]}"#)).unwrap();
//! # let _ = out;
//! ```
//!
//! A run goes through three phases: **listing** (the ordinary, archived and project lists,
//! merged by id), **fetching** (each conversation that is new, changed since the last run,
//! or failed before, newest first, each followed by its files), and **checking** (the first
//! page of every list once more, for chats that changed during the run). The state
//! serialises to JSON ([`Backup::to_json`]), so a run survives the caller being stopped and
//! carries on where it was. The caller need not save it after every step: on resuming, it
//! hands back with [`Backup::seed`] and [`Backup::seed_file`] what it kept since the state
//! it saved, and those are not fetched again.

mod layout;
pub mod lists;
mod throttle;

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use layout::{Layout, LayoutFile, LayoutPart, PART_BYTES};
pub use lists::{ListPage, Listed, Place, Project};
pub use throttle::WaitReason;
use throttle::{retry_after_ms, Throttle, Timing};

use crate::error::{Error, Result};
use crate::source;

/// How a backup runs. Unknown keys are refused, so a misspelt option is an error, not a
/// silent default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupOptions {
    /// The polite gap between two requests, in milliseconds (default 1,000).
    pub gap_ms: f64,
    /// The first wait after a 429 that carries no `Retry-After` (default 60 s; doubles).
    pub backoff_ms: f64,
    /// The longest such wait (default 5 minutes).
    pub backoff_cap_ms: f64,
    /// Tries of one request that fails for a passing reason (5xx, network, cut or
    /// malformed body) before it is listed as failed (default 4).
    pub max_attempts: u32,
    /// Fetch the images and files the conversations show (default true).
    pub files: bool,
    /// Whether the caller downloads the backup ZIP when the run ends (default true). The
    /// state machine does not use it; it is here so every option is checked in one place.
    pub download: bool,
    /// Add a readable copy of every conversation to the ZIP, in the formats of the user's
    /// settings, with an index, under [`layout::READABLE`] (default false). Written by the
    /// caller, named in the layout and the manifest.
    pub readable: bool,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions {
            gap_ms: 1000.0,
            backoff_ms: 60_000.0,
            backoff_cap_ms: 300_000.0,
            max_attempts: 4,
            files: true,
            download: true,
            readable: false,
        }
    }
}

impl BackupOptions {
    /// Reads options from JSON (`{}` or `null`: the defaults).
    ///
    /// # Errors
    ///
    /// [`Error::Options`] naming the key or value that is wrong.
    pub fn from_json(json: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(json).map_err(|e| Error::Options {
            detail: format!("the backup options are not JSON ({e})"),
        })?;
        if v.is_null() {
            return Ok(Self::default());
        }
        let o: BackupOptions = serde_json::from_value(v).map_err(|e| Error::Options {
            detail: format!("backup options: {e}"),
        })?;
        if !(o.gap_ms >= 0.0 && o.backoff_ms >= 0.0 && o.backoff_cap_ms >= o.backoff_ms) {
            return Err(Error::Options {
                detail: "backup options: gapMs and backoffMs must be 0 or more, and backoffCapMs at least backoffMs".into(),
            });
        }
        if o.max_attempts == 0 {
            return Err(Error::Options {
                detail: "backup options: maxAttempts must be at least 1".into(),
            });
        }
        Ok(o)
    }

    fn timing(&self) -> Timing {
        Timing {
            gap_ms: self.gap_ms,
            backoff_start_ms: self.backoff_ms,
            backoff_cap_ms: self.backoff_cap_ms,
        }
    }
}

/// One unit of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
enum Job {
    /// A page of a list; `check`: a re-read of the first page at the end of a run.
    List { page: ListPage, check: bool },
    /// A conversation.
    Conversation { id: String },
    /// The download link of a file.
    FileMeta { id: String, conversation: String },
    /// A file's bytes; `auth`: with the bearer token (after the link refused us without).
    FileContent {
        id: String,
        conversation: String,
        url: String,
        name: Option<String>,
        mime: Option<String>,
        auth: bool,
    },
}

/// A conversation kept in the backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    /// Its title.
    pub title: String,
    /// When it was created, epoch seconds.
    pub create_time: Option<f64>,
    /// The newest update time known for what is kept (the list's or the conversation's).
    pub update_time: f64,
    /// Where it was last listed.
    pub place: Place,
    /// Its size, in bytes.
    pub bytes: u64,
    /// Whether the last complete listing still had it.
    pub listed: bool,
}

/// Something that could not be backed up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// `conversation`, `file` or `list`.
    pub what: String,
    /// The conversation, file or list.
    pub id: String,
    /// The conversation's title (for a file: its conversation's).
    pub title: String,
    /// Why, as a sentence.
    pub reason: String,
}

/// The phase of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No run started yet.
    Idle,
    /// Reading the lists.
    Listing,
    /// Fetching conversations and files.
    Fetching,
    /// Reading the first page of each list again.
    Checking,
    /// The run has ended.
    Done,
}

/// Counters of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// When the run started (caller's clock, ms).
    pub started: f64,
    /// When it ended, once it has.
    pub finished: Option<f64>,
    /// Requests made.
    pub requests: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Conversations to fetch in this run (grows if the check finds more).
    pub to_fetch: u64,
    /// Conversations fetched.
    pub fetched: u64,
    /// Listed conversations that were already up to date.
    pub up_to_date: u64,
    /// Conversations that failed in this run.
    pub failed: u64,
    /// Files fetched.
    pub files: u64,
    /// Files that failed.
    pub files_failed: u64,
    /// Bytes kept (conversations and files).
    pub bytes: u64,
    /// Whether the run was stopped before its end (cancelled).
    #[serde(default)]
    pub stopped: bool,
    /// When each of the last few conversations was done (for the estimate).
    recent: VecDeque<f64>,
}

/// What the backup holds, in totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Conversations kept.
    pub conversations: usize,
    /// Of those, by place.
    pub ordinary: u64,
    /// Archived.
    pub archived: u64,
    /// In projects.
    pub project: u64,
    /// Kept although ChatGPT no longer lists them (deleted there).
    pub no_longer_listed: usize,
    /// Files kept.
    pub files: usize,
    /// Bytes of conversation JSON kept.
    pub conversation_bytes: u64,
    /// When the last run started and ended (caller's clock), if one ran.
    pub started: Option<f64>,
    /// When it ended.
    pub finished: Option<f64>,
    /// Whether it was stopped before its end.
    pub stopped: bool,
}

/// The whole state: everything needed to carry on after a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    version: u32,
    options: BackupOptions,
    phase: Phase,
    /// Work to do, in order; the head is the request in flight.
    jobs: VecDeque<Job>,
    /// Tries of the head job so far (failures that count, and refusals of the token).
    attempts: u32,
    auth_tries: u32,
    /// The sequence number of the request handed out last.
    seq: u64,
    throttle: Throttle,
    /// This run's listing, by id.
    listed: BTreeMap<String, Listed>,
    projects: BTreeMap<String, String>,
    /// Lists that could not be read completely in this run.
    lists_incomplete: bool,
    /// What the backup holds.
    kept: BTreeMap<String, Kept>,
    /// Files kept: file id → entry name in the ZIP.
    files: BTreeMap<String, String>,
    /// Files to fetch in the next run although their conversations are not fetched again
    /// (a seed lacked them, or they failed): file id → conversation id.
    #[serde(default)]
    pending_files: BTreeMap<String, String>,
    /// What failed in the last run, by id.
    failures: BTreeMap<String, Failure>,
    run: RunStats,
}

/// A request for the caller to make.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Identifies the request; give it back to [`Backup::record`].
    pub seq: u64,
    /// A path on the ChatGPT origin (`/backend-api/…`), or an absolute `https:` URL.
    pub url: String,
    /// Whether to send the `Authorization: Bearer` header (never for another origin).
    pub auth: bool,
    /// `list`, `conversation` or `file`.
    pub what: &'static str,
    /// The conversation this is about, when it is one.
    pub title: Option<String>,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum Step {
    /// Make this request, then call [`Backup::record`].
    Request(Request),
    /// Call [`Backup::next`] again at `until` (caller's clock, ms).
    #[serde(rename_all = "camelCase")]
    Wait {
        /// When.
        until: f64,
        /// Why.
        reason: WaitReason,
    },
    /// The run has ended.
    Done,
}

/// An HTTP answer (or the lack of one), as the caller saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response<'a> {
    /// The status; 0 when there was no answer (network error, time-out, cut body).
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
    /// With status 0: what went wrong.
    pub error: Option<&'a str>,
}

impl<'a> Response<'a> {
    /// A 200 answer with this body.
    pub fn ok(body: &'a [u8]) -> Self {
        Response {
            status: 200,
            retry_after: None,
            body,
            error: None,
        }
    }
}

/// What the caller must do with a response it has recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "keep", rename_all = "camelCase")]
pub enum Outcome {
    /// Nothing to keep (a list page, a wait, a failure already recorded).
    Nothing,
    /// Keep the body as conversation `id` (replacing an older copy).
    #[serde(rename_all = "camelCase")]
    Conversation {
        /// The conversation id.
        id: String,
        /// Its title.
        title: String,
    },
    /// Keep the body as file `id`, to be written as `entry` in the ZIP.
    #[serde(rename_all = "camelCase")]
    File {
        /// The file id.
        id: String,
        /// Its name in the backup ZIP.
        entry: String,
        /// Its MIME type, when known.
        mime: Option<String>,
    },
    /// ChatGPT refused the token: get a fresh one (or wait for the user to log in), then
    /// call [`Backup::next`] again; the same request is handed out again.
    SignIn,
}

/// How far a run is, for the progress display.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The phase.
    pub phase: Phase,
    /// Conversations listed so far in this run, by place.
    pub listed: PlaceCounts,
    /// Projects listed.
    pub projects: usize,
    /// Conversations to fetch in this run.
    pub total: u64,
    /// Of those, done (fetched or failed).
    pub done: u64,
    /// Counters of the run.
    pub fetched: u64,
    /// Already up to date.
    pub up_to_date: u64,
    /// Failed in this run.
    pub failed: u64,
    /// Files fetched, and failed.
    pub files: u64,
    /// Files that failed.
    pub files_failed: u64,
    /// Bytes kept in this run.
    pub bytes: u64,
    /// Requests made, and how many ChatGPT limited.
    pub requests: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// The conversation being fetched.
    pub current: Option<String>,
    /// When the next request may go, and why (absent when one may go now).
    pub wait_until: Option<f64>,
    /// Why the wait.
    pub wait_reason: Option<WaitReason>,
    /// Time left, from the pace of the last conversations (absent until it can be told).
    pub eta_ms: Option<f64>,
    /// Conversations in the backup.
    pub kept: usize,
}

/// Counts by place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlaceCounts {
    /// Ordinary chats.
    pub ordinary: u64,
    /// Archived chats.
    pub archived: u64,
    /// Chats in projects.
    pub project: u64,
}

impl PlaceCounts {
    fn add(&mut self, p: &Place) {
        match p {
            Place::Ordinary => self.ordinary += 1,
            Place::Archived => self.archived += 1,
            Place::Project { .. } => self.project += 1,
        }
    }
}

/// Differences under this many seconds between update times are the same time (lists
/// give microseconds as text, conversations as floating-point seconds).
const SAME_TIME: f64 = 0.001;
/// How many recent conversations the estimate looks at.
const RECENT: usize = 20;
/// The state's format version.
const VERSION: u32 = 1;

/// A backup of one account: the state machine. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Backup {
    s: State,
}

impl Backup {
    /// An empty backup.
    pub fn new(options: BackupOptions) -> Self {
        let throttle = Throttle::new(&options.timing());
        Backup {
            s: State {
                version: VERSION,
                options,
                phase: Phase::Idle,
                jobs: VecDeque::new(),
                attempts: 0,
                auth_tries: 0,
                seq: 0,
                throttle,
                listed: BTreeMap::new(),
                projects: BTreeMap::new(),
                lists_incomplete: false,
                kept: BTreeMap::new(),
                files: BTreeMap::new(),
                pending_files: BTreeMap::new(),
                failures: BTreeMap::new(),
                run: RunStats::default(),
            },
        }
    }

    /// A backup saved with [`Backup::to_json`].
    ///
    /// # Errors
    ///
    /// [`Error::BadJson`] when `json` is not a saved backup state.
    pub fn from_json(json: &str) -> Result<Self> {
        let s: State = serde_json::from_str(json).map_err(|e| Error::BadJson {
            at: "the saved backup state".into(),
            detail: e.to_string(),
        })?;
        if s.version != VERSION {
            return Err(Error::BadJson {
                at: "the saved backup state".into(),
                detail: format!("version {} is not {VERSION}", s.version),
            });
        }
        Ok(Backup { s })
    }

    /// The whole state as JSON, to keep between steps.
    pub fn to_json(&self) -> String {
        // Plain data (strings, numbers, maps with string keys): serialising cannot fail.
        serde_json::to_string(&self.s).unwrap_or_default()
    }

    /// The options.
    pub fn options(&self) -> &BackupOptions {
        &self.s.options
    }

    /// Replaces the options (for the next requests; the throttle keeps its state).
    pub fn set_options(&mut self, options: BackupOptions) {
        self.s.options = options;
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.s.phase
    }

    /// Whether a run is under way (started and not done).
    pub fn running(&self) -> bool {
        matches!(
            self.s.phase,
            Phase::Listing | Phase::Fetching | Phase::Checking
        )
    }

    /// Starts a run at `now`: the lists are read again, then what is new or changed since
    /// the backup was last updated, and what failed, is fetched. What the backup holds is
    /// kept. A run already under way is left as it is.
    pub fn start(&mut self, now: f64) {
        if self.running() {
            return;
        }
        let s = &mut self.s;
        s.phase = Phase::Listing;
        s.jobs = [
            ListPage::Ordinary { offset: 0 },
            ListPage::Archived { offset: 0 },
            ListPage::Projects { cursor: None },
        ]
        .into_iter()
        .map(|page| Job::List { page, check: false })
        .collect();
        s.attempts = 0;
        s.auth_tries = 0;
        s.listed.clear();
        s.projects.clear();
        s.lists_incomplete = false;
        s.throttle = Throttle::new(&s.options.timing());
        s.run = RunStats {
            started: now,
            ..RunStats::default()
        };
        // Failures of the last run are tried again if they are listed again.
        s.failures.clear();
    }

    /// Stops the run where it is (cancel): what was fetched is kept.
    pub fn stop(&mut self, now: f64) {
        if self.running() {
            self.s.jobs.clear();
            self.s.phase = Phase::Done;
            self.s.run.finished = Some(now);
            self.s.run.stopped = true;
            self.s.lists_incomplete = true;
        }
    }

    /// What the backup holds, in totals.
    pub fn totals(&self) -> Totals {
        let mut by = PlaceCounts::default();
        for k in self.s.kept.values() {
            by.add(&k.place);
        }
        let ran = self.s.phase != Phase::Idle;
        Totals {
            conversations: self.s.kept.len(),
            ordinary: by.ordinary,
            archived: by.archived,
            project: by.project,
            no_longer_listed: self.s.kept.values().filter(|k| !k.listed).count(),
            files: self.s.files.len(),
            conversation_bytes: self.s.kept.values().map(|k| k.bytes).sum(),
            started: ran.then_some(self.s.run.started),
            finished: self.s.run.finished,
            stopped: self.s.run.stopped,
        }
    }

    /// What to do next at `now`.
    pub fn next(&mut self, now: f64) -> Step {
        loop {
            if !self.running() {
                return Step::Done;
            }
            let Some(job) = self.s.jobs.front() else {
                self.advance_phase(now);
                continue;
            };
            // A file kept meanwhile (queued twice), or files switched off: nothing to ask.
            if let Job::FileMeta { id, .. } | Job::FileContent { id, .. } = job {
                if !self.s.options.files || self.s.files.contains_key(id) {
                    self.pop();
                    continue;
                }
            }
            // A conversation already kept as the list shows it was fetched in this run
            // after the state was last saved, and handed back with `seed` on resuming:
            // done, and its files follow.
            if let Job::Conversation { id } = job {
                let id = id.clone();
                if self.up_to_date(&id) {
                    self.pop();
                    self.done_one(now);
                    let files: Vec<Job> = self
                        .s
                        .pending_files
                        .iter()
                        .filter(|(_, c)| **c == id)
                        .map(|(f, c)| Job::FileMeta {
                            id: f.clone(),
                            conversation: c.clone(),
                        })
                        .collect();
                    for j in files.into_iter().rev() {
                        self.s.jobs.push_front(j);
                    }
                    continue;
                }
            }
            if now < self.s.throttle.not_before {
                return Step::Wait {
                    until: self.s.throttle.not_before,
                    reason: self.s.throttle.reason,
                };
            }
            let (url, auth, what, title) = match job {
                Job::List { page, .. } => (page.url(), true, "list", None),
                Job::Conversation { id } => (
                    format!("/backend-api/conversation/{}", lists::encode(id)),
                    true,
                    "conversation",
                    Some(self.title_of(id)),
                ),
                Job::FileMeta { id, conversation } => (
                    format!(
                        "/backend-api/files/download/{}?inline=false",
                        lists::encode(id)
                    ),
                    true,
                    "file",
                    Some(self.title_of(conversation)),
                ),
                Job::FileContent {
                    url,
                    auth,
                    conversation,
                    ..
                } => (
                    url.clone(),
                    *auth,
                    "file",
                    Some(self.title_of(conversation)),
                ),
            };
            self.s.seq += 1;
            return Step::Request(Request {
                seq: self.s.seq,
                // Never the token to another origin, whatever the job says.
                auth: auth && same_origin(&url),
                url,
                what,
                title,
            });
        }
    }

    /// Records the answer to request `seq` at `now`, and says what to keep.
    ///
    /// # Errors
    ///
    /// [`Error::Options`] when `seq` is not the request handed out last (an answer that
    /// arrived after the run moved on); the state is unchanged.
    pub fn record(&mut self, now: f64, seq: u64, r: Response<'_>) -> Result<Outcome> {
        if seq != self.s.seq || !self.running() {
            return Err(Error::Options {
                detail: format!("request {seq} is not the one the backup is waiting for"),
            });
        }
        let Some(job) = self.s.jobs.front().cloned() else {
            return Err(Error::Options {
                detail: "the backup is not waiting for a request".into(),
            });
        };
        self.s.run.requests += 1;
        let timing = self.s.options.timing();
        // Limited: wait as told; the same request goes again and the try does not count.
        if r.status == 429 || (r.status == 503 && r.retry_after.is_some()) {
            if r.status == 429 {
                self.s.run.rate_limited += 1;
            }
            let after = r.retry_after.and_then(|v| retry_after_ms(v, now));
            self.s.throttle.limited(now, after, &timing);
            return Ok(Outcome::Nothing);
        }
        // The token was refused: a file link may want it; elsewhere it has expired or the
        // user logged out.
        if r.status == 401 || r.status == 403 {
            if let Job::FileContent {
                auth: false,
                ref url,
                ..
            } = job
            {
                // The token goes to ChatGPT's own origin only: a link elsewhere that
                // refuses us without it has failed.
                if !same_origin(url) {
                    let reason = format!("the download link refused access (HTTP {})", r.status);
                    return Ok(self.fail(now, &job, reason, false));
                }
                if let Some(Job::FileContent { auth, .. }) = self.s.jobs.front_mut() {
                    *auth = true;
                }
                self.s.throttle.success(now, &timing);
                return Ok(Outcome::Nothing);
            }
            self.s.auth_tries += 1;
            // Not straight back: a token refused again and again must not hammer ChatGPT.
            self.s.throttle.failed(now, self.s.auth_tries, &timing);
            if self.s.auth_tries < 3 {
                return Ok(Outcome::SignIn);
            }
            let reason = format!(
                "ChatGPT refused access (HTTP {}) even with a fresh sign-in",
                r.status
            );
            return Ok(self.fail(now, &job, reason, false));
        }
        let outcome = match r.status {
            200..=299 => self.answered(now, &job, r.body),
            404 | 410 => Err(Permanent(match job {
                Job::Conversation { .. } => {
                    "ChatGPT no longer has it (deleted, or out of this account's reach)".into()
                }
                _ => format!("ChatGPT answered HTTP {} (not found)", r.status),
            })),
            0 => Err(Passing(format!(
                "no answer from ChatGPT ({})",
                r.error.unwrap_or("network error")
            ))),
            s if s >= 500 || s == 408 => Err(Passing(format!("ChatGPT answered HTTP {s}"))),
            s => Err(Permanent(format!("ChatGPT answered HTTP {s}"))),
        };
        match outcome {
            Ok(o) => {
                self.s.throttle.success(now, &timing);
                Ok(o)
            }
            Err(Passing(reason)) => {
                self.s.attempts += 1;
                if self.s.attempts >= self.s.options.max_attempts {
                    let reason = format!("{reason}, {} times", self.s.attempts);
                    return Ok(self.fail(now, &job, reason, false));
                }
                self.s.throttle.failed(now, self.s.attempts, &timing);
                Ok(Outcome::Nothing)
            }
            Err(Permanent(reason)) => {
                self.s.throttle.success(now, &timing);
                Ok(self.fail(now, &job, reason, true))
            }
        }
    }

    /// A 2xx answer to `job`.
    fn answered(&mut self, now: f64, job: &Job, body: &[u8]) -> Result<Outcome, Failed> {
        match job {
            Job::List { page, check } => {
                let p = lists::parse(page, body).map_err(Passing)?;
                self.pop();
                self.listed_page(page, p, *check);
                Ok(Outcome::Nothing)
            }
            Job::Conversation { id } => {
                let head = conversation_head(body).map_err(Passing)?;
                let files = if self.s.options.files {
                    conversation_files(body)
                } else {
                    Vec::new()
                };
                self.pop();
                let listed = self.s.listed.get(id);
                let place = listed.map_or_else(|| head.place(), |l| l.place.clone());
                let update_time = head
                    .update_time
                    .into_iter()
                    .chain(listed.and_then(|l| l.update_time))
                    .fold(0.0, f64::max);
                let title = head
                    .title
                    .clone()
                    .or_else(|| listed.map(|l| l.title.clone()))
                    .unwrap_or_default();
                self.s.kept.insert(
                    id.clone(),
                    Kept {
                        title: title.clone(),
                        create_time: head.create_time,
                        update_time,
                        place,
                        bytes: body.len() as u64,
                        listed: true,
                    },
                );
                self.s.failures.remove(id);
                self.s.run.bytes += body.len() as u64;
                self.done_one(now);
                // Its files next, before the next conversation, skipping those kept.
                for f in files.into_iter().rev() {
                    if !self.s.files.contains_key(&f) {
                        self.s.jobs.push_front(Job::FileMeta {
                            id: f,
                            conversation: id.clone(),
                        });
                    }
                }
                Ok(Outcome::Conversation {
                    id: id.clone(),
                    title,
                })
            }
            Job::FileMeta { id, conversation } => {
                let v: Value = serde_json::from_slice(body)
                    .map_err(|e| Passing(format!("the file's details are not JSON ({e})")))?;
                if v.get("status").and_then(Value::as_str) != Some("success") {
                    let code = v
                        .get("error_code")
                        .and_then(Value::as_str)
                        .unwrap_or("no download link");
                    return Err(Permanent(format!(
                        "ChatGPT has no copy of this file ({code})"
                    )));
                }
                let url = v
                    .get("download_url")
                    .and_then(Value::as_str)
                    .and_then(download_url)
                    .ok_or_else(|| Permanent("ChatGPT gave no usable download link".into()))?;
                let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
                let next = Job::FileContent {
                    id: id.clone(),
                    conversation: conversation.clone(),
                    auth: false,
                    url,
                    name: text("file_name"),
                    mime: text("mime_type"),
                };
                self.pop();
                self.s.jobs.push_front(next);
                Ok(Outcome::Nothing)
            }
            Job::FileContent { id, name, mime, .. } => {
                if body.is_empty() {
                    return Err(Passing("the file came back empty".into()));
                }
                self.pop();
                let entry = layout::file_entry(id, name.as_deref(), mime.as_deref());
                self.s.files.insert(id.clone(), entry.clone());
                self.s.pending_files.remove(id);
                self.s.run.files += 1;
                self.s.run.bytes += body.len() as u64;
                Ok(Outcome::File {
                    id: id.clone(),
                    entry,
                    mime: mime.clone(),
                })
            }
        }
    }

    /// Takes in a list page: its conversations and projects, and the next page.
    fn listed_page(&mut self, page: &ListPage, p: lists::Page, check: bool) {
        for project in p.projects {
            if self
                .s
                .projects
                .insert(project.id.clone(), project.name)
                .is_none()
            {
                self.s.jobs.push_back(Job::List {
                    page: ListPage::Project {
                        gizmo: project.id,
                        cursor: None,
                    },
                    check: false,
                });
            }
        }
        let mut new = 0;
        for c in p.conversations {
            if !self.s.listed.contains_key(&c.id) {
                new += 1;
            }
            let merged = match self.s.listed.get(&c.id) {
                // Seen in two lists (moved during the run): the newest word wins.
                Some(old) if old.update_time > c.update_time => Listed {
                    place: c.place.clone(),
                    ..old.clone()
                },
                _ => c,
            };
            // The check looks for changes only: what failed in this run waits for the next.
            if check
                && !self.s.failures.contains_key(&merged.id)
                && self.changed(&merged)
                && !self.queued(&merged.id)
            {
                self.s.jobs.push_back(Job::Conversation {
                    id: merged.id.clone(),
                });
                self.s.run.to_fetch += 1;
            }
            self.s.listed.insert(merged.id.clone(), merged);
        }
        // A page that brings nothing new (a server that ignores the offset, or hands back
        // the same cursor) ends its list, so paging always ends.
        let same_cursor = match (page, &p.next) {
            (
                ListPage::Projects { cursor: a } | ListPage::Project { cursor: a, .. },
                Some(ListPage::Projects { cursor: b } | ListPage::Project { cursor: b, .. }),
            ) => a == b,
            _ => false,
        };
        let first = page == &page.first();
        let stalled =
            same_cursor || (!first && new == 0 && !matches!(page, ListPage::Projects { .. }));
        if !check && !stalled {
            if let Some(next) = p.next {
                // Lists are read before anything is fetched: a list's next page goes
                // before the first project's conversations, in list order.
                let at = self
                    .s
                    .jobs
                    .iter()
                    .position(|j| !matches!(j, Job::List { .. }))
                    .unwrap_or(self.s.jobs.len());
                self.s.jobs.insert(at, Job::List { page: next, check });
            }
        }
    }

    /// Whether a listed conversation is to be fetched: new, changed, or failed before.
    fn needs_fetch(&self, l: &Listed) -> bool {
        self.s.failures.contains_key(&l.id) || self.changed(l)
    }

    /// Whether the copy kept of a conversation is as new as its listing says (false when
    /// none is kept, or it was not listed in this run).
    fn up_to_date(&self, id: &str) -> bool {
        self.s.kept.contains_key(id) && self.s.listed.get(id).is_some_and(|l| !self.changed(l))
    }

    /// Counts one conversation fetched in this run (for progress and the estimate).
    fn done_one(&mut self, now: f64) {
        let run = &mut self.s.run;
        run.fetched += 1;
        run.recent.push_back(now);
        if run.recent.len() > RECENT {
            run.recent.pop_front();
        }
    }

    /// Whether the backup holds conversation `id`.
    pub fn has_conversation(&self, id: &str) -> bool {
        self.s.kept.contains_key(id)
    }

    /// Whether the backup holds file `id`.
    pub fn has_file(&self, id: &str) -> bool {
        self.s.files.contains_key(id)
    }

    /// Whether a listed conversation is newer than the copy kept (or has none).
    fn changed(&self, l: &Listed) -> bool {
        match (self.s.kept.get(&l.id), l.update_time) {
            (None, _) => true,
            (Some(k), Some(t)) => t > k.update_time + SAME_TIME,
            (Some(_), None) => false,
        }
    }

    fn queued(&self, id: &str) -> bool {
        self.s
            .jobs
            .iter()
            .any(|j| matches!(j, Job::Conversation { id: i } if i == id))
    }

    /// The jobs of a phase are done: on to the next phase.
    fn advance_phase(&mut self, now: f64) {
        match self.s.phase {
            Phase::Listing => {
                // Newest first: what changed last is worth most if the run is cut short.
                let mut todo: Vec<&Listed> = self.s.listed.values().collect();
                crate::sort::sort_by(&mut todo, |a, b| {
                    b.update_time
                        .unwrap_or(0.0)
                        .total_cmp(&a.update_time.unwrap_or(0.0))
                        .then_with(|| a.id.cmp(&b.id))
                });
                let mut fetch = Vec::new();
                for l in todo {
                    if self.needs_fetch(l) {
                        fetch.push(l.id.clone());
                    }
                }
                let s = &mut self.s;
                s.run.up_to_date = (s.listed.len() - fetch.len()) as u64;
                s.run.to_fetch = fetch.len() as u64;
                s.jobs = fetch
                    .into_iter()
                    .map(|id| Job::Conversation { id })
                    .collect();
                // Files a seed lacked, for conversations kept from it.
                let pending: Vec<Job> = s
                    .pending_files
                    .iter()
                    .filter(|(f, _)| !s.files.contains_key(*f))
                    .map(|(id, conversation)| Job::FileMeta {
                        id: id.clone(),
                        conversation: conversation.clone(),
                    })
                    .collect();
                s.jobs.extend(pending);
                for (id, k) in s.kept.iter_mut() {
                    match s.listed.get(id) {
                        // Moved or renamed without a newer update time: the list is right.
                        Some(l) => {
                            k.place = l.place.clone();
                            if !l.title.is_empty() {
                                k.title = l.title.clone();
                            }
                            k.listed = true;
                        }
                        None if !s.lists_incomplete => k.listed = false,
                        None => {}
                    }
                }
                s.phase = Phase::Fetching;
            }
            Phase::Fetching => {
                let s = &mut self.s;
                let mut pages = vec![
                    ListPage::Ordinary { offset: 0 },
                    ListPage::Archived { offset: 0 },
                ];
                pages.extend(s.projects.keys().map(|g| ListPage::Project {
                    gizmo: g.clone(),
                    cursor: None,
                }));
                s.jobs = pages
                    .into_iter()
                    .map(|page| Job::List { page, check: true })
                    .collect();
                s.phase = Phase::Checking;
            }
            Phase::Checking => {
                let s = &mut self.s;
                if s.jobs.is_empty() {
                    s.phase = Phase::Done;
                    s.run.finished = Some(now);
                }
            }
            Phase::Idle | Phase::Done => {}
        }
    }

    /// Drops the head job (done or failed) and resets its tries.
    fn pop(&mut self) {
        self.s.jobs.pop_front();
        self.s.attempts = 0;
        self.s.auth_tries = 0;
    }

    /// Gives up on the head job: it is recorded with `reason`, and the run goes on. A file
    /// is tried again in the next run unless `for_good` (ChatGPT has no copy of it).
    fn fail(&mut self, now: f64, job: &Job, reason: String, for_good: bool) -> Outcome {
        self.pop();
        let (what, id, title) = match job {
            Job::List { page, .. } => {
                self.s.lists_incomplete = true;
                ("list", page.url(), page.describe())
            }
            Job::Conversation { id } => {
                self.s.run.failed += 1;
                self.s.run.recent.push_back(now);
                if self.s.run.recent.len() > RECENT {
                    self.s.run.recent.pop_front();
                }
                ("conversation", id.clone(), self.title_of(id))
            }
            Job::FileMeta { id, conversation }
            | Job::FileContent {
                id, conversation, ..
            } => {
                self.s.run.files_failed += 1;
                // Tried again in the next run, even if its conversation has not changed.
                if !for_good {
                    self.s
                        .pending_files
                        .insert(id.clone(), conversation.clone());
                }
                ("file", id.clone(), self.title_of(conversation))
            }
        };
        self.s.failures.insert(
            id.clone(),
            Failure {
                what: what.into(),
                id,
                title,
                reason,
            },
        );
        Outcome::Nothing
    }

    fn title_of(&self, id: &str) -> String {
        self.s
            .listed
            .get(id)
            .map(|l| l.title.clone())
            .or_else(|| self.s.kept.get(id).map(|k| k.title.clone()))
            .unwrap_or_default()
    }

    /// How far the run is at `now`.
    pub fn progress(&self, now: f64) -> Progress {
        let s = &self.s;
        let mut listed = PlaceCounts::default();
        for l in s.listed.values() {
            listed.add(&l.place);
        }
        let done = s.run.fetched + s.run.failed;
        let left = s.run.to_fetch.saturating_sub(done);
        let eta_ms = (s.run.recent.len() >= 3 && s.phase == Phase::Fetching).then(|| {
            let (first, last) = (s.run.recent[0], s.run.recent[s.run.recent.len() - 1]);
            let per = (last - first) / (s.run.recent.len() - 1) as f64;
            // Time since the last one counts too, so a long wait shows in the estimate.
            (per * left as f64)
                .max(per * left as f64 + (now - last) - per)
                .max(0.0)
        });
        let current = match s.jobs.front() {
            Some(Job::Conversation { id }) => Some(self.title_of(id)),
            Some(Job::FileMeta { conversation, .. } | Job::FileContent { conversation, .. }) => {
                Some(self.title_of(conversation))
            }
            _ => None,
        };
        let waiting = self.running() && now < s.throttle.not_before;
        Progress {
            phase: s.phase,
            listed,
            projects: s.projects.len(),
            total: s.run.to_fetch,
            done,
            fetched: s.run.fetched,
            up_to_date: s.run.up_to_date,
            failed: s.run.failed,
            files: s.run.files,
            files_failed: s.run.files_failed,
            bytes: s.run.bytes,
            requests: s.run.requests,
            rate_limited: s.run.rate_limited,
            current,
            wait_until: waiting.then_some(s.throttle.not_before),
            wait_reason: waiting.then_some(s.throttle.reason),
            eta_ms,
            kept: s.kept.len(),
        }
    }

    /// What could not be backed up in the last run.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.s.failures.values()
    }

    /// The conversations the backup holds, by id.
    pub fn kept(&self) -> &BTreeMap<String, Kept> {
        &self.s.kept
    }

    /// The files the backup holds: file id → entry name.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.s.files
    }

    /// The counters of the current or last run.
    pub fn run(&self) -> &RunStats {
        &self.s.run
    }

    /// Adds a conversation from an official export or an earlier backup (the caller keeps
    /// its bytes), unless the backup holds the same or a newer copy. Returns what was
    /// read, and whether to keep it; the ids of its files are in `files`.
    ///
    /// # Errors
    ///
    /// [`Error::Conversation`] when `json` is not a conversation.
    pub fn seed(&mut self, json: &[u8]) -> Result<Seeded> {
        let head = conversation_head(json).map_err(|detail| Error::Conversation {
            id: None,
            title: None,
            detail,
        })?;
        let id = head.id.clone().ok_or_else(|| Error::Conversation {
            id: None,
            title: head.title.clone(),
            detail: "it has no id".into(),
        })?;
        let own_time = head.update_time.unwrap_or(0.0);
        let keep = self
            .s
            .kept
            .get(&id)
            .is_none_or(|k| own_time > k.update_time + SAME_TIME);
        let title = head.title.clone().unwrap_or_default();
        // During a run, a conversation handed back after a restart was fetched in this run:
        // it takes its listing's time and place, as when its answer was recorded. (Between
        // runs the listing is the last run's, and an export's copy keeps its own.)
        let listed = self.running().then(|| self.s.listed.get(&id)).flatten();
        let update_time = listed
            .and_then(|l| l.update_time)
            .map_or(own_time, |t| t.max(own_time));
        let place = listed.map_or_else(|| head.place(), |l| l.place.clone());
        if keep {
            self.s.kept.insert(
                id.clone(),
                Kept {
                    title: title.clone(),
                    create_time: head.create_time,
                    update_time,
                    place,
                    bytes: json.len() as u64,
                    listed: true,
                },
            );
        }
        let files: Vec<String> = if keep {
            conversation_files(json)
        } else {
            Vec::new()
        }
        .into_iter()
        .filter(|f| !self.s.files.contains_key(f))
        .collect();
        // Fetched in the next run unless the caller hands them over (seed_file).
        for f in &files {
            self.s.pending_files.insert(f.clone(), id.clone());
        }
        Ok(Seeded {
            id,
            title,
            keep,
            files,
        })
    }

    /// Records a file the caller took from a seed (an export's image): it is not fetched.
    /// Returns its entry name in the backup ZIP.
    pub fn seed_file(&mut self, id: &str, name: Option<&str>) -> String {
        let entry = layout::file_entry(id, name, None);
        self.s.files.insert(id.to_owned(), entry.clone());
        self.s.pending_files.remove(id);
        entry
    }
}

/// What seeding from an export hands the caller to keep.
#[derive(Debug)]
pub enum SeedItem<'a> {
    /// Keep these bytes as conversation `id`.
    Conversation {
        /// The conversation id.
        id: &'a str,
        /// Its title.
        title: &'a str,
        /// Its JSON, as the export holds it.
        bytes: &'a [u8],
    },
    /// Keep these bytes as file `id` (entry `entry` of the backup ZIP).
    File {
        /// The file id.
        id: &'a str,
        /// Its entry name in the backup ZIP.
        entry: &'a str,
        /// Its bytes.
        bytes: &'a [u8],
    },
}

/// What seeding from an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedStats {
    /// Conversations in the export.
    pub read: u64,
    /// Of those, taken into the backup (new, or newer than the copy kept).
    pub kept: u64,
    /// Files taken from the export.
    pub files: u64,
    /// Conversations that could not be read (they will be fetched).
    pub unreadable: u64,
}

impl Backup {
    /// Seeds the backup from an official export (or an earlier chatkeep backup) ZIP: every
    /// conversation newer than the copy kept, or missing, goes to `keep` with the files it
    /// shows that the ZIP holds. `keep` returning `Break` stops the read (what was handed
    /// over is recorded). Call only between runs.
    ///
    /// # Errors
    ///
    /// What stops reading the ZIP (damaged, cut off); everything before it was seeded.
    pub fn seed_zip<R: std::io::Read + std::io::Seek>(
        &mut self,
        zip: &mut source::export::ZipExport<R>,
        keep: &mut dyn FnMut(SeedItem<'_>, &source::export::Progress) -> std::ops::ControlFlow<()>,
    ) -> Result<SeedStats> {
        use std::ops::ControlFlow;
        let mut stats = SeedStats::default();
        zip.for_each_json_with_assets(&mut |el, progress, assets| {
            stats.read += 1;
            let Ok(seeded) = self.seed(&el) else {
                stats.unreadable += 1;
                return ControlFlow::Continue(());
            };
            if !seeded.keep {
                return ControlFlow::Continue(());
            }
            stats.kept += 1;
            let item = SeedItem::Conversation {
                id: &seeded.id,
                title: &seeded.title,
                bytes: &el,
            };
            keep(item, progress)?;
            for f in &seeded.files {
                if let Some((name, bytes)) = assets.fetch(f) {
                    let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
                    let entry = self.seed_file(f, Some(&base));
                    stats.files += 1;
                    keep(
                        SeedItem::File {
                            id: f,
                            entry: &entry,
                            bytes: &bytes,
                        },
                        progress,
                    )?;
                }
            }
            ControlFlow::Continue(())
        })?;
        Ok(stats)
    }
}

/// A conversation read from a seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seeded {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Whether it is newer than what the backup held (keep its bytes).
    pub keep: bool,
    /// File ids it shows that the backup lacks.
    pub files: Vec<String>,
}

/// Why a request failed: a passing fault (tried again) or a permanent one.
enum Failed {
    Passing(String),
    Permanent(String),
}
use Failed::{Passing, Permanent};

impl From<String> for Failed {
    fn from(s: String) -> Self {
        Passing(s)
    }
}

/// What the backup reads of a conversation itself.
#[derive(Debug, Deserialize)]
struct Head {
    id: Option<String>,
    conversation_id: Option<String>,
    title: Option<String>,
    #[serde(default, deserialize_with = "any_time")]
    create_time: Option<f64>,
    #[serde(default, deserialize_with = "any_time")]
    update_time: Option<f64>,
    gizmo_id: Option<String>,
    #[serde(default)]
    is_archived: Option<bool>,
    mapping: Option<serde::de::IgnoredAny>,
}

impl Head {
    fn place(&self) -> Place {
        match &self.gizmo_id {
            Some(g) if g.starts_with("g-p-") => Place::Project { gizmo: g.clone() },
            _ if self.is_archived == Some(true) => Place::Archived,
            _ => Place::Ordinary,
        }
    }
}

fn any_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(lists::time_value(v.as_ref()))
}

/// Checks that `body` is a whole conversation and reads its head.
fn conversation_head(body: &[u8]) -> Result<Head, String> {
    let mut head: Head = serde_json::from_slice(body).map_err(|e| {
        if e.is_eof() {
            "the conversation arrived cut off".to_owned()
        } else {
            format!("the conversation is not valid JSON ({e})")
        }
    })?;
    if head.mapping.is_none() {
        return Err("the answer is not a conversation (it has no messages)".into());
    }
    head.id = head.id.take().or_else(|| head.conversation_id.take());
    Ok(head)
}

/// The file ids a conversation shows (images, attachments), in order.
fn conversation_files(body: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    source::api::read_conversation(text)
        .map(|mut t| t.missing_asset_ids())
        .unwrap_or_default()
}

/// A file's download link, if it is one the backup may follow: `https:` only; a path on
/// the ChatGPT origin stays a path.
fn download_url(url: &str) -> Option<String> {
    // Backslashes, spaces and controls are where URL parsers disagree (`/\\evil.com` is
    // another host to a browser): such a link is not followed at all.
    if url
        .chars()
        .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    {
        return None;
    }
    if same_origin(url) {
        return Some(url.to_owned());
    }
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return None;
    }
    // The bearer token goes only to ChatGPT's own origin: a path for those.
    match host {
        "chatgpt.com" | "chat.openai.com" => {
            Some(rest[host.len()..].to_owned()).map(
                |p| {
                    if p.is_empty() {
                        "/".to_owned()
                    } else {
                        p
                    }
                },
            )
        }
        _ => Some(url.to_owned()),
    }
}

/// Whether a request URL is on the ChatGPT origin (a path), where the token may go.
pub fn same_origin(url: &str) -> bool {
    url.starts_with('/')
        && !url.starts_with("//")
        && !url
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_links() {
        assert_eq!(
            download_url("https://chatgpt.com/backend-api/estuary/content?id=f&sig=x").as_deref(),
            Some("/backend-api/estuary/content?id=f&sig=x")
        );
        assert_eq!(
            download_url("https://files.oaiusercontent.com/f?se=1").as_deref(),
            Some("https://files.oaiusercontent.com/f?se=1")
        );
        assert_eq!(download_url("http://chatgpt.com/x"), None);
        assert_eq!(download_url("javascript:alert(1)"), None);
        assert_eq!(download_url("//evil.example/x"), None);
        assert_eq!(download_url("https://user@chatgpt.com/x"), None);
        // Where URL parsers disagree, nothing is followed (a browser reads these as
        // another host).
        for bad in [
            "/\\evil.com/x",
            "/\t/evil.com",
            "https://chatgpt.com/\\evil.com",
            "/ /evil",
        ] {
            assert_eq!(download_url(bad), None, "{bad:?}");
            assert!(!same_origin(bad), "{bad:?}");
        }
    }

    #[test]
    fn odd_values_from_chatgpt_keep_the_state_readable() {
        // A time ChatGPT might send as text that is not finite is no time at all.
        assert_eq!(lists::time_value(Some(&serde_json::json!("inf"))), None);
        assert_eq!(lists::time_value(Some(&serde_json::json!("1e999"))), None);
        // A huge gap with a short Retry-After: no panic, the gap wins.
        let mut b = Backup::new(BackupOptions {
            gap_ms: 2_000_000.0,
            ..BackupOptions::default()
        });
        b.start(0.0);
        let Step::Request(r) = b.next(0.0) else {
            panic!("a request")
        };
        let limited = Response {
            status: 429,
            retry_after: Some("1"),
            body: b"",
            error: None,
        };
        b.record(0.0, r.seq, limited).unwrap();
        assert_eq!(
            b.next(1.0),
            Step::Wait {
                until: 2_000_000.0,
                reason: WaitReason::RateLimited
            }
        );
        assert!(Backup::from_json(&b.to_json()).is_ok());
    }

    #[test]
    fn a_list_that_ignores_its_offset_ends() {
        let mut b = Backup::new(BackupOptions {
            gap_ms: 0.0,
            ..BackupOptions::default()
        });
        b.start(0.0);
        let page: Vec<String> = (0..100)
            .map(|i| format!(r#"{{"id":"c{i}","update_time":1.0}}"#))
            .collect();
        let full = format!(r#"{{"items":[{}]}}"#, page.join(","));
        let mut lists = 0;
        for _ in 0..1000 {
            match b.next(0.0) {
                Step::Request(r) if r.what == "list" => {
                    lists += 1;
                    let body = if r.url.contains("/conversations?") {
                        full.as_bytes()
                    } else {
                        br#"{"items":[]}"#
                    };
                    b.record(0.0, r.seq, Response::ok(body)).unwrap();
                }
                Step::Request(r) => {
                    let id = r.url.rsplit('/').next().unwrap().to_owned();
                    let body = format!(r#"{{"id":"{id}","mapping":{{}}}}"#);
                    b.record(0.0, r.seq, Response::ok(body.as_bytes())).unwrap();
                }
                Step::Wait { .. } => unreachable!("no gap"),
                Step::Done => break,
            }
        }
        assert_eq!(b.phase(), Phase::Done);
        // Two pages of each offset list, the sidebar, then the check's first pages.
        assert_eq!(lists, 2 + 2 + 1 + 2);
        assert_eq!(b.kept().len(), 100);
    }

    #[test]
    fn options_refuse_unknown_keys() {
        assert!(BackupOptions::from_json(r#"{"gapMs": 5}"#).is_ok());
        assert_eq!(
            BackupOptions::from_json("null").unwrap(),
            BackupOptions::default()
        );
        let e = BackupOptions::from_json(r#"{"gap": 5}"#).unwrap_err();
        assert_eq!(e.kind(), "options");
        assert!(e.to_string().contains("gap"), "{e}");
        assert!(BackupOptions::from_json(r#"{"gapMs": -1}"#).is_err());
        assert!(BackupOptions::from_json(r#"{"maxAttempts": 0}"#).is_err());
    }
}
