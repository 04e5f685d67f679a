//! The committed completions and man page are generated from the binary; they must match it.
//! Regenerate with: queue completions bash > completions/queue.bash (zsh: _queue, fish:
//! queue.fish) and queue man --dir man (queue.1 and a page per command).

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

#[test]
fn every_man_page_is_current_and_none_is_missing() {
    let env = TestEnv::new();
    let fresh = env.path().join("man");
    env.ok(&["man", "--dir", fresh.to_str().unwrap()]);
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let names = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&fresh),
        names(&committed),
        "man/ is out of date: regenerate it with `queue man --dir man`"
    );
    for name in names(&fresh) {
        let a = std::fs::read(fresh.join(&name)).unwrap();
        let b = std::fs::read(committed.join(&name)).unwrap();
        assert!(
            a == b,
            "man/{name} is out of date: regenerate it with `queue man --dir man`"
        );
    }
    // Every page queue.1 refers to exists.
    let main = std::fs::read_to_string(committed.join("queue.1")).unwrap();
    for word in main.split(|c: char| c.is_whitespace() || c == '[' || c == ']') {
        if let Some(page) = word.strip_suffix("(1)") {
            let page = page
                .replace("\\-", "-")
                .replace("\\fB", "")
                .replace("\\fR", "");
            assert!(
                committed.join(format!("{page}.1")).exists(),
                "queue.1 refers to {page}(1)"
            );
        }
    }
}
