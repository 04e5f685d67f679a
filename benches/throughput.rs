//! `cargo bench`: every figure of `queue bench` on this machine, each beside its limit measured
//! in the same run. `cargo bench -- --quick` uses smaller counts.
//!
//! The measuring code is `queue bench`'s own, `src/bench.rs`, compiled in here as a module (it
//! is not library API). It reaches the library only through its public modules, which the two
//! modules below give it under the paths it uses inside the crate.

mod api {
    pub use queue::api::*;
}
mod clock {
    pub use queue::clock::*;
}
mod store {
    pub use queue::store::*;
}
#[path = "../src/bench.rs"]
mod bench;

fn main() {
    // `cargo test --benches` passes --test: keep that run short too.
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_queue"));
    // QUEUE_BENCH_PG_URL names a scratch PostgreSQL database: idle pickup with the library
    // dispatching there too (`-- --pg-pickup` measures only that).
    if let Ok(url) = std::env::var("QUEUE_BENCH_PG_URL") {
        let n = if quick { 30 } else { 100 };
        let place = bench::Place::Given(url);
        let (p50, p99) =
            bench::on(&place, "pickup", |s| bench::pickup(exe, s, n)).expect("benchmark");
        println!("idle pickup, --sleep 3, library dispatch, PostgreSQL: p50 {p50:.1} ms, p99 {p99:.1} ms");
        if std::env::args().any(|a| a == "--pg-pickup") {
            return;
        }
    }
    // `-- --library [N]`: goal 7 alone, the library's no-op Rust handlers end to end (dispatch,
    // claim, run, record) of N jobs (default 50,000), interleaved with its limit for several
    // rounds, so that each figure has its limit from the same moment of a shared machine.
    if let Some(at) = std::env::args().position(|a| a == "--library") {
        let n = std::env::args()
            .nth(at + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(50_000);
        let place = match std::env::var("QUEUE_BENCH_DATABASE") {
            Ok(database) if !database.is_empty() => bench::Place::Given(database),
            _ => bench::Place::Scratch,
        };
        // `--rounds R` and `--concurrency C` (for a profile: one round, one pool).
        let arg = |name: &str| {
            let args: Vec<String> = std::env::args().collect();
            args.iter()
                .position(|a| a == name)
                .and_then(|at| args.get(at + 1)?.parse::<usize>().ok())
        };
        let pools = arg("--concurrency").map_or(vec![8, 32], |c| vec![c]);
        for round in 1..=arg("--rounds").unwrap_or(3) {
            for &c in &pools {
                let run = bench::on(&place, &format!("library{c}"), |s| {
                    bench::handler_run(s, n, c)
                })
                .expect("benchmark");
                println!(
                    "round {round}: {n} no-op handler jobs, concurrency {c}: {:.0} jobs/s end to end (drain alone {:.0} jobs/s)",
                    run.end_to_end, run.drain
                );
            }
            let limit =
                bench::on(&place, "grouped", |s| bench::grouped_writes(s, n)).expect("benchmark");
            if let Some(limit) = limit {
                println!(
                    "round {round}: the same rows written bare, {} jobs a transaction: {limit:.0} jobs/s (drain)",
                    bench::GROUP
                );
            }
        }
        return;
    }
    // QUEUE_BENCH_DATABASE names a store to measure every figure on (as `queue bench
    // --database`), else each figure has a scratch SQLite file.
    let place = match std::env::var("QUEUE_BENCH_DATABASE") {
        Ok(database) if !database.is_empty() => bench::Place::Given(database),
        _ => bench::Place::Scratch,
    };
    let figures = bench::run_all(Some(exe), &place, quick).expect("benchmark");
    print!("{}", bench::render(&figures));
}
