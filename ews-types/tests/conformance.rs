//! Conformance on real EWS traffic: every schema-valid document (and every SOAP fault) in
//! `../shared/conformance` deserializes into the generated types and round-trips to equal XML;
//! every request re-serialized from them validates against `messages.xsd` with xmllint.

use std::path::{Path, PathBuf};
use std::process::Command;

use ews_types::Element;
use ews_types::inspect::inspect;
use ews_types::runtime::{Part, read_envelope, write_envelope};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// (file, kind) of the documents MANIFEST.tsv marks schema-valid or as SOAP faults.
fn valid_documents() -> Vec<(PathBuf, String)> {
    let dir = shared().join("conformance");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv"))
        .expect("../shared/conformance/MANIFEST.tsv must exist beside the repository");
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (file, kind, valid) = (col("file"), col("kind"), col("schema_valid"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[valid] == "yes" || f[valid].starts_with("n/a"))
        .map(|f| (dir.join(f[file]), f[kind].to_owned()))
        .collect()
}

fn read(path: &Path) -> String {
    let xml = std::fs::read_to_string(path).unwrap();
    xml.trim_start_matches('\u{feff}').to_owned()
}

#[test]
fn every_valid_document_deserializes_and_round_trips() {
    let docs = valid_documents();
    assert_eq!(
        docs.len(),
        143,
        "MANIFEST.tsv: 143 schema-valid documents or faults"
    );
    let mut failures = Vec::new();
    for (path, _) in &docs {
        match inspect(&read(path), true) {
            Ok(r) if r.differences.is_empty() => {}
            Ok(r) => failures.push(format!("{}: {:?}", path.display(), r.differences)),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn calendar_items_in_items_read_with_inherited_fields() {
    let xml = read(&shared().join("conformance/013-FindItem-response.xml"));
    let env = read_envelope::<Element>(&xml).unwrap();
    let Part::Known(Element::Messages(ews_types::m::GlobalElement::FindItemResponse(resp))) =
        &env.body[0]
    else {
        panic!("expected a FindItemResponse")
    };
    let debug = format!("{resp:?}");
    assert!(
        debug.contains("CalendarItem("),
        "calendar items read as such: {debug:.300}"
    );
    assert!(
        debug.contains("subject: Some("),
        "inherited ItemType fields are read"
    );
}

fn xmllint() -> Option<PathBuf> {
    let out = Command::new("sh")
        .arg("-c")
        .arg("command -v xmllint")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A copy of the schema with the `xml:` namespace import pointed at a local `xml.xsd`.
fn schema_copy(dir: &Path) -> PathBuf {
    let src = shared().join("ews-schema");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(src.join("messages.xsd"), dir.join("messages.xsd")).unwrap();
    let types = std::fs::read_to_string(src.join("types.xsd")).unwrap().replace(
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>"#,
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>"#,
    );
    std::fs::write(dir.join("types.xsd"), types).unwrap();
    std::fs::write(dir.join("xml.xsd"), ews_codegen_xml_xsd()).unwrap();
    dir.join("messages.xsd")
}

fn ews_codegen_xml_xsd() -> &'static str {
    r#"<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:language"/>
</xs:schema>"#
}

#[test]
fn reserialized_requests_validate_against_messages_xsd() {
    let Some(xmllint) = xmllint() else {
        if std::env::var_os("CI").is_some() {
            panic!("xmllint is required in CI (.ci/run installs libxml2-utils)");
        }
        eprintln!("skipping: xmllint not installed (apt-get install libxml2-utils)");
        return;
    };
    let tmp = std::env::temp_dir().join(format!("ews-conformance-{}", std::process::id()));
    let schema = schema_copy(&tmp.join("schema"));
    let mut fragments = Vec::new();
    for (i, (path, kind)) in valid_documents().iter().enumerate() {
        if kind != "request" {
            continue;
        }
        let env = read_envelope::<Element>(&read(path)).unwrap();
        for part in &env.body {
            let Part::Known(e) = part else { continue };
            let single = ews_types::runtime::Envelope {
                headers: Vec::new(),
                body: vec![Part::Known(e.clone())],
                bare: true,
            };
            let xml = write_envelope(&single).unwrap();
            let f = tmp.join(format!(
                "{i:03}-{}.xml",
                path.file_stem().unwrap().to_string_lossy()
            ));
            std::fs::write(&f, xml).unwrap();
            fragments.push(f);
        }
    }
    assert!(fragments.len() > 40, "requests found: {}", fragments.len());
    let out = Command::new(xmllint)
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .args(&fragments)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.ends_with(" validates"))
        .collect();
    assert!(
        out.status.success() && failed.is_empty(),
        "xmllint:\n{}",
        failed.join("\n")
    );
    std::fs::remove_dir_all(&tmp).ok();
}

/// The per-item status accessors read `ResponseClass`, `ResponseCode`, `MessageText` and
/// `MessageXml` from real responses.
#[test]
fn response_messages_expose_their_status() {
    use ews_types::runtime::{ResponseBody, ResponseMessage};
    let xml = read(&shared().join("conformance/045-GetItem-response.xml"));
    let env = read_envelope::<Element>(&xml).unwrap();
    let Part::Known(Element::Messages(ews_types::m::GlobalElement::GetItemResponse(resp))) =
        &env.body[0]
    else {
        panic!("not a GetItemResponse: {:?}", env.body[0]);
    };
    let messages = resp.messages();
    assert_eq!(messages.len(), 1);
    let s = messages[0].status();
    assert_eq!(s.class.as_deref(), Some("Error"));
    assert_eq!(s.code.as_deref(), Some("ErrorInvalidPropertyRequest"));
    assert_eq!(s.text, Some("Property is not valid for this object type."));
    assert_eq!(s.message_xml.len(), 1);
    assert_eq!(
        s.message_xml[0].attribute("FieldURI"),
        Some("meeting:AssociatedCalendarItemId")
    );
    assert!(!s.is_success());

    // A delegate response is itself a response message.
    let xml = read(&shared().join("conformance/003-AddDelegate-response.xml"));
    let env = read_envelope::<Element>(&xml).unwrap();
    let Part::Known(Element::Messages(ews_types::m::GlobalElement::AddDelegateResponse(resp))) =
        &env.body[0]
    else {
        panic!("not an AddDelegateResponse");
    };
    assert_eq!(resp.messages().len(), 1);
    assert_eq!(
        resp.messages()[0].status().class.as_deref(),
        Some("Success")
    );
}

/// (file, xmllint's message) of the documents MANIFEST.tsv marks schema-invalid.
fn invalid_documents() -> Vec<(PathBuf, String)> {
    let dir = shared().join("conformance");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (file, valid, error) = (col("file"), col("schema_valid"), col("schema_error"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[valid] == "no")
        .map(|f| (dir.join(f[file]), f[error].to_owned()))
        .collect()
}

/// A strict reader (what ews-testserver validates requests with) agrees with xmllint on real
/// traffic: it takes every document xmllint takes, and refuses every one xmllint refuses, naming
/// the same element where xmllint says an element is not expected.
#[test]
fn strict_reading_agrees_with_xmllint_on_real_traffic() {
    use ews_types::runtime::{ReaderConfig, read_envelope_with};
    let mut wrong = Vec::new();
    for (path, kind) in valid_documents() {
        if kind == "fault" {
            continue;
        }
        if let Err(e) = read_envelope_with::<Element>(&read(&path), ReaderConfig::strict()) {
            wrong.push(format!("{}: refused: {e}", path.display()));
        }
    }
    let invalid = invalid_documents();
    assert_eq!(invalid.len(), 7, "MANIFEST.tsv: 7 schema-invalid documents");
    for (path, xmllint_says) in invalid {
        match read_envelope_with::<Element>(&read(&path), ReaderConfig::strict()) {
            Ok(_) => wrong.push(format!(
                "{}: accepted; xmllint: {xmllint_says}",
                path.display()
            )),
            Err(e) if xmllint_says.contains("This element is not expected") => {
                // "Element 't:ItemID': This element is not expected…"
                let element = xmllint_says.split('\'').nth(1).unwrap();
                if !e.to_string().contains(&format!("<{element}>")) {
                    wrong.push(format!("{}: {e}; xmllint: {xmllint_says}", path.display()));
                }
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
