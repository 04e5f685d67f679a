//! Rust handlers on a pool of threads: the task a slot sends, running it (a panic is the
//! attempt's exception), and the deadlines the loop enforces, since a handler's thread cannot
//! be killed.

use super::attempt::{AttemptEnd, Ended};
use super::main_loop::Worker;
use super::messages::Message;
use super::{handler, pool};
use crate::store::Reserved;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// One handler attempt for the pool.
pub(super) struct HandlerTask {
    pub slot: u64,
    pub job: Reserved,
    pub handler: handler::Handler,
    pub deadline: Option<Instant>,
    pub done: Sender<Message>,
}

fn run_handler(task: HandlerTask) {
    let started = Instant::now();
    let job = &task.job;
    let ctx = handler::JobContext {
        uuid: &job.uuid,
        name: &job.payload.display_name,
        queue: &job.queue,
        attempt: job.attempts,
        payload: &job.payload.data,
        deadline: task.deadline,
    };
    let handler = &task.handler;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&ctx)));
    let end = AttemptEnd::from_handler(result, started.elapsed());
    let _ = task.done.send(Message::Done {
        slot: task.slot,
        end,
    });
}

impl Worker<'_> {
    /// The threads that run Rust handlers, started on first use: one per slot, so a job
    /// costs no thread creation.
    pub(super) fn handler_pool(&mut self) -> &pool::Pool<HandlerTask> {
        let size = self.opts.concurrency;
        self.handlers
            .get_or_insert_with(|| pool::Pool::new(size, run_handler))
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
            if let Some(pool) = &mut self.handlers {
                pool.grow(run_handler);
            }
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
