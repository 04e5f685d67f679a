//! Store-wide switches (restart, down, pause) and `queue lock`.

use super::*;

pub(super) fn controls_and_settings(env: &Env) {
    let mut s = env.open();
    let mut other = env.open();
    assert_eq!(s.controls().unwrap(), Controls::default());
    s.set_setting(RESTART_KEY, Some("1")).unwrap();
    s.set_setting(MAINTENANCE_KEY, Some("now")).unwrap();
    s.set_setting(&format!("{PAUSED_PREFIX}main:mail"), Some("1"))
        .unwrap();
    let c = other.controls().unwrap();
    assert_eq!(c.restart.as_deref(), Some("1"));
    assert!(c.maintenance);
    assert_eq!(c.paused, ["main:mail"]);
    s.set_setting(RESTART_KEY, Some("2")).unwrap();
    s.set_setting(MAINTENANCE_KEY, None).unwrap();
    s.set_setting(&format!("{PAUSED_PREFIX}main:mail"), None)
        .unwrap();
    let c = other.controls().unwrap();
    assert_eq!(
        c,
        Controls {
            restart: Some("2".into()),
            maintenance: false,
            paused: vec![],
        }
    );
}

pub(super) fn locks_are_exclusive_until_released_or_expired(env: &Env) {
    let mut a = env.open();
    let mut b = env.open();
    let now = env.now();
    assert_eq!(a.acquire_lock("k", "one", now + 10_000, now).unwrap(), None);
    assert_eq!(
        b.acquire_lock("k", "two", now + 10_000, now).unwrap(),
        Some("one".into())
    );
    assert_eq!(
        a.acquire_lock("k", "one", now + 20_000, now).unwrap(),
        None,
        "the owner renews"
    );
    b.release_lock("k", "two").unwrap();
    assert!(b.acquire_lock("k", "two", now, now).unwrap().is_some());
    a.release_lock("k", "one").unwrap();
    assert_eq!(b.acquire_lock("k", "two", now + 1_000, now).unwrap(), None);
    env.advance(2_000);
    let now = env.now();
    assert_eq!(
        a.acquire_lock("k", "one", now + 1_000, now).unwrap(),
        None,
        "an expired lock is free"
    );
}
