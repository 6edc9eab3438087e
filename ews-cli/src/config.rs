//! Where the server and the credentials come from: the environment, then a config file. Never
//! from arguments, which other users of the machine can read in the process list.
//!
//! The file is TOML, found at `--config`, `$EWS_CONFIG`, or `$XDG_CONFIG_HOME/ews/config.toml`
//! (`~/.config/ews/config.toml`):
//!
//! ```toml
//! url = "https://mail.contoso.com/EWS/Exchange.asmx"
//! auth = "ntlm"            # basic (default with a password), ntlm, kerberos, bearer, oauth
//! username = 'CONTOSO\svc-booking'
//! password = "…"
//! # token = "…"                                    (bearer)
//! # tenant = "…", client_id = "…", client_secret = "…"   (oauth, Exchange Online app-only)
//! # insecure_tls = true                            (test servers only)
//! ```
//!
//! A file that holds a secret must not be readable by group or others (as ssh insists for its
//! keys). Each setting of the environment (`EWS_URL`, `EWS_AUTH`, `EWS_USERNAME`,
//! `EWS_PASSWORD`, `EWS_TOKEN`, `EWS_TENANT`, `EWS_CLIENT_ID`, `EWS_CLIENT_SECRET`,
//! `EWS_INSECURE_TLS`) wins over the file's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ews_client::{Client, ClientCredentials, Credentials, RetryPolicy};
use serde::Deserialize;

use crate::dry_run::DryRun;
use crate::fail::Failure;

/// The settings as read, secrets included: deliberately not `Debug`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Settings {
    url: Option<String>,
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    tenant: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    insecure_tls: Option<bool>,
}

impl Settings {
    fn has_secret(&self) -> bool {
        self.password.is_some() || self.token.is_some() || self.client_secret.is_some()
    }
}

/// How a command reaches the server.
pub struct Connection {
    /// `--config`, if given.
    pub config: Option<PathBuf>,
    /// `--dry-run`: print each request instead of sending it.
    pub dry_run: bool,
    /// `--concurrency`: mailboxes at once (bulk commands) and requests per identity.
    pub concurrency: usize,
    /// `--timeout`: longest time for one request.
    pub timeout: Option<std::time::Duration>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn default_file() -> Option<PathBuf> {
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("ews").join("config.toml"))
}

fn read_file(path: &Path, explicit: bool) -> Result<Settings, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Settings::default());
        }
        Err(e) => return Err(Failure::usage(format!("{}: {e}", path.display()))),
    };
    let settings: Settings = toml::from_str(&text)
        .map_err(|e| Failure::usage(format!("{}: {}", path.display(), e.message())))?;
    if settings.has_secret() {
        check_private(path)?;
    }
    Ok(settings)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Failure::usage(format!(
            "{} holds a secret and can be read by others (mode {:o}); run chmod 600 on it",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), Failure> {
    Ok(())
}

impl Connection {
    fn settings(&self) -> Result<Settings, Failure> {
        let file = match (&self.config, env("EWS_CONFIG")) {
            (Some(p), _) => read_file(p, true)?,
            (None, Some(p)) => read_file(Path::new(&p), true)?,
            (None, None) => match default_file() {
                Some(p) => read_file(&p, false)?,
                None => Settings::default(),
            },
        };
        Ok(Settings {
            url: env("EWS_URL").or(file.url),
            auth: env("EWS_AUTH").or(file.auth),
            username: env("EWS_USERNAME").or(file.username),
            password: env("EWS_PASSWORD").or(file.password),
            token: env("EWS_TOKEN").or(file.token),
            tenant: env("EWS_TENANT").or(file.tenant),
            client_id: env("EWS_CLIENT_ID").or(file.client_id),
            client_secret: env("EWS_CLIENT_SECRET").or(file.client_secret),
            insecure_tls: env("EWS_INSECURE_TLS")
                .map(|v| v == "1" || v == "true")
                .or(file.insecure_tls),
        })
    }

    /// A client for the configured server, or for `--dry-run` one whose requests are printed
    /// and never sent (it needs a URL, and reads no credentials).
    pub fn client(&self) -> Result<Client, Failure> {
        let s = self.settings()?;
        let url = s.url.clone().ok_or_else(|| {
            Failure::usage(
                "no server: set EWS_URL (https://host/EWS/Exchange.asmx) or `url` in the config file",
            )
        })?;
        let mut builder = Client::builder(url).concurrency(self.concurrency.max(1));
        if let Some(t) = self.timeout {
            builder = builder.timeout(t).read_timeout(t);
        }
        if self.dry_run {
            // nothing is sent, so no credentials are read or shown
            builder = builder
                .transport(Arc::new(DryRun::default()))
                .retry(RetryPolicy::none());
        } else {
            let c = credentials(&s)?;
            builder = builder
                .credentials(c)
                .danger_accept_invalid_certs(s.insecure_tls.unwrap_or(false));
        }
        builder.build().map_err(|e| Failure::usage(e.to_string()))
    }
}

fn credentials(s: &Settings) -> Result<Credentials, Failure> {
    let missing = |what: &str| Failure::usage(format!("{what} (environment or config file)"));
    let auth = s.auth.as_deref().map(str::to_ascii_lowercase);
    let c = match auth.as_deref() {
        Some("oauth") | None
            if s.tenant.is_some() && s.client_id.is_some() && s.client_secret.is_some() =>
        {
            Credentials::token_provider(ClientCredentials::entra(
                s.tenant.clone().unwrap_or_default(),
                s.client_id.clone().unwrap_or_default(),
                s.client_secret.clone().unwrap_or_default(),
            ))
        }
        Some("oauth") => {
            return Err(missing(
                "auth = oauth needs EWS_TENANT, EWS_CLIENT_ID and EWS_CLIENT_SECRET",
            ));
        }
        Some("bearer") | None if s.token.is_some() => {
            Credentials::bearer(s.token.clone().unwrap_or_default())
        }
        Some("bearer") => return Err(missing("auth = bearer needs EWS_TOKEN")),
        Some("basic" | "ntlm") | None if s.username.is_some() && s.password.is_some() => {
            let (user, password) = (
                s.username.clone().unwrap_or_default(),
                s.password.clone().unwrap_or_default(),
            );
            if auth.as_deref() == Some("ntlm") {
                Credentials::ntlm(user, password)
            } else {
                Credentials::basic(user, password)
            }
        }
        Some("basic" | "ntlm") => {
            return Err(missing("basic and ntlm need EWS_USERNAME and EWS_PASSWORD"));
        }
        Some("kerberos" | "negotiate") => kerberos(s)?,
        Some(other) => {
            return Err(Failure::usage(format!(
                "unknown auth {other:?}: use basic, ntlm, kerberos, bearer or oauth"
            )));
        }
        None => {
            return Err(missing(
                "no credentials: set EWS_USERNAME and EWS_PASSWORD, EWS_TOKEN, or EWS_TENANT, \
                 EWS_CLIENT_ID and EWS_CLIENT_SECRET",
            ));
        }
    };
    Ok(c)
}

/// Kerberos with the tickets of the credentials cache (`kinit`); `EWS_USERNAME`, if set, picks
/// the principal.
#[cfg(feature = "kerberos")]
fn kerberos(s: &Settings) -> Result<Credentials, Failure> {
    let mut k = ews_client::Kerberos::new();
    if let Some(user) = &s.username {
        k = k.principal(user.clone());
    }
    Ok(Credentials::kerberos(k))
}

#[cfg(not(feature = "kerberos"))]
fn kerberos(_: &Settings) -> Result<Credentials, Failure> {
    Err(Failure::usage(
        "this ews was built without Kerberos: cargo install --path ews-cli --features kerberos \
         (needs MIT Kerberos: libkrb5-dev, and libclang)",
    ))
}

/// The configured URL and the credentials `schema fetch` can use (Basic or bearer).
pub fn schema_access(
    config: Option<&Path>,
) -> Result<(Option<String>, ews_codegen::fetch::Credentials), Failure> {
    let c = Connection {
        config: config.map(Path::to_owned),
        dry_run: false,
        concurrency: 1,
        timeout: None,
    };
    let s = c.settings()?;
    let creds = match (&s.token, &s.username, &s.password) {
        (Some(token), _, _) => ews_codegen::fetch::Credentials::Bearer(token.clone()),
        (None, Some(user), Some(password)) => ews_codegen::fetch::Credentials::Basic {
            user: user.clone(),
            password: password.clone(),
        },
        _ => ews_codegen::fetch::Credentials::None,
    };
    Ok((s.url, creds))
}
