//! `fetch-schema` against a local HTTP server, and `diff` between the two Exchange schemas.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ews_codegen::fetch::{Credentials, fetch_schema};

/// (path, Authorization header) of each request the test server saw.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Serves `routes` (path → (status, body)) for `n` requests; records each Authorization header.
fn serve(routes: Vec<(&'static str, u16, String)>, n: usize) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut auth = String::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h
                    .strip_prefix("authorization: ")
                    .or_else(|| h.strip_prefix("Authorization: "))
                {
                    auth = v.trim().to_owned();
                }
            }
            log.lock().unwrap().push((path.clone(), auth));
            let (status, body) = routes
                .iter()
                .find(|(p, ..)| *p == path)
                .map(|(_, s, b)| (*s, b.clone()))
                .unwrap_or((404, String::new()));
            let extra = if status == 302 {
                "Location: https://elsewhere.example/\r\n"
            } else {
                ""
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
    });
    (format!("http://{addr}/EWS/"), seen)
}

fn schema_routes() -> Vec<(&'static str, u16, String)> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../xsd/tiny"));
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    vec![
        ("/EWS/Services.wsdl", 200, read("tiny-services.wsdl")),
        ("/EWS/messages.xsd", 200, read("tiny-messages.xsd")),
        ("/EWS/types.xsd", 200, read("tiny-types.xsd")),
    ]
}

#[test]
fn fetches_three_files_with_basic_auth_and_they_generate() {
    let (url, seen) = serve(schema_routes(), 3);
    let out = std::env::temp_dir().join(format!("ews-fetch-{}", std::process::id()));
    let creds = Credentials::Basic {
        user: "svc".into(),
        password: "s3cret".into(),
    };
    fetch_schema(&url, &creds, &out).unwrap();
    let seen = seen.lock().unwrap();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["/EWS/Services.wsdl", "/EWS/messages.xsd", "/EWS/types.xsd"]
    );
    // base64("svc:s3cret")
    assert!(
        seen.iter().all(|(_, a)| a == "Basic c3ZjOnMzY3JldA=="),
        "{seen:?}"
    );
    let g = ews_codegen::Builder::new(&out).generate().unwrap();
    assert_eq!(g.model.operations[0].name, "GetThing");
    assert!(
        !format!("{creds:?}").contains("s3cret"),
        "Debug hides the password"
    );
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn bearer_token_is_sent() {
    let (url, seen) = serve(schema_routes(), 3);
    let out = std::env::temp_dir().join(format!("ews-fetch-bearer-{}", std::process::id()));
    fetch_schema(&url, &Credentials::Bearer("tok123".into()), &out).unwrap();
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|(_, a)| a == "Bearer tok123")
    );
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn redirects_errors_and_html_pages_are_refused() {
    let out = std::env::temp_dir().join(format!("ews-fetch-bad-{}", std::process::id()));
    let (url, _) = serve(vec![("/EWS/Services.wsdl", 302, String::new())], 1);
    let e = fetch_schema(&url, &Credentials::None, &out)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("redirected") && e.contains("elsewhere.example"),
        "{e}"
    );
    let (url, _) = serve(vec![("/EWS/Services.wsdl", 401, String::new())], 1);
    let e = fetch_schema(&url, &Credentials::None, &out)
        .unwrap_err()
        .to_string();
    assert!(e.contains("401"), "{e}");
    let (url, _) = serve(
        vec![("/EWS/Services.wsdl", 200, "<html>Sign in</html>".into())],
        1,
    );
    let e = fetch_schema(&url, &Credentials::None, &out)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not an XML schema"), "{e}");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn diff_between_2010_sp2_and_current() {
    let shared = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    let old = ews_codegen::Builder::new(shared.join("ews-schema-2010sp2"))
        .model()
        .unwrap();
    let new = ews_codegen::Builder::new(shared.join("ews-schema"))
        .model()
        .unwrap();
    let d = ews_codegen::diff::diff(&old, &new);
    assert_eq!(d.operations_added.len(), 123 - 60);
    assert!(d.operations_added.contains(&"FindPeople".to_owned()));
    assert!(d.operations_removed.is_empty());
    let codes: Vec<_> = d
        .values_added
        .iter()
        .filter(|(t, _)| t == "m:ResponseCodeType")
        .collect();
    assert_eq!(
        codes.len(),
        529 - 383,
        "the reliability notes count 383 and 529 codes"
    );
    assert!(d.types_added.contains(&"t:PersonaType".to_owned()));
    let back = ews_codegen::diff::diff(&new, &old);
    assert_eq!(
        back.operations_removed, d.operations_added,
        "diff is symmetric"
    );
    assert!(d.to_string().contains("+ operation FindPeople"));
}
