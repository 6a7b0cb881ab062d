//! Formatting of ChatGPT's epoch-second timestamps.

use time::{OffsetDateTime, UtcOffset};

fn to_datetime(ts: f64, offset_minutes: i32) -> Option<OffsetDateTime> {
    if !ts.is_finite() {
        return None;
    }
    let nanos = (ts * 1e9).round();
    // Beyond ±10,000 years `time` refuses; such values are junk anyway.
    if nanos.abs() > 2.5e20 {
        return None;
    }
    let dt = OffsetDateTime::from_unix_timestamp_nanos(nanos as i128).ok()?;
    let offset = UtcOffset::from_whole_seconds(offset_minutes.clamp(-1439, 1439) * 60).ok()?;
    Some(dt.to_offset(offset))
}

/// `2024-12-29`: the year with at least four digits (a sign when negative), month, day.
/// Written by hand rather than with `time`'s formatting machinery, which weighed about
/// 12 KB in the wasm (README.md, "Size of the wasm"); a test checks it against `time`.
fn push_date(s: &mut String, dt: &OffsetDateTime) {
    use std::fmt::Write;
    let y = dt.year();
    let sign = if y < 0 { "-" } else { "" };
    let _ = write!(
        s,
        "{sign}{:04}-{:02}-{:02}",
        y.unsigned_abs(),
        u8::from(dt.month()),
        dt.day()
    );
}

/// RFC 3339 in UTC with second precision (`2024-12-29T13:23:55Z`), or `None` for junk
/// (and for years RFC 3339 cannot write, before 0 or after 9999).
pub fn rfc3339(ts: f64) -> Option<String> {
    let dt = to_datetime(ts, 0)?;
    if !(0..=9999).contains(&dt.year()) {
        return None;
    }
    let mut s = String::with_capacity(20);
    push_date(&mut s, &dt);
    s.push_str(&format!(
        "T{:02}:{:02}:{:02}Z",
        dt.hour(),
        dt.minute(),
        dt.second()
    ));
    Some(s)
}

/// A human date and time, `2024-12-29 13:23` plus ` UTC` or the offset (`+02:00`).
pub fn human(ts: f64, offset_minutes: i32) -> Option<String> {
    let dt = to_datetime(ts, offset_minutes)?;
    let mut s = String::with_capacity(22);
    push_date(&mut s, &dt);
    s.push_str(&format!(" {:02}:{:02}", dt.hour(), dt.minute()));
    if offset_minutes == 0 {
        s.push_str(" UTC");
    } else {
        let o = dt.offset();
        let sign = if o.is_negative() { '-' } else { '+' };
        s.push_str(&format!(
            " {sign}{:02}:{:02}",
            o.whole_hours().unsigned_abs(),
            o.minutes_past_hour().unsigned_abs()
        ));
    }
    Some(s)
}

/// The date part alone, `2024-12-29`.
pub fn date(ts: f64, offset_minutes: i32) -> Option<String> {
    let dt = to_datetime(ts, offset_minutes)?;
    let mut s = String::with_capacity(10);
    push_date(&mut s, &dt);
    Some(s)
}

/// The time of day for file names, `13-23`.
pub fn clock(ts: f64, offset_minutes: i32) -> Option<String> {
    let dt = to_datetime(ts, offset_minutes)?;
    Some(format!("{:02}-{:02}", dt.hour(), dt.minute()))
}

/// Parses an RFC 3339 time (as the conversation list endpoint sends) to epoch seconds.
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let dt =
        OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    Some(dt.unix_timestamp_nanos() as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(
            rfc3339(1735478635.89).as_deref(),
            Some("2024-12-29T13:23:55Z")
        );
        assert_eq!(
            human(1735478635.89, 0).as_deref(),
            Some("2024-12-29 13:23 UTC")
        );
        assert_eq!(
            human(1735478635.89, 120).as_deref(),
            Some("2024-12-29 15:23 +02:00")
        );
        assert_eq!(
            human(1735478635.89, -330).as_deref(),
            Some("2024-12-29 07:53 -05:30")
        );
        assert_eq!(date(1735478635.89, 0).as_deref(), Some("2024-12-29"));
        assert_eq!(rfc3339(f64::NAN), None);
        assert_eq!(rfc3339(1e300), None);
        assert_eq!(parse_rfc3339("2024-12-29T13:23:55Z"), Some(1735478635.0));
    }

    /// The hand-written formatting gives what `time`'s formatting gave, over a sweep of
    /// times from year -5920 to 9860 (what `to_datetime` accepts) and offsets.
    #[test]
    fn formats_as_the_time_crate() {
        use time::format_description::well_known::Rfc3339;
        use time::macros::format_description;
        let mut ts = -249_000_000_000.0_f64;
        let mut n = 0u64;
        while ts < 249_000_000_000.0 {
            for off in [0, 1, -1, 59, 60, 61, 120, -330, 345, 840, -720, 1439, -1439] {
                let dt = to_datetime(ts, off).expect("in range");
                let want = dt
                    .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
                    .expect("formats");
                let got = human(ts, off).expect("formats");
                assert!(got.starts_with(&want), "{ts} {off}: {got} vs {want}");
                let want = dt.format(format_description!("[year]-[month]-[day]")).ok();
                assert_eq!(date(ts, off), want, "{ts} {off}");
                let want = dt.format(format_description!("[hour]-[minute]")).ok();
                assert_eq!(clock(ts, off), want, "{ts} {off}");
            }
            let dt = to_datetime(ts, 0).expect("in range");
            let dt = dt - time::Duration::nanoseconds(i64::from(dt.nanosecond()));
            assert_eq!(rfc3339(ts), dt.format(&Rfc3339).ok(), "{ts}");
            n += 1;
            ts += 7_777_777.123 + (n % 97) as f64 * 86_399.5;
        }
        assert!(n > 10_000);
    }
}
