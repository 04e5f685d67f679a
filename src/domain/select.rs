//! Picking jobs by what scripts know of them: a name glob, a text to find, a time window, and
//! uuid prefixes (`3f6c` for `3f6c…`), shared by `jobs`, `failed`, `retry`, `forget`, `cancel`,
//! `run-now`, `show`, `wait` and `logs`.

/// `*` any run of characters, `?` one character; everything else itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The failed-job selection shared by `failed`, `retry` and `forget` (PRODUCT.md §8). The store
/// reads the queue and the time window in SQL, a page at a time; the rest is `matches`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailedSelection {
    pub queue: Option<String>,
    /// A glob (`*`, `?`) the job's name matches.
    pub name: Option<String>,
    /// Failed at or after (unix ms).
    pub since_ms: Option<i64>,
    /// Failed before (unix ms).
    pub before_ms: Option<i64>,
    /// A text found in the error or the last attempt's output.
    pub grep: Option<String>,
    /// The last attempt's exit code, or the exit status a script sees for it (128+N for a
    /// signal, 124 for a timeout).
    pub exit_code: Option<i32>,
    /// At most this many jobs (None: all).
    pub limit: Option<usize>,
}

/// What `FailedSelection::matches` looks at in one failed job.
pub struct FailedFacts<'a> {
    pub name: &'a str,
    pub error: &'a str,
    pub output: &'a str,
    /// Its last attempt's exit code and the status a script sees for it; None when no attempt
    /// was recorded.
    pub exit: Option<(Option<i32>, i32)>,
}

impl FailedSelection {
    /// Whether the selection narrows anything (`retry` and `forget` need one, or `all`).
    pub fn is_narrowed(&self) -> bool {
        *self != FailedSelection::default()
    }

    /// The filters the store does not apply itself.
    pub fn matches(&self, job: &FailedFacts<'_>) -> bool {
        if let Some(glob) = &self.name {
            if !glob_match(glob, job.name) {
                return false;
            }
        }
        if let Some(text) = &self.grep {
            if !(job.error.contains(text.as_str()) || job.output.contains(text.as_str())) {
                return false;
            }
        }
        if let Some(code) = self.exit_code {
            match job.exit {
                Some((exit_code, status)) if exit_code == Some(code) || status == code => {}
                _ => return false,
            }
        }
        true
    }
}

/// A moment in the past given as a duration ago (`1h`) or an RFC 3339 time; unix ms.
pub fn parse_past(text: &str, now_ms: i64) -> Result<i64, String> {
    match super::duration::parse_duration(text) {
        Ok(d) => Ok(now_ms - d.as_millis() as i64),
        Err(_) => super::duration::parse_instant(text, now_ms),
    }
}

/// How a uuid (or a prefix of one) given on the command line resolved among the stored ones.
pub fn resolve_prefix(given: &str, found: &[String]) -> Result<String, String> {
    match found {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "no job with id {given} (see `queue jobs`, `queue failed`)"
        )),
        many => Err(format!(
            "job id prefix {given} is ambiguous: it matches {}{}",
            many.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if many.len() > 5 { ", …" } else { "" }
        )),
    }
}

/// A prefix worth looking up: hex digits and dashes, at least 4 characters.
pub fn valid_prefix(text: &str) -> bool {
    text.len() >= 4 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("report-*", "report-2024"));
        assert!(glob_match("*x*", "abxcd"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("report", "reports"));
    }

    #[test]
    fn failed_selection() {
        let job = FailedFacts {
            name: "report-7",
            error: "exit 3\nboom",
            output: "partial",
            exit: Some((None, 137)),
        };
        let sel = |f: fn(&mut FailedSelection)| {
            let mut s = FailedSelection::default();
            f(&mut s);
            s
        };
        assert!(FailedSelection::default().matches(&job));
        assert!(!FailedSelection::default().is_narrowed());
        assert!(sel(|s| s.name = Some("report-*".into())).matches(&job));
        assert!(!sel(|s| s.name = Some("mail-*".into())).matches(&job));
        assert!(sel(|s| s.grep = Some("boom".into())).matches(&job));
        assert!(sel(|s| s.grep = Some("partial".into())).matches(&job));
        assert!(!sel(|s| s.grep = Some("nope".into())).matches(&job));
        assert!(sel(|s| s.exit_code = Some(137)).matches(&job));
        assert!(!sel(|s| s.exit_code = Some(3)).matches(&job));
        let unrecorded = FailedFacts { exit: None, ..job };
        assert!(!sel(|s| s.exit_code = Some(137)).matches(&unrecorded));
        assert_eq!(
            parse_past("1h", 10_000_000).unwrap(),
            10_000_000 - 3_600_000
        );
        assert_eq!(parse_past("1970-01-01T00:00:01Z", 0).unwrap(), 1000);
        assert!(parse_past("soon", 0).is_err());
    }

    #[test]
    fn prefixes() {
        let one = vec!["3f6c-aa".to_string()];
        assert_eq!(resolve_prefix("3f6c", &one).unwrap(), "3f6c-aa");
        assert!(resolve_prefix("3f6c", &[]).unwrap_err().contains("no job"));
        let two = vec!["3f6c-aa".to_string(), "3f6c-bb".to_string()];
        let e = resolve_prefix("3f6c", &two).unwrap_err();
        assert!(e.contains("ambiguous") && e.contains("3f6c-bb"), "{e}");
        assert!(valid_prefix("3f6c") && !valid_prefix("3f") && !valid_prefix("zz-zz"));
    }
}
