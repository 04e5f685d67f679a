//! Named jobs, the counterpart of Laravel's job classes: `[jobs.NAME]` in queue.toml gives a
//! command template and default options. `{field}` in an argv element is replaced by that field
//! of the payload, inside that one element and never through a shell.

use super::job::JobOptions;
use serde_json::Value;
use std::collections::BTreeMap;

/// One `[jobs.NAME]` entry.
#[derive(Debug, Clone)]
pub struct NamedJob {
    pub command: Vec<String>,
    pub options: JobOptions,
}

/// Parse the `[jobs]` tables of a config file.
pub fn parse_all(
    tables: &BTreeMap<String, toml::Table>,
) -> Result<BTreeMap<String, NamedJob>, String> {
    tables
        .iter()
        .map(|(name, table)| Ok((name.clone(), parse(name, table)?)))
        .collect()
}

fn parse(name: &str, table: &toml::Table) -> Result<NamedJob, String> {
    let mut table = table.clone();
    let command = match table.remove("command") {
        Some(toml::Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(s) => Ok(s),
                other => Err(format!(
                    "[jobs.{name}] command: every element must be a string, found {other}"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(toml::Value::String(_)) => {
            return Err(format!(
                "[jobs.{name}] command must be a list of arguments, as in [\"./bin/send\", \"--to\", \"{{to}}\"]"
            ))
        }
        _ => {
            return Err(format!(
                "[jobs.{name}] needs command = [\"program\", \"arg\", …]"
            ))
        }
    };
    for part in &command {
        placeholders(part).map_err(|e| format!("[jobs.{name}] command: {e}"))?;
    }
    let options: JobOptions =
        toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                // The error does not say which key: find it by trying each key alone.
                let culprit = table.iter().find_map(|(key, value)| {
                    let mut one = toml::Table::new();
                    one.insert(key.clone(), value.clone());
                    toml::Value::Table(one)
                        .try_into::<JobOptions>()
                        .err()
                        .map(|e| (key.clone(), e))
                });
                match culprit {
                    Some((key, e)) => format!(
                        "[jobs.{name}] {key}: {}",
                        crate::config::humanize_toml_error(e.message(), &key)
                    ),
                    None => format!("[jobs.{name}]: {}", e.message().trim()),
                }
            })?;
    if options.payload.is_some() {
        return Err(format!(
            "[jobs.{name}]: a named job takes its payload at dispatch (--payload), not in queue.toml"
        ));
    }
    Ok(NamedJob { command, options })
}

/// The `{field}` names in one argv element; `{{` and `}}` stand for literal braces.
fn placeholders(part: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut chars = part.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if name.is_empty() || name.contains('{') {
                    return Err(format!("bad placeholder in '{part}': write {{field}}"));
                }
                names.push(name);
            }
            '}' => {
                return Err(format!(
                    "unmatched '}}' in '{part}': write }}}} for a brace"
                ))
            }
            _ => {}
        }
    }
    Ok(names)
}

/// Fill the template's placeholders from the payload. A field path may use dots (`{user.email}`).
/// Strings are inserted as they are, other values as JSON.
pub fn fill(template: &[String], payload: &Value) -> Result<Vec<String>, String> {
    template
        .iter()
        .map(|part| fill_one(part, payload))
        .collect()
}

pub fn fill_one(part: &str, payload: &Value) -> Result<String, String> {
    placeholders(part)?;
    let mut out = String::new();
    let mut chars = part.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let value = name
                    .split('.')
                    .try_fold(payload, |v, key| v.get(key))
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| {
                        format!("the payload has no field '{name}' (the command uses {{{name}}})")
                    })?;
                match value {
                    Value::String(s) => out.push_str(s),
                    other => out.push_str(&other.to_string()),
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(text: &str) -> BTreeMap<String, toml::Table> {
        let file: toml::Table = toml::from_str(text).unwrap();
        file["jobs"]
            .as_table()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_table().unwrap().clone()))
            .collect()
    }

    #[test]
    fn named_jobs_parse_with_their_options() {
        let jobs = parse_all(&table(
            "[jobs.send]\ncommand = [\"./send\", \"--to\", \"{to}\"]\nqueue = \"emails\"\ntries = 3\nbackoff = [1, 5]\ntimeout = 30\nunique = true\nrate_limit = \"mail=10/60\"\n",
        ))
        .unwrap();
        let send = &jobs["send"];
        assert_eq!(send.command, vec!["./send", "--to", "{to}"]);
        assert_eq!(send.options.queue.as_deref(), Some("emails"));
        assert_eq!(send.options.tries, Some(3));
        assert_eq!(send.options.rate_limit.as_deref(), Some("mail=10/60"));
    }

    #[test]
    fn bad_named_jobs_are_rejected() {
        for bad in [
            "[jobs.x]\nqueue = \"a\"\n",
            "[jobs.x]\ncommand = \"./run.sh\"\n",
            "[jobs.x]\ncommand = [\"a\", 1]\n",
            "[jobs.x]\ncommand = [\"a\"]\ntriez = 3\n",
            "[jobs.x]\ncommand = [\"a {\"]\n",
        ] {
            assert!(parse_all(&table(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn placeholders_fill_one_argument_each_and_never_split() {
        let payload = json!({"to": "a b; rm -rf /", "n": 3, "user": {"email": "x@y"}});
        let argv = fill(
            &[
                "send".into(),
                "--to={to}".into(),
                "{n}".into(),
                "{user.email}".into(),
                "{{lit}}".into(),
            ],
            &payload,
        )
        .unwrap();
        assert_eq!(
            argv,
            vec!["send", "--to=a b; rm -rf /", "3", "x@y", "{lit}"]
        );
        let err = fill(&["{missing}".into()], &payload).unwrap_err();
        assert!(err.contains("no field 'missing'"), "{err}");
    }
}
