//! `queue ui` in a real browser: Debian's chromium driven through chromedriver (fantoccini),
//! with `queue ui` and workers as real processes. Without chromedriver the test says so and
//! passes, unless `QUEUE_REQUIRE_BROWSER=1` (CI sets it). With `QUEUE_UI_SCREENSHOTS=DIR` it
//! writes the pages it visits as PNG files there (the README's pictures:
//! `QUEUE_UI_SCREENSHOTS=docs/screenshots cargo test --test integration ui_browser`).

use crate::ui::Dashboard;
use crate::util::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(names: &[&str]) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
            .map(|p| p.display().to_string())
    })
}

/// chromedriver, started; None (after a note) when it is not installed and not required.
fn driver() -> Option<Driver> {
    let Some(program) = find_program(&["chromedriver"]) else {
        let required = std::env::var("QUEUE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "QUEUE_REQUIRE_BROWSER=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "note: the browser test of `queue ui` was SKIPPED: chromedriver is not installed \
             (apt-get install chromium chromium-driver); QUEUE_REQUIRE_BROWSER=1 makes this an error (CI sets it)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(program)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    wait_until(secs(30), "chromedriver listening", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Some(Driver { child, port })
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1360,1000",
        "--hide-scrollbars",
    ];
    if std::env::var("QUEUE_UI_SCREENSHOTS").is_ok() {
        args.push("--force-device-scale-factor=1");
    }
    let mut chrome = json!({ "args": args });
    if let Some(binary) = find_program(&["chromium", "chromium-browser", "google-chrome"]) {
        chrome["binary"] = json!(binary);
    }
    caps.insert("goog:chromeOptions".into(), chrome);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// Poll `check` until it is true (a deadline, never a fixed sleep).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(el) => el.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.map_or(0, |v| v.len())
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn shot(c: &Client, name: &str) {
    let Ok(dir) = std::env::var("QUEUE_UI_SCREENSHOTS") else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

fn pending(env: &TestEnv, queue: &str) -> i64 {
    env.json(&["status"])["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == queue)
        .map_or(0, |q| q["pending"].as_i64().unwrap())
}

/// An hour of history on three queues (the clock moved back and forward): fast jobs on
/// `default`, slower ones with failures on `emails`, and `reports` paused with a backlog.
fn history(env: &TestEnv) {
    let mut lines = String::new();
    for step in 0..8 {
        lines.clear();
        for i in 0..(6 + step % 3) {
            lines.push_str(&format!(
                "{{\"command\": [\"true\"], \"name\": \"resize-{step}-{i}\"}}\n"
            ));
        }
        for i in 0..3 {
            let fail = (step + i) % 4 == 0;
            let cmd = if fail {
                "echo 'SMTP 451 mailbox busy' >&2; exit 75".replace("75", "3")
            } else {
                format!("sleep 0.{}", 1 + (i + step) % 3)
            };
            lines.push_str(&format!(
                "{{\"shell\": {cmd:?}, \"queue\": \"emails\", \"name\": \"welcome-email\"}}\n"
            ));
        }
        let file = env.write("jobs.jsonl", &lines);
        env.ok(&["dispatch", "--file", file.to_str().unwrap()]);
        env.ok(&[
            "work",
            "--stop-when-empty",
            "--queue",
            "default,emails",
            "--concurrency",
            "4",
        ]);
        env.advance(Duration::from_secs(7 * 60));
    }
    env.ok(&["pause", "reports"]);
    for i in 0..4 {
        env.dispatch(&[
            "--queue",
            "reports",
            "--name",
            &format!("monthly-report-{i}"),
            "--",
            "true",
        ]);
    }
}

#[test]
fn the_dashboard_in_a_browser() {
    let Some(driver) = driver() else {
        return;
    };
    let env = TestEnv::new();
    std::fs::write(
        env.path().join("clock-offset-ms"),
        (-60 * 60_000).to_string(),
    )
    .unwrap();
    history(&env);
    // Failed jobs to search: two of them ran out of disk.
    for i in 0..5 {
        let msg = if i < 2 {
            "disk-full on /var"
        } else {
            "timeout talking to api"
        };
        env.dispatch(&[
            "--queue",
            "imports",
            "--name",
            &format!("import-{i}"),
            "--",
            "sh",
            "-c",
            &format!("echo '{msg}'; exit 2"),
        ]);
    }
    env.drain(&["--queue", "imports"]);
    let ui = Dashboard::start(&env, &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = browser(&driver).await;

        // The overview loads and its live counts follow a dispatch.
        c.goto(&format!("{}/", ui.url)).await.unwrap();
        eventually("the live indicator", || async {
            text(&c, "#live").await == "live"
        })
        .await;
        let cell = r#"#queue-rows tr[data-queue="default"] [data-k="pending"]"#;
        let before: i64 = text(&c, cell).await.parse().unwrap();
        shot(&c, "overview").await;
        // The server follows the store's event log: the dispatch's event reaches the page,
        // and so do the counts read again after it.
        let uuid = env.dispatch(&["--", "true"]);
        let logged = format!(r#"#feed li[data-uuid="{uuid}"][data-event="job.queued"]"#);
        eventually("the dispatch in the page's event feed", || async {
            count(&c, &logged).await == 1
        })
        .await;
        eventually("the pending count to change", || async {
            text(&c, cell).await.parse::<i64>().ok() == Some(before + 1)
        })
        .await;
        // A queue that appears is listed too, without a reload.
        env.dispatch(&["--queue", "brand-new", "--", "true"]);
        eventually("the new queue's row", || async {
            text(
                &c,
                r#"#queue-rows tr[data-queue="brand-new"] [data-k="pending"]"#,
            )
            .await
                == "1"
        })
        .await;
        let emails = text(&c, r#"#queue-rows tr[data-queue="emails"]"#).await;
        assert!(
            emails.contains("degraded") || emails.contains("failing"),
            "{emails}"
        );
        assert!(text(&c, r#"#queue-rows tr[data-queue="reports"]"#)
            .await
            .contains("paused"));
        assert!(
            count(&c, "section.qcard svg rect").await > 10,
            "the charts are drawn"
        );

        // Searching failed jobs narrows the list.
        c.goto(&format!("{}/failed?queue=imports", ui.url))
            .await
            .unwrap();
        assert_eq!(count(&c, "#failed tbody tr[data-uuid]").await, 5);
        let grep = c
            .find(Locator::Css(r#"#search input[name="grep"]"#))
            .await
            .unwrap();
        grep.send_keys("disk-full").await.unwrap();
        click(&c, "#search button[type=submit]").await;
        eventually("the narrowed list", || async {
            count(&c, "#failed tbody tr[data-uuid]").await == 2
        })
        .await;
        shot(&c, "failed").await;

        // Retrying all that match asks first, then moves them back to their queue.
        click(&c, "#retry-all").await;
        eventually("the confirmation", || async {
            text(&c, "#confirm-text").await.contains("2 failed jobs")
        })
        .await;
        shot(&c, "confirm").await;
        click(&c, "#confirm").await;
        eventually("the result", || async {
            text(&c, ".flash").await.contains("Retried 2")
        })
        .await;
        assert_eq!(pending(&env, "imports"), 2);
        assert_eq!(
            env.json(&["failed", "--queue", "imports"])
                .as_array()
                .unwrap()
                .len(),
            3
        );

        // One job: its attempts, output and payload.
        let uuid = env.json(&["failed", "--queue", "imports"])[0]["uuid"]
            .as_str()
            .unwrap()
            .to_string();
        c.goto(&format!("{}/jobs/{uuid}", ui.url)).await.unwrap();
        assert!(text(&c, "#attempts").await.contains("exit 2"));
        assert!(text(&c, "#payload")
            .await
            .contains("timeout talking to api"));
        shot(&c, "job").await;

        // Pausing a queue shows it paused, and a worker passes over its jobs.
        let mut worker = env.spawn(&["work", "--queue", "slow,fast", "--sleep", "0.2"]);
        env.dispatch(&["--queue", "slow", "--", "true"]);
        wait_until(secs(30), "the worker to run the first slow job", || {
            pending(&env, "slow") == 0
        });
        c.goto(&format!("{}/queues", ui.url)).await.unwrap();
        click(&c, r#"tr[data-queue="slow"] button.pause"#).await;
        eventually("the paused state", || async {
            text(&c, r#"tr[data-queue="slow"] [data-k="state"]"#).await == "paused"
        })
        .await;
        shot(&c, "queues").await;
        let held = env.dispatch(&["--queue", "slow", "--", "true"]);
        let passed = env.dispatch(&["--queue", "fast", "--", "true"]);
        // Strict priority: had `slow` not been paused, its job would have gone first.
        wait_until(secs(30), "the fast job", || env.state(&passed) == "done");
        assert_eq!(env.state(&held), "pending");
        click(&c, r#"tr[data-queue="slow"] button.resume"#).await;
        wait_until(secs(30), "the slow job after resume", || {
            env.state(&held) == "done"
        });
        send_signal(&worker, libc::SIGTERM);
        let _ = worker.wait();

        c.goto(&format!("{}/workers", ui.url)).await.unwrap();
        c.goto(&format!("{}/batches", ui.url)).await.unwrap();
        c.goto(&format!("{}/jobs", ui.url)).await.unwrap();
        assert!(count(&c, "#jobs tbody tr[data-uuid]").await > 10);
        shot(&c, "jobs").await;

        // A read-only dashboard offers no change, and refuses one asked for anyway.
        let ro = Dashboard::start(&env, &["--read-only"]);
        c.goto(&format!("{}/failed", ro.url)).await.unwrap();
        assert_eq!(
            count(&c, "#retry-all, #retry-selected, input[name=uuid]").await,
            0
        );
        c.goto(&format!("{}/queues", ro.url)).await.unwrap();
        assert_eq!(count(&c, "button.pause, button.clear").await, 0);
        let status = c
            .execute(
                "return fetch('/api/queues/emails/pause', {method: 'POST'}).then(r => r.status)",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(status, json!(403));
        assert!(!env.json(&["status"])["paused"]
            .as_array()
            .unwrap()
            .contains(&json!("default:emails")));
        c.close().await.unwrap();
    });
}
