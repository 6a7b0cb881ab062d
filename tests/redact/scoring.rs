//! The labelled redaction corpus of this folder and how it is scored: shared by the core's
//! test (`crate/core/tests/redact_corpus.rs`, which holds the goals) and the benchmark
//! (`crate/cli/examples/bench.rs redact`, which prints the figures), so both count alike.

use chatkeep_core::redact::{Kind, RedactOptions, Redactor};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One labelled text: what must be found in it (nothing for a text to leave alone).
#[derive(Deserialize)]
pub struct Case {
    pub text: String,
    pub expect: Vec<Expect>,
}

/// A value of a kind that must be replaced.
#[derive(Deserialize)]
pub struct Expect {
    pub kind: String,
    pub value: String,
}

/// The cases of `dir/corpus.jsonl` and the user terms of `dir/terms.txt`.
pub fn load(dir: &str) -> (Vec<Case>, Vec<String>) {
    let read = |f: &str| {
        std::fs::read_to_string(format!("{dir}/{f}")).unwrap_or_else(|e| panic!("{dir}/{f}: {e}"))
    };
    let cases = read("corpus.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a corpus line: {e}: {l}")))
        .collect();
    let terms = read("terms.txt").lines().map(str::to_owned).collect();
    (cases, terms)
}

/// Redaction of every kind, with the corpus's terms.
pub fn options(terms: Vec<String>) -> RedactOptions {
    RedactOptions {
        enabled: true,
        terms,
        ..RedactOptions::default()
    }
}

/// Findings of one kind: right, wrong, and values missed.
#[derive(Default, Debug, Clone, Copy)]
pub struct Score {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Score {
    /// Right findings among all findings.
    pub fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }

    /// Values found among all values expected.
    pub fn recall(&self) -> f64 {
        (self.tp as f64 / (self.tp + self.fn_).max(1) as f64).min(1.0)
    }
}

/// Scores `cases`: a finding is right when it covers an expected value of its kind; an
/// expected value is missed when the redacted text still holds it or has no placeholder of
/// its kind. Returns the score per kind and a sentence for each wrong or missed one.
pub fn score(cases: &[Case], opts: &RedactOptions) -> (BTreeMap<Kind, Score>, Vec<String>) {
    let mut scores: BTreeMap<Kind, Score> = BTreeMap::new();
    let mut problems = Vec::new();
    for c in cases {
        let mut r = Redactor::new(opts);
        for m in &r.find(&c.text) {
            let hit = &c.text[m.start..m.end];
            let ok = c.expect.iter().any(|e| {
                Kind::parse(&e.kind) == Some(m.kind)
                    && (e.value.contains(hit) || hit.contains(&e.value))
            });
            let s = scores.entry(m.kind).or_default();
            if ok {
                s.tp += 1;
            } else {
                s.fp += 1;
                problems.push(format!("wrongly {:?} {hit:?} in {:?}", m.kind, c.text));
            }
        }
        let out = r.redact_str(&c.text).unwrap_or_else(|| c.text.clone());
        for e in &c.expect {
            let kind = Kind::parse(&e.kind)
                .unwrap_or_else(|| panic!("the corpus names an unknown kind {:?}", e.kind));
            if out.contains(&e.value) || !out.contains(&format!("[{} ", kind.label())) {
                scores.entry(kind).or_default().fn_ += 1;
                problems.push(format!(
                    "missed {kind:?} {:?} in {:?} → {out:?}",
                    e.value, c.text
                ));
            }
        }
    }
    (scores, problems)
}
