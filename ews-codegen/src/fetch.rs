//! `fetch-schema`: download a server's `Services.wsdl`, `messages.xsd` and `types.xsd`.

use std::path::Path;
use std::time::Duration;

use crate::Error;

/// How to authenticate to the server.
pub enum Credentials {
    /// No `Authorization` header.
    None,
    /// HTTP Basic.
    Basic {
        /// User name (`DOMAIN\user` or a UPN).
        user: String,
        /// Password.
        password: String,
    },
    /// An OAuth bearer token.
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Basic { user, .. } => {
                write!(f, "Basic {{ user: {user:?}, password: <redacted> }}")
            }
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl Credentials {
    /// From the environment: `EWS_TOKEN` (bearer), else `EWS_USERNAME` + `EWS_PASSWORD` (Basic).
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(token) = var("EWS_TOKEN") {
            return Credentials::Bearer(token);
        }
        match (var("EWS_USERNAME"), var("EWS_PASSWORD")) {
            (Some(user), Some(password)) => Credentials::Basic { user, password },
            _ => Credentials::None,
        }
    }
}

/// The files a server serves under `/EWS/`, and the names we store them as.
pub const REMOTE_FILES: [(&str, &str); 3] = [
    ("Services.wsdl", "services.wsdl"),
    ("messages.xsd", "messages.xsd"),
    ("types.xsd", "types.xsd"),
];

/// Downloads the three schema files from `base_url` (e.g. `https://mail.example.com/EWS/`)
/// into `out`. Redirects are not followed and TLS certificates are verified.
pub fn fetch_schema(base_url: &str, credentials: &Credentials, out: &Path) -> Result<(), Error> {
    let fail = |what: String| Error::Fetch(what);
    let base = if base_url.ends_with('/') {
        base_url.to_owned()
    } else {
        format!("{base_url}/")
    };
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("ews-codegen/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| fail(format!("HTTP client: {e}")))?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    for (remote, local) in REMOTE_FILES {
        let url = format!("{base}{remote}");
        let mut req = client.get(&url);
        req = match credentials {
            Credentials::None => req,
            Credentials::Basic { user, password } => req.basic_auth(user, Some(password)),
            Credentials::Bearer(token) => req.bearer_auth(token),
        };
        let resp = req
            .send()
            .map_err(|e| fail(format!("{url}: {}", e.without_url())))?;
        let status = resp.status();
        if status.is_redirection() {
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?");
            return Err(fail(format!(
                "{url}: redirected ({status}) to {to}; not followed"
            )));
        }
        if !status.is_success() {
            return Err(fail(format!("{url}: HTTP {status}")));
        }
        let body = resp
            .text()
            .map_err(|e| fail(format!("{url}: {}", e.without_url())))?;
        let head = body.trim_start_matches('\u{feff}').trim_start();
        let looks_right = head.starts_with('<')
            && (body.contains("http://www.w3.org/2001/XMLSchema")
                || body.contains("http://schemas.xmlsoap.org/wsdl/"));
        if !looks_right {
            let start: String = head.chars().take(60).collect();
            return Err(fail(format!(
                "{url}: not an XML schema or WSDL (starts {start:?})"
            )));
        }
        let path = out.join(local);
        std::fs::write(&path, body).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
