//! Warnings at dispatch about jobs this host could not start (not errors: workers on other
//! hosts may be able to).

use crate::app::Ctx;
use crate::domain::job::{self, JobCommand, NewJob};

/// Warn (stderr; not an error) about jobs that could not start on this host: a cwd that does
/// not exist, or a program not found (a path, or a name searched on PATH). Workers on other
/// hosts may have them, so the jobs are dispatched all the same. At most a few warnings, and
/// only the first few thousand different (cwd, program) pairs are looked at.
#[derive(Default)]
pub(super) struct Unstartable {
    seen: std::collections::HashSet<(String, Option<String>)>,
    warned: usize,
}

impl Unstartable {
    const MOST: usize = 5;
    const LOOKED_AT: usize = 4_096;

    pub(super) fn warn(&mut self, jobs: &[NewJob], ctx: &Ctx) {
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
