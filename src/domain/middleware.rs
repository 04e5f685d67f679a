//! Unique jobs and job middleware (reference §7 and §10), as the options that carry them:
//! `--unique [ID]`, `--without-overlapping KEY`, `--throttle-exceptions MAX/SECONDS[@KEY]`,
//! `--rate-limit KEY=N/SECONDS` and `--funnel KEY=N`. Parsing and the lock/counter keys live
//! here; the store keeps every lock and counter so they hold across processes and hosts.

use serde::{Deserialize, Serialize};

/// A unique job's lock: taken at dispatch in the insert's transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UniqueLock {
    /// The lock key, `unique:<job name>:<id>`.
    pub key: String,
    /// Released when the job starts instead of when it finishes.
    #[serde(default)]
    pub until_processing: bool,
}

/// At most `max` exceptions per `seconds` for jobs sharing `key`; then they are held back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throttle {
    pub max: u32,
    pub seconds: u64,
    pub key: String,
}

/// At most `max` starts per fixed window of `seconds` for jobs sharing `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub key: String,
    pub max: u32,
    pub seconds: u64,
}

/// At most `max` jobs sharing `key` running at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub key: String,
    pub max: u32,
}

/// The middleware a job runs through, checked in this order before each attempt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Middleware {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle_exceptions: Option<Throttle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funnel: Option<Funnel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_overlapping: Option<String>,
    /// WithoutOverlapping's releaseAfter: a job held back comes back after these seconds
    /// (None: when the holder ends, or after a lease at the latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_release_after: Option<u64>,
    /// WithoutOverlapping's expireAfter: the lock lapses after these seconds (None: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_expire_after: Option<u64>,
    /// dontRelease(): a job held back by the overlap lock or the rate limit is dropped as a
    /// success instead of released.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dont_release: bool,
}

impl Middleware {
    pub fn is_empty(&self) -> bool {
        *self == Middleware::default()
    }

    /// The options that only mean something with another one.
    pub fn check(&self) -> Result<(), String> {
        if self.without_overlapping.is_none()
            && (self.overlap_release_after.is_some() || self.overlap_expire_after.is_some())
        {
            return Err(
                "--overlap-release-after and --overlap-expire-after need --without-overlapping"
                    .into(),
            );
        }
        if self.dont_release && self.without_overlapping.is_none() && self.rate_limit.is_none() {
            return Err("--dont-release needs --without-overlapping or --rate-limit".into());
        }
        if self.dont_release && self.overlap_release_after.is_some() {
            return Err("--dont-release and --overlap-release-after contradict each other: a held-back job is either dropped or released".into());
        }
        Ok(())
    }

    /// The keys whose checks and counts must not interleave between two attempts (a window
    /// read and then counted, a funnel's slots tried one by one), in a fixed order so that
    /// transactions taking turns on them cannot deadlock.
    pub fn serial_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(self.rate_limit.as_ref().map(|r| rate_key(&r.key)));
        keys.extend(
            self.throttle_exceptions
                .as_ref()
                .map(|t| throttle_key(&t.key)),
        );
        keys.extend(self.funnel.as_ref().map(|f| funnel_key(&f.key)));
        keys.extend(self.without_overlapping.as_ref().map(|k| overlap_key(k)));
        keys.sort();
        keys
    }
}

/// Keys of the store's `locks` and `limiters` rows.
pub fn unique_key(job_name: &str, id: &str) -> String {
    format!("unique:{job_name}:{id}")
}
pub fn overlap_key(key: &str) -> String {
    format!("overlap:{key}")
}
/// What jobs held back by a full funnel park on (each slot is its own lock).
pub fn funnel_key(key: &str) -> String {
    format!("funnel:{key}")
}
pub fn funnel_slot_key(key: &str, slot: u32) -> String {
    format!("funnel:{key}:{slot}")
}
pub fn rate_key(key: &str) -> String {
    format!("rate:{key}")
}
pub fn throttle_key(key: &str) -> String {
    format!("throttle:{key}")
}

fn check_key(key: &str, flag: &str) -> Result<String, String> {
    let key = key.trim();
    if key.is_empty() || key.chars().any(|c| c.is_control()) {
        return Err(format!("{flag}: the key is empty"));
    }
    Ok(key.to_string())
}

fn positive(text: &str, what: &str, flag: &str, example: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{flag}: {what} must be a whole number above 0, as in {example}"
        )),
    }
}

/// `KEY=N/SECONDS`, e.g. `api=10/60`.
pub fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    const FLAG: &str = "--rate-limit";
    const EX: &str = "api=10/60";
    let (key, rest) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("{FLAG} '{text}': use KEY=N/SECONDS, as in {EX}"))?;
    let (n, secs) = rest
        .split_once('/')
        .ok_or_else(|| format!("{FLAG} '{text}': use KEY=N/SECONDS, as in {EX}"))?;
    Ok(RateLimit {
        key: check_key(key, FLAG)?,
        max: positive(n, "N", FLAG, EX)? as u32,
        seconds: positive(secs, "SECONDS", FLAG, EX)?,
    })
}

/// `MAX/SECONDS[@KEY]`, e.g. `5/600@payments`; the key defaults to the job's name.
pub fn parse_throttle(text: &str, default_key: &str) -> Result<Throttle, String> {
    const FLAG: &str = "--throttle-exceptions";
    const EX: &str = "5/600@payments";
    let (spec, key) = match text.split_once('@') {
        Some((spec, key)) => (spec, check_key(key, FLAG)?),
        None => (text, default_key.to_string()),
    };
    let (max, secs) = spec
        .split_once('/')
        .ok_or_else(|| format!("{FLAG} '{text}': use MAX/SECONDS[@KEY], as in {EX}"))?;
    Ok(Throttle {
        max: positive(max, "MAX", FLAG, EX)? as u32,
        seconds: positive(secs, "SECONDS", FLAG, EX)?,
        key,
    })
}

/// `KEY=N`, e.g. `ffmpeg=2`.
pub fn parse_funnel(text: &str) -> Result<Funnel, String> {
    const FLAG: &str = "--funnel";
    const EX: &str = "ffmpeg=2";
    let (key, n) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("{FLAG} '{text}': use KEY=N, as in {EX}"))?;
    Ok(Funnel {
        key: check_key(key, FLAG)?,
        max: positive(n, "N", FLAG, EX)? as u32,
    })
}

pub fn parse_overlap_key(text: &str) -> Result<String, String> {
    check_key(text, "--without-overlapping")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits() {
        assert_eq!(
            parse_rate_limit("api=10/60").unwrap(),
            RateLimit {
                key: "api".into(),
                max: 10,
                seconds: 60
            }
        );
        for bad in [
            "api", "api=10", "=10/60", "api=0/60", "api=x/60", "api=10/0",
        ] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn throttles_default_to_the_job_name() {
        assert_eq!(parse_throttle("5/600", "sync").unwrap().key, "sync");
        let t = parse_throttle("5/600@pay", "sync").unwrap();
        assert_eq!((t.max, t.seconds, t.key.as_str()), (5, 600, "pay"));
        assert!(parse_throttle("5", "x").is_err());
        assert!(parse_throttle("5/600@", "x").is_err());
    }

    #[test]
    fn funnels() {
        assert_eq!(parse_funnel("ff=2").unwrap().max, 2);
        assert!(parse_funnel("ff").is_err());
        assert!(parse_funnel("ff=0").is_err());
    }
}
