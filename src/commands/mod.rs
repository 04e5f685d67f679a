//! One file per command: its clap `Args` and its `run`.

pub mod batch;
pub mod batches;
pub mod bench;
pub mod chain;
pub mod clear;
pub mod completions;
pub mod dispatch;
pub mod fail;
pub mod failed;
pub mod flush;
pub mod forget;
pub mod key_generate;
pub mod listen;
pub mod lock;
pub mod maintenance;
pub mod migrate;
pub mod monitor;
pub mod now;
pub mod pause;
pub mod prune_failed;
pub mod release;
pub mod restart;
pub mod retry;
pub mod show;
pub mod status;
pub mod supervisor;
pub mod table;
pub mod work;

use anyhow::{bail, Result};

/// Check that an id looks like a job uuid before asking the store about it.
pub fn parse_uuid(text: &str) -> Result<String> {
    match uuid::Uuid::parse_str(text.trim()) {
        Ok(id) => Ok(id.hyphenated().to_string()),
        Err(_) => bail!(
            "invalid job id '{text}': expected a uuid as printed by `queue dispatch` or `queue failed`"
        ),
    }
}
