//! The builder: schema location, output, options, and one final call.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::emit::{EmitOptions, emit};
use crate::model::Model;
use crate::{Error, render, schema, wsdl};

/// The three files a schema directory must hold.
pub const SCHEMA_FILES: [&str; 3] = ["types.xsd", "messages.xsd", "services.wsdl"];

/// Enumerations that get an `Other(String)` variant by default: the server adds values to
/// them between versions.
pub const DEFAULT_OPEN_ENUMS: &[&str] = &["ResponseCodeType"];

/// Configures and runs code generation.
///
/// ```no_run
/// ews_codegen::Builder::new("../shared/ews-schema")
///     .out_file(std::env::var("OUT_DIR").unwrap() + "/ews_bindings.rs")
///     .generate()
///     .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    schema_dir: PathBuf,
    out_file: Option<PathBuf>,
    open_enums: Vec<String>,
    emit: EmitOptions,
}

/// What [`Builder::generate`] produced.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The formatted source.
    pub source: String,
    /// The model it came from.
    pub model: Model,
    /// Whether the output file was (re)written.
    pub written: bool,
}

impl Builder {
    /// A builder reading the schema from `schema_dir`.
    pub fn new(schema_dir: impl Into<PathBuf>) -> Self {
        Builder {
            schema_dir: schema_dir.into(),
            out_file: None,
            open_enums: DEFAULT_OPEN_ENUMS.iter().map(|s| (*s).to_owned()).collect(),
            emit: EmitOptions::default(),
        }
    }

    /// Where to write the generated source (nothing is written without it).
    pub fn out_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.out_file = Some(path.into());
        self
    }

    /// Gives the XSD enumeration `xsd_name` an `Other(String)` variant for unknown values.
    pub fn open_enum(mut self, xsd_name: impl Into<String>) -> Self {
        self.open_enums.push(xsd_name.into());
        self
    }

    /// The path of the runtime module as seen from the generated modules.
    pub fn runtime_path(mut self, path: impl Into<String>) -> Self {
        self.emit.runtime = path.into();
        self
    }

    /// The schema files this build reads (for `cargo:rerun-if-changed`).
    pub fn schema_files(&self) -> Vec<PathBuf> {
        SCHEMA_FILES
            .iter()
            .map(|f| self.schema_dir.join(f))
            .collect()
    }

    /// Reads the schema into the model, without emitting.
    pub fn model(&self) -> Result<Model, Error> {
        for f in self.schema_files() {
            if !f.is_file() {
                return Err(Error::SchemaMissing { missing: f });
            }
        }
        let meta = schema::read_meta_types(&self.schema_dir)?;
        let mut globals = Vec::new();
        for f in ["types.xsd", "messages.xsd"] {
            globals.extend(schema::global_elements(&self.schema_dir.join(f))?);
        }
        let mut model = schema::convert(&meta, &globals, &self.open_enums)?;
        let (operations, headers) = wsdl::read(&self.schema_dir.join("services.wsdl"))?;
        model.operations = operations;
        model.headers = headers;
        model.schema_hash = hash_files(&self.schema_files())?;
        Ok(model)
    }

    /// Runs the pipeline; writes the output file if one was set and its content changed.
    pub fn generate(&self) -> Result<Generated, Error> {
        let model = self.model()?;
        let tokens = emit(&model, &self.emit);
        let source = render::render(tokens, &model.schema_hash)?;
        let written = match &self.out_file {
            Some(path) => render::write_if_changed(path, &source)?,
            None => false,
        };
        Ok(Generated {
            source,
            model,
            written,
        })
    }
}

fn hash_files(files: &[PathBuf]) -> Result<String, Error> {
    let mut h = Sha256::new();
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| Error::io(f, e))?;
        h.update(
            Path::new(f)
                .file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        h.update(&bytes);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
