//! The client's response path: a status, headers and a body from the network into a typed
//! response or an error — never a panic. The first byte picks the status, the second the
//! headers; the rest is the body.
#![no_main]

use std::sync::Arc;

use bytes::Bytes;
use ews_client::{BoxFuture, Client, HttpRequest, HttpResponse, Transport, TransportError};
use libfuzzer_sys::fuzz_target;

#[derive(Debug)]
struct Canned(HttpResponse);

impl Transport for Canned {
    fn send(&self, _req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let r = HttpResponse {
            status: self.0.status,
            headers: self.0.headers.clone(),
            body: self.0.body.clone(),
        };
        Box::pin(async move { Ok(r) })
    }
}

const STATUSES: [u16; 8] = [200, 200, 200, 500, 401, 302, 503, 429];

fuzz_target!(|data: &[u8]| {
    let [status, flags, body @ ..] = data else {
        return;
    };
    let mut headers = http::HeaderMap::new();
    let content_type = match flags & 3 {
        0 => "text/xml; charset=utf-8",
        1 => "application/soap+xml",
        2 => "text/html",
        _ => "text/xml; charset=utf-16",
    };
    headers.insert("content-type", content_type.parse().unwrap());
    if flags & 4 != 0 {
        headers.insert("retry-after", "1".parse().unwrap());
    }
    if flags & 8 != 0 {
        headers.insert(
            "location",
            "https://login.example/?token=secret".parse().unwrap(),
        );
    }
    let response = HttpResponse {
        status: STATUSES[usize::from(*status) % STATUSES.len()],
        headers,
        body: Bytes::copy_from_slice(body),
    };
    let client = Client::builder("https://mail.example/EWS/Exchange.asmx")
        .transport(Arc::new(Canned(response)))
        .retry(ews_client::RetryPolicy::none())
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let request = ews_types::m::GetFolder::new(
        ews_types::t::FolderResponseShape::new(ews_types::t::DefaultShapeNames::IdOnly),
        ews_types::t::NonEmptyArrayOfBaseFolderIds::new(
            ews_types::t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(
                ews_types::t::DistinguishedFolderId::new(
                    ews_types::t::DistinguishedFolderIdName::Inbox,
                ),
            ),
        ),
    );
    if let Err(e) = rt.block_on(client.send(&request)) {
        // the location's token never shows (the body is the server's, and an error may quote it)
        let shown = format!("{e} {e:?}");
        let in_body = body.windows(6).any(|w| w == b"secret");
        assert!(in_body || !shown.contains("secret"), "a secret in an error: {shown}");
    }
});
