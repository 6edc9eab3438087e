//! The server binary, started on loopback for a test.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, Stdio};

/// The server binary, killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with the organisation `config` on an ephemeral port of 127.0.0.1.
pub fn start(config_text: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("org.toml");
    std::fs::File::create(&config)
        .unwrap()
        .write_all(config_text.as_bytes())
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ews-testserver"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("EWS_SCHEMA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    // "EWS at http://127.0.0.1:PORT/EWS/Exchange.asmx"
    let addr = line
        .trim()
        .trim_start_matches("EWS at ")
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches("/EWS/Exchange.asmx")
        .to_owned();
    Server { child, addr }
}
