//! `GET /api/events`: server-sent events for the page's live updates, driven by the store's
//! event log (`job_events`) rather than by polling the counts.
//!
//! One follower per server (a thread with a store connection of its own, woken as
//! `queue events --follow` is) reads the log from where it stood and sends every event to a
//! tokio broadcast channel, which fans it out to every listener: each `/api/events` stream
//! passes it on as a `job` event (the fields of `queue events --json`), and one counting task
//! reads the counts again when events arrive, at most once per `COALESCE`, and publishes them
//! as the `snapshot` event (the fields of `status --json`) when they changed. The counts are
//! read, never worked out from the events, so they stay exact. An idle store costs nothing per
//! client: the follower reads the log only while someone listens, and the counts only move when
//! the log does, except every `REFRESH` for what moves with time alone (a worker that stopped
//! beating without a word). The page ages the oldest wait itself between two snapshots.

use super::state::App;
use crate::domain::events::Event as LogEvent;
use crate::store::events::Follow;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// How often the counts are read at most while events arrive (a busy store writes thousands a
/// second; a person needs no more than a few readings).
const COALESCE: Duration = Duration::from_millis(250);
/// How often the counts are read while someone listens and the log is quiet.
const REFRESH: Duration = Duration::from_secs(10);
/// How many events the follower reads at once.
const PAGE: usize = 1_000;
/// How often the follower looks when nothing woke it (wake-ups come with dispatches,
/// releases and failures; the other events are found by this look), as `queue events` does.
const POLL: Duration = Duration::from_millis(200);
/// How soon it looks again while a gap may still fill (PostgreSQL).
const GAP_POLL: Duration = Duration::from_millis(50);
/// How long it waits before it opens the store again after an error.
const REOPEN: Duration = Duration::from_secs(1);

/// Start the follower and the counting task.
pub fn start(app: Arc<App>) {
    let follower = Arc::clone(&app);
    std::thread::Builder::new()
        .name("queue-ui-events".into())
        .spawn(move || loop {
            // A store that does not answer for now: the page keeps its last counts.
            if follow(&follower).is_err() {
                std::thread::sleep(REOPEN);
            }
        })
        .expect("cannot start the dashboard's event follower");
    tokio::spawn(count(app));
}

/// Someone has `/api/events` open.
fn listened(app: &App) -> bool {
    app.live.receiver_count() > 0
}

/// Read the log as it grows and send each event on; returns on a store error.
fn follow(app: &App) -> anyhow::Result<()> {
    let mut store = app.open()?;
    let (tx, rx) = mpsc::channel::<()>();
    let id = format!(
        "ui:{}:{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    *app.nudge.lock().expect("nudge") = Some(tx.clone());
    let _wakeups = store.subscribe(&id, &[], Box::new(move || tx.send(()).is_ok()))?;
    let mut follow = Follow::after(store.event_cursor_at(i64::MAX)?);
    loop {
        if !listened(app) {
            // Nobody to tell: the log is not read, only its end noted now and then (a new
            // listener nudges the follower, which then reads on from there: a few events from
            // before it came, never one missed).
            let _ = rx.recv_timeout(REFRESH);
            while rx.try_recv().is_ok() {}
            if !listened(app) {
                follow = Follow::after(store.event_cursor_at(i64::MAX)?);
            }
            continue;
        }
        let read = store.read_events(follow.cursor, PAGE)?;
        let full = read.events.len() == PAGE;
        for event in follow.take(read) {
            // No receiver (the counting task is starting): nobody to tell.
            let _ = app.events.send(Arc::new(event));
        }
        if full {
            continue;
        }
        let nap = if follow.waiting() { GAP_POLL } else { POLL };
        let _ = rx.recv_timeout(nap);
        while rx.try_recv().is_ok() {}
    }
}

/// Read the counts again after events (coalesced), and now and then; publish them when they
/// changed.
async fn count(app: Arc<App>) {
    let mut events = app.events.subscribe();
    let mut last_read: Option<Instant> = None;
    loop {
        tokio::select! {
            got = events.recv() => {
                if matches!(got, Err(RecvError::Closed)) {
                    return;
                }
            }
            _ = tokio::time::sleep(REFRESH) => {}
        }
        if !listened(&app) {
            continue;
        }
        if let Some(wait) = last_read.and_then(|t| COALESCE.checked_sub(t.elapsed())) {
            tokio::time::sleep(wait).await;
        }
        // The events until now are covered by the reading below.
        while !matches!(
            events.try_recv(),
            Err(TryRecvError::Empty | TryRecvError::Closed)
        ) {}
        last_read = Some(Instant::now());
        if let Ok(snapshot) = app.snapshot().await {
            app.live.send_if_modified(|old| {
                let changed = *old != snapshot;
                if changed {
                    *old = snapshot;
                }
                changed
            });
        }
    }
}

pub async fn events(
    State(app): State<Arc<App>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribing marks the current value seen: the first event is read fresh below.
    let rx = app.live.subscribe();
    let log = app.events.subscribe();
    app.nudge_follower();
    // The first event is the counts now, not the last reading's.
    let first = app.snapshot().await.ok();
    let snapshots = stream::unfold((rx, first), |(mut rx, first)| async move {
        let snapshot = match first {
            Some(now) => now,
            None => {
                rx.changed().await.ok()?;
                rx.borrow_and_update().clone()
            }
        };
        let data = serde_json::to_string(&snapshot).unwrap_or_default();
        let event = Event::default().event("snapshot").data(data);
        Some((event, (rx, None)))
    });
    let jobs = stream::unfold(log, |mut log| async move {
        loop {
            match log.recv().await {
                Ok(e) => return Some((job_event(&e), log)),
                // A client too slow for the log misses events, never the counts.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let merged = stream::select(snapshots, jobs).map(Ok);
    Sse::new(merged).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// One event of the log, as `queue events --json` prints it (its texts redacted as the pages
/// redact them), named `job`.
fn job_event(e: &LogEvent) -> Event {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    super::redact::value(&mut v);
    Event::default()
        .event("job")
        .id(e.id.to_string())
        .data(v.to_string())
}
