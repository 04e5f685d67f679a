//! Parsing of the duration and instant forms the CLI accepts: `30`, `30s`, `1.5s`, `250ms`, `5m`,
//! `2h`, `1d`, or an RFC 3339 time for options that name a moment (`--delay`, `--retry-until`).

use chrono::DateTime;
use std::time::Duration;

/// A duration such as `30`, `30s`, `250ms`, `1.5m`, `2h`, `1d`, `1w`, `5minutes`, `5 minutes`
/// or a sum of parts, `1h30m`. A bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(bad_duration(text));
    }
    let mut rest = t;
    let mut secs = 0.0;
    let mut parts = 0;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(split);
        let value: f64 = number
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad_duration(text))?;
        let tail = tail.trim_start();
        let unit_len = tail
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(tail.len());
        let (unit, after) = tail.split_at(unit_len);
        let scale = unit_scale(unit).ok_or_else(|| bad_duration(text))?;
        // A bare number is only the whole duration (`30`), never one part of a sum.
        if unit.is_empty() && (parts > 0 || !after.trim().is_empty()) {
            return Err(bad_duration(text));
        }
        secs += value * scale;
        parts += 1;
        rest = after.trim_start();
    }
    if secs > 100.0 * 365.0 * 86_400.0 {
        return Err(format!(
            "duration '{text}' is too long (more than 100 years)"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Seconds per unit, for the spellings a duration accepts.
fn unit_scale(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" | "msec" | "millisecond" | "milliseconds" => 0.001,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 7.0 * 86_400.0,
        _ => return None,
    })
}

/// Whether a word is a duration unit on its own (`minutes` in `--delay 5 minutes`, which the
/// shell split from its number).
pub fn is_unit_word(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic()) && unit_scale(word).is_some()
}

fn bad_duration(text: &str) -> String {
    format!("invalid duration '{text}': use seconds (30), or numbers with units ms, s, m, h, d or w (30s, 5m, 1h30m, 2d, 1w)")
}

/// A moment given either as a duration from `now_ms` or as an RFC 3339 time; returns unix ms.
pub fn parse_instant(text: &str, now_ms: i64) -> Result<i64, String> {
    if let Ok(d) = parse_duration(text) {
        return Ok(now_ms + d.as_millis() as i64);
    }
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            format!(
                "invalid time '{text}': use a duration (30s, 5m, 1h30m, 1d) or an RFC 3339 time (2026-01-31T09:00:00Z)"
            )
        })
}

/// A comma-separated list of backoff delays, each a duration: `1,5,10` or `1s,1m`. Whole seconds.
pub fn parse_backoff(text: &str) -> Result<Vec<u64>, String> {
    text.split(',')
        .map(|part| {
            let d = parse_duration(part).map_err(|_| {
                format!("invalid backoff '{text}': use a comma-separated list of seconds such as 1,5,10")
            })?;
            Ok(d.as_secs_f64().round() as u64)
        })
        .collect()
}

/// A short human form of a millisecond span: `850ms`, `3.2s`, `4m 10s`, `2h 5m`, `3d 4h`.
pub fn humanize_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = ms / 1000;
    if secs < 60 {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m {s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(
            parse_duration("5minutes").unwrap(),
            Duration::from_secs(300)
        );
        assert_eq!(
            parse_duration("5 minutes").unwrap(),
            Duration::from_secs(300)
        );
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(604_800));
        assert_eq!(
            parse_duration("2 Hours").unwrap(),
            Duration::from_secs(7200)
        );
        for bad in ["", "x", "5x", "-3", "1..2s", "s", "5 m m", "1h30", "30 1h"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("5m", 1_000).unwrap(), 301_000);
        assert_eq!(
            parse_instant("2026-01-01T00:00:00Z", 0).unwrap(),
            1_767_225_600_000
        );
        assert!(parse_instant("tomorrow", 0).is_err());
    }

    #[test]
    fn backoff_lists() {
        assert_eq!(parse_backoff("1,5,10").unwrap(), vec![1, 5, 10]);
        assert_eq!(parse_backoff("1m,2s").unwrap(), vec![60, 2]);
        assert!(parse_backoff("1,,2").is_err());
    }

    #[test]
    fn human_spans() {
        assert_eq!(humanize_ms(12), "12ms");
        assert_eq!(humanize_ms(3_210), "3.2s");
        assert_eq!(humanize_ms(250_000), "4m 10s");
        assert_eq!(humanize_ms(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
    }
}
