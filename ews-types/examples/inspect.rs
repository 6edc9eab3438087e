//! Reads SOAP envelopes into the generated types and prints one line per file.
//!
//! ```text
//! cargo run -p ews-types --example inspect -- [--roundtrip] FILE...
//! ```
//!
//! Prints `OK <element>` or the error with its byte position; with `--roundtrip`, writes each
//! document back and prints any difference from the original (compared as XML: prefixes,
//! insignificant whitespace and attribute order ignored, typed values compared by value).
//! Exits non-zero if any file fails.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut roundtrip = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--roundtrip" => roundtrip = true,
            "-h" | "--help" => {
                println!("usage: inspect [--roundtrip] FILE...");
                return ExitCode::SUCCESS;
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: inspect [--roundtrip] FILE...");
        return ExitCode::from(2);
    }
    let mut failed = 0;
    for f in &files {
        let result = std::fs::read(f)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|e| format!("not UTF-8: {e}")))
            .and_then(|xml| {
                ews_types::inspect::inspect(xml.trim_start_matches('\u{feff}'), roundtrip)
            });
        match result {
            Ok(r) if r.differences.is_empty() => println!("{f}: OK {}", r.element),
            Ok(r) => {
                failed += 1;
                println!(
                    "{f}: ROUNDTRIP DIFFERS {} ({} differences)",
                    r.element,
                    r.differences.len()
                );
                for d in r.differences {
                    println!("    {d}");
                }
            }
            Err(e) => {
                failed += 1;
                println!("{f}: ERROR {e}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} files failed", files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
