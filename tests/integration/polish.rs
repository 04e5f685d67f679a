//! Small things of issue 16, item 20: one queue notation (`connection:queue`), clean-up messages
//! in one style, usage lines that do not show what the environment gave, completions of names
//! and ids, `batch-show --watch`, and `bench` output that fits 100 columns.

use crate::util::*;

#[test]
fn usage_lines_do_not_show_flags_the_environment_gave() {
    let env = TestEnv::new();
    for (args, usage) in [
        (&["show"][..], "Usage: queue show <UUID>"),
        (&["batch-show"][..], "Usage: queue batch-show"),
        (&["forget"][..], "Usage: queue forget <UUID>"),
        (&["pause"][..], "Usage: queue pause <QUEUE>"),
    ] {
        let out = env
            .cmd(args)
            .env("QUEUE_CONNECTION", "default")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.contains(usage), "{args:?}: {err}");
        assert!(!err.contains("--database"), "{args:?}: {err}");
        assert!(!err.contains("--connection"), "{args:?}: {err}");
    }
    // --help never showed them; it still does not.
    let help = env.ok(&["dispatch", "--help"]);
    let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert!(!usage.contains("--database"), "{usage}");
}
