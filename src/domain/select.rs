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
