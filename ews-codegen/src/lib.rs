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
mod model_boxing;
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
        "EWS schema not found: {missing} does not exist (EWS_SCHEMA_DIR must name a folder \
         holding types.xsd, messages.xsd and services.wsdl).\n{help}",
        help = FETCH_HELP
    )]
    SchemaMissing {
        /// The file that was looked for.
        missing: PathBuf,
    },
    /// `EWS_SCHEMA_DIR` is not set.
    #[error(
        "EWS schema not found: EWS_SCHEMA_DIR is not set. ews-types generates its bindings from \
         your server's schema (types.xsd, messages.xsd, services.wsdl).\n{help}",
        help = FETCH_HELP
    )]
    SchemaDirUnset,
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

/// Where the build finds the schema: the folder `EWS_SCHEMA_DIR` names, as `prost-build` finds
/// `protoc` through `PROTOC`. There is no fallback to a folder beside the build (for a `git`
/// dependency that would be cargo's own checkout): without the variable the build stops with
/// [`Error::SchemaDirUnset`], which says how to fetch a server's schema and point at it.
///
/// A crate that depends on `ews-types` sets it in its `.cargo/config.toml`:
///
/// ```toml
/// [env]
/// EWS_SCHEMA_DIR = { value = "ews-schema", relative = true }
/// ```
///
/// (`manifest_dir` is kept for build scripts that call this with theirs; it is not searched.)
pub fn schema_dir_from_env(manifest_dir: &str) -> Result<PathBuf, Error> {
    let _ = manifest_dir;
    schema_dir(std::env::var_os("EWS_SCHEMA_DIR"))
}

/// [`schema_dir_from_env`] with the variable's value given.
pub fn schema_dir(var: Option<std::ffi::OsString>) -> Result<PathBuf, Error> {
    match var {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Err(Error::SchemaDirUnset),
    }
}

/// The commands that get a server's schema and point a build at it, from the user's own crate.
const FETCH_HELP: &str = "Fetch your Exchange server's schema and point the build at it, from your crate's folder:\n  \
    cargo install ews-codegen --git <the ews-rs repository URL>   (or: --path <checkout>/ews-codegen)\n  \
    ews-codegen fetch-schema --url https://HOST/EWS/ --out ews-schema\n\
    then add to your crate's .cargo/config.toml:\n  \
    [env]\n  \
    EWS_SCHEMA_DIR = { value = \"ews-schema\", relative = true }";
