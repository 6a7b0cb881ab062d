//! When the next request may go: one at a time, a polite gap between them, ChatGPT's
//! `Retry-After` honoured on 429, exponential back-off otherwise, and a slower pace for a
//! while after ChatGPT has limited us (so the run does not keep running into the limit).

use serde::{Deserialize, Serialize};

/// The longest wait a `Retry-After` is believed for (a larger value is taken as this).
const RETRY_AFTER_CAP_MS: f64 = 15.0 * 60_000.0;
/// The slowest pace after repeated 429s: one request a minute (ChatGPT's observed rate).
const PACE_CAP_MS: f64 = 60_000.0;
/// Successes in a row after which the pace is halved again, towards the polite gap.
const RELAX_AFTER: u32 = 10;
/// The longest wait before retrying a transient failure.
const RETRY_CAP_MS: f64 = 60_000.0;

/// The pacing state. Times are milliseconds on the caller's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throttle {
    /// No request before this time.
    pub not_before: f64,
    /// Why we wait until `not_before`.
    pub reason: WaitReason,
    /// The gap after each success (the polite gap, or more after a 429).
    pace: f64,
    /// Successes since the last 429.
    streak: u32,
    /// The next back-off for a 429 without `Retry-After`.
    backoff: f64,
}

/// Why the backup waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The polite gap between requests.
    Pace,
    /// ChatGPT answered 429: it is limiting requests.
    RateLimited,
    /// A request failed for a passing reason and will be tried again.
    Retry,
}

/// The timing settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// The polite gap between requests.
    pub gap_ms: f64,
    /// The first back-off after a 429 without `Retry-After`.
    pub backoff_start_ms: f64,
    /// The longest back-off.
    pub backoff_cap_ms: f64,
}

impl Throttle {
    /// A throttle that allows a request at once.
    pub fn new(t: &Timing) -> Self {
        Throttle {
            not_before: 0.0,
            reason: WaitReason::Pace,
            pace: t.gap_ms,
            streak: 0,
            backoff: t.backoff_start_ms,
        }
    }

    /// A request answered: the next one after the current pace, which relaxes towards the
    /// polite gap after a run of successes.
    pub fn success(&mut self, now: f64, t: &Timing) {
        self.streak += 1;
        if self.streak >= RELAX_AFTER && self.pace > t.gap_ms {
            self.pace = (self.pace / 2.0).max(t.gap_ms);
            self.streak = 0;
        }
        self.backoff = t.backoff_start_ms;
        self.wait(now + self.pace, WaitReason::Pace);
    }

    /// ChatGPT answered 429 (or 503 with `Retry-After`): wait as it says, or back off; and
    /// go slower for a while.
    pub fn limited(&mut self, now: f64, retry_after: Option<f64>, t: &Timing) {
        let wait = match retry_after {
            Some(ms) => ms.max(t.gap_ms).min(RETRY_AFTER_CAP_MS.max(t.gap_ms)),
            None => {
                let b = self.backoff;
                self.backoff = (self.backoff * 2.0).min(t.backoff_cap_ms);
                b
            }
        };
        self.pace = (self.pace * 2.0).clamp(t.gap_ms, PACE_CAP_MS.max(t.gap_ms));
        self.streak = 0;
        self.wait(now + wait, WaitReason::RateLimited);
    }

    /// A passing failure, the `attempt`-th for this request: wait longer each time.
    pub fn failed(&mut self, now: f64, attempt: u32, t: &Timing) {
        let wait = (t.gap_ms.max(1.0) * 4f64.powi(attempt.min(8) as i32)).min(RETRY_CAP_MS);
        self.wait(now + wait.max(self.pace), WaitReason::Retry);
    }

    fn wait(&mut self, until: f64, reason: WaitReason) {
        self.not_before = until;
        self.reason = reason;
    }
}

/// A `Retry-After` value in milliseconds: seconds (fractions allowed), or an HTTP date
/// relative to `now_ms` (epoch milliseconds).
pub fn retry_after_ms(value: &str, now_ms: f64) -> Option<f64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then_some(secs * 1000.0);
    }
    let when = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822)
        .ok()?
        .unix_timestamp() as f64
        * 1000.0;
    Some((when - now_ms).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timing = Timing {
        gap_ms: 1000.0,
        backoff_start_ms: 60_000.0,
        backoff_cap_ms: 300_000.0,
    };

    #[test]
    fn backs_off_doubling_to_the_cap_and_honours_retry_after() {
        let mut th = Throttle::new(&T);
        let waits: Vec<f64> = (0..5)
            .map(|_| {
                th.limited(0.0, None, &T);
                th.not_before
            })
            .collect();
        assert_eq!(
            waits,
            [60_000.0, 120_000.0, 240_000.0, 300_000.0, 300_000.0]
        );
        th.limited(0.0, Some(7_000.0), &T);
        assert_eq!(
            (th.not_before, th.reason),
            (7_000.0, WaitReason::RateLimited)
        );
        th.success(10_000.0, &T);
        th.limited(0.0, None, &T);
        assert_eq!(th.not_before, 60_000.0, "a success resets the back-off");
    }

    #[test]
    fn the_pace_slows_after_429_and_relaxes_after_successes() {
        let mut th = Throttle::new(&T);
        th.limited(0.0, Some(1.0), &T);
        th.limited(0.0, Some(1.0), &T);
        th.success(0.0, &T);
        assert_eq!(th.not_before, 4_000.0);
        for _ in 0..RELAX_AFTER {
            th.success(0.0, &T);
        }
        assert_eq!(th.not_before, 2_000.0);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after_ms("2", 0.0), Some(2000.0));
        assert_eq!(retry_after_ms(" 0.25 ", 0.0), Some(250.0));
        assert_eq!(retry_after_ms("-1", 0.0), None);
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000.0),
            Some(10_000.0)
        );
        assert_eq!(retry_after_ms("soon", 0.0), None);
    }
}
