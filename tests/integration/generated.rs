//! The committed completions and man page are generated from the binary; they must match it.
//! Regenerate with: queue completions bash > completions/queue.bash (zsh: _queue, fish:
//! queue.fish) and queue man > man/queue.1.

use crate::util::*;

fn assert_current(args: &[&str], file: &str) {
    let env = TestEnv::new();
    let generated = env.ok(args);
    let committed =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
            .unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
    assert!(
        generated == committed,
        "{file} is out of date: regenerate it with `queue {}` > {file}",
        args.join(" ")
    );
}

#[test]
fn completions_are_current() {
    assert_current(&["completions", "bash"], "completions/queue.bash");
    assert_current(&["completions", "zsh"], "completions/_queue");
    assert_current(&["completions", "fish"], "completions/queue.fish");
}

#[test]
fn man_page_is_current() {
    assert_current(&["man"], "man/queue.1");
}
