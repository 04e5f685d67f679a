//! What every request shares: the options, the clock, a few store connections kept for reuse
//! (each store call runs on tokio's blocking pool, since the store is synchronous), the
//! sessions started with the token, and the latest live snapshot.

use super::error::Failure;
use super::Options;
use crate::clock::Clock;
use crate::commands::status::{queue_rows, QueueRow};
use crate::store::Store;
use anyhow::Result;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

/// Opens a connection to the store (each call retried while the store is unavailable).
pub type Opener = Arc<dyn Fn() -> Result<Box<dyn Store>> + Send + Sync>;

/// How many idle store connections are kept.
const POOL: usize = 4;
/// How many sessions are remembered; the oldest is forgotten past this.
const MAX_SESSIONS: usize = 10_000;
/// How many events of the log wait for a slow listener before it misses some.
const EVENTS: usize = 4_096;

/// A browser's session: started by the token (or, without a token, by the first visit); its
/// CSRF token goes with every form and every change the page's script asks for.
#[derive(Debug, Clone)]
pub struct Session {
    pub csrf: String,
    pub started: std::time::Instant,
}

/// Counts per queue, the workers and the switches: what the page's script shows live and
/// `/api/events` pushes when it changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub queues: Vec<QueueRowView>,
    pub workers: usize,
    pub maintenance: bool,
}

/// A queue's counts as `status --json` names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueRowView {
    pub queue: String,
    pub connection: String,
    pub pending: i64,
    pub delayed: i64,
    pub reserved: i64,
    pub failed: i64,
    pub oldest_pending_age_s: Option<i64>,
    pub paused: bool,
    pub workers: usize,
}

impl From<&QueueRow> for QueueRowView {
    fn from(r: &QueueRow) -> Self {
        QueueRowView {
            queue: r.stats.queue.clone(),
            connection: r.stats.connection.clone(),
            pending: r.stats.pending,
            delayed: r.stats.delayed,
            reserved: r.stats.reserved,
            failed: r.stats.failed,
            oldest_pending_age_s: r.stats.oldest_pending_age_s,
            paused: r.paused,
            workers: r.workers,
        }
    }
}

pub struct App {
    pub opts: Options,
    pub clock: Arc<dyn Clock>,
    opener: Opener,
    pool: Mutex<Vec<Box<dyn Store>>>,
    pub sessions: Mutex<HashMap<String, Session>>,
    pub live: watch::Sender<Snapshot>,
    /// The store's event log as the follower reads it (`sse`), to every listener.
    pub events: broadcast::Sender<Arc<crate::domain::events::Event>>,
    /// Wakes the event follower (a listener came).
    pub nudge: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

impl App {
    pub fn new(opts: Options, opener: Opener, clock: Arc<dyn Clock>) -> Arc<App> {
        Arc::new(App {
            opts,
            clock,
            opener,
            pool: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashMap::new()),
            live: watch::channel(Snapshot::default()).0,
            events: broadcast::channel(EVENTS).0,
            nudge: Mutex::new(None),
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// `path` under the base path.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.opts.base)
    }

    /// Tell the event follower that someone listens now.
    pub fn nudge_follower(&self) {
        if let Some(tx) = self.nudge.lock().expect("nudge").as_ref() {
            let _ = tx.send(());
        }
    }

    /// A store connection of its own (the event follower's).
    pub fn open(&self) -> Result<Box<dyn Store>> {
        (self.opener)()
    }

    /// Run `f` on a store connection, on the blocking pool. A connection whose call failed is
    /// dropped rather than reused (it may be broken).
    pub async fn store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut dyn Store, i64) -> Result<T> + Send + 'static,
    ) -> Result<T, Failure> {
        let app = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = app.pool.lock().expect("pool").pop();
            let mut store = match taken {
                Some(store) => store,
                None => (app.opener)()?,
            };
            let result = f(store.as_mut(), app.now_ms());
            if result.is_ok() {
                let mut pool = app.pool.lock().expect("pool");
                if pool.len() < POOL {
                    pool.push(store);
                }
            }
            result
        })
        .await
        .map_err(|e| Failure::internal(anyhow::anyhow!("a store call stopped: {e}")))?
        .map_err(Failure::from)
    }

    /// The counts of every queue now (the rows `status` shows).
    pub async fn snapshot(self: &Arc<Self>) -> Result<Snapshot, Failure> {
        let connection = self.opts.connection.clone();
        self.store(move |s, now| {
            let stats = s.queue_stats(now)?;
            let workers = s.workers(now)?;
            let controls = s.controls()?;
            let rows = queue_rows(stats, &controls, &workers, &connection);
            Ok(Snapshot {
                queues: rows.iter().map(QueueRowView::from).collect(),
                workers: workers.len(),
                maintenance: controls.maintenance,
            })
        })
        .await
    }

    /// Start a session; returns its id.
    pub fn start_session(&self) -> (String, Session) {
        let id = random_token();
        let session = Session {
            csrf: random_token(),
            started: std::time::Instant::now(),
        };
        let mut sessions = self.sessions.lock().expect("sessions");
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.started)
                .map(|(k, _)| k.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(id.clone(), session.clone());
        (id, session)
    }

    pub fn session(&self, id: &str) -> Option<Session> {
        self.sessions.lock().expect("sessions").get(id).cloned()
    }
}

/// 244 random bits, hex (two v4 uuids: the operating system's randomness).
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
