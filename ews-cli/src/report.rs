//! What a command prints: a per-mailbox (or per-item) report on stdout as a table, JSON or CSV,
//! and bulk progress on stderr — a bar with ETA on a terminal, plain lines otherwise (no escape
//! codes in logs and pipes).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::ValueEnum;
use ews_client::bulk::Progress;
use serde::Serialize;

use crate::dry_run;
use crate::fail::{FAILED, OK, UNKNOWN};

/// The report's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON array of objects.
    Json,
    /// CSV with a header row.
    Csv,
}

/// How one unit of work ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Done (created, changed, read).
    Ok,
    /// Already there: found by its key or in the checkpoint; nothing was created.
    Existed,
    /// Refused by the server, the network or the input.
    Failed,
    /// Sent, and no answer came back: it may or may not have happened.
    OutcomeUnknown,
    /// `--dry-run`: printed, not sent.
    DryRun,
}

/// One line of a report.
#[derive(Clone, Debug)]
pub struct Row {
    /// The mailbox it concerns.
    pub mailbox: String,
    /// How it ended.
    pub status: Status,
    /// The item or folder id, or another short result.
    pub id: Option<String>,
    /// Command-specific columns (subject, start, permission level …), in order.
    pub fields: Vec<(String, serde_json::Value)>,
    /// The error, when it failed.
    pub error: Option<String>,
    /// The EWS response code of the error, when there is one.
    pub code: Option<String>,
}

impl Serialize for Row {
    /// An object with the columns in report order; absent values are left out.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("mailbox", &self.mailbox)?;
        m.serialize_entry("status", &self.status)?;
        for (k, v) in &self.fields {
            m.serialize_entry(k, v)?;
        }
        for (k, v) in [
            ("id", &self.id),
            ("error", &self.error),
            ("code", &self.code),
        ] {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

impl Row {
    /// A success.
    pub fn ok(mailbox: impl Into<String>, id: Option<String>) -> Row {
        Row {
            mailbox: mailbox.into(),
            status: Status::Ok,
            id,
            fields: Default::default(),
            error: None,
            code: None,
        }
    }

    /// A failure, classified: outcome unknown, dry run, or failed.
    pub fn failed(mailbox: impl Into<String>, e: &ews_client::Error) -> Row {
        let status = if dry_run::is_not_sent(e) {
            Status::DryRun
        } else if e.outcome_unknown() {
            Status::OutcomeUnknown
        } else {
            Status::Failed
        };
        Row {
            mailbox: mailbox.into(),
            status,
            id: None,
            fields: Default::default(),
            error: (status != Status::DryRun).then(|| e.to_string()),
            code: e
                .response_code()
                .map(|c| ews_types::runtime::XmlValue::to_text(c).into_owned()),
        }
    }

    /// Adds a command-specific column.
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Row {
        self.fields.push((name.to_owned(), value.into()));
        self
    }
}

/// The exit code the rows give: 3 if any outcome is unknown, else 1 if any failed, else 0.
pub fn exit_code(rows: &[Row]) -> u8 {
    if rows.iter().any(|r| r.status == Status::OutcomeUnknown) {
        UNKNOWN
    } else if rows.iter().any(|r| r.status == Status::Failed) {
        FAILED
    } else {
        OK
    }
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Existed => "existed",
        Status::Failed => "failed",
        Status::OutcomeUnknown => "outcome-unknown",
        Status::DryRun => "dry-run",
    }
}

/// The rows as columns: mailbox, status, the command's fields, id, error.
fn columns(rows: &[Row]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec!["mailbox".to_owned(), "status".to_owned()];
    for r in rows {
        for (k, _) in &r.fields {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    header.extend(["id".to_owned(), "error".to_owned()]);
    let body = rows
        .iter()
        .map(|r| {
            let mut line = vec![r.mailbox.clone(), status_text(r.status).to_owned()];
            for k in &header[2..header.len() - 2] {
                let value = r.fields.iter().find(|(name, _)| name == k);
                line.push(value.map(|(_, v)| cell(v)).unwrap_or_default());
            }
            line.push(r.id.clone().unwrap_or_default());
            line.push(r.error.clone().unwrap_or_default());
            line
        })
        .collect();
    (header, body)
}

/// Writes the report to `out`.
pub fn write(rows: &[Row], format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)
        }
        Format::Csv => {
            let (header, body) = columns(rows);
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&header)?;
            for line in body {
                w.write_record(&line)?;
            }
            w.flush()
        }
        Format::Table => {
            let (header, body) = columns(rows);
            let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
            for line in &body {
                for (w, c) in widths.iter_mut().zip(line) {
                    *w = (*w).max(c.chars().count());
                }
            }
            for line in std::iter::once(&header).chain(&body) {
                let mut text = String::new();
                for (i, (c, w)) in line.iter().zip(&widths).enumerate() {
                    if i + 1 == line.len() {
                        text.push_str(c);
                    } else {
                        text.push_str(&format!("{c:<w$}  "));
                    }
                }
                writeln!(out, "{}", text.trim_end())?;
            }
            Ok(())
        }
    }
}

/// Prints the report on stdout and a one-line summary on stderr; gives the exit code.
pub fn finish(rows: &[Row], format: Format) -> u8 {
    let stdout = std::io::stdout();
    if let Err(e) = write(rows, format, &mut stdout.lock()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("ews: writing the report: {e}");
        return FAILED;
    }
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let mut parts = vec![format!("{} ok", count(Status::Ok))];
    for (s, name) in [
        (Status::Existed, "existed"),
        (Status::Failed, "failed"),
        (
            Status::OutcomeUnknown,
            "outcome unknown (rerun with the same --key)",
        ),
        (Status::DryRun, "printed, not sent (dry run)"),
    ] {
        if count(s) > 0 {
            parts.push(format!("{} {name}", count(s)));
        }
    }
    eprintln!("{} in all: {}", rows.len(), parts.join(", "));
    exit_code(rows)
}

/// Bulk progress on stderr.
pub struct Progressor {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
}

impl Progressor {
    /// A bar when stderr is a terminal, lines when it is not, nothing when `quiet`.
    pub fn new(total: usize, quiet: bool) -> Progressor {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} mailboxes, {msg} (ETA {eta})",
                )
                .expect("a valid template"),
            );
            bar
        });
        Progressor { bar, quiet }
    }

    /// Reports one finished mailbox.
    pub fn report(&self, p: &Progress<'_>, what: &str) {
        if self.quiet {
            return;
        }
        let mailbox = p.mailbox.unwrap_or("?");
        let counts = format!(
            "{} failed, {} recovered from throttling",
            p.failed, p.recovered
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(p.done as u64);
                bar.set_message(counts);
                if let Some(e) = p.error.filter(|e| !dry_run::is_not_sent(e)) {
                    bar.println(format!("{mailbox}: {e}"));
                }
            }
            None => {
                let outcome = match p.error {
                    Some(e) if dry_run::is_not_sent(e) => "printed (dry run)".to_owned(),
                    Some(e) => format!("failed: {e}"),
                    None if p.throttles == 1 => format!("{what} after a throttling answer"),
                    None if p.throttles > 1 => {
                        format!("{what} after {} throttling answers", p.throttles)
                    }
                    None => what.to_owned(),
                };
                let eta = p.eta.map(secs).unwrap_or_default();
                eprintln!(
                    "[{}/{}] {mailbox}: {outcome} ({counts}, ETA {eta})",
                    p.done, p.total
                );
            }
        }
    }

    /// Clears the bar.
    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row> {
        vec![
            Row::ok("a@x.com", Some("AAMk1".into())).with("subject", "Lesson, 1"),
            Row {
                status: Status::Failed,
                error: Some("no access".into()),
                ..Row::ok("b@x.com", None)
            },
        ]
    }

    #[test]
    fn csv_quotes_and_keeps_columns() {
        let mut out = Vec::new();
        write(&rows(), Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "mailbox,status,subject,id,error\na@x.com,ok,\"Lesson, 1\",AAMk1,\nb@x.com,failed,,,no access\n"
        );
    }

    #[test]
    fn json_has_one_object_per_row() {
        let mut out = Vec::new();
        write(&rows(), Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["status"], "ok");
        assert_eq!(v[0]["subject"], "Lesson, 1");
        assert_eq!(v[1]["error"], "no access");
        assert!(v[1].get("id").is_none());
        assert_eq!(exit_code(&rows()), FAILED);
    }

    #[test]
    fn table_aligns() {
        let mut out = Vec::new();
        write(&rows(), Format::Table, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[0].find("status"), lines[1].find("ok"));
        assert_eq!(lines[1].find("ok"), lines[2].find("failed"));
    }
}
