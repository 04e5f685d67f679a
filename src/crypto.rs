//! Encrypted jobs (Laravel's ShouldBeEncrypted): a job's command, payload and env sealed with
//! AES-256-GCM under QUEUE_KEY. The job's uuid is the associated data, so a sealed part moved to
//! another job does not open. QUEUE_PREVIOUS_KEYS (comma-separated) lets keys rotate: sealing
//! always uses QUEUE_KEY, opening tries it first and then the previous keys.

use crate::domain::job::Sealed;
use aes_gcm::aead::{Aead, KeyInit, Payload as AeadPayload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

const VERSION: &str = "v1:";
/// How an encrypted job's sealed output begins (its output and the tail in its error text).
pub const SEALED_OUTPUT: &str = "queue-sealed-output:v1:";

/// The keys from the environment.
pub struct Keys {
    current: Option<Aes256Gcm>,
    previous: Vec<Aes256Gcm>,
}

fn parse_key(text: &str, var: &str) -> Result<Aes256Gcm> {
    let text = text.trim();
    let text = text.strip_prefix("base64:").unwrap_or(text);
    let bytes = B64
        .decode(text)
        .map_err(|_| anyhow!("{var} is not base64: generate a key with `queue key-generate`"))?;
    if bytes.len() != 32 {
        bail!(
            "{var} must be 32 bytes of base64 (it is {} bytes): generate one with `queue key-generate`",
            bytes.len()
        );
    }
    Ok(Aes256Gcm::new_from_slice(&bytes).expect("32-byte key"))
}

impl Keys {
    /// No keys: encrypted jobs cannot be opened.
    pub fn none() -> Keys {
        Keys {
            current: None,
            previous: vec![],
        }
    }

    pub fn from_env() -> Result<Keys> {
        let current = match std::env::var("QUEUE_KEY") {
            Ok(k) if !k.trim().is_empty() => Some(parse_key(&k, "QUEUE_KEY")?),
            _ => None,
        };
        let previous = match std::env::var("QUEUE_PREVIOUS_KEYS") {
            Ok(list) => list
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(|k| parse_key(k, "QUEUE_PREVIOUS_KEYS"))
                .collect::<Result<_>>()?,
            Err(_) => vec![],
        };
        Ok(Keys { current, previous })
    }

    /// Seal `sealed` for the job `uuid`.
    pub fn seal(&self, sealed: &Sealed, uuid: &str) -> Result<String> {
        let Some(cipher) = &self.current else {
            bail!("--encrypt needs QUEUE_KEY: generate one with `queue key-generate` and export it for dispatchers and workers");
        };
        let plain = serde_json::to_vec(sealed)?;
        Ok(format!(
            "{VERSION}{}",
            seal_bytes(cipher, &plain, uuid.as_bytes())?
        ))
    }

    /// Seal the output of an attempt of the encrypted job `uuid` (needs QUEUE_KEY).
    pub fn seal_output(&self, output: &str, uuid: &str) -> Result<String> {
        let Some(cipher) = &self.current else {
            bail!("this worker has no QUEUE_KEY to seal the output of an encrypted job");
        };
        let aad = format!("{uuid}:output");
        let body = seal_bytes(cipher, output.as_bytes(), aad.as_bytes())?;
        Ok(format!("{SEALED_OUTPUT}{body}"))
    }

    /// Open an output sealed by `seal_output` for the job `uuid`.
    pub fn open_output(&self, sealed: &str, uuid: &str) -> Result<String> {
        let body = sealed
            .trim_end()
            .strip_prefix(SEALED_OUTPUT)
            .ok_or_else(|| anyhow!("the sealed output has an unknown format"))?;
        let bytes = B64
            .decode(body)
            .map_err(|_| anyhow!("the sealed output is corrupt (not base64)"))?;
        if bytes.len() < 12 + 16 {
            bail!("the sealed output is corrupt (too short)");
        }
        if self.current.is_none() && self.previous.is_empty() {
            bail!("the job's output is encrypted and QUEUE_KEY is not set");
        }
        let (nonce, sealed) = bytes.split_at(12);
        let aad = format!("{uuid}:output");
        for cipher in self.current.iter().chain(&self.previous) {
            let opened = cipher.decrypt(
                Nonce::from_slice(nonce),
                AeadPayload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            );
            if let Ok(plain) = opened {
                return Ok(String::from_utf8_lossy(&plain).into_owned());
            }
        }
        bail!("the job's output cannot be decrypted: it was sealed with another key (check QUEUE_KEY and QUEUE_PREVIOUS_KEYS) or it was tampered with")
    }
}

/// AES-256-GCM with a random nonce: base64 of nonce and ciphertext.
fn seal_bytes(cipher: &Aes256Gcm, plain: &[u8], aad: &[u8]) -> Result<String> {
    let mut nonce = [0u8; 12];
    getrandom(&mut nonce)?;
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), AeadPayload { msg: plain, aad })
        .map_err(|_| anyhow!("encryption failed"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(B64.encode(out))
}

impl Keys {
    /// Open a sealed part of the job `uuid`; the error names the cause.
    pub fn open(&self, secret: &str, uuid: &str) -> Result<Sealed> {
        let body = secret
            .strip_prefix(VERSION)
            .ok_or_else(|| anyhow!("the encrypted payload has an unknown format"))?;
        let bytes = B64
            .decode(body)
            .map_err(|_| anyhow!("the encrypted payload is corrupt (not base64)"))?;
        if bytes.len() < 12 + 16 {
            bail!("the encrypted payload is corrupt (too short)");
        }
        if self.current.is_none() && self.previous.is_empty() {
            bail!("the job is encrypted and QUEUE_KEY is not set: set it to the key the job was dispatched with");
        }
        let (nonce, sealed) = bytes.split_at(12);
        for cipher in self.current.iter().chain(&self.previous) {
            let opened = cipher.decrypt(
                Nonce::from_slice(nonce),
                AeadPayload {
                    msg: sealed,
                    aad: uuid.as_bytes(),
                },
            );
            if let Ok(plain) = opened {
                return serde_json::from_slice(&plain)
                    .context("the decrypted payload is not a job");
            }
        }
        bail!("the job cannot be decrypted: it was sealed with another key (check QUEUE_KEY and QUEUE_PREVIOUS_KEYS) or it was tampered with")
    }
}

/// A new random key, as `queue key-generate` prints it.
pub fn generate_key() -> Result<String> {
    let mut key = [0u8; 32];
    getrandom(&mut key)?;
    Ok(format!("base64:{}", B64.encode(key)))
}

fn getrandom(buf: &mut [u8]) -> Result<()> {
    // SAFETY: the buffer is valid for its length.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n != buf.len() as isize {
        bail!("cannot read random bytes from the system");
    }
    Ok(())
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Keys")
            .field("current", &self.current.is_some())
            .field("previous", &self.previous.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::job::JobCommand;

    fn keys(current: &str, previous: &[&str]) -> Keys {
        Keys {
            current: Some(parse_key(current, "K").unwrap()),
            previous: previous
                .iter()
                .map(|k| parse_key(k, "P").unwrap())
                .collect(),
        }
    }

    fn secret() -> Sealed {
        Sealed {
            command: JobCommand::Argv(vec!["echo".into(), "s3cret".into()]),
            data: serde_json::json!({"token": "abc"}),
            env: [("PASSWORD".to_string(), "hunter2".to_string())].into(),
        }
    }

    #[test]
    fn seal_and_open_round_trip_and_rotate() {
        let (a, b) = (generate_key().unwrap(), generate_key().unwrap());
        let sealed = keys(&a, &[]).seal(&secret(), "job-1").unwrap();
        assert!(!sealed.contains("s3cret") && !sealed.contains("hunter2"));
        assert_eq!(keys(&a, &[]).open(&sealed, "job-1").unwrap(), secret());
        // After rotation the old key still opens old jobs.
        assert_eq!(keys(&b, &[&a]).open(&sealed, "job-1").unwrap(), secret());
        // A wrong key, another job's uuid, or a flipped byte: refused.
        assert!(keys(&b, &[]).open(&sealed, "job-1").is_err());
        assert!(keys(&a, &[]).open(&sealed, "job-2").is_err());
        let mut bytes = B64.decode(&sealed[3..]).unwrap();
        bytes[20] ^= 1;
        let tampered = format!("v1:{}", B64.encode(bytes));
        let err = keys(&a, &[]).open(&tampered, "job-1").unwrap_err();
        assert!(err.to_string().contains("tampered"), "{err}");
    }

    #[test]
    fn outputs_seal_and_open_only_for_their_job() {
        let a = generate_key().unwrap();
        let k = keys(&a, &[]);
        let sealed = k.seal_output("the s3cret line\n", "job-1").unwrap();
        assert!(sealed.starts_with(SEALED_OUTPUT) && !sealed.contains("s3cret"));
        assert_eq!(
            k.open_output(&sealed, "job-1").unwrap(),
            "the s3cret line\n"
        );
        assert!(k.open_output(&sealed, "job-2").is_err());
        assert!(keys(&generate_key().unwrap(), &[])
            .open_output(&sealed, "job-1")
            .is_err());
        assert!(Keys::none().seal_output("x", "job-1").is_err());
    }

    #[test]
    fn bad_keys_are_clear_errors() {
        assert!(parse_key("not base64!", "QUEUE_KEY").is_err());
        assert!(parse_key(&generate_key().unwrap(), "QUEUE_KEY").is_ok());
        let short = format!("base64:{}", B64.encode([0u8; 16]));
        let err = parse_key(&short, "QUEUE_KEY").err().unwrap();
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }
}
