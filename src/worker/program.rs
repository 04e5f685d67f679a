//! Where a job's program is: a bare name (`true`, `php`) is looked up on PATH once per worker
//! and the file found is remembered, so that each spawn starts that file directly. Spawning a
//! bare name makes the child try every PATH directory in turn, an execve each (eight failed
//! ones for `true` on a usual PATH), while the worker waits for the child to exec.
//!
//! Invalidation: an entry is only used while the file it names can still be started; a spawn
//! that finds it gone (or no longer executable) forgets it and searches PATH again. A program
//! installed earlier on PATH after the first lookup is found after `queue restart`, as a new
//! version of a named job's script is. A PATH with a relative or empty entry (which depends on
//! each job's cwd) is never cached, nor a PATH the job's own environment sets differently.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The programs found so far: by (PATH searched, name).
static FOUND: Mutex<Option<HashMap<(OsString, String), PathBuf>>> = Mutex::new(None);

/// The file to start for `program`, if a cached or fresh PATH search can say: None means "let
/// the spawn search PATH itself" (a name with a slash, a PATH that depends on the cwd, or a
/// name not found, whose spawn error is then the usual one).
pub fn resolve(program: &str, job_path: Option<&str>) -> Option<PathBuf> {
    if program.is_empty() || program.contains('/') {
        return None;
    }
    let path: OsString = match job_path {
        Some(p) => p.into(),
        None => std::env::var_os("PATH")?,
    };
    let key = (path, program.to_string());
    let mut found = FOUND.lock().ok()?;
    let found = found.get_or_insert_with(HashMap::new);
    if let Some(file) = found.get(&key) {
        return Some(file.clone());
    }
    let file = search(&key.0, program)?;
    found.insert(key, file.clone());
    Some(file)
}

/// Forget `program` (its cached file could not be started): the next spawn searches again.
pub fn forget(program: &str) {
    if let Ok(mut found) = FOUND.lock() {
        if let Some(found) = found.as_mut() {
            found.retain(|(_, name), _| name != program);
        }
    }
}

/// The first executable file named `program` in the directories of `path`, as execvp finds it;
/// None if not found or if any directory is relative (it would depend on the job's cwd).
fn search(path: &OsString, program: &str) -> Option<PathBuf> {
    let dirs: Vec<&[u8]> = path.as_bytes().split(|b| *b == b':').collect();
    if dirs.iter().any(|d| d.first() != Some(&b'/')) {
        return None;
    }
    dirs.into_iter()
        .map(|d| Path::new(std::ffi::OsStr::from_bytes(d)).join(program))
        .find(|file| {
            std::fs::metadata(file)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_program_is_found_once_and_searched_again_when_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let path = format!("{}:{}", a.display(), b.display());
        let name = "queue-test-program-cache";
        let make = |dir: &Path| {
            let file = dir.join(name);
            std::fs::write(&file, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
            file
        };
        assert_eq!(resolve(name, Some(&path)), None, "not there yet");
        let in_b = make(&b);
        assert_eq!(resolve(name, Some(&path)), Some(in_b.clone()));
        // Installed earlier on PATH: the cached file stays until it is forgotten.
        let in_a = make(&a);
        assert_eq!(resolve(name, Some(&path)), Some(in_b));
        forget(name);
        assert_eq!(resolve(name, Some(&path)), Some(in_a));
        // Names with a slash, and PATHs that depend on the cwd, are left to the spawn.
        assert_eq!(resolve("./x", Some(&path)), None);
        assert_eq!(resolve(name, Some(&format!("bin:{path}"))), None);
        assert_eq!(resolve(name, Some(&format!(":{path}"))), None);
    }
}
