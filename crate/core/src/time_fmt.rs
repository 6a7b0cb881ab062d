//! Formatting of ChatGPT's epoch-second timestamps.

use time::{Duration, OffsetDateTime, UtcOffset};

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

/// RFC 3339 in UTC with second precision (`2024-12-29T13:23:55Z`), or `None` for junk.
pub fn rfc3339(ts: f64) -> Option<String> {
    let dt = to_datetime(ts, 0)?;
    let dt = dt - Duration::nanoseconds(i64::from(dt.nanosecond()));
    dt.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// A human date and time, `2024-12-29 13:23` plus ` UTC` or the offset (`+02:00`).
pub fn human(ts: f64, offset_minutes: i32) -> Option<String> {
    let dt = to_datetime(ts, offset_minutes)?;
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let mut s = dt.format(&fmt).ok()?;
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
    dt.format(time::macros::format_description!("[year]-[month]-[day]"))
        .ok()
}

/// The time of day for file names, `13-23`.
pub fn clock(ts: f64, offset_minutes: i32) -> Option<String> {
    let dt = to_datetime(ts, offset_minutes)?;
    dt.format(time::macros::format_description!("[hour]-[minute]"))
        .ok()
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
}
