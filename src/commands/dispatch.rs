//! `queue dispatch`: put one job (or a JSONL file of jobs, in one transaction) on a queue, or run
//! it now with --sync.

use super::now::{self, Control};
use crate::app::Ctx;
use crate::config::Target;
use crate::crypto::Keys;
use crate::domain::job::{
    self, Backoff, JobCommand, JobOptions, NewJob, StringOrNumber, UniqueOption,
};
use crate::store::Enqueued;
use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

// Options shared by every way of creating a job. A plain comment: a doc comment would become
// the about text of the commands that flatten it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JobFlags {
    /// The queue to put the job on (default: the connection's queue, else `default`).
    #[arg(long, value_name = "Q", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
    /// Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time.
    #[arg(long, value_name = "D")]
    pub delay: Option<String>,
    /// Attempts allowed (0 or -1 = unlimited; default: the worker's --tries).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub tries: Option<i64>,
    /// Seconds to wait before each retry, by attempt, the last repeating: 1,5,10.
    #[arg(long, value_name = "LIST")]
    pub backoff: Option<String>,
    /// Seconds the job may run (default: the worker's --timeout; 0 = none).
    #[arg(long, value_name = "S")]
    pub timeout: Option<String>,
    /// Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says.
    #[arg(long, value_name = "D")]
    pub retry_until: Option<String>,
    /// Fail the job once it has thrown this many exceptions (non-zero exits, timeouts).
    #[arg(long, value_name = "N")]
    pub max_exceptions: Option<u32>,
    /// Fail the job at its first timeout, whatever --tries says.
    #[arg(long)]
    pub fail_on_timeout: bool,
    /// JSON given to the job on stdin.
    #[arg(long, value_name = "JSON")]
    pub payload: Option<String>,
    /// An environment variable for the job (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// The directory the job runs in (default: this one).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Queue it only if no job with this unique id (default: the job's name) is queued or
    /// running; otherwise skip it (exit 0, said on stderr).
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub unique: Option<String>,
    /// The unique lock lapses after this long even if the job has not finished.
    #[arg(long, value_name = "S")]
    pub unique_for: Option<String>,
    /// Release the unique lock when the job starts instead of when it ends.
    #[arg(long)]
    pub unique_until_processing: bool,
    /// Never run at the same time as another job with this key (it waits, using an attempt).
    #[arg(long, value_name = "KEY")]
    pub without_overlapping: Option<String>,
    /// With --without-overlapping: a held-back job comes back after S seconds (instead of when
    /// the holder ends).
    #[arg(long, value_name = "S")]
    pub overlap_release_after: Option<String>,
    /// With --without-overlapping: the lock lapses after S seconds even if its holder still
    /// runs.
    #[arg(long, value_name = "S")]
    pub overlap_expire_after: Option<String>,
    /// A job held back by --without-overlapping or --rate-limit is deleted (as a success)
    /// instead of released.
    #[arg(long)]
    pub dont_release: bool,
    /// After MAX exceptions within SECONDS, hold back jobs with this key (default: the name).
    #[arg(long, value_name = "MAX/SECONDS[@KEY]")]
    pub throttle_exceptions: Option<String>,
    /// At most N starts per SECONDS for jobs with this key.
    #[arg(long, value_name = "KEY=N/SECONDS")]
    pub rate_limit: Option<String>,
    /// At most N jobs with this key running at once.
    #[arg(long, value_name = "KEY=N")]
    pub funnel: Option<String>,
    /// Store the command, payload and env encrypted under QUEUE_KEY (AES-256-GCM).
    #[arg(long)]
    pub encrypt: bool,
    /// Run this shell command (as a job) once when the job fails for good; the event is on
    /// its stdin and in QUEUE_EVENT_* variables.
    #[arg(long, value_name = "CMD")]
    pub on_failure: Option<String>,
    /// Run this shell command (as a job) once when the job succeeds.
    #[arg(long, value_name = "CMD")]
    pub on_success: Option<String>,
}

impl JobFlags {
    /// `--delay 5 minutes` unquoted: the shell gave `minutes` as a separate word, which would
    /// be taken for a named job. Say what happened instead (a usage error).
    pub fn check_split_unit(&self, word: &str) -> Result<()> {
        if !crate::domain::duration::is_unit_word(word) {
            return Ok(());
        }
        let flags = [
            ("--delay", &self.delay),
            ("--timeout", &self.timeout),
            ("--retry-until", &self.retry_until),
            ("--unique-for", &self.unique_for),
        ];
        for (flag, value) in flags {
            if let Some(v) = value.as_deref().filter(|v| v.parse::<f64>().is_ok()) {
                return Err(crate::app::usage_error(format!(
                    "{flag} {v} {word}: the unit was split from its number; write {flag} {v}{word} or {flag} '{v} {word}'"
                )));
            }
        }
        Ok(())
    }

    /// The values of the flags, checked: a bad one is a usage error (exit 2), with the message
    /// the same value gets in a JSONL line.
    fn check(&self) -> Result<(), String> {
        use crate::domain::duration::{parse_backoff, parse_duration, parse_instant};
        if let Some(q) = &self.queue {
            job::validate_queue_name(q)?;
        }
        if let Some(d) = &self.delay {
            parse_instant(d, 0).map_err(|e| format!("--delay: {e}"))?;
        }
        if let Some(tries) = self.tries.filter(|t| *t < -1) {
            return Err(format!(
                "--tries {tries}: use a number of attempts, or 0 (or -1) for unlimited"
            ));
        }
        if let Some(b) = &self.backoff {
            parse_backoff(b)?;
        }
        for (flag, value) in [
            ("--timeout", &self.timeout),
            ("--unique-for", &self.unique_for),
        ] {
            if let Some(v) = value {
                parse_duration(v).map_err(|e| format!("{flag}: {e}"))?;
            }
        }
        if let Some(t) = &self.retry_until {
            parse_instant(t, 0).map_err(|e| format!("--retry-until: {e}"))?;
        }
        Ok(())
    }

    /// The flags as job options (the same shape a JSONL line has). A bad value is a usage
    /// error.
    pub fn to_options(&self) -> Result<JobOptions> {
        self.check().map_err(crate::app::usage_error)?;
        let payload = match &self.payload {
            None => None,
            Some(text) => Some(serde_json::from_str(text).map_err(|e| {
                crate::app::usage_error(format!(
                    "invalid --payload: {e}; give a JSON value such as '{{\"to\": \"a@b.c\"}}'"
                ))
            })?),
        };
        let mut env = BTreeMap::new();
        for pair in &self.env {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                crate::app::usage_error(format!("invalid --env '{pair}': use KEY=VALUE"))
            })?;
            if k.is_empty() || k.contains('\0') {
                return Err(crate::app::usage_error(format!(
                    "invalid environment variable name '{k}' in --env '{pair}'"
                )));
            }
            env.insert(k.to_string(), v.to_string());
        }
        Ok(JobOptions {
            queue: self.queue.clone(),
            delay: self.delay.clone().map(StringOrNumber::Text),
            tries: self.tries,
            backoff: self.backoff.clone().map(Backoff::Text),
            timeout: self.timeout.clone().map(StringOrNumber::Text),
            retry_until: self.retry_until.clone().map(StringOrNumber::Text),
            max_exceptions: self.max_exceptions,
            fail_on_timeout: self.fail_on_timeout.then_some(true),
            name: None,
            payload,
            env: (!env.is_empty()).then_some(env),
            cwd: self.cwd.as_ref().map(|p| p.display().to_string()),
            unique: self.unique.clone().map(|id| {
                if id.is_empty() {
                    UniqueOption::Flag(true)
                } else {
                    UniqueOption::Id(id)
                }
            }),
            unique_for: self.unique_for.clone().map(StringOrNumber::Text),
            unique_until_processing: self.unique_until_processing.then_some(true),
            without_overlapping: self.without_overlapping.clone(),
            overlap_release_after: self.overlap_release_after.clone().map(StringOrNumber::Text),
            overlap_expire_after: self.overlap_expire_after.clone().map(StringOrNumber::Text),
            dont_release: self.dont_release.then_some(true),
            throttle_exceptions: self.throttle_exceptions.clone(),
            rate_limit: self.rate_limit.clone(),
            funnel: self.funnel.clone(),
            encrypt: self.encrypt.then_some(true),
            on_failure: self.on_failure.clone(),
            on_success: self.on_success.clone(),
        })
    }
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  queue dispatch -- ./bin/send-report --daily\n  queue dispatch --queue emails --tries 3 --backoff 1,5,10 -- ./send.sh\n  queue dispatch --delay 5m --payload '{\"id\": 7}' -- ./import.sh\n  queue dispatch --file jobs.jsonl"
)]
pub struct Args {
    #[command(flatten)]
    pub job: JobFlags,
    /// The name shown in listings (default: the command, or the named job).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub control: Control,
    /// Dispatch every job of a JSON Lines file in one transaction (all or nothing).
    #[arg(long, value_name = "JOBS.jsonl", conflicts_with = "sync")]
    pub file: Option<PathBuf>,
    /// A named job from queue.toml ([jobs.NAME]).
    #[arg(value_name = "NAME", conflicts_with = "file", add = crate::commands::complete::with(crate::commands::complete::named_jobs))]
    pub named: Option<String>,
    /// The program and its arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    pub command: Vec<String>,
    /// Then block until the job succeeded (exit 0) or failed for good (its last attempt's
    /// exit status: 128+N for a signal, 124 for a timeout, 1 if it could not start).
    #[arg(long, conflicts_with = "sync")]
    pub wait: bool,
    /// With --wait: give up waiting after this long (exit 124; the job stays queued).
    #[arg(long, value_name = "D", requires = "wait", value_parser = crate::domain::duration::parse_duration)]
    pub wait_timeout: Option<std::time::Duration>,
    /// With --wait: stream the job's output while waiting.
    #[arg(long, requires = "wait")]
    pub follow: bool,
}

#[derive(Serialize)]
struct Dispatched<'a> {
    uuid: &'a str,
    queue: &'a str,
    connection: &'a str,
    dispatched: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    if let Some(code) = args.control.check(ctx)? {
        return Ok(code);
    }
    let target = ctx.target(None)?;
    let now = ctx.now_ms();
    let mut flags = args.job.to_options()?;
    flags.name = args.name.clone();
    if let Some(path) = &args.file {
        if !args.command.is_empty() {
            bail!("give either --file or a command after `--`, not both");
        }
        if args.control.sync {
            bail!("--sync runs one job: it cannot be used with --file");
        }
        return dispatch_file(path, &flags, &target, ctx, now, &args);
    }
    let (command, defaults) = single_command(&args, &target)?;
    let mut jobs = vec![build(command, flags.or(&defaults), &target, ctx, now)?];
    if args.control.sync {
        let job = &jobs[0];
        let status = now::run_job(&job.payload, &job.queue, &target, ctx)?;
        if ctx.out.json {
            ctx.out.json_line(&serde_json::json!({
                "uuid": job.payload.uuid,
                "queue": job.queue,
                "connection": target.connection,
                "dispatched": true,
                "sync": true,
                "exit_code": status,
            }))?;
        }
        return Ok(now::exit_code(status));
    }
    // (--sync above runs the job here and says itself why it could not start.)
    Unstartable::default().warn(&jobs, ctx);
    seal(&mut jobs)?;
    let mut store = ctx.open(&target)?;
    // The store wakes idle workers once the jobs are committed.
    let results = store.enqueue(&jobs, now)?;
    for (job, result) in jobs.iter().zip(&results) {
        if let Some(note) = skipped_note(job, result) {
            ctx.out.note(&note);
        }
        let line = result_line(job, result, &target, ctx)?;
        if !line.is_empty() {
            crate::output::write_stdout(line.as_bytes());
        }
    }
    if args.wait {
        let uuids: Vec<String> = jobs
            .iter()
            .zip(&results)
            .filter(|(_, r)| **r == Enqueued::Dispatched)
            .map(|(j, _)| j.payload.uuid.clone())
            .collect();
        return wait_dispatched(ctx, store.as_mut(), uuids, &args);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a dispatch prints on stdout for one job: its uuid if it was dispatched (one JSON
/// object with --json).
fn result_line(job: &NewJob, result: &Enqueued, target: &Target, ctx: &Ctx) -> Result<String> {
    let dispatched = *result == Enqueued::Dispatched;
    Ok(if ctx.out.json {
        let mut line = serde_json::to_string(&Dispatched {
            uuid: &job.payload.uuid,
            queue: &job.queue,
            connection: &target.connection,
            dispatched,
        })?;
        line.push('\n');
        line
    } else if dispatched {
        format!("{}\n", job.payload.uuid)
    } else {
        String::new()
    })
}

/// The notice for a unique job that was not dispatched.
fn skipped_note(job: &NewJob, result: &Enqueued) -> Option<String> {
    let Enqueued::Skipped { held_by } = result else {
        return None;
    };
    let key = job.payload.unique.as_ref().map_or("", |u| u.key.as_str());
    Some(format!(
        "queue: not dispatched: {} is a unique job and job {held_by} holds its unique lock '{key}' (exit 0)",
        job.payload.display_name
    ))
}

/// `dispatch --file`: the file streamed into one transaction (`Store::enqueue_stream`), a
/// chunk at a time, so memory does not grow with the file; what is printed is kept aside (in
/// a temporary file once it is large) and printed once the jobs are committed.
fn dispatch_file(
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

/// `dispatch --wait`: wait for the jobs just dispatched; exit as §8 says.
fn wait_dispatched(
    ctx: &Ctx,
    store: &mut dyn crate::store::Store,
    uuids: Vec<String>,
    args: &Args,
) -> Result<ExitCode> {
    use super::wait::{wait_for, Target, EXIT_TIMEOUT};
    let mut follow = super::logs::Follower::default();
    let outcome = wait_for(
        ctx,
        store,
        &Target::Jobs(uuids.clone()),
        args.wait_timeout,
        |store| {
            if args.follow {
                for uuid in &uuids {
                    follow.print_new(store, uuid)?;
                }
            }
            Ok(())
        },
    )?;
    if outcome.timed_out {
        eprintln!("queue: --wait-timeout passed; the job stays queued");
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    }
    let mut code = ExitCode::SUCCESS;
    for e in outcome.ended.iter().filter(|e| !e.succeeded) {
        let status = e.last_attempt.as_ref().map_or(1, |a| a.exit_status());
        eprintln!("queue: job {} {} (exit status {status})", e.id, e.state);
        if code == ExitCode::SUCCESS {
            code = ExitCode::from(status);
        }
    }
    Ok(code)
}

/// Warn (stderr; not an error) about jobs that could not start on this host: a cwd that does
/// not exist, or a program not found (a path, or a name searched on PATH). Workers on other
/// hosts may have them, so the jobs are dispatched all the same. At most a few warnings, and
/// only the first few thousand different (cwd, program) pairs are looked at.
#[derive(Default)]
struct Unstartable {
    seen: std::collections::HashSet<(String, Option<String>)>,
    warned: usize,
}

impl Unstartable {
    const MOST: usize = 5;
    const LOOKED_AT: usize = 4_096;

    fn warn(&mut self, jobs: &[NewJob], ctx: &Ctx) {
        for job in jobs {
            if self.warned >= Self::MOST || self.seen.len() >= Self::LOOKED_AT {
                return;
            }
            let p = &job.payload;
            let program = match &p.command {
                JobCommand::Argv(argv) => argv.first().map(String::as_str),
                _ => None,
            };
            if self
                .seen
                .contains(&(p.cwd.clone(), program.map(str::to_string)))
            {
                continue;
            }
            self.seen
                .insert((p.cwd.clone(), program.map(str::to_string)));
            self.warned += usize::from(!startable(p, program, ctx));
        }
    }
}

/// False (after a warning) when the job could not start here.
fn startable(p: &job::Payload, program: Option<&str>, ctx: &Ctx) -> bool {
    let cwd = std::path::Path::new(&p.cwd);
    if !cwd.is_dir() {
        ctx.out.note(&format!(
            "warning: the job's working directory {} does not exist on this host; a worker without it cannot start the job",
            p.cwd
        ));
        return false;
    }
    let Some(program) = program else {
        return true;
    };
    let path = p
        .env
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_default();
    if !program_exists(program, cwd, &path) {
        ctx.out.note(&format!(
            "warning: the job's program {program} was not found on this host ({}); a worker without it cannot start the job",
            if program.contains('/') { "no such file" } else { "not on PATH" }
        ));
        return false;
    }
    true
}

/// Whether `program` names an executable file: a path (relative to `cwd`), or a name found
/// in one of `path`'s directories.
fn program_exists(program: &str, cwd: &std::path::Path, path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return executable(&cwd.join(program));
    }
    std::env::split_paths(path).any(|dir| executable(&cwd.join(dir).join(program)))
}

/// Seal the jobs dispatched with --encrypt (before they are chained, so each link is sealed).
pub fn seal(jobs: &mut [NewJob]) -> Result<()> {
    if jobs.iter().any(|j| j.encrypt) {
        let keys = Keys::from_env()?;
        for job in jobs.iter_mut().filter(|j| j.encrypt) {
            let secret = keys.seal(&job.payload.sealed(), &job.payload.uuid)?;
            job.payload.seal(secret);
        }
    }
    Ok(())
}

/// One job from JSON, as `--file` lines and chain/batch files give them: an object with
/// `command` (argv list), `shell` (string) or `job` (a named job) plus options in snake_case, or
/// a plain string (a shell command). Its own options win over `flags`, which win over the
/// named job's defaults.
pub fn job_from_json(
    value: serde_json::Value,
    flags: &JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
) -> Result<NewJob> {
    let mut object = match value {
        serde_json::Value::String(script) => {
            return build(JobCommand::Shell(script), flags.clone(), target, ctx, now)
        }
        serde_json::Value::Object(object) => object,
        other => bail!("expected a job (an object or a shell string), found {other}"),
    };
    let (command, defaults) = match (
        object.remove("command"),
        object.remove("shell"),
        object.remove("job"),
    ) {
        (Some(serde_json::Value::Array(items)), None, None) => (
            JobCommand::Argv(
                items
                    .into_iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => Ok(s),
                        other => Err(anyhow!("\"command\" must be a list of strings, found {other}")),
                    })
                    .collect::<Result<_>>()?,
            ),
            JobOptions::default(),
        ),
        (None, Some(serde_json::Value::String(script)), None) => {
            (JobCommand::Shell(script), JobOptions::default())
        }
        (None, None, Some(serde_json::Value::String(name))) => named_job(&name, target)?,
        _ => bail!(
            "give exactly one of \"command\" (a list of strings), \"shell\" (a string) or \"job\" (a named job)"
        ),
    };
    let opts: JobOptions = serde_json::from_value(serde_json::Value::Object(object))?;
    build(command, opts.or(flags).or(&defaults), target, ctx, now)
}

/// Build one job; a named job's command is checked against the payload here, so a missing
/// placeholder field is an error at dispatch rather than a failed job.
pub fn build(
    command: JobCommand,
    opts: JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
) -> Result<NewJob> {
    if let JobCommand::Named(name) = &command {
        let named = &target.named_jobs[name];
        let data = opts.payload.clone().unwrap_or(serde_json::Value::Null);
        crate::domain::named::fill(&named.command, &data)
            .map_err(|e| anyhow!("job '{name}': {e}; pass it with --payload"))?;
    }
    // OpenTelemetry's environment carriers go with the job to each of its attempts.
    let trace = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let opts = job::with_trace(opts, trace("TRACEPARENT"), trace("TRACESTATE"));
    job::build(
        command,
        &opts,
        &target.default_queue,
        &ctx.cwd,
        new_uuid(),
        now,
    )
    .map_err(anyhow::Error::msg)
}

/// A named job's command and its defaults from queue.toml.
fn named_job(name: &str, target: &Target) -> Result<(JobCommand, JobOptions)> {
    match target.named_jobs.get(name) {
        Some(named) => {
            // A named job runs where its queue.toml is (paths in the file are relative to
            // it), like a job class runs in its application's directory.
            let mut defaults = named.options.clone();
            if let Some(cfg) = &target.config {
                let dir = cfg.path.parent().unwrap_or(std::path::Path::new("."));
                let cwd = match &defaults.cwd {
                    Some(own) => dir.join(own),
                    None => dir.to_path_buf(),
                };
                defaults.cwd = Some(cwd.display().to_string());
            }
            Ok((JobCommand::Named(name.to_string()), defaults))
        }
        None => {
            let where_ = match &target.config {
                Some(cfg) => {
                    let close = super::did_you_mean(name, target.named_jobs.keys());
                    match close {
                        Some(close) => format!(
                            "{} has no [jobs.{name}]; did you mean `{close}`?",
                            cfg.path.display()
                        ),
                        None => format!("{} has no [jobs.{name}]", cfg.path.display()),
                    }
                }
                None => "no queue.toml was found".to_string(),
            };
            bail!("unknown job '{name}': {where_}; to run a program put it after `--`, as in `queue dispatch -- {name}`")
        }
    }
}

pub use crate::clock::new_uuid;

fn single_command(args: &Args, target: &Target) -> Result<(JobCommand, JobOptions)> {
    if let Some(name) = &args.named {
        args.job.check_split_unit(name)?;
    }
    match (&args.named, args.command.is_empty()) {
        (Some(name), true) => named_job(name, target),
        (Some(name), false) => Err(crate::app::usage_error(format!(
            "give either a named job ({name}) or a program after `--`, not both"
        ))),
        (None, true) => Err(crate::app::usage_error(
            "nothing to dispatch: put the program after `--`, as in `queue dispatch -- echo hi`, name a job of queue.toml, or use --file JOBS.jsonl"
        )),
        (None, false) if args.command[0].is_empty() => Err(crate::app::usage_error(
            "the job has no command: put it after `--`, as in `queue dispatch -- echo hi`",
        )),
        (None, false) => Ok((JobCommand::Argv(args.command.clone()), JobOptions::default())),
    }
}
