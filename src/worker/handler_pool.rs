//! Rust handlers on a pool of threads: the task a slot sends, running it (a panic is the
//! attempt's exception), the deadlines the loop enforces, since a handler's thread cannot be
//! killed, and how many jobs the loop claims ahead for the pool.
//!
//! Claiming ahead: a pool of short handlers would spend most of its time waiting for the loop's
//! next claim and commit if the loop claimed only as many jobs as it has threads. So the loop
//! keeps a queue of tasks before the threads (the pool's channel, in claim order), as long as
//! the handlers measured so far take them in about `QUEUED_FOR`: no-op handlers get up to
//! `MAX_QUEUED` jobs in hand, and handlers of a second or more none at all, so a worker never
//! holds jobs that other workers could run sooner. Jobs in hand are the worker's like running
//! ones (heartbeated, waited for at a stop). A queued task's deadline counts from when a thread
//! takes it, and that thread tells the loop.

use super::attempt::{AttemptEnd, Ended};
use super::main_loop::Worker;
use super::messages::Message;
use super::{handler, pool};
use crate::store::Reserved;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// How long the jobs claimed ahead should keep the pool's threads busy, at the handlers' mean
/// time so far.
const QUEUED_FOR: Duration = Duration::from_millis(5);

/// The most jobs claimed ahead of the pool's threads.
const MAX_QUEUED: usize = 1024;

/// How much a new handler time counts in the running mean (1/8: a few jobs of a new kind
/// move it).
const MEAN_WEIGHT: u32 = 8;

/// One handler attempt for the pool.
pub(super) struct HandlerTask {
    pub slot: u64,
    pub job: Reserved,
    pub handler: handler::Handler,
    /// The attempt's timeout; its deadline counts from when a thread takes the task.
    pub timeout: Option<Duration>,
    /// Handed over while every thread was busy: the loop learns its deadline when it starts.
    pub queued: bool,
    pub done: Sender<Message>,
}

fn run_handler(task: HandlerTask) {
    let started = Instant::now();
    let deadline = task.timeout.map(|t| started + t);
    if task.queued && deadline.is_some() {
        let _ = task.done.send(Message::HandlerStarted {
            slot: task.slot,
            deadline,
        });
    }
    let job = &task.job;
    let ctx = handler::JobContext {
        uuid: &job.uuid,
        name: &job.payload.display_name,
        queue: &job.queue,
        attempt: job.attempts,
        payload: &job.payload.data,
        deadline,
    };
    let handler = &task.handler;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&ctx)));
    let end = AttemptEnd::from_handler(result, started.elapsed());
    let _ = task.done.send(Message::Done {
        slot: task.slot,
        end,
    });
}

/// The handler tasks a worker has handed to its pool, and how long they take.
#[derive(Default)]
pub(super) struct InHand {
    /// The pool's threads, started on first use.
    pub pool: Option<pool::Pool<HandlerTask>>,
    /// Tasks handed over and not ended (running or queued).
    pub tasks: usize,
    /// The running mean of a handler's time, once one has ended.
    pub mean: Option<Duration>,
}

impl InHand {
    /// A handler ended after `elapsed`.
    pub fn ended(&mut self, elapsed: Duration) {
        self.tasks = self.tasks.saturating_sub(1);
        self.mean = Some(match self.mean {
            None => elapsed,
            Some(mean) => (mean * (MEAN_WEIGHT - 1) + elapsed) / MEAN_WEIGHT,
        });
    }

    /// How many jobs to claim ahead of `threads` busy threads.
    pub fn ahead(&self, threads: usize) -> usize {
        let Some(mean) = self.mean else {
            return 0;
        };
        let each = QUEUED_FOR.as_nanos() / mean.as_nanos().max(1);
        (threads as u128 * each).min(MAX_QUEUED as u128) as usize
    }
}

impl Worker<'_> {
    /// Hand a handler attempt to the pool; returns the deadline the loop enforces now (None
    /// while it is queued: its thread says when it starts).
    pub(super) fn hand_over(
        &mut self,
        slot: u64,
        job: Reserved,
        handler: handler::Handler,
        timeout: Option<Duration>,
    ) -> anyhow::Result<Option<Instant>> {
        let size = self.opts.concurrency;
        let queued = self.in_hand.tasks >= size;
        let task = HandlerTask {
            slot,
            job,
            handler,
            timeout,
            queued,
            done: self.tx.clone(),
        };
        self.in_hand
            .pool
            .get_or_insert_with(|| pool::Pool::new(size, run_handler))
            .send(task)?;
        self.in_hand.tasks += 1;
        Ok(if queued {
            None
        } else {
            timeout.map(|t| Instant::now() + t)
        })
    }

    /// How many attempts the worker may have in hand: its slots, and the jobs claimed ahead
    /// for its handler pool.
    pub(super) fn room(&self) -> usize {
        let c = self.opts.concurrency;
        if !self.opts.claim_ahead || self.opts.handlers.0.is_empty() || !self.store.claims_ahead() {
            return c;
        }
        c + self.in_hand.ahead(c)
    }

    /// A handler past its deadline is recorded as timed out; its thread cannot be killed, and
    /// what it reports later is ignored.
    pub(super) fn time_out_handlers(&mut self, ended: &mut Vec<Ended>) {
        let now = Instant::now();
        let late: Vec<u64> = self
            .running
            .iter()
            .filter(|(_, r)| r.handler_deadline.is_some_and(|d| d <= now))
            .map(|(slot, _)| *slot)
            .collect();
        for slot in late {
            // Its thread is still busy with the late handler: the pool grows by one so the
            // slot can take work again.
            if let Some(pool) = &mut self.in_hand.pool {
                pool.grow(run_handler);
            }
            self.in_hand.tasks = self.in_hand.tasks.saturating_sub(1);
            let mut running = self.running.remove(&slot).expect("listed above");
            let timeout_secs = running
                .job
                .payload
                .timeout
                .unwrap_or(self.opts.timeout_secs);
            let end = AttemptEnd::timed_out(timeout_secs);
            running.job.exit = end.exit.clone();
            ended.push(Ended { running, end });
        }
    }
}
