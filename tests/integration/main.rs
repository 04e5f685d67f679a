//! Integration tests: they drive the built `queue` binary in temporary directories.

mod util;

mod api;

mod basics;
mod batches;
mod bench;
mod chains;
mod concurrency;
mod counts;
mod dispatch;
mod events;
mod everyday;
mod failed;
mod faults;
mod generated;
mod generators;
mod middleware;
mod named;
mod outages;
mod polish;
mod scripts;
mod security;
mod stores;
mod supervisor;
mod tls;
mod ui;
mod ui_browser;
mod unique;
mod work;
mod workers;
