//! What every command receives: the global flags, the clock, output, and a way to the store.

use crate::clock::{Clock, SystemClock};
use crate::config::{self, Selection, Target};
use crate::output::Output;
use crate::store::Store;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;

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
        config::resolve(&selection, &self.cwd)
    }

    pub fn open(&self, target: &Target) -> Result<Box<dyn Store>> {
        crate::store::open(
            &target.location,
            target.store_options(),
            Arc::clone(&self.clock),
        )
    }

    /// Resolve the target and open its store.
    pub fn store(&self) -> Result<(Target, Box<dyn Store>)> {
        let target = self.target(None)?;
        let store = self.open(&target)?;
        Ok((target, store))
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
