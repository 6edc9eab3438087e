//! `ews-codegen`: a thin CLI over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Generate Rust bindings from an EWS schema")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate bindings from DIR (types.xsd, messages.xsd, services.wsdl) into FILE.
    Generate {
        /// Folder holding the schema files.
        #[arg(long, env = "EWS_SCHEMA_DIR")]
        schema_dir: PathBuf,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Download `Services.wsdl`, `messages.xsd` and `types.xsd` from a server into DIR.
    ///
    /// Credentials come from the environment: `EWS_TOKEN` (bearer), or `EWS_USERNAME` and
    /// `EWS_PASSWORD` (Basic).
    FetchSchema {
        /// The server's EWS base URL, e.g. `https://mail.example.com/EWS/`.
        #[arg(long)]
        url: String,
        /// Folder to write the three files into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Types, fields, enumeration values and operations added or removed between two schemas.
    Diff {
        /// Folder of the older schema.
        old: PathBuf,
        /// Folder of the newer schema.
        new: PathBuf,
    },
    /// Print counts of what a schema yields (types, elements, operations, headers).
    Stats {
        /// Folder holding the schema files.
        #[arg(long, env = "EWS_SCHEMA_DIR")]
        schema_dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { schema_dir, out } => ews_codegen::Builder::new(schema_dir)
            .out_file(&out)
            .generate()
            .map(|g| {
                let lines = g.source.lines().count();
                let state = if g.written { "written" } else { "unchanged" };
                println!("{}: {lines} lines, {state}", out.display());
            }),
        Command::FetchSchema { url, out } => {
            let creds = ews_codegen::fetch::Credentials::from_env();
            ews_codegen::fetch::fetch_schema(&url, &creds, &out).map(|()| {
                println!(
                    "wrote services.wsdl, messages.xsd, types.xsd to {}",
                    out.display()
                )
            })
        }
        Command::Diff { old, new } => ews_codegen::Builder::new(old).model().and_then(|a| {
            let b = ews_codegen::Builder::new(new).model()?;
            println!("{}", ews_codegen::diff::diff(&a, &b));
            Ok(())
        }),
        Command::Stats { schema_dir } => ews_codegen::Builder::new(schema_dir).model().map(|m| {
            use ews_codegen::model::TypeKind;
            let count = |f: fn(&TypeKind) -> bool| m.types.iter().filter(|t| f(&t.kind)).count();
            println!(
                "structs      {}",
                count(|k| matches!(k, TypeKind::Struct(_)))
            );
            println!(
                "choices      {}",
                count(|k| matches!(k, TypeKind::Choice(_)))
            );
            println!("enums        {}", count(|k| matches!(k, TypeKind::Enum(_))));
            println!(
                "aliases      {}",
                count(|k| matches!(k, TypeKind::Alias(_)))
            );
            println!(
                "  with facets {}",
                m.types.iter().filter(|t| t.facets.is_some()).count()
            );
            println!("elements     {}", m.elements.len());
            println!("operations   {}", m.operations.len());
            println!("headers      {}", m.headers.len());
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
