//! TLS to PostgreSQL with libpq's names, on rustls (ring): `sslmode` = `disable`, `prefer`
//! (the default: TLS when the server offers it, unverified), `require` (TLS, the certificate
//! not verified, as libpq), `verify-ca` (its chain verified, not the host name) or
//! `verify-full` (chain and host name); `sslrootcert=PATH` gives the roots to verify against,
//! else the system's. As in libpq, `require` with an `sslrootcert` verifies the chain.
//!
//! The driver parses `sslmode` itself but knows only disable/prefer/require and no
//! `sslrootcert`, so both are taken out of the URL here before the driver sees it.

use anyhow::{anyhow, bail, Context, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, String> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
            ))
            }
        })
    }

    /// What the driver is told: whether it asks the server for TLS, and whether it must get it.
    pub fn driver_mode(self) -> postgres::config::SslMode {
        match self {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// `url` without its `sslmode` and `sslrootcert`, and what they said (a URL's query, or the
/// `key=value` words of a connection string).
pub fn take_ssl_params(url: &str) -> Result<(String, SslMode, Option<String>), String> {
    let mut mode = SslMode::Prefer;
    let mut root = None;
    let mut take = |key: &str, value: String| -> Result<bool, String> {
        match key {
            "sslmode" => mode = SslMode::parse(&value)?,
            "sslrootcert" => root = Some(value),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            None => url.to_string(),
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(&percent_decode(key), percent_decode(value))? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let mut kept = Vec::new();
        for word in url.split_whitespace() {
            let taken = match word.split_once('=') {
                Some((key, value)) => take(key.trim(), value.trim_matches('\'').to_string())?,
                None => false,
            };
            if !taken {
                kept.push(word);
            }
        }
        kept.join(" ")
    };
    Ok((rest, mode, root))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How a store's connections are secured.
#[derive(Clone)]
pub struct Tls {
    mode: SslMode,
    root: Option<String>,
    connector: Option<MakeRustlsConnect>,
}

impl Tls {
    pub fn new(mode: SslMode, root: Option<&str>) -> Result<Tls> {
        let verify = match mode {
            SslMode::Disable => None,
            SslMode::Prefer => Some(Verify::Nothing),
            SslMode::Require if root.is_none() => Some(Verify::Nothing),
            SslMode::Require | SslMode::VerifyCa => Some(Verify::Chain),
            SslMode::VerifyFull => Some(Verify::ChainAndName),
        };
        let connector = match verify {
            None => None,
            Some(verify) => Some(MakeRustlsConnect::new(client_config(verify, root)?)),
        };
        Ok(Tls {
            mode,
            root: root.map(String::from),
            connector,
        })
    }

    pub fn mode(&self) -> SslMode {
        self.mode
    }

    pub fn connector(&self) -> Option<MakeRustlsConnect> {
        self.connector.clone()
    }

    /// What to check, for a connect error that is about TLS.
    pub fn advice(&self, error: &str) -> Option<String> {
        let roots = match &self.root {
            Some(path) => format!("sslrootcert {path}"),
            None => "the system's root certificates (or give sslrootcert=PATH)".to_string(),
        };
        if error.contains("invalid peer certificate") {
            return Some(match error {
                e if e.contains("NotValidForName") || e.contains("not valid for name") => format!(
                    "the server's certificate is not for this host name (sslmode={}): connect by a name the certificate has, or use sslmode=verify-ca",
                    self.mode.name()
                ),
                e if ["Expired", "NotValidYet", "expired", "not valid yet"]
                    .iter()
                    .any(|w| e.contains(w)) =>
                {
                    "the server's certificate is outside its validity period".to_string()
                }
                _ => format!("the server's certificate is not signed by a root of {roots}"),
            });
        }
        if error.contains("TLS") || error.contains("tls") {
            return Some(format!(
                "check that the server has ssl = on, or the URL's sslmode ({})",
                self.mode.name()
            ));
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verify {
    /// Encrypt only (`prefer`, `require`): the handshake's signatures are still checked.
    Nothing,
    Chain,
    ChainAndName,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(verify: Verify, root: Option<&str>) -> Result<ClientConfig> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS setup")?;
    let config = match verify {
        Verify::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
        Verify::Chain | Verify::ChainAndName => {
            let roots = Arc::new(roots(root)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| anyhow!("TLS setup: {e}"))?;
            let verifier: Arc<dyn ServerCertVerifier> = if verify == Verify::Chain {
                Arc::new(ChainOnly(webpki))
            } else {
                webpki
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// The roots of `sslrootcert`, else the system's.
fn roots(root: Option<&str>) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    match root {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| anyhow!("cannot read sslrootcert {path}: {e}"))?;
            if certs.is_empty() {
                bail!("sslrootcert {path} holds no PEM certificate");
            }
            for cert in certs {
                store
                    .add(cert)
                    .map_err(|e| anyhow!("sslrootcert {path}: {e}"))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                bail!(
                    "no system root certificates to verify the server with: give sslrootcert=PATH in the URL"
                );
            }
        }
    }
    Ok(store)
}

/// `prefer` and `require`: any certificate (as libpq), the handshake's signatures checked.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain to a trusted root, whatever host name the certificate is for
/// (webpki checks the chain before the name, so a name error means the chain was good).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_params_are_taken_out_of_the_url() {
        let (rest, mode, root) = take_ssl_params(
            "postgres://u:p@h:5432/db?sslmode=verify-full&connect_timeout=3&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@h:5432/db?connect_timeout=3");
        assert_eq!(mode, SslMode::VerifyFull);
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let (rest, mode, root) = take_ssl_params("postgres://h/db?sslmode=require").unwrap();
        assert_eq!(
            (rest.as_str(), mode, root),
            ("postgres://h/db", SslMode::Require, None)
        );
        let (rest, mode, _) = take_ssl_params("postgres://h/db").unwrap();
        assert_eq!((rest.as_str(), mode), ("postgres://h/db", SslMode::Prefer));
        let (rest, mode, root) =
            take_ssl_params("host=h dbname=d sslmode=verify-ca sslrootcert=/ca.pem").unwrap();
        assert_eq!(rest, "host=h dbname=d");
        assert_eq!(mode, SslMode::VerifyCa);
        assert_eq!(root.as_deref(), Some("/ca.pem"));
        let err = take_ssl_params("postgres://h/db?sslmode=sometimes").unwrap_err();
        assert!(err.contains("not one of disable, prefer, require, verify-ca, verify-full"));
    }

    #[test]
    fn a_missing_root_file_is_one_clear_line() {
        let err = Tls::new(SslMode::VerifyFull, Some("/nonexistent/ca.pem"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("cannot read sslrootcert /nonexistent/ca.pem"),
            "{err}"
        );
    }
}
