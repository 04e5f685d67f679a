//! One file per command: its clap `Args` and its `run`.

pub mod batch;
pub mod batches;
pub mod bench;
pub mod cancel;
pub mod chain;
pub mod chain_add;
pub mod clear;
pub mod complete;
pub mod completions;
pub mod dispatch;
pub mod events;
pub mod fail;
pub mod failed;
pub mod flush;
pub mod forget;
pub mod jobs;
pub mod key_generate;
pub mod listen;
pub mod lock;
pub mod logs;
pub mod maintenance;
pub mod migrate;
pub mod monitor;
pub mod now;
pub mod pause;
pub mod prune_failed;
pub mod release;
pub mod restart;
pub mod retry;
pub mod run_now;
pub mod show;
pub mod status;
pub mod supervisor;
pub mod table;
pub mod ui;
pub mod wait;
pub mod work;

use anyhow::{bail, Result};

/// Check that an id looks like a job uuid before asking the store about it.
pub fn parse_uuid(text: &str) -> Result<String> {
    match uuid::Uuid::parse_str(text.trim()) {
        Ok(id) => Ok(id.hyphenated().to_string()),
        Err(_) => bail!(
            "invalid job id '{text}': expected a uuid as printed by `queue dispatch` or `queue failed`"
        ),
    }
}

/// The candidate closest to `word` when it is close enough to be a typo ("did you mean").
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a String>,
) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let here = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb))
                    .min(row[j] + 1)
                    .min(here + 1);
                prev = here;
            }
        }
        row[b.len()]
    }
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// The full uuid of a job given by its uuid or a unique prefix of it (ambiguous or unknown: an
/// error that says which).
pub fn resolve_uuid(store: &mut dyn crate::store::Store, text: &str) -> Result<String> {
    use crate::domain::select::{resolve_prefix, valid_prefix};
    let text = text.trim();
    if let Ok(full) = parse_uuid(text) {
        return Ok(full);
    }
    let prefix = text.to_ascii_lowercase();
    if !valid_prefix(&prefix) {
        bail!(
            "invalid job id '{text}': expected a uuid, or at least its first 4 characters, as printed by `queue dispatch` or `queue jobs`"
        );
    }
    let found = store.find_uuids(&prefix, 6)?;
    resolve_prefix(text, &found).map_err(anyhow::Error::msg)
}

/// `resolve_uuid` for each of several ids.
pub fn resolve_uuids(store: &mut dyn crate::store::Store, texts: &[String]) -> Result<Vec<String>> {
    texts.iter().map(|t| resolve_uuid(store, t)).collect()
}

/// The one form of every clean-up message: "Deleted 3 failed jobs at least 24 hours old." or
/// "Nothing to delete: no failed jobs at least 24 hours old." (`scope` starts with a space, or is
/// empty).
pub fn deleted(count: usize, one: &str, many: &str, scope: &str) -> String {
    match count {
        0 => format!("Nothing to delete: no {many}{scope}."),
        1 => format!("Deleted 1 {one}{scope}."),
        n => format!("Deleted {n} {many}{scope}."),
    }
}

/// "24 hours", "1 hour", "0.5 hours".
pub fn hours(h: f64) -> String {
    if h == 1.0 {
        "1 hour".to_string()
    } else {
        format!("{h} hours")
    }
}
