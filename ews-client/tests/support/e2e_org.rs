//! The organisation of the end-to-end tests (`e2e.rs`, `e2e_faults.rs`): a boss with two
//! delegates, a service account that may impersonate four mailboxes, an outsider.
#![allow(dead_code)]

use std::time::Duration;

use ews_client::{Client, Credentials, RetryPolicy};
use ews_testserver::store::Item;
use ews_testserver::{Org, TestServer};
use ews_types::t;

pub const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
name = "Pat Boss"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
name = "Sam Assistant"
password = "assistant-pw"
[[mailbox]]
smtp = "temp@contoso.com"
password = "temp-pw"
[[mailbox]]
smtp = "cfo@contoso.com"
[[mailbox]]
smtp = "a0@contoso.com"
upn = "a0@corp.contoso.com"
sid = "S-1-5-21-1-2-3-5000"
[[mailbox]]
smtp = "a1@contoso.com"
[[mailbox]]
smtp = "a2@contoso.com"
[[mailbox]]
smtp = "a3@contoso.com"
[[mailbox]]
smtp = "outsider@contoso.com"

[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true
scope = ["a0@contoso.com", "a1@contoso.com", "a2@contoso.com", "a3@contoso.com"]

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
inbox = "Reviewer"
receive_copies = true

[[delegate]]
principal = "boss@contoso.com"
delegate = "temp@contoso.com"
calendar = "Reviewer"
"#;

/// A test server for the organisation.
pub async fn server() -> TestServer {
    TestServer::start(Org::from_toml(ORG).unwrap())
        .await
        .unwrap()
}

/// A client signed in as `user`, with short retry waits.
pub fn login(server: &TestServer, user: &str, password: &str) -> Client {
    Client::builder(server.url())
        .credentials(Credentials::basic(user, password))
        .retry(
            RetryPolicy::default()
                .floor(Duration::from_millis(10))
                .base(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

/// Items of one folder, read from the server's store.
pub fn folder(server: &TestServer, mailbox: &str, f: t::DistinguishedFolderIdName) -> Vec<Item> {
    super::stored(server, mailbox, f)
        .into_iter()
        .map(|(_, item)| item)
        .collect()
}
