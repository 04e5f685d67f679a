//! The writes of attempts that end together in one transaction (`lifecycle::finish_all`): an
//! attempt whose end changes nothing but its own rows (`Payload::ends_alone`, nothing added to
//! its chain) has its attempt record, its row's delete and its finished row kept here and
//! written with the others' at the end, each kind in one multi-row verb. Any other attempt's
//! writes go to the store at once, in the lifecycle's order. Which rows are written is decided
//! by the lifecycle alone; this only says when. Every attempt's metric sample waits for the end
//! too (a rollup row is a sum: when in the transaction it is added changes nothing), so a
//! dialect can add a group's samples of one row together before writing it.

use super::verbs::{AttemptRecord, FinishedRow, Verbs};
use crate::domain::metrics::Sample;
use anyhow::Result;

#[derive(Default)]
pub(super) struct Group<'r> {
    attempts: Vec<AttemptRecord<'r>>,
    deleted: Vec<i64>,
    finished: Vec<FinishedRow<'r>>,
    samples: Vec<Sample<'r>>,
}

impl<'r> Group<'r> {
    pub fn record_metric(&mut self, sample: Sample<'r>) {
        self.samples.push(sample);
    }

    pub fn record_attempt(
        &mut self,
        v: &mut dyn Verbs,
        alone: bool,
        row: AttemptRecord<'r>,
    ) -> Result<()> {
        if !alone {
            return v.record_attempt(&row);
        }
        self.attempts.push(row);
        Ok(())
    }

    pub fn delete_job(&mut self, v: &mut dyn Verbs, alone: bool, id: i64) -> Result<()> {
        if !alone {
            return v.delete_job(id);
        }
        self.deleted.push(id);
        Ok(())
    }

    pub fn insert_finished(
        &mut self,
        v: &mut dyn Verbs,
        alone: bool,
        row: FinishedRow<'r>,
    ) -> Result<()> {
        if !alone {
            return v.insert_finished(&row);
        }
        self.finished.push(row);
        Ok(())
    }

    /// Write what was kept, before the transaction goes on (to a claim, or its commit).
    pub fn write(self, v: &mut dyn Verbs) -> Result<()> {
        if !self.attempts.is_empty() {
            v.record_attempts(&self.attempts)?;
        }
        if !self.deleted.is_empty() {
            v.delete_jobs(&self.deleted)?;
        }
        if !self.finished.is_empty() {
            v.insert_finished_rows(&self.finished)?;
        }
        if !self.samples.is_empty() {
            v.record_metrics(&self.samples)?;
        }
        Ok(())
    }
}
