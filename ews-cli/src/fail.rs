//! Why a command stopped, and the exit code each outcome gives.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | everything asked for was done (or, with `--dry-run`, printed) |
//! | 1 | the server or the network refused some or all of the work; the report says which |
//! | 2 | bad usage: flags, input files, configuration, credentials missing |
//! | 3 | some write's outcome is unknown (sent, no answer): rerun with the same `--key` to resolve it |

use std::process::ExitCode;

/// Exit code: all done.
pub const OK: u8 = 0;
/// Exit code: some or all of the work failed.
pub const FAILED: u8 = 1;
/// Exit code: bad usage or configuration (clap uses 2 for bad flags too).
pub const USAGE: u8 = 2;
/// Exit code: the outcome of some write is unknown.
pub const UNKNOWN: u8 = 3;

/// A command that could not run, or whose work failed as a whole.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What to tell the user.
    pub message: String,
}

impl Failure {
    /// Bad flags, input or configuration.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }

    /// Prints the message and gives the exit code.
    pub fn exit(self) -> ExitCode {
        eprintln!("ews: {}", self.message);
        ExitCode::from(self.code)
    }
}

/// Writes a line to stdout. When the reader has gone (`ews … | head`), the process ends
/// quietly with 141, as one killed by SIGPIPE does, instead of panicking.
pub fn out(text: impl std::fmt::Display) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("ews: writing to stdout: {e}");
        std::process::exit(i32::from(FAILED));
    }
}
