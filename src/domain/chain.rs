//! Chains: the links waiting in a job's payload for their turn (a job, or a batch), what a
//! running link adds to its chain (`queue chain-add`), and how a list of jobs becomes a chain.

use super::batch::BatchOptions;
use super::job::{NewJob, Payload};
use serde::{Deserialize, Serialize};

/// A batch waiting in a chain for its turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainedBatch {
    pub name: String,
    pub options: BatchOptions,
    /// Its jobs, each the first link of its own chain inside the batch, marked with the batch.
    pub jobs: Vec<Link>,
}

impl ChainedBatch {
    /// Its jobs, as dispatched at `now_ms` (each link's delay counted from then).
    pub fn jobs_at(&self, now_ms: i64) -> Vec<NewJob> {
        self.jobs.iter().map(|l| l.job_at(now_ms)).collect()
    }

    /// Every link of every chain counts as a job of the batch.
    pub fn total(&self) -> i64 {
        self.jobs
            .iter()
            .map(|l| 1 + l.payload.chained.len() as i64)
            .sum()
    }
}

/// A link of a chain waiting for its turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub queue: String,
    /// Its own dispatch delay, counted from when the link before it succeeds.
    #[serde(default)]
    pub delay_ms: i64,
    pub payload: Payload,
}

impl Link {
    /// The link as a job dispatched at `now_ms`.
    pub fn job_at(&self, now_ms: i64) -> NewJob {
        let mut payload = self.payload.clone();
        payload.created_at = now_ms;
        NewJob {
            queue: self.queue.clone(),
            available_at: now_ms + self.delay_ms,
            unique_expires_at: None,
            encrypt: false,
            payload,
        }
    }

    pub fn from_job(job: NewJob) -> Link {
        Link {
            queue: job.queue,
            delay_ms: job.available_at - job.payload.created_at,
            payload: job.payload,
        }
    }
}

/// What one attempt added to its chain with `queue chain-add` (Laravel's `prependToChain` /
/// `appendToChain`). It belongs to the attempt: kept with its intent, so a release discards it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainAdditions {
    /// Run first, before the rest of the chain; a later `--prepend` goes before an earlier one
    /// (as Laravel's array_unshift), each keeping its own links' order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prepend: Vec<Link>,
    /// Run after the rest of the chain, in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub append: Vec<Link>,
}

impl ChainAdditions {
    pub fn is_empty(&self) -> bool {
        self.prepend.is_empty() && self.append.is_empty()
    }

    /// How many links were added.
    pub fn len(&self) -> usize {
        self.prepend.len() + self.append.len()
    }

    /// Add `links` in front of the chain (`prepend`) or at its end. Links already added (the
    /// same uuid: a retried request whose answer was lost) are not added again.
    pub fn add(&mut self, prepend: bool, mut links: Vec<Link>) {
        links.retain(|l| {
            let uuid = &l.payload.uuid;
            !self
                .prepend
                .iter()
                .chain(&self.append)
                .any(|o| &o.payload.uuid == uuid)
        });
        if prepend {
            let earlier = std::mem::replace(&mut self.prepend, links);
            self.prepend.extend(earlier);
        } else {
            self.append.extend(links);
        }
    }
}

/// Make `jobs` one chain: the first carries the rest (and the catch command); returns it.
pub fn chain(mut jobs: Vec<NewJob>, catch: Option<String>) -> Option<NewJob> {
    if jobs.is_empty() {
        return None;
    }
    let mut first = jobs.remove(0);
    first.payload.chained = jobs.into_iter().map(Link::from_job).collect();
    first.payload.chain_catch = catch;
    Some(first)
}

/// The first of `links` as a job to insert at `now_ms`, carrying the rest, the chain's catch and
/// its batch. None when there is no link left.
pub fn link_job(
    links: &[Link],
    catch: &Option<String>,
    batch_id: &Option<String>,
    now_ms: i64,
) -> Option<NewJob> {
    let (next, rest) = links.split_first()?;
    let mut job = next.job_at(now_ms);
    job.payload.chained = rest.to_vec();
    job.payload.chain_catch = catch.clone();
    if job.payload.chained_batch.is_none() {
        job.payload.batch_id = batch_id.clone();
    }
    Some(job)
}
