//! `dispatch --file`: a JSON Lines file (or stdin) streamed into one transaction.

use super::job::{job_from_json, seal};
use super::warnings::Unstartable;
use super::{result_line, skipped_note, wait_dispatched, Args};
use crate::app::Ctx;
use crate::config::Target;
use crate::domain::job::{JobOptions, NewJob};
use crate::store::Enqueued;
use anyhow::{anyhow, bail, Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

/// `dispatch --file`: the file streamed into one transaction (`Store::enqueue_stream`), a
/// chunk at a time, so memory does not grow with the file; what is printed is kept aside (in
/// a temporary file once it is large) and printed once the jobs are committed.
pub(super) fn dispatch_file(
    path: &PathBuf,
    flags: &JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
    args: &Args,
) -> Result<ExitCode> {
    let mut source = FileJobs {
        path,
        reader: open_jobs_file(path, ctx)?,
        line_no: 0,
        line: String::new(),
        any: false,
        flags,
        target,
        ctx,
        now,
        unstartable: Unstartable::default(),
        out: Spill::default(),
        notes: Spill::default(),
        waited: args.wait.then(Vec::new),
    };
    let mut store = ctx.open(target)?;
    store.enqueue_stream(&mut source, now)?;
    source.notes.copy_to(&mut |bytes| {
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), bytes);
    })?;
    source.out.copy_to(&mut crate::output::write_stdout)?;
    match source.waited {
        Some(uuids) => wait_dispatched(ctx, store.as_mut(), uuids, args),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Where the jobs of `--file` come from: the file (or stdin), one line at a time.
fn open_jobs_file(path: &PathBuf, ctx: &Ctx) -> Result<Box<dyn std::io::BufRead>> {
    const BUFFER: usize = 1 << 16;
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::BufReader::with_capacity(
            BUFFER,
            std::io::stdin(),
        )));
    }
    let file = std::fs::File::open(ctx.cwd.join(path))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Box::new(std::io::BufReader::with_capacity(BUFFER, file)))
}

/// A JSONL file as `Store::enqueue_stream` reads it: every line an object with `command`
/// (argv list) or `shell` (string), plus job options in snake_case; flags given on the command
/// line are defaults for each line.
struct FileJobs<'a> {
    path: &'a PathBuf,
    reader: Box<dyn std::io::BufRead>,
    line_no: usize,
    line: String,
    /// A job was read.
    any: bool,
    flags: &'a JobOptions,
    target: &'a Target,
    ctx: &'a Ctx,
    now: i64,
    unstartable: Unstartable,
    /// stdout and stderr, printed after the commit.
    out: Spill,
    notes: Spill,
    /// With --wait: the uuids dispatched.
    waited: Option<Vec<String>>,
}

impl crate::store::JobSource for FileJobs<'_> {
    fn next_jobs(&mut self) -> Result<Vec<NewJob>> {
        let mut jobs = Vec::with_capacity(crate::store::STREAM_CHUNK);
        while jobs.len() < crate::store::STREAM_CHUNK {
            self.line.clear();
            let read = self.reader.read_line(&mut self.line).with_context(|| {
                format!(
                    "cannot read {} line {}",
                    self.path.display(),
                    self.line_no + 1
                )
            })?;
            if read == 0 {
                break;
            }
            self.line_no += 1;
            let line = self.line.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{} line {}", self.path.display(), self.line_no);
            let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                .map_err(|e| anyhow!("{}: not a JSON object: {e}", at()))?;
            let job = job_from_json(
                serde_json::Value::Object(object),
                self.flags,
                self.target,
                self.ctx,
                self.now,
            )
            .map_err(|e| anyhow!("{}: {e:#}", at()))?;
            jobs.push(job);
            self.any = true;
        }
        if jobs.is_empty() && !self.any {
            bail!(
                "{} has no jobs: write one JSON object per line",
                self.path.display()
            );
        }
        self.unstartable.warn(&jobs, self.ctx);
        seal(&mut jobs)?;
        Ok(jobs)
    }

    fn enqueued(&mut self, jobs: Vec<NewJob>, results: &[Enqueued]) -> Result<()> {
        for (job, result) in jobs.iter().zip(results) {
            if let Some(note) = skipped_note(job, result).filter(|_| !self.ctx.out.quiet) {
                self.notes.write(format!("{note}\n").as_bytes())?;
            }
            self.out
                .write(result_line(job, result, self.target, self.ctx)?.as_bytes())?;
            if let Some(waited) = self
                .waited
                .as_mut()
                .filter(|_| *result == Enqueued::Dispatched)
            {
                waited.push(job.payload.uuid.clone());
            }
        }
        Ok(())
    }

    fn rewind(&mut self) -> Result<bool> {
        if self.path.as_os_str() == "-" {
            return Ok(false);
        }
        self.reader = open_jobs_file(self.path, self.ctx)?;
        self.line_no = 0;
        self.any = false;
        self.out = Spill::default();
        self.notes = Spill::default();
        if let Some(waited) = self.waited.as_mut() {
            waited.clear();
        }
        Ok(true)
    }
}

/// Output kept until it may be printed: in memory while small, then in an unnamed temporary
/// file.
#[derive(Default)]
struct Spill {
    buf: Vec<u8>,
    file: Option<std::fs::File>,
}

impl Spill {
    const IN_MEMORY: usize = 1 << 20;

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= Self::IN_MEMORY {
            use std::io::Write;
            if self.file.is_none() {
                self.file = Some(tempfile::tempfile().context("cannot create a temporary file")?);
            }
            let file = self.file.as_mut().expect("created above");
            file.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Hand everything kept to `sink`, in pieces.
    fn copy_to(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<()> {
        use std::io::{Read, Seek};
        if let Some(file) = self.file.as_mut() {
            file.rewind()?;
            let mut piece = vec![0u8; Self::IN_MEMORY];
            loop {
                let n = file.read(&mut piece)?;
                if n == 0 {
                    break;
                }
                sink(&piece[..n]);
            }
        }
        if !self.buf.is_empty() {
            sink(&self.buf);
        }
        Ok(())
    }
}
