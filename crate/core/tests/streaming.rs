//! Memory stays bounded however large `conversations.json` is: a generated stream of several
//! hundred megabytes (never held in memory, never written to disk) is read conversation by
//! conversation, and the process's peak memory grows by far less than the input's size.

use chatkeep_core::source::export::{read_json, Progress};
use std::io::Read;
use std::ops::ControlFlow;

/// Produces `[conv, conv, …]` of `count` conversations of ~`size` bytes each, on the fly.
struct Generated {
    count: usize,
    next: usize,
    body: Vec<u8>,
    pending: Vec<u8>,
    pos: usize,
    closed: bool,
}

impl Generated {
    fn new(count: usize, size: usize) -> Self {
        // One user/assistant pair per ~1 KB; text with escapes and non-ASCII.
        let pairs = (size / 1024).max(1);
        let mut mapping =
            String::from(r#""root":{"id":"root","message":null,"parent":null,"children":["u0"]}"#);
        let text = "Line with \\\"quotes\\\", unicode é 한글 and a [link](https://example.com). "
            .repeat(12);
        for i in 0..pairs {
            let (u, a) = (format!("u{i}"), format!("a{i}"));
            let parent = if i == 0 {
                "root".to_owned()
            } else {
                format!("a{}", i - 1)
            };
            let next = if i + 1 < pairs {
                format!("[\"u{}\"]", i + 1)
            } else {
                "[]".to_owned()
            };
            mapping.push_str(&format!(
                r#","{u}":{{"id":"{u}","message":{{"id":"{u}","author":{{"role":"user"}},"content":{{"content_type":"text","parts":["{text}"]}}}},"parent":"{parent}","children":["{a}"]}},"{a}":{{"id":"{a}","message":{{"id":"{a}","author":{{"role":"assistant"}},"content":{{"content_type":"text","parts":["{text}"]}}}},"parent":"{u}","children":{next}}}"#
            ));
        }
        let last = format!("a{}", pairs - 1);
        let body =
            format!(r#""title":"Generated","current_node":"{last}","mapping":{{{mapping}}}}}"#)
                .into_bytes();
        Generated {
            count,
            next: 0,
            body,
            pending: b"[".to_vec(),
            pos: 0,
            closed: false,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            if self.next < self.count {
                if self.next > 0 {
                    self.pending.push(b',');
                }
                self.pending
                    .extend_from_slice(format!(r#"{{"id":"c{}","#, self.next).as_bytes());
                self.pending.extend_from_slice(&self.body);
                self.next += 1;
            } else if !self.closed {
                self.pending.push(b']');
                self.closed = true;
            } else {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Peak resident memory of this process, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn memory_is_bounded_by_the_largest_conversation() {
    let (count, size) = (4_000, 64 * 1024);
    let before = peak_rss();
    let mut progress = Progress::default();
    let mut seen = 0usize;
    let mut messages = 0usize;
    read_json(Generated::new(count, size), &mut progress, &mut |r, _| {
        let t = r.expect("generated conversation reads");
        seen += 1;
        messages += t.messages.len();
        ControlFlow::Continue(())
    })
    .expect("stream reads");
    assert_eq!(seen, count);
    assert!(messages >= count * 2);
    let total = progress.bytes_read;
    assert!(
        total > 250 * 1024 * 1024,
        "the stream should be large: {total} bytes"
    );
    if let (Some(b), Some(a)) = (before, peak_rss()) {
        let growth = a.saturating_sub(b);
        println!(
            "read {} MB; peak memory grew by {} MB",
            total >> 20,
            growth >> 20
        );
        assert!(
            growth < 64 * 1024 * 1024,
            "peak memory grew by {growth} bytes reading {total} bytes"
        );
    }
}
