//! Authentication over HTTP on 127.0.0.1, and secrets kept out of Debug, errors and logs
//! (ews-reliability.md (b) 35–37).

mod support;

use ews_client::{Client, ClientCredentials, ConnectingSid, Credentials, ErrorKind, RetryPolicy};
use support::*;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn ews_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/EWS/Exchange.asmx"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(get_item_ok(1), "text/xml; charset=utf-8"),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn basic_sends_the_encoded_pair() {
    let server = ews_server().await;
    let c = Client::builder(format!("{}/EWS/Exchange.asmx", server.uri()))
        .credentials(Credentials::basic("svc@contoso.com", "p@ss:word"))
        .build()
        .unwrap();
    c.send(&get_item(1)).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        reqs[0].headers["authorization"],
        "Basic c3ZjQGNvbnRvc28uY29tOnBAc3M6d29yZA=="
    );
}

async fn token_server(expires_in: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant/oauth2/v2.0/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_secret=s3cr3t%2Bvalue"))
        .and(body_string_contains(
            "scope=https%3A%2F%2Foutlook.office365.com%2F.default",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer",
            "expires_in": expires_in,
            "access_token": "eyJ-app-token",
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn client_credentials_tokens_are_cached_until_near_expiry() {
    let tokens = token_server(3600).await;
    let ews = MockServer::start().await;
    Mock::given(header("authorization", "Bearer eyJ-app-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(get_item_ok(1), "text/xml; charset=utf-8"),
        )
        .expect(3)
        .mount(&ews)
        .await;
    let provider = ClientCredentials::new(
        format!("{}/tenant/oauth2/v2.0/token", tokens.uri()),
        "app-id",
        "s3cr3t+value",
    );
    let c = Client::builder(format!("{}/EWS/Exchange.asmx", ews.uri()))
        .credentials(Credentials::token_provider(provider))
        .build()
        .unwrap();
    // App-only tokens go with impersonation.
    let c = c
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap();
    for _ in 0..3 {
        c.send(&get_item(1)).await.unwrap();
    }
    assert_eq!(tokens.received_requests().await.unwrap().len(), 1, "cached");

    drop(ews); // verifies expect(3)

    // A token that expires within the refresh margin (5 min) is fetched again for each call.
    let tokens = token_server(60).await;
    let ews = ews_server().await;
    let provider = ClientCredentials::new(
        format!("{}/tenant/oauth2/v2.0/token", tokens.uri()),
        "app-id",
        "s3cr3t+value",
    );
    let c = Client::builder(format!("{}/EWS/Exchange.asmx", ews.uri()))
        .credentials(Credentials::token_provider(provider))
        .build()
        .unwrap();
    let c = c
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap();
    for _ in 0..3 {
        c.send(&get_item(1)).await.unwrap();
    }
    assert_eq!(
        tokens.received_requests().await.unwrap().len(),
        3,
        "refreshed"
    );
}

#[tokio::test]
async fn token_endpoint_errors_are_auth_errors_without_the_secret() {
    let tokens = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
        })))
        .mount(&tokens)
        .await;
    let ews = ews_server().await;
    let provider = ClientCredentials::new(
        format!("{}/tenant/oauth2/v2.0/token", tokens.uri()),
        "app-id",
        "s3cr3t+value",
    );
    let c = Client::builder(format!("{}/EWS/Exchange.asmx", ews.uri()))
        .credentials(Credentials::token_provider(provider))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap()
        .send(&get_item(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.to_string().contains("invalid_client"), "{e}");
    for text in [e.to_string(), format!("{e:?}"), format!("{c:?}")] {
        assert!(!text.contains("s3cr3t"), "{text}");
    }
    assert!(ews.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn s32_control_characters_are_refused_before_sending() {
    let server = ews_server().await;
    let c = Client::builder(format!("{}/EWS/Exchange.asmx", server.uri()))
        .build()
        .unwrap();
    let mut req = get_item(1);
    if let ews_types::t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id) = &mut req.item_ids.content[0]
    {
        id.id = "abc\u{0}def".into();
    }
    let e = c.send(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
