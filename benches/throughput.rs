//! `cargo bench`: every figure of `queue bench` on this machine, each beside its limit measured
//! in the same run. `cargo bench -- --quick` uses smaller counts.

fn main() {
    // `cargo test --benches` passes --test: keep that run short too.
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_queue"));
    let figures = queue::bench::run_all(Some(exe), quick).expect("benchmark");
    print!("{}", queue::commands::bench::render(&figures));
}
