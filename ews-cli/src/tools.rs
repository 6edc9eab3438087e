//! Commands that need no mailbox: `ews inspect` (read captured EWS traffic into the generated
//! types) and `ews schema fetch|diff` (a server's schema, and what changed between two).

use std::path::PathBuf;

use clap::Subcommand;

use crate::fail::{FAILED, Failure, OK};

/// `ews schema …`
#[derive(Subcommand, Debug)]
pub enum Schema {
    /// Download a server's Services.wsdl, messages.xsd and types.xsd into DIR (what
    /// EWS_SCHEMA_DIR points the build at). Credentials as for every command; NTLM and OAuth
    /// are not used here (give EWS_TOKEN, or a user and password for Basic).
    Fetch {
        /// The server's EWS URL (default: the configured one), e.g.
        /// `https://mail.contoso.com/EWS/Exchange.asmx` or `…/EWS/`.
        #[arg(long)]
        url: Option<String>,
        /// The folder to write the files into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Types, fields, enumeration values and operations added or removed between two schema
    /// folders.
    Diff {
        /// The older schema's folder.
        old: PathBuf,
        /// The newer schema's folder.
        new: PathBuf,
    },
}

/// `ews inspect FILE…`: each document read into the generated types; with `roundtrip`, written
/// back and compared. Exit 1 if any does not read or does not round-trip.
pub fn inspect(files: &[PathBuf], roundtrip: bool) -> Result<u8, Failure> {
    let mut code = OK;
    for path in files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        match ews_types::inspect::inspect(&text, roundtrip) {
            Ok(found) if found.differences.is_empty() => {
                let rt = if roundtrip { ", round-trips" } else { "" };
                crate::fail::out(format_args!("{}: {}{rt}", path.display(), found.element));
            }
            Ok(found) => {
                code = FAILED;
                crate::fail::out(format_args!(
                    "{}: {}, {} differences when written back:",
                    path.display(),
                    found.element,
                    found.differences.len()
                ));
                for d in &found.differences {
                    crate::fail::out(format_args!("  {d}"));
                }
            }
            Err(e) => {
                code = FAILED;
                crate::fail::out(format_args!("{}: does not read: {e}", path.display()));
            }
        }
    }
    Ok(code)
}

impl Schema {
    /// Runs the command (blocking: call it outside an async runtime).
    pub fn run(self, config: Option<&std::path::Path>) -> Result<u8, Failure> {
        match self {
            Schema::Fetch { url, out } => {
                let (configured, creds) = crate::config::schema_access(config)?;
                let url = url.or(configured).ok_or_else(|| {
                    Failure::usage("no server: give --url, or set EWS_URL or `url` in the config")
                })?;
                let base = match url.rfind('/') {
                    Some(i) if url[i..].to_ascii_lowercase().ends_with(".asmx") => &url[..=i],
                    _ => url.as_str(),
                };
                ews_codegen::fetch::fetch_schema(base, &creds, &out).map_err(|e| Failure {
                    code: FAILED,
                    message: e.to_string(),
                })?;
                crate::fail::out(format_args!(
                    "wrote services.wsdl, messages.xsd, types.xsd to {}",
                    out.display()
                ));
                Ok(OK)
            }
            Schema::Diff { old, new } => {
                let model = |dir: &PathBuf| {
                    ews_codegen::Builder::new(dir)
                        .model()
                        .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))
                };
                let (a, b) = (model(&old)?, model(&new)?);
                crate::fail::out(format_args!("{}", ews_codegen::diff::diff(&a, &b)));
                Ok(OK)
            }
        }
    }
}
