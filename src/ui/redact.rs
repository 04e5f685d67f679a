//! What the dashboard never shows: the secret of an encrypted job (its sealed command, data and
//! environment, its sealed output) and the password of a URL (a store's, or one in a job's
//! command or output). The dashboard holds no key: it cannot open a sealed job, and it takes
//! out even the ciphertext, so that nothing of the secret leaves the store through it.

use crate::crypto::SEALED_OUTPUT;
use serde_json::Value;

/// What a sealed part is shown as.
pub const ENCRYPTED: &str = "[encrypted]";

/// `text` with the password of every `scheme://user:password@host` replaced by `***`.
pub fn url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // The authority ends at the path, query, fragment, or anything that cannot be in it.
        let end = tail
            .find(|c: char| "/?#\"'<> \t\r\n,;`)]}".contains(c))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                let userinfo = &authority[..userinfo_end];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A text that may end with a sealed output (an attempt's output, a failed job's error).
pub fn text(text: &str) -> String {
    match text.find(SEALED_OUTPUT) {
        Some(at) => format!("{}{ENCRYPTED} output", url_passwords(&text[..at])),
        None => url_passwords(text),
    }
}

/// A JSON answer or a payload with every sealed part and URL password taken out.
pub fn value(v: &mut Value) {
    match v {
        Value::String(s) if s.contains(SEALED_OUTPUT) || s.contains("://") => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(value),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key == "secret" && !item.is_null() {
                    *item = Value::String(ENCRYPTED.into());
                } else {
                    value(item);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_taken_out() {
        assert_eq!(
            url_passwords("postgres://queue:s3cret@db:5432/q?sslmode=require"),
            "postgres://queue:***@db:5432/q?sslmode=require"
        );
        assert_eq!(
            url_passwords("a https://u:p@x/y and redis://:pw@h"),
            "a https://u:***@x/y and redis://:***@h"
        );
        assert_eq!(
            url_passwords("postgres://queue@db/q"),
            "postgres://queue@db/q"
        );
        assert_eq!(url_passwords("no url"), "no url");
        assert_eq!(url_passwords("x://"), "x://");
    }

    #[test]
    fn sealed_parts_are_taken_out() {
        let mut v = serde_json::json!({
            "secret": "v1:abcd",
            "output": format!("hello\n{SEALED_OUTPUT}QUJD"),
            "env": {"DB": "mysql://root:hunter2@db/app"},
            "n": 3
        });
        value(&mut v);
        let text = v.to_string();
        assert!(!text.contains("abcd") && !text.contains("QUJD"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(v["secret"], ENCRYPTED);
        assert_eq!(v["n"], 3);
    }
}
