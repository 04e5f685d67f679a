//! Dynamic completion (`COMPLETE=bash queue`, clap_complete's `CompleteEnv`): the values that
//! only the user's queue.toml and store know — named jobs, queues, failed job uuids and batch
//! ids. A completer never prints and never fails: what cannot be read offers nothing.

use crate::config::{self, Selection, Target};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use std::ffi::OsStr;

/// The target of the environment (QUEUE_DATABASE, QUEUE_CONNECTION, QUEUE_CONFIG) from the
/// current directory: a completer sees only the word being completed, not the other flags.
fn target() -> Option<Target> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let selection = Selection {
        database: env("QUEUE_DATABASE"),
        connection: env("QUEUE_CONNECTION"),
        config: env("QUEUE_CONFIG").map(Into::into),
        failed_driver: None,
    };
    config::resolve(&selection, &std::env::current_dir().ok()?).ok()
}

/// The existing store of the environment, opened to read only (never created).
fn store() -> Option<(Target, Box<dyn crate::store::Store>)> {
    let target = target()?;
    let store =
        crate::store::open_existing(&target.location, target.store_options(), clock()).ok()?;
    Some((target, store))
}

fn clock() -> std::sync::Arc<crate::clock::SystemClock> {
    std::sync::Arc::new(crate::clock::SystemClock::from_env())
}

/// The candidates that start with `current`, each with its help text.
fn matching(
    current: &OsStr,
    values: impl IntoIterator<Item = (String, String)>,
) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let mut seen = std::collections::BTreeMap::new();
    for (value, help) in values {
        if value.starts_with(current.as_ref()) {
            seen.entry(value).or_insert(help);
        }
    }
    seen.into_iter()
        .map(|(value, help)| {
            let help = (!help.is_empty()).then(|| help.into());
            CompletionCandidate::new(value).help(help)
        })
        .collect()
}

/// Complete the last item of a comma-separated list (`high,de` → `high,default`).
fn list_of(
    current: &OsStr,
    each: impl Fn(&OsStr) -> Vec<CompletionCandidate>,
) -> Vec<CompletionCandidate> {
    let text = current.to_string_lossy();
    match text.rfind(',') {
        None => each(current),
        Some(at) => {
            let (head, last) = text.split_at(at + 1);
            each(OsStr::new(last))
                .into_iter()
                .map(|c| c.add_prefix(head))
                .collect()
        }
    }
}

/// The named jobs of queue.toml (`dispatch NAME`).
pub fn named_jobs(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(target) = target() else {
        return Vec::new();
    };
    matching(
        current,
        target
            .named_jobs
            .keys()
            .map(|name| (name.clone(), "named job".to_string())),
    )
}

/// Queue names: those the store holds jobs or failed jobs of, and the connection's default.
fn queue_names() -> Vec<(String, String, String)> {
    let Some((target, mut store)) = store() else {
        return target()
            .map(|t| vec![(t.connection.clone(), t.default_queue, String::new())])
            .unwrap_or_default();
    };
    let now = crate::clock::Clock::now_ms(clock().as_ref());
    let mut queues = vec![(
        target.connection.clone(),
        target.default_queue.clone(),
        "the connection's queue".to_string(),
    )];
    for q in store.queue_stats(now).unwrap_or_default() {
        let help = format!("{} pending, {} delayed", q.pending, q.delayed);
        queues.push((q.connection, q.queue, help));
    }
    for f in store.failed_jobs(None).unwrap_or_default() {
        queues.push((f.connection, f.queue, "has failed jobs".to_string()));
    }
    queues
}

/// A queue (`--queue`), or a comma-separated list of them (`work --queue high,default`).
pub fn queues(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = queue_names();
    list_of(current, |last| {
        matching(
            last,
            names.iter().map(|(_, q, help)| (q.clone(), help.clone())),
        )
    })
}

/// `[CONNECTION:]QUEUE` (`pause`, `resume`, `monitor`): both spellings.
pub fn connection_queues(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = queue_names();
    list_of(current, |last| {
        let both = names.iter().flat_map(|(c, q, help)| {
            [
                (q.clone(), help.clone()),
                (format!("{c}:{q}"), help.clone()),
            ]
        });
        matching(last, both)
    })
}

/// Failed job uuids (`retry`, `forget`, `show`), with the job's name and queue.
pub fn failed_uuids(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some((_, mut store)) = store() else {
        return Vec::new();
    };
    let failed = store.failed_jobs(None).unwrap_or_default();
    matching(
        current,
        failed.into_iter().map(|f| {
            let help = format!("{} ({}:{}, failed)", f.name, f.connection, f.queue);
            (f.uuid, help)
        }),
    )
}

/// `retry`'s ids: failed job uuids, or `all`.
pub fn retry_ids(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut all = matching(
        current,
        [("all".to_string(), "every failed job".to_string())],
    );
    all.extend(failed_uuids(current));
    all
}

/// Batch ids (`batch-show`, `batch-cancel`, `retry-batch`), with the batch's name.
pub fn batch_ids(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some((_, mut store)) = store() else {
        return Vec::new();
    };
    let batches = store.batches().unwrap_or_default();
    matching(
        current,
        batches.into_iter().map(|b| {
            let help = if b.name.is_empty() {
                format!("{}/{} processed", b.processed_jobs, b.total_jobs)
            } else {
                format!(
                    "{}: {}/{} processed",
                    b.name, b.processed_jobs, b.total_jobs
                )
            };
            (b.id, help)
        }),
    )
}

/// For `#[arg(add = …)]`.
pub fn with(completer: fn(&OsStr) -> Vec<CompletionCandidate>) -> ArgValueCompleter {
    ArgValueCompleter::new(completer)
}
