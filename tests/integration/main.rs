//! Integration tests: they drive the built `queue` binary in temporary directories.

mod util;

mod basics;
mod concurrency;
mod generated;
mod supervisor;
mod failed;
mod work;
mod dispatch;
