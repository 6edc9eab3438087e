//! Impersonation: the exact request XML (validated against messages.xsd), the headers, hostile
//! identifiers, and the token-kind policy. Scenarios 31 and 33 of ews-reliability.md (b).

mod support;

use ews_client::{ConnectingSid, Credentials, ErrorKind, TokenKind};
use support::*;

fn ok_get_item() -> Result<ews_client::HttpResponse, ews_client::TransportError> {
    Ok(xml_response(200, get_item_ok(1)))
}

fn sent(script: &Script, i: usize) -> ews_client::HttpRequest {
    script.seen.lock().unwrap()[i].request.clone()
}

#[tokio::test]
async fn every_connecting_sid_form_is_one_valid_header_with_an_anchor() {
    let sid = "S-1-5-21-1004336348-1177238915-682003330-512";
    let cases = [
        (
            ConnectingSid::smtp("alice@contoso.com"),
            None,
            "SmtpAddress",
            "alice@contoso.com",
        ),
        (
            ConnectingSid::primary_smtp("alice@contoso.com"),
            None,
            "PrimarySmtpAddress",
            "alice@contoso.com",
        ),
        (
            ConnectingSid::upn("alice@corp.contoso.com"),
            Some("alice@contoso.com"),
            "PrincipalName",
            "alice@contoso.com",
        ),
        (
            ConnectingSid::sid(sid),
            Some("alice@contoso.com"),
            "SID",
            "alice@contoso.com",
        ),
    ];
    for (id, anchor, element, expected_anchor) in cases {
        let script = Script::new([ok_get_item()]);
        let c = client(script.clone()).build().unwrap();
        let as_alice = match anchor {
            None => c.impersonate(id.clone()).unwrap(),
            Some(a) => c.impersonate_anchored(id.clone(), a).unwrap(),
        };
        as_alice.send(&get_item(1)).await.unwrap();
        let req = sent(&script, 0);
        let body = body_text(&req);
        assert_eq!(
            body.matches("<t:ExchangeImpersonation>").count(),
            1,
            "{body}"
        );
        assert_eq!(body.matches("<t:ConnectingSID>").count(), 1);
        let expected = format!(
            "<t:ExchangeImpersonation><t:ConnectingSID><t:{element}>{}</t:{element}></t:ConnectingSID></t:ExchangeImpersonation>",
            id.value()
        );
        assert!(body.contains(&expected), "{body}");
        assert_eq!(req.headers.get_all("x-anchormailbox").iter().count(), 1);
        assert_eq!(req.headers["x-anchormailbox"], expected_anchor);
        validate_request(&body);
    }
}

#[tokio::test]
async fn upn_and_sid_need_an_explicit_anchor() {
    let c = client(Script::new([])).build().unwrap();
    let e = c.impersonate(ConnectingSid::upn("alice@corp")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("impersonate_anchored"), "{e}");
}

#[tokio::test]
async fn s31_hostile_addresses_are_escaped_and_stay_one_choice() {
    let hostile = r#"a<b&c"]]><t:SID>S-1-5-18</t:SID>@x.com"#;
    let script = Script::new([ok_get_item()]);
    let c = client(script.clone()).build().unwrap();
    c.impersonate(ConnectingSid::primary_smtp(hostile))
        .unwrap()
        .send(&get_item(1))
        .await
        .unwrap();
    let body = body_text(&sent(&script, 0));
    assert!(
        body.contains(
            "<t:PrimarySmtpAddress>a&lt;b&amp;c\"]]&gt;&lt;t:SID&gt;S-1-5-18&lt;/t:SID&gt;@x.com</t:PrimarySmtpAddress>"
        ),
        "{body}"
    );
    assert!(!body.contains("<![CDATA["));
    assert!(!body.contains("<t:SID>"), "no injected element");
    assert_eq!(body.matches("<t:ConnectingSID>").count(), 1);
    // The parsed header holds exactly the one choice, with the hostile text intact.
    let env = ews_types::runtime::read_envelope::<ews_types::Element>(&body).unwrap();
    let imp = env
        .headers
        .iter()
        .find_map(|p| match p {
            ews_types::runtime::Part::Known(ews_types::Element::Types(
                ews_types::t::GlobalElement::ExchangeImpersonation(i),
            )) => Some(i.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        imp.connecting_sid.content,
        ews_types::t::ConnectingSIDChoice::PrimarySmtpAddress(ews_types::t::PrimarySmtpAddress {
            value: hostile.into()
        })
    );
    validate_request(&body);
}

#[tokio::test]
async fn s32_s33_control_characters_and_header_injection_are_refused_before_sending() {
    let script = Script::new([]);
    let c = client(script.clone()).build().unwrap();
    for bad in [
        ConnectingSid::smtp("v@x.com\r\nX-Evil: 1"),
        ConnectingSid::smtp("nul\u{0}@x.com"),
        ConnectingSid::smtp(""),
        ConnectingSid::upn("   "),
    ] {
        let r = c.impersonate_anchored(bad.clone(), "ok@x.com");
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    let e = c
        .impersonate_anchored(ConnectingSid::upn("alice@corp"), "v@x.com\r\nX-Evil: 1")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    // Internationalized addresses cannot be an anchor: a documented refusal.
    let e = c
        .impersonate(ConnectingSid::smtp("jörg@bücher.de"))
        .unwrap_err();
    assert!(e.to_string().contains("ASCII"), "{e}");
    assert_eq!(script.count(), 0, "nothing was sent");
}

#[tokio::test]
async fn impersonated_mailboxes_are_separate_throttling_identities() {
    let script = Script::new([ok_get_item(), ok_get_item()]);
    let c = client(script.clone()).concurrency(4).build().unwrap();
    let a = c.impersonate(ConnectingSid::smtp("a@x.com")).unwrap();
    let b = c.impersonate(ConnectingSid::smtp("b@x.com")).unwrap();
    a.send(&get_item(1)).await.unwrap();
    b.send(&get_item(1)).await.unwrap();
    assert_eq!(a.concurrency_limit(), 4);
    // The base client sends no impersonation header.
    let script2 = Script::new([ok_get_item()]);
    let base = client(script2.clone()).build().unwrap();
    base.send(&get_item(1)).await.unwrap();
    let req = sent(&script2, 0);
    assert!(!body_text(&req).contains("ExchangeImpersonation"));
    assert!(req.headers.get("x-anchormailbox").is_none());
}

#[tokio::test(start_paused = true)]
async fn s20_a_throttled_mailbox_does_not_pause_the_others() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let first = AtomicBool::new(true);
    let script = Script::func(std::time::Duration::ZERO, move |req| {
        let anchor = req.headers["x-anchormailbox"].to_str().unwrap().to_owned();
        if anchor == "busy@x.com" && first.swap(false, Ordering::SeqCst) {
            Ok(xml_response(500, busy("30000")))
        } else {
            Ok(xml_response(200, get_item_ok(1)))
        }
    });
    let c = client(script.clone())
        .retry(ews_client::RetryPolicy::default().jitter(0.0))
        .build()
        .unwrap();
    let busy_client = c.impersonate(ConnectingSid::smtp("busy@x.com")).unwrap();
    let t0 = tokio::time::Instant::now();
    let slow = tokio::spawn(async move { busy_client.send(&get_item(1)).await });
    while script.count() == 0 {
        tokio::task::yield_now().await;
    }
    let other = c.impersonate(ConnectingSid::smtp("free@x.com")).unwrap();
    other.send(&get_item(1)).await.unwrap();
    assert_eq!(
        tokio::time::Instant::now(),
        t0,
        "another mailbox is not paused"
    );
    slow.await.unwrap().unwrap();
    assert_eq!(
        tokio::time::Instant::now() - t0,
        std::time::Duration::from_secs(30)
    );
}

#[tokio::test]
async fn token_kind_policy_is_enforced_before_sending() {
    let script = Script::new([ok_get_item(), ok_get_item()]);
    let app = client(script.clone())
        .credentials(Credentials::bearer_of_kind("app-token", TokenKind::AppOnly))
        .build()
        .unwrap();
    let e = app.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("impersonate"), "{e}");
    app.impersonate(ConnectingSid::smtp("a@x.com"))
        .unwrap()
        .send(&get_item(1))
        .await
        .expect("app-only with impersonation is fine");

    let user = client(script.clone())
        .credentials(Credentials::bearer_of_kind(
            "user-token",
            TokenKind::Delegated,
        ))
        .build()
        .unwrap();
    let e = user
        .impersonate(ConnectingSid::smtp("a@x.com"))
        .unwrap()
        .send(&get_item(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    user.send(&get_item(1))
        .await
        .expect("a user token without impersonation is fine");
    assert_eq!(script.count(), 2, "refused requests were never sent");
}

#[tokio::test]
async fn s23_subscription_affinity_cookies_stay_in_their_group() {
    let script = Script::func(std::time::Duration::ZERO, |req| {
        let mut r = xml_response(200, get_item_ok(1));
        if req.headers.get("cookie").is_none()
            && req.headers.get("x-preferserveraffinity").is_some()
        {
            let anchor = req.headers["x-anchormailbox"].to_str().unwrap();
            r.headers.insert(
                "set-cookie",
                format!("X-BackEndOverrideCookie=be-for-{anchor}; path=/; secure; HttpOnly")
                    .parse()
                    .unwrap(),
            );
        }
        Ok(r)
    });
    let c = client(script.clone()).build().unwrap();
    let group = ews_client::AffinityGroup::new();
    let other_group = ews_client::AffinityGroup::new();
    let a = c
        .impersonate(ConnectingSid::smtp("a@x.com"))
        .unwrap()
        .with_affinity(&group);
    let b = c
        .impersonate(ConnectingSid::smtp("b@x.com"))
        .unwrap()
        .with_affinity(&group);
    let z = c
        .impersonate(ConnectingSid::smtp("z@x.com"))
        .unwrap()
        .with_affinity(&other_group);
    let plain = c.impersonate(ConnectingSid::smtp("p@x.com")).unwrap();
    a.send(&get_item(1)).await.unwrap(); // sets the group's cookie
    b.send(&get_item(1)).await.unwrap(); // replays it
    z.send(&get_item(1)).await.unwrap(); // its own group: no cookie yet, gets its own
    plain.send(&get_item(1)).await.unwrap();
    let seen: Vec<_> = script
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.request.headers.clone())
        .collect();
    assert_eq!(seen[0]["x-preferserveraffinity"], "true");
    assert!(seen[0].get("cookie").is_none());
    assert_eq!(seen[1]["cookie"], "X-BackEndOverrideCookie=be-for-a@x.com");
    assert_eq!(seen[1]["x-anchormailbox"], "b@x.com");
    assert!(seen[1]["cookie"].is_sensitive());
    assert!(seen[2].get("cookie").is_none(), "other groups never see it");
    assert!(seen[3].get("cookie").is_none() && seen[3].get("x-preferserveraffinity").is_none());
    assert!(!format!("{group:?}").contains("be-for"));
}
