//! `queue ui` over plain HTTP: the security rules of PRODUCT.md §10 (loopback without a
//! token, bearer token or a session started with it, CSRF on every POST, read-only), the
//! JSON API with the CLI's field names, `/metrics`, `/health`, and that no secret of an
//! encrypted job or password of a URL reaches an answer. The browser test is `ui_browser.rs`.

use crate::util::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Child;
use std::time::Duration;

/// A running `queue ui` and an HTTP client for it.
pub struct Dashboard {
    pub url: String,
    pub child: Child,
    agent: ureq::Agent,
}

/// An answer: status, headers we look at, body.
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub cookie: Option<String>,
    pub location: Option<String>,
    pub next: Option<String>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Dashboard {
    /// Start `queue ui --listen 127.0.0.1:0 EXTRA…` and wait for the address it prints.
    pub fn start(env: &TestEnv, extra: &[&str]) -> Dashboard {
        let mut args = vec!["ui", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = env.spawn(&args);
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("queue ui printed its address");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Dashboard { url, child, agent }
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.agent.get(&format!("{}{path}", self.url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        reply(req.call().expect("GET"))
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut req = self.agent.post(&format!("{}{path}", self.url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        reply(req.send(body).expect("POST"))
    }

    /// A session of a browser without the token (loopback): its cookie and CSRF token.
    pub fn session(&self) -> (String, String) {
        let r = self.get("/api/csrf", &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        let csrf = r.json()["csrf"].as_str().unwrap().to_string();
        (r.cookie.expect("a session cookie"), csrf)
    }

    /// POST JSON as a browser session with its CSRF token.
    pub fn post_json(&self, path: &str, session: &(String, String), body: &Value) -> Reply {
        self.post(
            path,
            &[
                ("cookie", &session.0),
                ("x-csrf-token", &session.1),
                ("content-type", "application/json"),
            ],
            &body.to_string(),
        )
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let cookie = header("set-cookie").map(|c| c.split(';').next().unwrap_or("").to_string());
    let location = header("location");
    let next = header("x-next-cursor");
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        body,
        cookie,
        location,
        next,
    }
}

/// A raw request, to send a Host header of our own.
fn raw_get(url: &str, path: &str, host: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn a_non_loopback_address_without_a_token_is_refused() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    let err = env.fails(&["ui", "--listen", "0.0.0.0:0"], 1);
    assert!(err.contains("without a token"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    let err = env.fails(&["ui", "--listen", "0.0.0.0:0", "--token", "short"], 1);
    assert!(err.contains("too short"), "{err}");
    let err = env.fails(&["ui", "--listen", "nonsense"], 1);
    assert!(err.contains("--listen"), "{err}");
    // With a token it listens on every address (reached here through loopback).
    let mut child = env.spawn(&[
        "ui",
        "--listen",
        "0.0.0.0:0",
        "--token",
        "0123456789abcdef0123",
    ]);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("http://0.0.0.0:"), "{line}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_token_is_needed_as_a_bearer_or_a_session_started_with_it() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    let token = "tok-0123456789abcdef";
    let ui = Dashboard::start(&env, &["--token", token]);
    let bearer = format!("Bearer {token}");
    // Health is open; everything else needs the token.
    assert_eq!(ui.get("/health", &[]).status, 200);
    for path in [
        "/api/queues",
        "/api/jobs",
        "/api/failed",
        "/metrics",
        "/api/events",
    ] {
        let r = ui.get(path, &[]);
        assert_eq!(r.status, 401, "{path}: {}", r.body);
        assert!(r.json()["error"].as_str().unwrap().contains("token"));
        assert_eq!(
            ui.get(path, &[("authorization", "Bearer wrong-wrong-wrong-wrong")])
                .status,
            401
        );
    }
    assert_eq!(
        ui.get("/api/queues", &[("authorization", &bearer)]).status,
        200
    );
    assert_eq!(
        ui.get("/metrics", &[("authorization", &bearer)]).status,
        200
    );
    // A browser is sent to the login; a wrong token starts nothing.
    let r = ui.get("/", &[]);
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().ends_with("/login"));
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let r = ui.post("/login", &form, "token=nope");
    assert_eq!(r.status, 401);
    assert!(r.cookie.is_none());
    let r = ui.post("/login", &form, &format!("token={token}"));
    assert_eq!(r.status, 303);
    let cookie = r.cookie.expect("a session cookie");
    let page = ui.get("/", &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Queues"));
    assert_eq!(ui.get("/api/queues", &[("cookie", &cookie)]).status, 200);
    assert_eq!(
        ui.get("/", &[("cookie", "queue_session=forged")]).status,
        303
    );
    // A bearer client changes things without a CSRF token (a browser never sends that header
    // by itself); a session does need one.
    let r = ui.post(
        "/api/queues/default/pause",
        &[("authorization", &bearer)],
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"queue": "default:default", "paused": true})
    );
    let r = ui.post("/api/queues/default/resume", &[("cookie", &cookie)], "");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("CSRF"));
}

#[test]
fn every_post_needs_the_sessions_csrf_token() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    let ui = Dashboard::start(&env, &[]);
    let r = ui.post("/api/queues/default/pause", &[], "");
    assert_eq!(r.status, 403, "{}", r.body);
    let session = ui.session();
    let wrong = (session.0.clone(), "0".repeat(64));
    assert_eq!(
        ui.post_json("/api/queues/default/pause", &wrong, &json!({}))
            .status,
        403
    );
    // Another session's token is not this one's.
    let other = ui.session();
    let mixed = (session.0.clone(), other.1.clone());
    assert_eq!(
        ui.post_json("/api/queues/default/pause", &mixed, &json!({}))
            .status,
        403
    );
    // A form without its csrf field is refused too.
    let r = ui.post(
        "/queues/default/pause",
        &[
            ("cookie", &session.0),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        "x=1",
    );
    assert_eq!(r.status, 403);
    assert_eq!(env.json(&["status"])["paused"], json!([]));
    // A page of another site cannot post, even with a session's token.
    let r = ui.post(
        "/api/queues/default/pause",
        &[
            ("cookie", &session.0),
            ("x-csrf-token", &session.1),
            ("origin", "https://evil.example"),
        ],
        "",
    );
    assert_eq!(r.status, 403);
    // The right token pauses the queue for every worker.
    let r = ui.post_json("/api/queues/default/pause", &session, &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(env.json(&["status"])["paused"], json!(["default:default"]));
    let r = ui.post(
        "/queues/default/resume",
        &[
            ("cookie", &session.0),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        &format!("csrf={}", session.1),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(env.json(&["status"])["paused"], json!([]));
    // Without a token, only requests for a loopback name are answered (DNS rebinding).
    let reply = raw_get(&ui.url, "/api/queues", "evil.example");
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    let reply = raw_get(&ui.url, "/api/queues", "localhost:8080");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

#[test]
fn a_read_only_dashboard_changes_nothing() {
    let env = TestEnv::new();
    env.dispatch(&["--queue", "mail", "--", "sh", "-c", "exit 3"]);
    env.drain(&["--queue", "mail"]);
    let ui = Dashboard::start(&env, &["--read-only"]);
    let session = ui.session();
    for (path, body) in [
        ("/api/queues/mail/pause", json!({})),
        ("/api/queues/mail/clear", json!({})),
        ("/api/failed/retry", json!({"all": true})),
        ("/api/failed/forget", json!({"all": true})),
    ] {
        let r = ui.post_json(path, &session, &body);
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(r.body.contains("read-only"), "{}", r.body);
    }
    assert_eq!(env.json(&["failed"]).as_array().unwrap().len(), 1);
    assert_eq!(env.json(&["status"])["paused"], json!([]));
    // It shows everything, and offers no button to change it.
    let page = ui.get("/failed", &[("cookie", &session.0)]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("read-only"));
    assert!(!page.body.contains("Retry selected") && !page.body.contains("Retry all"));
    let queues = ui.get("/queues", &[("cookie", &session.0)]);
    assert!(!queues.body.contains("Pause"), "{}", queues.body);
}

#[test]
fn the_api_answers_with_the_clis_field_names() {
    let env = TestEnv::new();
    let ok = env.dispatch(&["--name", "ok-job", "--", "true"]);
    for i in 0..3 {
        env.dispatch(&[
            "--queue",
            "mail",
            "--name",
            &format!("mailer-{i}"),
            "--",
            "sh",
            "-c",
            &format!("echo smtp-down-{i}; exit 3"),
        ]);
    }
    env.dispatch(&[
        "--queue", "mail", "--name", "other", "--", "sh", "-c", "exit 4",
    ]);
    env.drain(&["--queue", "default,mail"]);
    let ui = Dashboard::start(&env, &[]);
    let session = ui.session();

    let q = ui.get("/api/queues", &[]).json();
    let cli = env.json(&["status"]);
    let row = q["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["queue"] == "mail")
        .unwrap();
    let cli_row = cli["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["queue"] == "mail")
        .unwrap();
    for k in keys(cli_row) {
        assert_eq!(row[&k], cli_row[&k], "{k}");
    }
    assert_eq!(row["metrics"]["failed"], 4, "{row}");
    assert_eq!(row["health"], "failing");
    assert!(q["workers"].is_array() && q["paused"].is_array());

    let failed = ui.get("/api/failed?queue=mail", &[]).json();
    let cli_failed = env.json(&["failed", "--queue", "mail"]);
    assert_eq!(failed, cli_failed);
    let grep = ui.get("/api/failed?grep=smtp-down-1", &[]).json();
    assert_eq!(grep.as_array().unwrap().len(), 1);
    assert_eq!(grep[0]["name"], "mailer-1");
    let bad = ui.get("/api/failed?since=yesterdayish", &[]);
    assert_eq!(bad.status, 400, "{}", bad.body);
    // Paging: one at a time, the cursor in X-Next-Cursor.
    let first = ui.get("/api/failed?page_size=1", &[]);
    let cursor = first.next.clone().expect("a next page");
    let second = ui.get(&format!("/api/failed?page_size=1&after={cursor}"), &[]);
    assert_ne!(first.json()[0]["uuid"], second.json()[0]["uuid"]);

    let job = ui.get(&format!("/api/jobs/{}", &ok[..28]), &[]).json();
    assert_eq!(keys(&job), keys(&env.show(&ok)));
    assert_eq!(job["state"], "done");
    assert_eq!(ui.get("/api/jobs/ffffffff", &[]).status, 404);
    let jobs = ui.get("/api/jobs?state=failed&name=mailer-*", &[]).json();
    assert_eq!(jobs.as_array().unwrap().len(), 3);
    assert_eq!(keys(&jobs[0]), keys(&env.json(&["jobs"])[0]));

    // Retry all that match a filter: fixed before acting, and back on their queue.
    let r = ui.post_json(
        "/api/failed/retry",
        &session,
        &json!({"queue": "mail", "name": "mailer-*"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["retried"].as_array().unwrap().len(), 3);
    let status = env.json(&["status"]);
    let mail = status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["queue"] == "mail")
        .unwrap();
    assert_eq!(
        (mail["pending"].as_i64(), mail["failed"].as_i64()),
        (Some(3), Some(1))
    );
    let r = ui.post_json("/api/failed/retry", &session, &json!({}));
    assert_eq!(r.status, 400, "a selection is needed: {}", r.body);
    let other = env.json(&["failed"])[0]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let r = ui.post_json("/api/failed/forget", &session, &json!({"uuids": [other]}));
    assert_eq!(r.json(), json!({"forgotten": [other]}));
    assert_eq!(env.json(&["failed"]), json!([]));
    let r = ui.post_json("/api/queues/mail/clear", &session, &json!({}));
    assert_eq!(r.json()["cleared"], 3);
    assert_eq!(ui.get("/api/batches", &[]).json(), env.json(&["batches"]));
    assert_eq!(ui.get("/api/workers", &[]).json(), json!([]));
}

#[test]
fn metrics_and_health_speak_prometheus() {
    let env = TestEnv::new();
    for _ in 0..3 {
        env.dispatch(&["--", "true"]);
    }
    env.dispatch(&["--queue", "mail", "--", "sh", "-c", "exit 3"]);
    env.dispatch(&["--queue", "mail", "--delay", "1h", "--", "true"]);
    env.drain(&["--queue", "default,mail"]);
    env.dispatch(&["--", "true"]);
    env.ok(&["pause", "mail"]);
    let ui = Dashboard::start(&env, &[]);
    let h = ui.get("/health", &[]);
    assert_eq!((h.status, h.json()["status"].clone()), (200, json!("ok")));
    let m = ui.get("/metrics", &[]).body;
    for line in [
        "queue_jobs{connection=\"default\",queue=\"default\",state=\"pending\"} 1",
        "queue_jobs{connection=\"default\",queue=\"mail\",state=\"delayed\"} 1",
        "queue_jobs{connection=\"default\",queue=\"mail\",state=\"failed\"} 1",
        "queue_jobs_processed_total{queue=\"default\",outcome=\"succeeded\"} 3",
        "queue_jobs_processed_total{queue=\"mail\",outcome=\"failed\"} 1",
        "queue_jobs_processed_total{queue=\"mail\",outcome=\"timed_out\"} 0",
        "queue_job_duration_seconds_count{queue=\"default\"} 3",
        "queue_job_wait_seconds_bucket{queue=\"mail\",le=\"+Inf\"} 1",
        "queue_workers 0",
        "queue_paused{queue=\"mail\"} 1",
        "queue_paused{queue=\"default\"} 0",
        "# TYPE queue_job_duration_seconds histogram",
        "# TYPE queue_jobs_processed_total counter",
    ] {
        assert!(m.lines().any(|l| l == line), "{line} missing in\n{m}");
    }
    assert!(m.contains(
        "queue_oldest_pending_job_age_seconds{connection=\"default\",queue=\"default\"}"
    ));
    // Buckets are cumulative.
    let buckets: Vec<i64> = m
        .lines()
        .filter(|l| l.starts_with("queue_job_duration_seconds_bucket{queue=\"default\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), 16);
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]) && buckets[15] == 3);
}

#[test]
fn no_secret_of_an_encrypted_job_or_password_of_a_url_is_shown() {
    let env = TestEnv::new();
    let key = env.ok(&["key-generate"]).trim().to_string();
    let sealed = env
        .cmd(&[
            "dispatch",
            "--queue",
            "vault",
            "--encrypt",
            "--env",
            "TOKEN=env-s3cret",
            "--payload",
            r#"{"card": "data-s3cret"}"#,
            "--",
            "sh",
            "-c",
            "echo out-s3cret; exit 3",
        ])
        .env("QUEUE_KEY", &key)
        .output()
        .unwrap();
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let sealed = String::from_utf8(sealed.stdout).unwrap().trim().to_string();
    let out = env
        .cmd(&["work", "--stop-when-empty", "--queue", "vault"])
        .env("QUEUE_KEY", &key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let url_job = env.dispatch(&[
        "--queue",
        "vault",
        "--",
        "psql",
        "postgres://admin:hunter2@db.internal/app",
    ]);
    let ui = Dashboard::start(&env, &[]);
    let cookie = ui.session().0;
    let h = [("cookie", cookie.as_str())];
    let mut seen = String::new();
    for path in [
        format!("/api/jobs/{sealed}"),
        format!("/jobs/{sealed}"),
        format!("/api/jobs/{url_job}"),
        format!("/jobs/{url_job}"),
        "/api/failed".to_string(),
        "/failed".to_string(),
        "/api/jobs".to_string(),
        "/jobs".to_string(),
        "/api/jobs?grep=s3cret".to_string(),
        "/".to_string(),
    ] {
        let r = ui.get(&path, &h);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        seen.push_str(&r.body);
    }
    for secret in [
        "env-s3cret",
        "data-s3cret",
        "out-s3cret",
        "hunter2",
        "queue-sealed-output",
    ] {
        assert!(!seen.contains(secret), "{secret} was shown");
    }
    assert!(seen.contains("[encrypted]"));
    assert!(seen.contains("postgres://admin:***@db.internal/app"));
    // The CLI with the key still reads it all: nothing was changed, only not shown.
    let shown = env
        .cmd(&["show", &sealed, "--decrypt"])
        .env("QUEUE_KEY", &key)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("out-s3cret"));
}

#[test]
fn the_base_path_serves_every_page_under_it() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    let ui = Dashboard::start(&env, &["--base-path", "/ops/queue"]);
    assert!(ui.url.ends_with("/ops/queue"), "{}", ui.url);
    let page = ui.get("/", &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/ops/queue/failed\""));
    assert!(page.body.contains("/ops/queue/assets/ui."));
    assert_eq!(ui.get("/api/queues", &[]).status, 200);
    let bad = env.fails(&["ui", "--base-path", "no-slash"], 1);
    assert!(bad.contains("--base-path"), "{bad}");
}

#[test]
fn live_counts_and_the_event_log_arrive_as_server_sent_events() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    let ui = Dashboard::start(&env, &[]);
    let addr = ui.url.trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(s);
    let mut snapshots = Vec::new();
    let mut logged = Vec::new();
    let mut kind = String::new();
    let mut dispatched: Option<String> = None;
    wait_until(secs(30), "the dispatch's event and counts", || {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return false;
        }
        if let Some(name) = line.strip_prefix("event: ") {
            kind = name.trim().to_string();
        }
        if let Some(data) = line.strip_prefix("data: ") {
            let v: Value = serde_json::from_str(data.trim()).unwrap();
            match kind.as_str() {
                "snapshot" => snapshots.push(v["queues"][0]["pending"].as_i64().unwrap()),
                "job" => logged.push(v),
                other => panic!("an event named {other:?}"),
            }
            if dispatched.is_none() {
                dispatched = Some(env.dispatch(&["--name", "live-one", "--", "true"]));
            }
        }
        // The store's log says what happened, then the counts read again say it too.
        let seen = logged.iter().any(|e| {
            e["event"] == "job.queued"
                && e["name"] == "live-one"
                && Some(e["uuid"].as_str().unwrap_or_default()) == dispatched.as_deref()
        });
        seen && snapshots.last() == Some(&2)
    });
    assert_eq!(snapshots[0], 1, "{snapshots:?}");
}
