//! queue.toml and the rules of PRODUCT.md §2 for where the store is.

use crate::domain::named::NamedJob;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The parsed queue.toml. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default: Option<String>,
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionConfig>,
    #[serde(default)]
    pub failed: FailedConfig,
    #[serde(default)]
    pub worker: WorkerConfig,
    /// Store-wide listeners (`[hooks]`, PRODUCT.md §9).
    #[serde(default)]
    pub hooks: HooksConfig,
    /// Named jobs (`[jobs.NAME]`); kept as TOML until named jobs are resolved.
    #[serde(default)]
    pub jobs: BTreeMap<String, toml::Table>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    pub driver: Option<String>,
    pub database: Option<String>,
    pub url: Option<String>,
    /// Seconds without a heartbeat before a reserved job is free again.
    pub retry_after: Option<u64>,
    pub queue: Option<String>,
    pub auto_migrate: Option<bool>,
    /// How long finished jobs stay visible to `queue show` (a duration: "1d", 3600 …).
    pub retain_done: Option<toml::Value>,
    /// How long events stay for `queue events` (a duration; default one day).
    pub retain_events: Option<toml::Value>,
    /// How long the per-minute metric rollups are kept (a duration: "7d", 86400 …).
    pub retain_metrics: Option<toml::Value>,
    /// SQLite's durability: "normal" (default) or "full" (fsync every commit).
    pub synchronous: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedConfig {
    pub driver: Option<String>,
}

/// `[hooks]`: shell commands run on events (as jobs, except `before`), and their queue.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    pub failing: Option<String>,
    pub exception: Option<String>,
    pub after: Option<String>,
    pub stopping: Option<String>,
    pub before: Option<String>,
    /// The queue of every hook job (default: the job's own).
    pub hooks_queue: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    pub allow_commands: Option<bool>,
}

/// A loaded queue.toml and where it was found.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub path: PathBuf,
    pub file: ConfigFile,
    /// The file's text, so that errors found after parsing can name their line.
    pub text: String,
}

/// A serde/toml message in the words of a queue.toml: "expected u64" becomes "expected a whole
/// number of seconds" for keys that are durations, "expected a whole number" otherwise.
pub fn humanize_toml_error(message: &str, key: &str) -> String {
    let seconds = matches!(
        key,
        "retry_after"
            | "timeout"
            | "delay"
            | "unique_for"
            | "retain_done"
            | "retain_events"
            | "retain_metrics"
            | "retry_until"
    );
    let number = if seconds {
        "a whole number of seconds"
    } else {
        "a whole number"
    };
    let mut text = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    for int in ["u64", "u32", "u16", "u8", "i64", "i32", "usize"] {
        text = text.replace(&format!("expected {int}"), &format!("expected {number}"));
        text = text.replace(&format!("expected `{int}`"), &format!("expected {number}"));
    }
    text.replace("expected a boolean", "expected true or false")
}

impl LoadedConfig {
    /// The line of `key` inside the table `[section]` (or of the table's header when the key is
    /// not there), 1-based.
    pub fn line_of(&self, section: &str, key: Option<&str>) -> Option<usize> {
        let header = format!("[{section}]");
        let quoted = |k: &str| format!("\"{k}\"");
        let mut in_section = None;
        for (i, line) in self.text.lines().enumerate() {
            let t = line.trim();
            if t.starts_with('[') {
                if in_section.is_some() {
                    break;
                }
                let normalized: String = t
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                if normalized == header {
                    in_section = Some(i + 1);
                }
                continue;
            }
            if let (Some(_), Some(key)) = (in_section, key) {
                let name = t.split('=').next().unwrap_or("").trim();
                if name == key || name == quoted(key) {
                    return Some(i + 1);
                }
            }
        }
        in_section
    }

    /// "FILE (line N)" for messages.
    pub fn at(&self, section: &str, key: Option<&str>) -> String {
        match self.line_of(section, key) {
            Some(line) => format!("{} (line {line})", self.path.display()),
            None => self.path.display().to_string(),
        }
    }
}

impl LoadedConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            // toml's messages may span lines ("invalid string\nexpected ..."); errors are one line.
            let key = e
                .span()
                .and_then(|s| text[..s.start].lines().last())
                .and_then(|l| l.split('=').next())
                .map(|k| k.trim().trim_matches('"').to_string())
                .unwrap_or_default();
            let msg = humanize_toml_error(e.message(), &key);
            let line = e
                .span()
                .map(|s| text[..s.start].lines().count().max(1))
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            anyhow::anyhow!("invalid config file {}{line}: {msg}", path.display())
        })?;
        Ok(LoadedConfig {
            path: path.to_path_buf(),
            file,
            text,
        })
    }

    /// The nearest queue.toml from `start` upwards, like Cargo.toml.
    pub fn discover(start: &Path) -> Result<Option<Self>> {
        for dir in start.ancestors() {
            let candidate = dir.join("queue.toml");
            if candidate.is_file() {
                return Self::load(&candidate).map(Some);
            }
        }
        Ok(None)
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

pub use crate::store::location::{redact_url, Location};

/// Where the store is and how to treat it: the outcome of the precedence rules.
#[derive(Debug, Clone)]
pub struct Target {
    pub location: Location,
    pub connection: String,
    pub retry_after_secs: u64,
    pub default_queue: String,
    pub discard_failed: bool,
    pub auto_migrate: bool,
    pub retain_done_ms: i64,
    /// How long events are kept (`retain_events`).
    pub retain_events_ms: i64,
    /// `[hooks]`, with queue.toml's directory.
    pub hooks: crate::domain::events::Hooks,
    /// How long workers keep the per-minute metric rollups (`retain_metrics`, default 7 days).
    pub retain_metrics_ms: i64,
    /// `[jobs.NAME]` of the config, parsed.
    pub named_jobs: BTreeMap<String, NamedJob>,
    /// `[worker] allow_commands` (default true): false runs only named jobs.
    pub allow_commands: bool,
    /// `synchronous = "full"` on a SQLite connection.
    pub synchronous_full: bool,
    pub config: Option<LoadedConfig>,
}

impl Target {
    /// What the store needs to know of this target when it is opened.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            connection: self.connection.clone(),
            discard_failed: self.discard_failed,
            auto_migrate: self.auto_migrate,
            synchronous_full: self.synchronous_full,
            hooks: self.hooks.clone(),
        }
    }
}

/// What the user said about the store, from flags and environment.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub database: Option<String>,
    pub connection: Option<String>,
    pub config: Option<PathBuf>,
    pub failed_driver: Option<String>,
}

pub const DEFAULT_RETRY_AFTER: u64 = 90;
pub const DEFAULT_RETAIN_DONE_MS: i64 = 86_400_000;
pub const DEFAULT_RETAIN_METRICS_MS: i64 = 7 * 86_400_000;

/// Apply PRODUCT.md §2: --database, QUEUE_DATABASE, the chosen connection of queue.toml, then
/// the per-user default file.
pub fn resolve(selection: &Selection, cwd: &Path) -> Result<Target> {
    let config = match &selection.config {
        Some(path) => Some(LoadedConfig::load(&cwd.join(path))?),
        None => LoadedConfig::discover(cwd)?,
    };
    let chosen_name = selection
        .connection
        .clone()
        .or_else(|| config.as_ref().and_then(|c| c.file.default.clone()));
    let connection = match (&config, &chosen_name) {
        (Some(cfg), Some(name)) => match cfg.file.connections.get(name) {
            Some(conn) => Some(conn.clone()),
            None if selection.connection.is_some() || !cfg.file.connections.is_empty() => {
                bail!(
                    "unknown connection '{name}': {} defines {}",
                    cfg.path.display(),
                    describe_names(cfg.file.connections.keys())
                )
            }
            None => None,
        },
        (None, Some(name)) if selection.database.is_none() => bail!(
            "unknown connection '{name}': no queue.toml was found (searched from {} upwards); create one with [connections.{name}] or pass --database",
            cwd.display()
        ),
        _ => None,
    };
    let conn = connection.clone().unwrap_or_default();

    let location = if let Some(db) = &selection.database {
        Location::parse(db, cwd)
    } else if connection.is_some() {
        connection_location(
            &conn,
            config.as_ref().expect("connection comes from a config"),
        )?
    } else {
        Location::Sqlite(default_store_path()?)
    };

    let failed_driver = selection
        .failed_driver
        .clone()
        .or_else(|| config.as_ref().and_then(|c| c.file.failed.driver.clone()));
    let discard_failed = match failed_driver.as_deref() {
        None | Some("database") | Some("database-uuids") => false,
        Some("null") => true,
        Some(other) => bail!("unknown failed-job driver '{other}': use \"database\" or \"null\""),
    };
    let default_queue = conn.queue.clone().unwrap_or_else(|| "default".into());
    crate::domain::job::validate_queue_name(&default_queue).map_err(anyhow::Error::msg)?;
    // Where a connection key is, for messages: "FILE (line N): ".
    let at = |key: &str| match (&config, &chosen_name) {
        (Some(cfg), Some(name)) => format!(
            "invalid config file {}: [connections.{name}] ",
            cfg.at(&format!("connections.{name}"), Some(key))
        ),
        _ => String::new(),
    };
    let retention = |key: &str, value: &Option<toml::Value>, default: i64| -> Result<i64> {
        Ok(match value {
            None => default,
            Some(toml::Value::Integer(secs)) if *secs >= 0 => secs * 1000,
            Some(toml::Value::String(text)) => crate::domain::duration::parse_duration(text)
                .map_err(|e| anyhow::anyhow!("{}invalid {key}: {e}", at(key)))?
                .as_millis() as i64,
            Some(other) => bail!(
                "{}invalid {key} {other}: use a duration such as \"1d\" or a whole number of seconds",
                at(key)
            ),
        })
    };
    let retain_done_ms = retention("retain_done", &conn.retain_done, DEFAULT_RETAIN_DONE_MS)?;
    let retain_events_ms = retention("retain_events", &conn.retain_events, DEFAULT_RETAIN_DONE_MS)?;
    let retain_metrics_ms = retention(
        "retain_metrics",
        &conn.retain_metrics,
        DEFAULT_RETAIN_METRICS_MS,
    )?;
    let hooks = match &config {
        None => crate::domain::events::Hooks::default(),
        Some(cfg) => {
            let h = &cfg.file.hooks;
            if let Some(q) = &h.hooks_queue {
                crate::domain::job::validate_queue_name(q).map_err(|e| {
                    anyhow::anyhow!(
                        "invalid config file {}: [hooks] hooks_queue: {e}",
                        cfg.path.display()
                    )
                })?;
            }
            let given = |c: &Option<String>| c.clone().filter(|c| !c.trim().is_empty());
            crate::domain::events::Hooks {
                failing: given(&h.failing),
                exception: given(&h.exception),
                after: given(&h.after),
                stopping: given(&h.stopping),
                before: given(&h.before),
                queue: h.hooks_queue.clone(),
                dir: cfg
                    .path
                    .parent()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
            }
        }
    };
    let named_jobs = match &config {
        None => BTreeMap::new(),
        Some(cfg) => crate::domain::named::parse_all(&cfg.file.jobs).map_err(|e| {
            // "[jobs.NAME] KEY: …": name the line of the key (or of the table).
            let located = e.strip_prefix("[jobs.").and_then(|rest| {
                let (name, tail) = rest.split_once(']')?;
                let key = tail
                    .trim_start()
                    .split_once(':')
                    .map(|(k, _)| k.trim())
                    .filter(|k| !k.is_empty() && !k.contains(' '));
                Some(cfg.at(&format!("jobs.{name}"), key))
            });
            let file = located.unwrap_or_else(|| cfg.path.display().to_string());
            anyhow::anyhow!("invalid config file {file}: {e}")
        })?,
    };
    let allow_commands = config
        .as_ref()
        .and_then(|c| c.file.worker.allow_commands)
        .unwrap_or(true);
    let synchronous_full = match conn
        .synchronous
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("normal") => false,
        Some("full") => true,
        Some(other) => bail!(
            "{}invalid synchronous = \"{other}\": use \"normal\" or \"full\"",
            at("synchronous")
        ),
    };
    Ok(Target {
        location,
        named_jobs,
        allow_commands,
        synchronous_full,
        connection: chosen_name.unwrap_or_else(|| "default".into()),
        retry_after_secs: conn.retry_after.unwrap_or(DEFAULT_RETRY_AFTER).max(1),
        default_queue,
        discard_failed,
        auto_migrate: conn.auto_migrate.unwrap_or(true),
        retain_done_ms,
        retain_events_ms,
        hooks,
        retain_metrics_ms,
        config,
    })
}

/// A connection named on the command line (`queue work emails`, `monitor conn:queue`) must be
/// one that queue.toml defines, even when --database or QUEUE_DATABASE chose the store: a queue
/// name given where a connection goes must not quietly work the default queue. Without a
/// queue.toml only `default`, the name of the store's one connection, is known.
pub fn check_named_connection(target: &Target, name: &str) -> Result<()> {
    let defined = target
        .config
        .as_ref()
        .map(|c| &c.file.connections)
        .filter(|c| !c.is_empty());
    match defined {
        Some(connections) if connections.contains_key(name) => Ok(()),
        None if name == "default" => Ok(()),
        Some(connections) => bail!(
            "unknown connection '{name}': {} defines {}; did you mean `--queue {name}`?",
            target.config.as_ref().expect("defined").path.display(),
            describe_names(connections.keys())
        ),
        None => bail!(
            "unknown connection '{name}': no queue.toml defines connections (the store's one connection is `default`); did you mean `--queue {name}`?"
        ),
    }
}

fn connection_location(conn: &ConnectionConfig, cfg: &LoadedConfig) -> Result<Location> {
    match conn.driver.as_deref().unwrap_or("sqlite") {
        "sqlite" => {
            let db = conn.database.as_deref().unwrap_or("queue.sqlite");
            Ok(Location::parse(db, cfg.dir()))
        }
        "postgres" | "pgsql" => match &conn.url {
            Some(url) => Ok(Location::Postgres(url.clone())),
            None => bail!(
                "a postgres connection in {} needs url = \"postgres://…\"",
                cfg.path.display()
            ),
        },
        other => bail!(
            "unknown driver '{other}' in {}: use \"sqlite\" or \"postgres\"",
            cfg.path.display()
        ),
    }
}

fn describe_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<&str> = names.map(String::as_str).collect();
    if list.is_empty() {
        "no connections".into()
    } else {
        format!("only {}", list.join(", "))
    }
}

/// `$XDG_DATA_HOME/queue/queue.sqlite`, else `~/.local/share/queue/queue.sqlite`.
pub fn default_store_path() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("queue").join("queue.sqlite"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/queue/queue.sqlite")),
        None => bail!(
            "cannot find a place for the store: set HOME or XDG_DATA_HOME, or pass --database PATH"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) {
        std::fs::write(dir.join("queue.toml"), text).unwrap();
    }

    #[test]
    fn database_flag_wins_and_relative_paths_follow_the_config_file() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "default = \"local\"\n[connections.local]\ndatabase = \"var/q.sqlite\"\nretry_after = 30\nqueue = \"mail\"\n",
        );
        let sub = tmp.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let t = resolve(&Selection::default(), &sub).unwrap();
        assert_eq!(
            t.location,
            Location::Sqlite(tmp.path().join("var/q.sqlite"))
        );
        assert_eq!((t.retry_after_secs, t.default_queue.as_str()), (30, "mail"));
        assert_eq!(t.connection, "local");

        let t = resolve(
            &Selection {
                database: Some("/x/y.sqlite".into()),
                ..Default::default()
            },
            &sub,
        )
        .unwrap();
        assert_eq!(t.location, Location::Sqlite("/x/y.sqlite".into()));
    }

    #[test]
    fn unknown_connection_and_bad_keys_are_clear_errors() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "[connections.local]\n");
        let err = resolve(
            &Selection {
                connection: Some("nope".into()),
                ..Default::default()
            },
            tmp.path(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown connection 'nope'"),
            "{err}"
        );

        write(tmp.path(), "[conections.local]\n");
        let err = resolve(&Selection::default(), tmp.path()).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(
            redact_url("postgres://u:s3cret@h:5432/db?password=x&sslmode=disable"),
            "postgres://u:***@h:5432/db?password=***&sslmode=disable"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("postgres://h"), "postgres://h");
    }

    #[test]
    fn synchronous_full_is_a_connection_setting() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "[connections.a]\nsynchronous = \"full\"\n");
        let t = resolve(
            &Selection {
                connection: Some("a".into()),
                ..Default::default()
            },
            tmp.path(),
        )
        .unwrap();
        assert!(t.synchronous_full);
        write(tmp.path(), "[connections.a]\nsynchronous = \"sometimes\"\n");
        let err = resolve(
            &Selection {
                connection: Some("a".into()),
                ..Default::default()
            },
            tmp.path(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"normal\" or \"full\""), "{err}");
    }

    #[test]
    fn postgres_urls_select_postgres() {
        let t = resolve(
            &Selection {
                database: Some("postgres://u@h/db".into()),
                ..Default::default()
            },
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(t.location, Location::Postgres("postgres://u@h/db".into()));
    }
}
