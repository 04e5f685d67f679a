//! `GET /api/events`: server-sent events for the page's live updates. A `snapshot` event
//! carries the counts of every queue (the fields of `status --json`), sent at once and then
//! each time they change. The counts are read by one task for every listener, every
//! `POLL`, and only while someone listens.

use super::state::App;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(1_000);

/// Keep the live snapshot fresh while anyone listens.
pub fn start_polling(app: Arc<App>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if app.live.receiver_count() == 0 {
                continue;
            }
            // A store that does not answer for now: the page keeps its last counts.
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
    });
}

pub async fn events(
    State(app): State<Arc<App>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribing marks the current value seen: the first event is read fresh below.
    let rx = app.live.subscribe();
    // The first event is the counts now, not the last poll's.
    let first = app.snapshot().await.ok();
    let stream = futures_util::stream::unfold(
        (rx, first, true),
        move |(mut rx, first, start)| async move {
            let snapshot = match (start, first) {
                (true, Some(now)) => now,
                _ => {
                    rx.changed().await.ok()?;
                    rx.borrow_and_update().clone()
                }
            };
            let data = serde_json::to_string(&snapshot).unwrap_or_default();
            let event = Event::default().event("snapshot").data(data);
            Some((Ok(event), (rx, None, false)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
