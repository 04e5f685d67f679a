//! Instant pickup on one host: an idle worker listens on a unix datagram socket in a directory
//! beside the store, and a dispatcher that has just committed jobs sends each socket one byte.
//! The worker's loop wakes at once instead of waiting out its --sleep, and an idle worker costs
//! no CPU (it blocks in recv). Workers on other hosts, or a socket path too long for the OS,
//! fall back to polling every --sleep seconds.

use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

/// The directory of wake-up sockets for a store file: `<dir>/.<file>.wake/`.
pub fn wake_dir(store: &Path) -> PathBuf {
    let name = store
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "queue".into());
    store
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.wake"))
}

/// A bound wake-up socket; the file is removed when this is dropped.
pub struct Listener {
    path: PathBuf,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Bind a socket for this worker and call `wake` for every datagram, until it returns false.
/// None when the socket cannot be made (the worker then polls).
pub fn listen(store: &Path, id: &str, wake: Box<dyn Fn() -> bool + Send>) -> Option<Listener> {
    let dir = wake_dir(store);
    if !dir.exists() {
        std::fs::DirBuilder::new().mode(0o700).create(&dir).ok()?;
    }
    let path = dir.join(format!("{}.sock", id.replace([':', '/'], "-")));
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).ok()?;
    std::thread::Builder::new()
        .name("wake".into())
        .spawn(move || {
            let mut buf = [0u8; 16];
            while socket.recv(&mut buf).is_ok() {
                if !wake() {
                    return;
                }
            }
        })
        .ok()?;
    Some(Listener { path })
}

/// Wake every worker listening on this store. Never blocks and never fails the caller: a
/// full socket buffer means the worker is awake anyway, and a dead worker's socket is removed.
pub fn notify(store: &Path) {
    let Ok(entries) = std::fs::read_dir(wake_dir(store)) else {
        return;
    };
    let Ok(sender) = UnixDatagram::unbound() else {
        return;
    };
    let _ = sender.set_nonblocking(true);
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "sock") {
            if let Err(e) = sender.send_to(b"!", &path) {
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_notify_reaches_a_listener_and_stale_sockets_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("q.sqlite");
        let (tx, rx) = std::sync::mpsc::channel();
        let listener =
            listen(&store, "host:1:abc", Box::new(move || tx.send(()).is_ok())).expect("listener");
        notify(&store);
        rx.recv_timeout(Duration::from_secs(5)).expect("woken");

        // A socket file nobody listens on any more is cleaned up by the next notify.
        let stale = wake_dir(&store).join("dead.sock");
        drop(UnixDatagram::bind(&stale).unwrap());
        notify(&store);
        assert!(!stale.exists());
        drop(listener);
        assert_eq!(std::fs::read_dir(wake_dir(&store)).unwrap().count(), 0);
    }
}
