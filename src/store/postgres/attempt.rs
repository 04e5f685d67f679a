//! Admission and the end of an attempt on PostgreSQL: the rules are `store::lifecycle`'s, run
//! in one transaction over this dialect's verbs (`verbs.rs`). What is PostgreSQL's own: an
//! attempt with nothing to admit costs no round trip, and a plain attempt (one that changes
//! nothing but its own row) ends in one statement when it asked for nothing from inside.

use super::PostgresStore;
use crate::store::lifecycle;
use crate::store::{Admission, Finished, Intent, Reserved, Verdict};
use anyhow::Result;

/// `Store::admit`.
pub(super) fn admit(store: &mut PostgresStore, job: &Reserved, lease_ms: i64) -> Result<Admission> {
    if !job.payload.needs_admission() {
        // Nothing to check or take: no round trip.
        return Ok(Admission::Run);
    }
    store.write(|tx| lifecycle::admit(tx, job, lease_ms))
}

/// `Store::finish`: a plain attempt in one statement when it asked for nothing, else the
/// lifecycle's transaction, which reads its intent, lets `decide` decide, and applies that.
pub(super) fn finish(
    store: &mut PostgresStore,
    job: &Reserved,
    output: &str,
    decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
) -> Result<Finished> {
    store.vacuum_if_due(1);
    if job.payload.ends_alone() {
        if let Some(finished) = store.finish_plain(job, output, decide)? {
            return Ok(finished);
        }
    }
    let options = store.options.clone();
    store.write(|tx| lifecycle::finish(tx, job, output, decide, &options))
}
