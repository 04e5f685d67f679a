//! Integration tests: they drive the built `queue` binary in temporary directories.

mod util;

mod basics;
mod concurrency;
mod dispatch;
mod failed;
mod generated;
mod supervisor;
mod work;
mod workers;
