//! The server serves its schema files to signed-in users, so `fetch-schema` works against it.

use std::path::PathBuf;

use ews_testserver::{Org, TestServer};

fn schema_dir() -> PathBuf {
    match std::env::var_os("EWS_SCHEMA_DIR") {
        Some(d) => d.into(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/ews-schema"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_schema_downloads_the_servers_files() {
    let org = Org::from_toml("[[mailbox]]\nsmtp = \"a@contoso.com\"\npassword = \"pw\"\n").unwrap();
    let server = TestServer::start_on("127.0.0.1:0".parse().unwrap(), org, Some(schema_dir()))
        .await
        .unwrap();
    let base = format!("http://{}/EWS/", server.addr());
    let out = std::env::temp_dir().join(format!("ews-testserver-fetch-{}", std::process::id()));
    let (b, o) = (base.clone(), out.clone());
    tokio::task::spawn_blocking(move || {
        let creds = ews_codegen::fetch::Credentials::Basic {
            user: "a@contoso.com".into(),
            password: "pw".into(),
        };
        ews_codegen::fetch::fetch_schema(&b, &creds, &o)
    })
    .await
    .unwrap()
    .unwrap();
    for f in ["types.xsd", "messages.xsd", "services.wsdl"] {
        let got = std::fs::read(out.join(f)).unwrap();
        let want = std::fs::read(schema_dir().join(f)).unwrap();
        assert!(got == want, "{f} differs");
    }
    // Without credentials: refused.
    let (b, o) = (base, out.join("anon"));
    let e = tokio::task::spawn_blocking(move || {
        ews_codegen::fetch::fetch_schema(&b, &ews_codegen::fetch::Credentials::None, &o)
    })
    .await
    .unwrap()
    .unwrap_err();
    assert!(e.to_string().contains("401"), "{e}");
    std::fs::remove_dir_all(&out).ok();
}
