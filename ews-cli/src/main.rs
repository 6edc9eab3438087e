//! `ews`: Exchange Web Services work from the command line — the same appointment into many
//! calendars, calendars listed, meetings on a principal's behalf, delegates, folder
//! permissions, captured traffic inspected, a server's schema fetched and compared.
//!
//! The server and credentials come from the environment or a config file, never from
//! arguments (see `config.rs`). Bulk commands show progress on stderr and print a
//! per-mailbox report on stdout (`--output table|json|csv`). Exit codes: 0 done, 1 some or all
//! work failed, 2 bad usage or configuration, 3 some write's outcome unknown.

mod admin;
mod calendar;
mod config;
mod dry_run;
mod fail;
mod input;
mod report;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Connection;
use crate::fail::Failure;
use crate::report::Format;

#[derive(Parser, Debug)]
#[command(
    name = "ews",
    version,
    about = "Exchange Web Services from the command line: bulk calendar work, delegates, permissions, schema tools",
    after_help = "Server and credentials: EWS_URL, and EWS_USERNAME + EWS_PASSWORD (EWS_AUTH=ntlm for NTLM), EWS_AUTH=kerberos (tickets from kinit; built with --features kerberos), \
EWS_TOKEN, or EWS_TENANT + EWS_CLIENT_ID + EWS_CLIENT_SECRET; or the same in a config file \
(--config, $EWS_CONFIG, ~/.config/ews/config.toml).\n\
Exit codes: 0 done, 1 some or all work failed, 2 bad usage or configuration, 3 some write's outcome unknown."
)]
struct Cli {
    /// A config file (TOML) with the server and credentials.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print each request instead of sending it (no credentials are read).
    #[arg(long = "dry-run", global = true)]
    dry_run: bool,
    /// The report's format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t)]
    output: Format,
    /// Mailboxes worked on at once (bulk commands), and requests at once per identity.
    #[arg(long, global = true, default_value_t = 10)]
    concurrency: usize,
    /// No progress output.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    /// Longest time for one request, in seconds (default 120). A write that times out has an
    /// unknown outcome.
    #[arg(long, global = true, value_name = "SECONDS")]
    timeout: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Calendars: add one appointment to many, list many.
    #[command(subcommand)]
    Calendar(calendar::Calendar),
    /// Meetings organized on a principal's behalf.
    #[command(subcommand)]
    Meeting(admin::Meeting),
    /// A mailbox's delegates.
    #[command(subcommand)]
    Delegates(admin::Delegates),
    /// Folder permissions.
    #[command(subcommand)]
    Permissions(admin::Permissions),
    /// Read captured EWS messages (requests, responses, faults) into the generated types.
    Inspect {
        /// The files, each a SOAP envelope or a bare body element.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also write each back and compare it with the original.
        #[arg(long)]
        roundtrip: bool,
    },
    /// A server's schema: fetch it, compare two.
    #[command(subcommand)]
    Schema(tools::Schema),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let connection = Connection {
        config: cli.config.clone(),
        dry_run: cli.dry_run,
        concurrency: cli.concurrency.max(1),
        timeout: cli.timeout.map(std::time::Duration::from_secs),
    };
    let result = match cli.command {
        Command::Inspect { files, roundtrip } => tools::inspect(&files, roundtrip),
        Command::Schema(s) => s.run(cli.config.as_deref()),
        command => run_async(command, &connection, cli.output, cli.quiet),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => f.exit(),
    }
}

fn run_async(
    command: Command,
    connection: &Connection,
    format: Format,
    quiet: bool,
) -> Result<u8, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        match command {
            Command::Calendar(c) => {
                let run = calendar::Run {
                    connection,
                    format,
                    quiet,
                };
                c.run(run).await
            }
            Command::Meeting(m) => m.run(connection, format).await,
            Command::Delegates(d) => d.run(connection, format).await,
            Command::Permissions(p) => p.run(connection, format).await,
            Command::Inspect { .. } | Command::Schema(_) => unreachable!("run without a runtime"),
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
