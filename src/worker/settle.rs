//! Settling ended attempts: each is recorded with the policy's verdict on it (`verdict`, given
//! the store's view at the time), all in one transaction together with the next claim, so a
//! busy worker commits once per batch of jobs; then each is reported to the worker's output.

use super::attempt::Ended;
use super::limits_for;
use super::main_loop::Worker;
use super::Event;
use crate::domain::policy::{verdict, Attempt, Outcome};
use crate::store::{Claim, Ending, Finished, Intent, Reserved};
use anyhow::Result;
use std::time::Duration;

/// The claim to make in the same store call: up to `limit` jobs from `queues`.
pub(super) struct NextClaim<'q> {
    pub queues: &'q [String],
    pub limit: usize,
}

impl Worker<'_> {
    /// Record the ended attempts (all in one transaction) and report them, and claim up to
    /// `next`'s limit of jobs from its queues in the same store call; returns the jobs claimed.
    pub(super) fn settle(&mut self, next: Option<NextClaim<'_>>) -> Result<Vec<Reserved>> {
        // One instant for both: a job released without delay is available to the claim.
        let now = self.clock.now_ms();
        let worker_id = self.worker_id.clone();
        let lease_ms = self.opts.lease.as_millis() as i64;
        let claim = next.as_ref().map(|next| Claim {
            queues: next.queues,
            worker_id: &worker_id,
            now_ms: now,
            lease_ms,
        });
        let next = claim.as_ref().zip(next.map(|next| next.limit));
        let ended = std::mem::take(&mut self.ended);
        if ended.is_empty() {
            return match next {
                Some((claim, limit)) if limit > 0 => self.store.claim_many(claim, limit),
                _ => Ok(Vec::new()),
            };
        }
        let opts = self.opts;
        let mut endings: Vec<Ending<'_>> = ended
            .iter()
            .map(|Ended { running, end }| {
                let job = &running.job;
                let attempt = Attempt {
                    attempts: job.attempts,
                    exceptions: job.exceptions,
                    limits: limits_for(job, opts),
                    throttled: job.payload.middleware.throttle_exceptions.is_some(),
                };
                let observed = end.outcome.clone();
                let decide =
                    move |intent: Option<Intent>| verdict(&attempt, &observed, intent, now);
                Ending {
                    job,
                    output: &end.output,
                    decide: Box::new(decide),
                }
            })
            .collect();
        let result = self.store.finish_and_claim(&mut endings, now, next);
        drop(endings);
        let (applied, claimed) = match result {
            Ok(done) => done,
            Err(e) => {
                // Nothing was recorded: keep them for the next try (the store may be away).
                self.ended = ended;
                return Err(e);
            }
        };
        for (Ended { running, end }, applied) in ended.iter().zip(applied) {
            let cause = match &end.outcome {
                Outcome::Exception { message } => {
                    Some(message.lines().next().unwrap_or("").to_string())
                }
                Outcome::TimedOut { timeout_secs } => {
                    Some(format!("timed out after {timeout_secs}s"))
                }
                _ => None,
            };
            self.report_finish(
                &running.job,
                applied,
                end.elapsed,
                cause.as_deref(),
                end.not_started(),
            );
        }
        Ok(claimed)
    }

    /// Tell the output what recording an attempt did.
    pub(super) fn report_finish(
        &mut self,
        job: &Reserved,
        applied: Finished,
        elapsed: Duration,
        cause: Option<&str>,
        not_started: Option<&str>,
    ) {
        match applied {
            Finished::Applied(decision) => self.reporter.report(Event::Finished {
                job,
                decision: &decision,
                elapsed,
                cause,
                not_started,
            }),
            Finished::LeaseLost => self.reporter.report(Event::Lost { job }),
        }
    }
}
