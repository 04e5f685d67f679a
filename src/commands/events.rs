//! `queue events [--follow] [--since CURSOR|D] [--queue Q] [--event NAME,…] [--uuid U]`: the
//! events the store recorded (PRODUCT.md §9), oldest first, one line each (JSON Lines with
//! `--json`). `--follow` keeps reading as new ones commit, from every process and host that
//! shares the store; each line's id is a cursor, so `--since ID` goes on exactly after it.

use crate::app::Ctx;
use crate::clock::format_local;
use crate::domain::events::{name, parse_since, Event, EventFilter, Since};
use crate::store::events::Follow;
use anyhow::Result;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  queue events --since 1h --event job.failed\n  queue events --follow --json\n  queue events --since 1234 --follow   # exactly after the event with id 1234"
)]
pub struct Args {
    /// Keep printing new events as they are recorded (until interrupted).
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Start after this event id (a cursor), or at this time: a duration ago (1h) or RFC 3339.
    #[arg(long, value_name = "CURSOR|D")]
    pub since: Option<String>,
    /// Only events of these queues: a,b.
    #[arg(long, value_name = "Q", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
    /// Only these events: job.failed,job.processed …
    #[arg(long, value_name = "NAME,…")]
    pub event: Option<String>,
    /// Only the events of this job (its uuid or a prefix).
    #[arg(long, value_name = "U")]
    pub uuid: Option<String>,
}

/// How many events one read takes.
const PAGE: usize = 1_000;
/// How often a follower looks when nothing woke it (wake-ups come with dispatches, releases
/// and failures; the other events are found by this look).
const POLL: Duration = Duration::from_millis(200);
/// How soon it looks again while a gap may still fill (PostgreSQL).
const GAP_POLL: Duration = Duration::from_millis(50);

fn list(text: &Option<String>) -> Vec<String> {
    text.as_deref()
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let filter = EventFilter {
        queues: list(&args.queue),
        events: list(&args.event),
        uuid: args.uuid.clone().filter(|u| !u.is_empty()),
    };
    if let Some(bad) = filter
        .events
        .iter()
        .find(|e| !name::ALL.contains(&e.as_str()))
    {
        return Err(crate::app::usage_error(format!(
            "unknown event '{bad}' in --event: use {}",
            name::ALL.join(", ")
        )));
    }
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, ctx.now_ms()))
        .transpose()
        .map_err(crate::app::usage_error)?;
    // A follower may start before anything was dispatched: it opens (and makes) the store as
    // a worker does; a listing only reads one that exists.
    let (_, mut store) = if args.follow {
        ctx.store()?
    } else {
        ctx.read_store()?
    };
    // A follower subscribes before its first read, so nothing committed in between is missed
    // (and the cursor makes every later read exact).
    let (tx, rx) = mpsc::channel::<()>();
    let _wakeups = if args.follow {
        let id = format!(
            "events:{}:{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        store.subscribe(&id, &filter.queues, Box::new(move || tx.send(()).is_ok()))?
    } else {
        None
    };
    let cursor = match since {
        None => 0,
        Some(Since::Cursor(c)) => c,
        Some(Since::At(at)) => store.event_cursor_at(at)?,
    };
    let mut follow = Follow::after(cursor);
    crate::output::keep_running_on_closed_pipe();
    loop {
        let mut read = store.read_events(follow.cursor, PAGE)?;
        let full = read.events.len() == PAGE;
        if !args.follow {
            // A listing shows what is visible now; only a follower waits out gaps.
            read.snapshot = None;
        }
        for event in follow.take(read) {
            if filter.matches(&event) {
                print(ctx, &event)?;
            }
        }
        if full {
            continue;
        }
        if !args.follow {
            return Ok(ExitCode::SUCCESS);
        }
        let nap = if follow.waiting() { GAP_POLL } else { POLL };
        let _ = rx.recv_timeout(nap);
        while rx.try_recv().is_ok() {}
    }
}

fn print(ctx: &Ctx, e: &Event) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json_line(e);
    }
    let mut line = format!("{:>6}  {}  {:<28}", e.id, format_local(e.at), e.event);
    if let Some(name) = &e.name {
        line.push_str(&format!(" {name}"));
    }
    if let Some(q) = &e.queue {
        line.push_str(&format!(" [{q}]"));
    }
    if let Some(u) = &e.uuid {
        line.push_str(&format!(" {u}"));
    }
    if let Some(a) = e.attempt {
        line.push_str(&format!(" attempt {a}"));
    }
    if let Some(d) = e.duration_ms {
        line.push_str(&format!(" {d}ms"));
    }
    if let Some(m) = e.message.as_deref().and_then(|m| m.lines().next()) {
        line.push_str(&format!(" — {m}"));
    }
    ctx.out.line(&line);
    Ok(())
}
