//! PostgreSQL over TLS, for real: a cluster of the test's own with `ssl = on`, a certificate
//! made for it by a CA of the test's own (openssl), and only TLS connections allowed. A job is
//! dispatched and worked with `verify-full` against that CA, `require` connects without one,
//! `verify-ca` accepts a host name the certificate does not have while `verify-full` refuses
//! it, and a wrong root or no TLS at all are refused with one clear line.

use crate::outages::Cluster;
use crate::util::*;
use std::path::Path;
use std::process::Command;

/// Run openssl in `dir`; false when it is not installed.
fn openssl(dir: &Path, args: &[&str]) -> bool {
    match Command::new("openssl").args(args).current_dir(dir).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                text(&out.stderr)
            );
            true
        }
        Err(_) => false,
    }
}

/// A CA named `name` (`name.crt`, `name.key`) in `dir`.
fn make_ca(dir: &Path, name: &str) -> bool {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    )
}

#[test]
fn postgres_over_tls_verifies_the_server_as_asked() {
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path();
    if !make_ca(dir, "ca") {
        let required = std::env::var("QUEUE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "QUEUE_REQUIRE_POSTGRES=1 but no openssl to make certificates"
        );
        eprintln!("skipped: no openssl to make the test's certificates");
        return;
    }
    assert!(make_ca(dir, "wrong"));
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    assert!(openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    ));
    assert!(openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    ));

    let Some(cluster) = Cluster::start() else {
        return;
    };
    // TLS on, and only TLS connections over TCP.
    for file in ["server.crt", "server.key"] {
        let to = cluster.data.join(file);
        std::fs::copy(dir.join(file), &to).unwrap();
        std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        if cluster.as_postgres {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(&to)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
    let conf = cluster.data.join("postgresql.conf");
    let mut text_conf = std::fs::read_to_string(&conf).unwrap();
    text_conf.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
    std::fs::write(&conf, text_conf).unwrap();
    std::fs::write(
        cluster.data.join("pg_hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
    )
    .unwrap();
    cluster.restart();

    let env = TestEnv::new();
    let ca = dir.join("ca.crt").display().to_string();
    let wrong = dir.join("wrong.crt").display().to_string();
    let url = |params: &str| format!("{}&{params}", cluster.url);

    // verify-full against the test's CA: a job dispatched and worked end to end (the worker's
    // LISTEN connection too).
    let full = url(&format!("sslmode=verify-full&sslrootcert={ca}"));
    let uuid = env.ok(&["--database", &full, "dispatch", "--", "echo", "over tls"]);
    let out = env.run(&["--database", &full, "work", "--stop-when-empty"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let job = env.json(&["--database", &full, "show", uuid.trim()]);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["output"], "over tls\n", "{job}");

    // require: encrypted, the certificate not verified (as libpq).
    let require = url("sslmode=require");
    env.ok(&["--database", &require, "status"]);
    // prefer (the default) takes TLS when the server offers it: this one allows nothing else.
    env.ok(&["--database", &cluster.url, "status"]);

    // verify-ca checks the chain, not the name; verify-full checks both.
    let by_name = |mode: &str| {
        format!(
            "{}&sslmode={mode}&sslrootcert={ca}",
            cluster.url.replace("127.0.0.1", "localhost")
        )
    };
    env.ok(&["--database", &by_name("verify-ca"), "status"]);
    let err = env.fails(&["--database", &by_name("verify-full"), "status"], 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not for this host name"), "{err}");

    // A wrong root: refused at once, in one line that says what to check.
    let err = env.fails(
        &[
            "--database",
            &url(&format!("sslmode=verify-full&sslrootcert={wrong}")),
            "status",
        ],
        1,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("over TLS")
            && err.contains(&format!("not signed by a root of sslrootcert {wrong}")),
        "{err}"
    );
    let err = env.fails(
        &[
            "--database",
            &url("sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"),
            "status",
        ],
        1,
    );
    assert!(
        err.contains("cannot read sslrootcert /nonexistent/ca.crt"),
        "{err}"
    );
    // Without TLS this server lets no one in.
    let err = env.fails(&["--database", &url("sslmode=disable"), "status"], 1);
    assert_eq!(err.lines().count(), 1, "{err}");
}
