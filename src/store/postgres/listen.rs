//! Instant pickup across hosts: state changes that make work available NOTIFY `queue_wake` in
//! their transaction (the payload is a queue name, or empty for "any" and for a changed
//! setting), and each idle worker LISTENs on a connection of its own, on a thread that turns
//! notifications into wake-ups. While that connection is up, the worker's `controls` answers
//! from its copy until a notification says the settings changed (`Watch`).

use super::url::{connect, Target};
use super::{PostgresStore, WAKE_CHANNEL};
use crate::store::{WakeFn, Wakeups};
use anyhow::Result;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// `Store::subscribe`: LISTEN before the worker's first claim, so that nothing committed after
/// that claim goes unnoticed.
pub(super) fn subscribe(
    store: &mut PostgresStore,
    queues: &[String],
    wake: WakeFn,
) -> Result<Option<Wakeups>> {
    let mut client = connect(&store.config, &store.place)?;
    client.batch_execute(&format!("LISTEN {WAKE_CHANNEL}"))?;
    let watch = Arc::new(Watch::default());
    watch.listening.store(true, Ordering::SeqCst);
    watch.changed.store(true, Ordering::SeqCst);
    store.watch = Some(Arc::clone(&watch));
    let listener = Listener {
        config: store.config.clone(),
        place: store.place.clone(),
        queues: queues.iter().cloned().collect(),
        wake,
        watch: Arc::clone(&watch),
    };
    std::thread::Builder::new()
        .name("listen".into())
        .spawn(move || listener.run(client))?;
    Ok(Some(Box::new(StopOnDrop(watch))))
}

/// What a worker's store and its listener thread share.
#[derive(Default)]
pub(super) struct Watch {
    /// The worker dropped its subscription: the thread ends.
    stop: AtomicBool,
    /// The LISTEN connection is up, so no notification can be missed.
    pub listening: AtomicBool,
    /// A setting changed (or may have, while the connection was down).
    pub changed: AtomicBool,
}

/// Stops a listener thread when the worker drops its subscription.
struct StopOnDrop(Arc<Watch>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.listening.store(false, Ordering::SeqCst);
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

/// A worker's LISTEN connection: every notification for one of its queues (or for any queue)
/// becomes a wake-up. A lost connection is made again; meanwhile the worker polls.
struct Listener {
    config: Target,
    place: String,
    queues: HashSet<String>,
    wake: WakeFn,
    watch: Arc<Watch>,
}

impl Listener {
    fn run(self, mut client: Client) {
        loop {
            if !self.drain(&mut client) {
                return;
            }
            // The connection is gone: make it again, then look once, as anything may have
            // been committed meanwhile.
            self.watch.listening.store(false, Ordering::SeqCst);
            loop {
                std::thread::sleep(Duration::from_secs(1));
                if self.watch.stop.load(Ordering::SeqCst) {
                    return;
                }
                let listening = connect(&self.config, &self.place).and_then(|mut c| {
                    c.batch_execute(&format!("LISTEN {WAKE_CHANNEL}"))?;
                    Ok(c)
                });
                if let Ok(c) = listening {
                    client = c;
                    break;
                }
            }
            self.watch.changed.store(true, Ordering::SeqCst);
            self.watch.listening.store(true, Ordering::SeqCst);
            if !(self.wake)() {
                return;
            }
        }
    }

    /// Forward notifications until the connection breaks (true) or the worker is gone (false).
    fn drain(&self, client: &mut Client) -> bool {
        loop {
            {
                let mut notifications = client.notifications();
                let mut iter = notifications.timeout_iter(Duration::from_secs(2));
                loop {
                    match iter.next() {
                        Ok(Some(n)) => {
                            let payload = n.payload();
                            if payload.is_empty() {
                                self.watch.changed.store(true, Ordering::SeqCst);
                            }
                            let ours = payload.is_empty() || self.queues.contains(payload);
                            if ours && !(self.wake)() {
                                return false;
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return true,
                    }
                }
            }
            if self.watch.stop.load(Ordering::SeqCst) {
                return false;
            }
            if client.is_closed() {
                return true;
            }
        }
    }
}
