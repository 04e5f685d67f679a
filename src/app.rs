//! What every command receives: the global flags, the clock, output, and a way to the store.

use crate::clock::{Clock, SystemClock};
use crate::config::{self, Selection, Target};
use crate::output::Output;
use crate::store::Store;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// An error that exits with its own status instead of 1: usage errors found after parsing
/// (2), `monitor`'s store errors (3), a `--sync` job that could not start (126, 127).
#[derive(Debug)]
pub struct ExitWith {
    pub code: u8,
    pub error: anyhow::Error,
}

impl std::fmt::Display for ExitWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for ExitWith {}

/// A usage error (exit 2, like clap's own): a flag's value or a missing argument.
pub fn usage_error(message: impl std::fmt::Display) -> anyhow::Error {
    ExitWith {
        code: 2,
        error: anyhow::anyhow!("{message}"),
    }
    .into()
}

/// The exit status an error asks for: its `ExitWith`, else 1.
pub fn exit_code_of(e: &anyhow::Error) -> u8 {
    e.chain()
        .find_map(|c| c.downcast_ref::<ExitWith>())
        .map_or(1, |x| x.code)
}

pub struct Ctx {
    pub selection: Selection,
    pub clock: Arc<dyn Clock>,
    pub out: Output,
    pub cwd: PathBuf,
}

impl Ctx {
    pub fn new(selection: Selection, out: Output) -> Result<Self> {
        let cwd = std::env::current_dir()
            .context("cannot read the current directory: cd into one that exists")?;
        Ok(Ctx {
            selection,
            clock: Arc::new(SystemClock::from_env()),
            out,
            cwd,
        })
    }

    /// Where the store is, after the precedence rules; `connection` overrides --connection.
    pub fn target(&self, connection: Option<&str>) -> Result<Target> {
        let mut selection = self.selection.clone();
        if let Some(name) = connection {
            selection.connection = Some(name.to_string());
        }
        let target = config::resolve(&selection, &self.cwd)?;
        if let Some(name) = connection {
            config::check_named_connection(&target, name)?;
        }
        Ok(target)
    }

    /// The store of a one-shot command: opening it and every call on it are retried while the
    /// store is unavailable, for up to its `connect_timeout` (`store::Retrying`).
    pub fn open(&self, target: &Target) -> Result<Box<dyn Store>> {
        let timeout = crate::store::connect_timeout(&target.location);
        let store = self.open_waiting(target)?;
        Ok(Box::new(crate::store::Retrying::new(store, timeout)))
    }

    /// The store of a worker: opening it is retried as for one-shot commands, but its calls
    /// are not (the worker rides out an outage in its loop, with its jobs running).
    pub fn open_waiting(&self, target: &Target) -> Result<Box<dyn Store>> {
        let timeout = crate::store::connect_timeout(&target.location);
        crate::store::retry_unavailable(timeout, || {
            crate::store::open(
                &target.location,
                target.store_options(),
                Arc::clone(&self.clock),
            )
        })
    }

    /// Open an existing store for a command that only reads it: never creates one (a missing
    /// SQLite file is "no store at PATH"), and works on a file this user may only read.
    /// Retried like `open` while the store is unavailable.
    pub fn open_existing(&self, target: &Target) -> Result<Box<dyn Store>> {
        let timeout = crate::store::connect_timeout(&target.location);
        let store = crate::store::retry_unavailable(timeout, || {
            crate::store::open_existing(
                &target.location,
                target.store_options(),
                Arc::clone(&self.clock),
            )
        })?;
        Ok(Box::new(crate::store::Retrying::new(store, timeout)))
    }

    /// Resolve the target and open its existing store, for a command that only reads.
    pub fn read_store(&self) -> Result<(Target, Box<dyn Store>)> {
        let target = self.target(None)?;
        let store = self.open_existing(&target)?;
        Ok((target, store))
    }

    /// Resolve the target and open its store (created if need be), for a command that writes.
    pub fn store(&self) -> Result<(Target, Box<dyn Store>)> {
        let target = self.target(None)?;
        let store = self.open(&target)?;
        Ok((target, store))
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
