//! The backup state machine against a simulated ChatGPT: lists with their quirks, a quota
//! (a burst, then about one conversation a minute), 429 with and without `Retry-After`,
//! 5xx, cut bodies, malformed JSON, logout, chats moving between lists and changing during
//! the run, and a caller that is stopped and restarted between any two steps. Time is a
//! simulated clock: hours of throttling run in milliseconds.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chatkeep_core::backup::{Backup, BackupOptions, Outcome, Phase, Request, Response, Step};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq)]
enum Place {
    Ordinary,
    Archived,
    Project(usize),
}

#[derive(Clone, Debug)]
struct Conv {
    title: String,
    create: f64,
    update: f64,
    place: Place,
    files: Vec<String>,
    version: u32,
}

#[derive(Clone, Debug)]
enum Fault {
    Status(u16),
    Cut,
    Malformed,
    Reset,
}

/// The simulated server.
struct Sim {
    convs: BTreeMap<String, Conv>,
    projects: Vec<(String, String)>,
    logged_in: bool,
    /// A token bucket over conversation requests: tokens, burst, ms per token.
    quota: Option<(f64, f64, f64)>,
    last_refill: f64,
    retry_after: Option<String>,
    faults: HashMap<String, VecDeque<Fault>>,
    /// The conversation list caps its pages at this many items.
    page_cap: usize,
    /// Conversation requests by id.
    fetches: HashMap<String, u32>,
    requests: u64,
    list_requests: u64,
    file_requests: u64,
    /// Estuary answers 403 without the bearer.
    estuary_needs_auth: bool,
    /// File bytes served, by file id.
    file_bytes_served: HashMap<String, u32>,
    /// How much later than the conversation the lists say it changed (seconds).
    list_lead: f64,
}

fn uuid(i: usize) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", i, i * 7919)
}

impl Sim {
    /// `ordinary`, `archived`, and projects of the given sizes; every 5th chat has an image.
    fn new(ordinary: usize, archived: usize, projects: &[usize]) -> Sim {
        let mut s = Sim {
            convs: BTreeMap::new(),
            projects: Vec::new(),
            logged_in: true,
            quota: None,
            last_refill: 0.0,
            retry_after: None,
            faults: HashMap::new(),
            page_cap: 100,
            fetches: HashMap::new(),
            requests: 0,
            list_requests: 0,
            file_requests: 0,
            estuary_needs_auth: false,
            file_bytes_served: HashMap::new(),
            list_lead: 0.0,
        };
        let mut places = vec![Place::Ordinary; ordinary];
        places.extend(vec![Place::Archived; archived]);
        for (p, &n) in projects.iter().enumerate() {
            s.projects
                .push((format!("g-p-{:032x}", p + 1), format!("Project {p}")));
            places.extend(vec![Place::Project(p); n]);
        }
        for (i, place) in places.into_iter().enumerate() {
            let files = if i % 5 == 0 {
                vec![format!("file-{i:06}")]
            } else {
                Vec::new()
            };
            s.convs.insert(
                uuid(i),
                Conv {
                    title: format!("Chat {i} «{}»", ["다", "é", "<b>", "😀"][i % 4]),
                    create: 1.7e9 + i as f64 * 1000.0,
                    update: 1.7e9 + i as f64 * 1000.0 + 500.25,
                    place,
                    files,
                    version: 0,
                },
            );
        }
        s
    }

    fn body(&self, id: &str) -> String {
        let c = &self.convs[id];
        let mut parts = vec![json!(format!("Hello {} v{}", c.title, c.version))];
        for f in &c.files {
            parts.push(json!({"content_type": "image_asset_pointer", "asset_pointer": format!("file-service://{f}"), "width": 1, "height": 1}));
        }
        let gizmo = match c.place {
            Place::Project(p) => json!(self.projects[p].0),
            _ => Value::Null,
        };
        json!({
            "title": c.title, "create_time": c.create, "update_time": c.update,
            "id": id, "conversation_id": id, "current_node": "m1", "gizmo_id": gizmo,
            "is_archived": c.place == Place::Archived,
            "mapping": {
                "root": {"id": "root", "message": null, "parent": null, "children": ["m1"]},
                "m1": {"id": "m1", "parent": "root", "children": [], "message": {
                    "id": "m1", "author": {"role": "user"}, "create_time": c.create,
                    "content": {"content_type": "multimodal_text", "parts": parts}}}
            }
        })
        .to_string()
    }

    fn iso(t: f64) -> String {
        let secs = t.floor();
        let micros = ((t - secs) * 1e6).round() as i64;
        let dt = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            dt.year(),
            dt.month() as u8,
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )
    }

    fn item(&self, id: &str) -> Value {
        let c = &self.convs[id];
        // Lists may say a little later than the conversation itself does.
        let listed = c.update + self.list_lead;
        json!({"id": id, "title": c.title, "create_time": Sim::iso(c.create), "update_time": Sim::iso(listed), "mapping": null})
    }

    fn newest_first(&self, place: &Place) -> Vec<String> {
        let mut ids: Vec<&String> = self
            .convs
            .iter()
            .filter(|(_, c)| &c.place == place)
            .map(|(id, _)| id)
            .collect();
        ids.sort_by(|a, b| self.convs[*b].update.total_cmp(&self.convs[*a].update));
        ids.into_iter().cloned().collect()
    }

    fn touch(&mut self, id: &str, now: f64) {
        let c = self.convs.get_mut(id).unwrap();
        c.version += 1;
        c.update = 1.8e9 + now / 1000.0;
    }

    fn answer(status: u16, body: String) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: body.into_bytes(),
            error: None,
        }
    }

    fn handle(&mut self, r: &Request, now: f64) -> Answer {
        self.requests += 1;
        let url = r.url.as_str();
        let query = |k: &str| -> Option<String> {
            url.split_once('?')?
                .1
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_owned))
        };
        if url.starts_with("/backend-api/")
            && !url.starts_with("/backend-api/estuary")
            && (!r.auth || !self.logged_in)
        {
            return Sim::answer(401, r#"{"detail":"Unauthorized"}"#.into());
        }
        if url.starts_with("/backend-api/conversations?") {
            self.list_requests += 1;
            let offset: usize = query("offset").unwrap().parse().unwrap();
            let limit: usize = query("limit").unwrap().parse().unwrap();
            assert!(limit <= 100, "limit over 100 is refused by ChatGPT");
            let place = if query("is_archived").is_some() {
                Place::Archived
            } else {
                Place::Ordinary
            };
            let all = self.newest_first(&place);
            let limit = limit.min(self.page_cap);
            let page: Vec<Value> = all
                .iter()
                .skip(offset)
                .take(limit)
                .map(|id| self.item(id))
                .collect();
            let more = offset + page.len() < all.len();
            // ChatGPT's quirk: total is one more than the count while pages remain.
            let total = all.len() + usize::from(more);
            return Sim::answer(
                200,
                json!({"items": page, "total": total, "limit": limit, "offset": offset})
                    .to_string(),
            );
        }
        if url.starts_with("/backend-api/gizmos/snorlax/sidebar") {
            self.list_requests += 1;
            let cursor: usize = query("cursor")
                .filter(|c| !c.is_empty())
                .map_or(0, |c| c.parse().unwrap());
            let items: Vec<Value> = self.projects.iter().skip(cursor).take(2)
                .map(|(id, name)| json!({"gizmo": {"gizmo": {"id": id, "display": {"name": name}}}, "conversations": {"items": []}}))
                .collect();
            let next = (cursor + 2 < self.projects.len()).then(|| (cursor + 2).to_string());
            return Sim::answer(200, json!({"items": items, "cursor": next}).to_string());
        }
        if let Some(rest) = url.strip_prefix("/backend-api/gizmos/") {
            self.list_requests += 1;
            let gizmo = rest.split('/').next().unwrap();
            let p = self
                .projects
                .iter()
                .position(|(id, _)| id == gizmo)
                .unwrap();
            let cursor: usize = query("cursor").unwrap().parse().unwrap();
            let all = self.newest_first(&Place::Project(p));
            let items: Vec<Value> = all
                .iter()
                .skip(cursor)
                .take(50)
                .map(|id| self.item(id))
                .collect();
            let next = (cursor + 50 < all.len()).then(|| (cursor + 50).to_string());
            return Sim::answer(200, json!({"items": items, "cursor": next}).to_string());
        }
        if let Some(id) = url.strip_prefix("/backend-api/conversation/") {
            if let Some((tokens, burst, per)) = self.quota.as_mut() {
                *tokens = (*tokens + (now - self.last_refill) / *per).min(*burst);
                self.last_refill = now;
                if *tokens < 1.0 {
                    return Answer {
                        status: 429,
                        retry_after: self.retry_after.clone(),
                        body: b"{}".to_vec(),
                        error: None,
                    };
                }
                *tokens -= 1.0;
            }
            *self.fetches.entry(id.to_owned()).or_default() += 1;
            if !self.convs.contains_key(id) {
                return Sim::answer(
                    404,
                    r#"{"detail":{"code":"conversation_inaccessible"}}"#.into(),
                );
            }
            let body = self.body(id);
            return match self.faults.get_mut(id).and_then(VecDeque::pop_front) {
                None => Sim::answer(200, body),
                Some(Fault::Status(s)) => Sim::answer(s, "{}".into()),
                Some(Fault::Malformed) => Sim::answer(200, body[..body.len() - 10].to_owned()),
                // What the caller sees of a cut body depends on the browser: no answer, or
                // the first half.
                Some(Fault::Cut) => Answer {
                    status: 200,
                    retry_after: None,
                    body: body.as_bytes()[..body.len() / 2].to_vec(),
                    error: None,
                },
                Some(Fault::Reset) => Answer {
                    status: 0,
                    retry_after: None,
                    body: Vec::new(),
                    error: Some("connection reset".into()),
                },
            };
        }
        if let Some(rest) = url.strip_prefix("/backend-api/files/download/") {
            self.file_requests += 1;
            let id = rest.split('?').next().unwrap();
            return Sim::answer(200, json!({"status": "success", "download_url": format!("https://chatgpt.com/backend-api/estuary/content?id={id}&sig=s"), "file_name": format!("{id}-photo.png"), "mime_type": "image/png"}).to_string());
        }
        if let Some(rest) = url.strip_prefix("/backend-api/estuary/content?id=") {
            self.file_requests += 1;
            if self.estuary_needs_auth && !r.auth {
                return Sim::answer(403, "{}".into());
            }
            let id = rest.split('&').next().unwrap();
            *self.file_bytes_served.entry(id.to_owned()).or_default() += 1;
            return Answer {
                status: 200,
                retry_after: None,
                body: format!("PNG:{id}").into_bytes(),
                error: None,
            };
        }
        panic!("unexpected request {url}");
    }
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
    error: Option<String>,
}

/// The caller: performs requests, keeps bytes, and can be stopped and restarted.
struct Caller {
    now: f64,
    store: BTreeMap<String, Vec<u8>>,
    files: BTreeMap<String, (String, Vec<u8>)>,
    saved_state: String,
    /// Restart (serialise, drop, restore) every this many steps (0: never).
    restart_every: u64,
    /// Save the state only every this many steps (1: every step); a restart goes back to
    /// the last saved state and hands back what was kept since with `seed`.
    save_every: u64,
    saved_phase: Phase,
    steps: u64,
    sign_ins: u32,
}

impl Caller {
    fn new() -> Caller {
        Caller {
            now: 0.0,
            store: BTreeMap::new(),
            files: BTreeMap::new(),
            saved_state: String::new(),
            restart_every: 0,
            save_every: 1,
            saved_phase: Phase::Idle,
            steps: 0,
            sign_ins: 0,
        }
    }

    /// Runs `b` to the end; `hook(sim, now, request)` runs before each request is answered.
    fn run(
        &mut self,
        b: &mut Backup,
        sim: &mut Sim,
        mut hook: impl FnMut(&mut Sim, f64, &Request),
    ) {
        b.start(self.now);
        for _ in 0..1_000_000 {
            self.steps += 1;
            // As the extension does: now and then, and at every new phase.
            if self.save_every <= 1
                || self.steps % self.save_every == 0
                || self.saved_state.is_empty()
                || b.phase() != self.saved_phase
            {
                self.saved_state = b.to_json();
                self.saved_phase = b.phase();
            }
            if self.restart_every > 0 && self.steps % self.restart_every == 0 {
                *b = Backup::from_json(&self.saved_state).expect("the state reads back");
                // What was kept after the state was saved is handed back.
                for (id, bytes) in &self.store {
                    if !b.has_conversation(id) {
                        b.seed(bytes).expect("a kept conversation");
                    }
                }
                for (id, (entry, _)) in &self.files {
                    if !b.has_file(id) {
                        b.seed_file(id, Some(entry));
                    }
                }
            }
            match b.next(self.now) {
                Step::Done => return,
                Step::Wait { until, .. } => {
                    assert!(until > self.now, "a wait must move time on");
                    self.now = until;
                }
                Step::Request(r) => {
                    hook(sim, self.now, &r);
                    let a = sim.handle(&r, self.now);
                    self.now += 20.0;
                    let out = b
                        .record(
                            self.now,
                            r.seq,
                            Response {
                                status: a.status,
                                retry_after: a.retry_after.as_deref(),
                                body: &a.body,
                                error: a.error.as_deref(),
                            },
                        )
                        .unwrap();
                    match out {
                        Outcome::Conversation { id, .. } => {
                            self.store.insert(id, a.body);
                        }
                        Outcome::File { id, entry, .. } => {
                            self.files.insert(id, (entry, a.body));
                        }
                        Outcome::SignIn => {
                            self.sign_ins += 1;
                            // The user logs in again a few minutes later.
                            self.now += 180_000.0;
                            sim.logged_in = true;
                        }
                        Outcome::Nothing => {}
                    }
                }
            }
        }
        panic!("the backup did not end");
    }
}

fn opts(gap: f64) -> BackupOptions {
    BackupOptions {
        gap_ms: gap,
        ..BackupOptions::default()
    }
}

/// Every conversation the server holds is kept, byte for byte as served last.
fn assert_complete(sim: &Sim, c: &Caller, b: &Backup) {
    for id in sim.convs.keys() {
        let kept = c
            .store
            .get(id)
            .unwrap_or_else(|| panic!("{id} was not kept"));
        assert_eq!(
            kept,
            sim.body(id).as_bytes(),
            "{id} differs from what the server holds"
        );
        assert!(b.kept().contains_key(id));
        for f in &sim.convs[id].files {
            let (entry, bytes) = c
                .files
                .get(f)
                .unwrap_or_else(|| panic!("file {f} of {id} missing"));
            assert_eq!(bytes, format!("PNG:{f}").as_bytes());
            assert_eq!(entry, &format!("{f}-photo.png"));
        }
    }
}

#[test]
fn backs_up_every_list_with_one_request_per_conversation_and_file() {
    let mut sim = Sim::new(250, 40, &[30, 20, 5]);
    let mut b = Backup::new(opts(1000.0));
    let mut c = Caller::new();
    c.run(&mut b, &mut sim, |_, _, _| {});
    assert_complete(&sim, &c, &b);
    assert_eq!(b.phase(), Phase::Done);
    let n = sim.convs.len();
    assert_eq!(c.store.len(), n);
    assert!(
        sim.fetches.values().all(|&k| k == 1),
        "no conversation fetched twice"
    );
    let files: usize = sim.convs.values().map(|c| c.files.len()).sum();
    assert_eq!(
        sim.file_requests as usize,
        2 * files,
        "a link and the bytes per file"
    );
    // Lists: 3 ordinary pages (overlapping), 1 archived, 2 sidebar pages, 1 page per project;
    // then the check: the first page of each list again.
    assert_eq!(sim.list_requests, 3 + 1 + 2 + 3 + (2 + 3));
    let p = b.progress(c.now);
    assert_eq!(
        (p.listed.ordinary, p.listed.archived, p.listed.project),
        (250, 40, 55)
    );
    assert_eq!(
        (p.total, p.done, p.failed, p.files),
        (n as u64, n as u64, 0, files as u64)
    );
    assert_eq!(b.failures().count(), 0);
    // The polite gap: never two requests within it.
    assert!(c.now >= (sim.requests - 1) as f64 * 1000.0);
}

#[test]
fn the_quota_model_a_burst_then_one_a_minute() {
    let mut sim = Sim::new(300, 0, &[]);
    sim.quota = Some((200.0, 200.0, 60_000.0));
    sim.retry_after = Some("60".into());
    let mut b = Backup::new(opts(1000.0));
    let mut c = Caller::new();
    c.run(&mut b, &mut sim, |_, _, _| {});
    assert_complete(&sim, &c, &b);
    assert!(sim.fetches.values().all(|&k| k == 1));
    let limited = b.run().rate_limited;
    // 100 conversations past the burst at one a minute: about 100 minutes, and the pace
    // adapts, so most requests after the burst are not refused.
    assert!(
        limited <= 40,
        "{limited} refusals for 100 conversations past the burst"
    );
    let minutes = c.now / 60_000.0;
    assert!((95.0..140.0).contains(&minutes), "took {minutes} minutes");
}

#[test]
fn a_429_without_retry_after_backs_off_from_a_minute_doubling_to_five() {
    let mut sim = Sim::new(3, 0, &[]);
    sim.quota = Some((0.0, 1.0, 1e12));
    let mut b = Backup::new(opts(1000.0));
    b.start(0.0);
    let mut waits = Vec::new();
    let mut now = 0.0;
    while waits.len() < 5 {
        match b.next(now) {
            Step::Request(r) => {
                let a = sim.handle(&r, now);
                b.record(
                    now,
                    r.seq,
                    Response {
                        status: a.status,
                        retry_after: a.retry_after.as_deref(),
                        body: &a.body,
                        error: None,
                    },
                )
                .unwrap();
            }
            Step::Wait { until, reason } => {
                if reason == chatkeep_core::backup::WaitReason::RateLimited {
                    waits.push(until - now);
                }
                now = until;
            }
            Step::Done => panic!("cannot be done"),
        }
    }
    assert_eq!(
        waits,
        [60_000.0, 120_000.0, 240_000.0, 300_000.0, 300_000.0]
    );
    assert_eq!(b.progress(now).rate_limited, 5);
}

#[test]
fn faults_are_retried_then_reported_and_retried_next_run() {
    let mut sim = Sim::new(60, 0, &[]);
    let ids: Vec<String> = sim.convs.keys().cloned().collect();
    use Fault::*;
    sim.faults
        .insert(ids[0].clone(), [Status(500), Cut, Malformed].into());
    sim.faults
        .insert(ids[1].clone(), [Reset, Status(502)].into());
    sim.faults.insert(
        ids[2].clone(),
        [
            Status(500),
            Status(500),
            Status(503),
            Status(500),
            Status(500),
        ]
        .into(),
    );
    sim.faults
        .insert(ids[3].clone(), [Cut, Cut, Cut, Cut].into());
    let mut b = Backup::new(opts(100.0));
    let mut c = Caller::new();
    c.run(&mut b, &mut sim, |_, _, _| {});
    assert_eq!(sim.fetches[&ids[0]], 4);
    assert_eq!(sim.fetches[&ids[1]], 3);
    let failed: Vec<_> = b
        .failures()
        .map(|f| (f.id.clone(), f.title.clone(), f.reason.clone()))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let by_id: HashMap<_, _> = failed.iter().map(|f| (f.0.clone(), f)).collect();
    assert!(
        by_id[&ids[2]].2.contains("HTTP 500, 4 times"),
        "{:?}",
        by_id[&ids[2]]
    );
    assert!(by_id[&ids[3]].2.contains("cut off"), "{:?}", by_id[&ids[3]]);
    assert_eq!(
        by_id[&ids[2]].1, sim.convs[&ids[2]].title,
        "failures are named by title"
    );
    assert_eq!(b.progress(c.now).failed, 2);
    let manifest: Value = serde_json::from_str(&b.layout(0.0, None, None).manifest).unwrap();
    assert_eq!(manifest["failed"].as_array().unwrap().len(), 2);
    assert_eq!(manifest["last_run"]["complete"], false);

    // The next run fetches only the two that failed (the faults are used up by now).
    sim.fetches.clear();
    c.run(&mut b, &mut sim, |_, _, _| {});
    let mut again: Vec<_> = sim.fetches.keys().cloned().collect();
    again.sort();
    assert_eq!(again, vec![ids[2].clone(), ids[3].clone()]);
    assert_eq!(b.failures().count(), 0);
    assert_complete(&sim, &c, &b);
}

#[test]
fn logout_pauses_for_a_sign_in_and_loses_nothing() {
    let mut sim = Sim::new(40, 5, &[5]);
    let mut b = Backup::new(opts(500.0));
    let mut c = Caller::new();
    let mut n = 0;
    c.run(&mut b, &mut sim, |sim, _, r| {
        n += 1;
        if n == 20 || (r.what == "list" && n == 3) {
            sim.logged_in = false;
        }
    });
    assert_eq!(c.sign_ins, 2);
    assert_complete(&sim, &c, &b);
    assert!(sim.fetches.values().all(|&k| k == 1));
}

#[test]
fn a_token_refused_for_good_fails_that_request_only() {
    let mut sim = Sim::new(3, 0, &[]);
    let mut b = Backup::new(opts(10.0));
    b.start(0.0);
    let mut now = 0.0;
    let mut sign_ins = 0;
    loop {
        match b.next(now) {
            Step::Request(r) => {
                let status = if r.what == "conversation" && r.url.ends_with(&uuid(1)) {
                    403
                } else {
                    200
                };
                let a = sim.handle(&r, now);
                let out = b
                    .record(
                        now,
                        r.seq,
                        Response {
                            status,
                            retry_after: None,
                            body: &a.body,
                            error: None,
                        },
                    )
                    .unwrap();
                if out == Outcome::SignIn {
                    sign_ins += 1;
                }
            }
            Step::Wait { until, .. } => now = until,
            Step::Done => break,
        }
    }
    assert_eq!(sign_ins, 2);
    let f: Vec<_> = b.failures().collect();
    assert_eq!(f.len(), 1);
    assert!(f[0].reason.contains("HTTP 403"), "{}", f[0].reason);
    assert_eq!(b.kept().len(), 2);
}

#[test]
fn pagination_quirks_capped_pages_and_a_deletion_while_listing() {
    let mut sim = Sim::new(180, 0, &[]);
    sim.page_cap = 28;
    let mut b = Backup::new(opts(100.0));
    let mut c = Caller::new();
    let mut deleted = None;
    c.run(&mut b, &mut sim, |sim, _, r| {
        // After the second page is read, the newest chat is deleted: every later one moves
        // up a place, and a reader paging by offset without overlap would skip one.
        if r.url.contains("offset=50") && deleted.is_none() {
            let newest = sim.newest_first(&Place::Ordinary)[0].clone();
            sim.convs.remove(&newest);
            deleted = Some(newest);
        }
    });
    let deleted = deleted.expect("the hook ran");
    // The deleted one was listed before it went: its fetch is a 404, reported.
    let f: Vec<_> = b.failures().collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].id, deleted);
    assert!(f[0].reason.contains("no longer has it"));
    assert_complete(&sim, &c, &b);
}

#[test]
fn chats_moving_between_lists_and_changing_during_the_run() {
    let mut sim = Sim::new(120, 10, &[10]);
    let mut b = Backup::new(opts(100.0));
    let mut c = Caller::new();
    let ids: Vec<String> = sim.convs.keys().cloned().collect();
    let (moved, changed) = (ids[5].clone(), ids[7].clone());
    let mut just_fetched = false;
    c.run(&mut b, &mut sim, |sim, now, r| {
        // Archived after the ordinary list was read, before the archived one is.
        if r.url.contains("is_archived=true") && sim.convs[&moved].place == Place::Ordinary {
            sim.convs.get_mut(&moved).unwrap().place = Place::Archived;
            sim.touch(&moved, now);
        }
        // Changed after it was fetched: the check at the end catches it.
        if just_fetched && sim.convs[&changed].version == 0 {
            sim.touch(&changed, now);
        }
        just_fetched = r.url.ends_with(changed.as_str());
    });
    assert_complete(&sim, &c, &b);
    assert_eq!(sim.fetches[&moved], 1, "listed twice, fetched once");
    assert_eq!(
        sim.fetches[&changed], 2,
        "changed after its fetch: fetched again"
    );
    assert_eq!(
        b.kept()[&moved].place,
        chatkeep_core::backup::Place::Archived
    );
    assert_eq!(b.kept().len(), sim.convs.len());
}

#[test]
fn a_caller_stopped_between_any_two_steps_carries_on() {
    for every in [1, 2, 3, 7] {
        let mut sim = Sim::new(90, 10, &[8, 4]);
        sim.quota = Some((30.0, 30.0, 5_000.0));
        sim.retry_after = Some("5".into());
        sim.faults.insert(uuid(3), [Fault::Status(500)].into());
        sim.estuary_needs_auth = true;
        let mut b = Backup::new(opts(200.0));
        let mut c = Caller::new();
        c.restart_every = every;
        c.run(&mut b, &mut sim, |_, _, _| {});
        assert_complete(&sim, &c, &b);
        assert_eq!(b.failures().count(), 0);
        let twice: Vec<_> = sim
            .fetches
            .iter()
            .filter(|(id, &k)| k > 1 && **id != uuid(3))
            .collect();
        assert!(
            twice.is_empty(),
            "restarting every {every} steps fetched {twice:?} twice"
        );
    }
}

#[test]
fn a_caller_that_saves_the_state_now_and_then_loses_nothing_and_fetches_nothing_twice() {
    for (save, restart, lead) in [(7, 5, 0.0), (13, 4, 0.5), (50, 9, 2.0)] {
        let mut sim = Sim::new(120, 10, &[12]);
        sim.list_lead = lead;
        let mut b = Backup::new(opts(200.0));
        let mut c = Caller::new();
        c.save_every = save;
        c.restart_every = restart;
        c.run(&mut b, &mut sim, |_, _, _| {});
        assert_complete(&sim, &c, &b);
        let twice: Vec<_> = sim.fetches.iter().filter(|(_, &k)| k > 1).collect();
        assert!(
            twice.is_empty(),
            "saving every {save} and restarting every {restart}: {twice:?} fetched twice"
        );
        let p = b.progress(c.now);
        assert_eq!(p.done, p.total, "progress reaches its end");
        // A file's link may be asked for again (its answer was in the state not saved),
        // never its bytes once kept.
        let files: usize = sim.convs.values().map(|c| c.files.len()).sum();
        assert_eq!(sim.file_bytes_served.len(), files);
        assert!(
            sim.file_bytes_served.values().all(|&n| n == 1),
            "no file's bytes fetched twice"
        );
    }
}

#[test]
fn a_later_run_fetches_only_what_changed() {
    let mut sim = Sim::new(150, 20, &[30]);
    let mut b = Backup::new(opts(100.0));
    let mut c = Caller::new();
    c.run(&mut b, &mut sim, |_, _, _| {});
    let ids: Vec<String> = sim.convs.keys().cloned().collect();
    for id in [&ids[3], &ids[160], &ids[190]] {
        sim.touch(id, c.now);
    }
    sim.convs.insert(
        "new-chat".into(),
        Conv {
            title: "New".into(),
            create: 1.9e9,
            update: 1.9e9,
            place: Place::Ordinary,
            files: vec!["file-new".into()],
            version: 0,
        },
    );
    let gone = ids[10].clone();
    sim.convs.remove(&gone);
    sim.fetches.clear();
    sim.file_requests = 0;
    sim.list_requests = 0;
    c.run(&mut b, &mut sim, |_, _, _| {});
    let mut fetched: Vec<_> = sim.fetches.keys().cloned().collect();
    fetched.sort();
    let mut want = vec![
        ids[3].clone(),
        ids[160].clone(),
        ids[190].clone(),
        "new-chat".to_owned(),
    ];
    want.sort();
    assert_eq!(fetched, want);
    assert_eq!(
        sim.file_requests, 2,
        "only the new chat's file; the others' are kept"
    );
    assert_complete(&sim, &c, &b);
    // A chat deleted on ChatGPT stays in the backup, marked as no longer listed.
    assert!(!b.kept()[&gone].listed);
    let manifest: Value =
        serde_json::from_str(&b.layout(0.0, Some("me@example.com"), None).manifest).unwrap();
    assert_eq!(manifest["conversations"]["no_longer_listed"], 1);
    assert_eq!(manifest["conversations"]["total"], 201);
    assert_eq!(manifest["account"], "me@example.com");
    let p = b.progress(c.now);
    assert_eq!((p.total, p.up_to_date), (4, 196));
}

#[test]
fn seeded_from_an_export_fetches_only_what_is_newer_or_missing() {
    let mut sim = Sim::new(100, 0, &[]);
    let ids: Vec<String> = sim.convs.keys().cloned().collect();
    let mut b = Backup::new(opts(100.0));
    let mut c = Caller::new();
    for id in &ids[..80] {
        let body = sim.body(id);
        let s = b.seed(body.as_bytes()).unwrap();
        assert!(s.keep);
        assert_eq!(&s.id, id);
        c.store.insert(id.clone(), body.into_bytes());
        for f in s.files {
            let entry = b.seed_file(&f, Some(&format!("{f}-photo.png")));
            c.files
                .insert(f.clone(), (entry, format!("PNG:{f}").into_bytes()));
        }
    }
    // Seeding the same again keeps nothing new.
    assert!(!b.seed(sim.body(&ids[0]).as_bytes()).unwrap().keep);
    assert_eq!(
        b.seed(b"{\"title\":\"x\"}").unwrap_err().kind(),
        "conversation"
    );
    sim.touch(&ids[1], 0.0);
    c.run(&mut b, &mut sim, |_, _, _| {});
    let mut fetched: Vec<_> = sim.fetches.keys().cloned().collect();
    fetched.sort();
    let mut want: Vec<String> = ids[80..].to_vec();
    want.push(ids[1].clone());
    want.sort();
    assert_eq!(fetched, want);
    assert_complete(&sim, &c, &b);
}

#[test]
fn the_layout_splits_conversations_into_parts_oldest_first() {
    let mut sim = Sim::new(30, 0, &[]);
    let mut b = Backup::new(opts(10.0));
    let mut c = Caller::new();
    c.run(&mut b, &mut sim, |_, _, _| {});
    let one = b.layout(0.0, None, None);
    assert_eq!(one.parts.len(), 1);
    assert_eq!(one.parts[0].name, "conversations.json");
    let oldest = sim
        .convs
        .iter()
        .min_by(|a, b| a.1.create.total_cmp(&b.1.create))
        .unwrap()
        .0;
    assert_eq!(&one.parts[0].ids[0], oldest);
    let size = c.store.values().map(|v| v.len() as u64 + 1).max().unwrap();
    let split = b.layout(0.0, None, Some(size * 4));
    assert!(split.parts.len() >= 8, "{} parts", split.parts.len());
    assert_eq!(split.parts[0].name, "conversations-000.json");
    let all: usize = split.parts.iter().map(|p| p.ids.len()).sum();
    assert_eq!(all, 30);
    for p in &split.parts {
        let bytes: u64 = p.ids.iter().map(|id| c.store[id].len() as u64 + 1).sum();
        assert!(bytes <= size * 4);
    }
    assert_eq!(one.files.len(), 6);
    assert_eq!(one.manifest_name, "chatkeep-backup.json");
    assert_eq!(
        b.layout(1_764_288_000_000.0, None, None).zip_name,
        "chatkeep-backup-2025-11-28.zip"
    );
}

#[test]
fn answers_out_of_turn_are_refused_and_a_state_from_elsewhere_is_an_error() {
    let mut b = Backup::new(opts(10.0));
    b.start(0.0);
    let Step::Request(r) = b.next(0.0) else {
        panic!()
    };
    assert!(b.record(0.0, r.seq + 1, Response::ok(b"{}")).is_err());
    assert!(Backup::from_json("{}").is_err());
    assert!(Backup::from_json("nonsense").is_err());
    let again = Backup::from_json(&b.to_json()).unwrap();
    assert_eq!(again.to_json(), b.to_json());
}

#[test]
fn seeded_from_an_export_zip_with_its_images() {
    use std::io::{Cursor, Write};
    use std::ops::ControlFlow;
    let mut sim = Sim::new(50, 0, &[]);
    let ids: Vec<String> = sim.convs.keys().cloned().collect();
    // An official-style export of the first 40, with the images of all but one of them.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    let bodies: Vec<String> = ids[..40].iter().map(|id| sim.body(id)).collect();
    zip.start_file("conversations.json", o).unwrap();
    zip.write_all(format!("[{}]", bodies.join(",")).as_bytes())
        .unwrap();
    let mut shipped = Vec::new();
    for id in &ids[..40] {
        for f in &sim.convs[id].files {
            if id == &ids[5] {
                continue;
            }
            zip.start_file(format!("{f}-photo.png"), o).unwrap();
            zip.write_all(format!("PNG:{f}").as_bytes()).unwrap();
            shipped.push(f.clone());
        }
    }
    let bytes = zip.finish().unwrap().into_inner();
    let mut export = chatkeep_core::source::export::ZipExport::open(
        Cursor::new(bytes.clone()),
        Cursor::new(bytes),
    )
    .unwrap();
    let mut b = Backup::new(opts(100.0));
    let mut c = Caller::new();
    let stats = b
        .seed_zip(&mut export, &mut |item, _| {
            match item {
                chatkeep_core::backup::SeedItem::Conversation { id, bytes, .. } => {
                    c.store.insert(id.to_owned(), bytes.to_vec());
                }
                chatkeep_core::backup::SeedItem::File { id, entry, bytes } => {
                    c.files
                        .insert(id.to_owned(), (entry.to_owned(), bytes.to_vec()));
                }
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(
        (
            stats.read,
            stats.kept,
            stats.files as usize,
            stats.unreadable
        ),
        (40, 40, shipped.len(), 0)
    );
    c.run(&mut b, &mut sim, |_, _, _| {});
    let mut fetched: Vec<_> = sim.fetches.keys().cloned().collect();
    fetched.sort();
    assert_eq!(
        fetched,
        ids[40..].to_vec(),
        "only the conversations the export lacked"
    );
    // The one image the export lacked is fetched, with those of the new conversations.
    let new_files: usize = ids[40..].iter().map(|id| sim.convs[id].files.len()).sum();
    assert_eq!(
        sim.file_requests as usize,
        2 * (new_files + sim.convs[&ids[5]].files.len())
    );
    assert_complete(&sim, &c, &b);
}

#[test]
fn a_failed_image_is_fetched_in_the_next_run_and_the_token_never_leaves_chatgpt() {
    let mut sim = Sim::new(10, 0, &[]);
    let mut b = Backup::new(opts(10.0));
    b.start(0.0);
    let mut now = 0.0;
    let mut foreign = Vec::new();
    let mut store = BTreeMap::new();
    let mut run = |b: &mut Backup,
                   sim: &mut Sim,
                   now: &mut f64,
                   refuse: bool,
                   foreign: &mut Vec<Request>| loop {
        match b.next(*now) {
            Step::Request(r) => {
                // The first image's link points at another host, which refuses us.
                let a = if r.url.starts_with("/backend-api/files/download/file-000000") {
                    sim.file_requests += 1;
                    Sim::answer(200, json!({"status": "success", "download_url": "https://files.example.net/f?sig=1", "file_name": "a.png"}).to_string())
                } else if r.url.starts_with("https://files.example.net/") {
                    foreign.push(r.clone());
                    if refuse {
                        Sim::answer(403, "{}".into())
                    } else {
                        Answer {
                            status: 200,
                            retry_after: None,
                            body: b"PNG:file-000000".to_vec(),
                            error: None,
                        }
                    }
                } else {
                    sim.handle(&r, *now)
                };
                *now += 10.0;
                if let Outcome::File { id, .. } = b
                    .record(
                        *now,
                        r.seq,
                        Response {
                            status: a.status,
                            retry_after: None,
                            body: &a.body,
                            error: None,
                        },
                    )
                    .unwrap()
                {
                    store.insert(id, a.body);
                }
            }
            Step::Wait { until, .. } => *now = until,
            Step::Done => break,
        }
    };
    run(&mut b, &mut sim, &mut now, true, &mut foreign);
    assert_eq!(
        foreign.len(),
        1,
        "refused once, not asked again with the token"
    );
    assert!(
        foreign.iter().all(|r| !r.auth),
        "the token never goes to another host"
    );
    let f: Vec<_> = b.failures().collect();
    assert_eq!(
        (f.len(), f[0].what.as_str(), f[0].id.as_str()),
        (1, "file", "file-000000")
    );
    assert!(f[0].reason.contains("HTTP 403"), "{}", f[0].reason);
    // The next run: nothing changed, yet the image that failed is fetched again.
    b.start(now);
    sim.fetches.clear();
    run(&mut b, &mut sim, &mut now, false, &mut foreign);
    assert!(sim.fetches.is_empty(), "no conversation fetched again");
    assert_eq!(foreign.len(), 2);
    assert_eq!(b.failures().count(), 0);
    assert!(b.files().contains_key("file-000000"));
}
