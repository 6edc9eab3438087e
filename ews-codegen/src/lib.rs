//! Reads the EWS schema (`types.xsd`, `messages.xsd`, `services.wsdl`) and emits lean Rust
//! bindings.
//!
//! The pipeline has stages with their own models: [`schema`] (xsd-parser) and [`wsdl`]
//! (quick-xml) produce our [`model::Model`], [`emit`] turns it into tokens, and [`render`]
//! formats and writes it. [`Builder`] runs the whole pipeline; `build.rs` files and the CLI only
//! call it.

pub mod config;
pub mod diff;
pub mod emit;
#[cfg(feature = "cli")]
pub mod fetch;
pub mod model;
mod model_cycles;
pub mod naming;
pub mod render;
pub mod schema;
pub mod wsdl;

use std::path::{Path, PathBuf};

pub use config::{Builder, Generated};

/// Everything that can go wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A schema file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The schema directory lacks a file.
    #[error(
        "EWS schema not found: {missing} does not exist.\n\
         Set EWS_SCHEMA_DIR to a folder holding types.xsd, messages.xsd and services.wsdl, \
         or fetch your server's files with\n  \
         cargo run -p ews-codegen -- fetch-schema --url https://HOST/EWS/ --out xsd/ews"
    )]
    SchemaMissing {
        /// The file that was looked for.
        missing: PathBuf,
    },
    /// xsd-parser rejected the schema.
    #[error("schema: {0}")]
    Schema(String),
    /// A construct the emitter does not support.
    #[error("unsupported schema constructs:\n{0}")]
    Unsupported(String),
    /// The WSDL or an XSD is not well-formed, or lacks what we need.
    #[error("xml: {0}")]
    Xml(String),
    /// Downloading the schema failed.
    #[error("fetch-schema: {0}")]
    Fetch(String),
    /// Generated tokens did not parse as Rust (a bug in the emitter).
    #[error("generated code does not parse: {0}")]
    Syntax(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn schema(e: impl std::fmt::Display) -> Self {
        Error::Schema(e.to_string())
    }
}

/// Where the build looks for the schema: `EWS_SCHEMA_DIR`, else `xsd/ews` in the workspace
/// (next to `manifest_dir`), else `../shared/ews-schema` beside the workspace.
pub fn schema_dir_from_env(manifest_dir: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("EWS_SCHEMA_DIR") {
        return PathBuf::from(dir);
    }
    let workspace = Path::new(manifest_dir).parent().unwrap_or(Path::new("."));
    let local = workspace.join("xsd").join("ews");
    if local.join("types.xsd").is_file() {
        return local;
    }
    workspace.join("..").join("shared").join("ews-schema")
}
