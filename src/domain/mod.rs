//! The queue's rules, with no I/O: jobs, durations and the retry policy.

pub mod batch;
pub mod chain;
pub mod duration;
pub mod events;
pub mod job;
pub mod metrics;
pub mod middleware;
pub mod named;
pub mod policy;
pub mod select;
