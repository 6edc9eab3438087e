//! Autodiscover over a local DNS server and HTTPS test servers: each candidate of Microsoft's
//! order, redirects (address, URL, the HTTP probe), loops and hostile targets refused, the
//! cache, and bulk work split by site.
//!
//! Every host is an ews-testserver on its own loopback address (127.0.N.M), all on one HTTPS
//! port, which the Autodiscover builder is told (`ports`) in place of 443; names resolve
//! through the test DNS server.

mod support;

use std::net::{Ipv4Addr, SocketAddr};

use ews_client::autodiscover::by_endpoint;
use ews_client::bulk::{BulkOptions, fan_out};
use ews_client::{Autodiscover, ConnectingSid, Credentials, ErrorKind};
use ews_testserver::{Org, TestServer};
use ews_types::t::DistinguishedFolderIdName as F;
use support::dns::{Zone, serve as dns};
use support::*;

struct Net {
    https: u16,
    http: u16,
    cert: (String, String),
}

impl Net {
    fn new() -> Net {
        let free = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        Net {
            https: free(),
            http: free(),
            cert: certificate_for(&[
                "a.test",
                "autodiscover.b.test",
                "b.test",
                "mail.c.test",
                "mail.d.test",
                "evil.test",
                "autodiscover.f.test",
                "eu.f.test",
                "us.f.test",
            ]),
        }
    }

    /// An HTTPS server at `ip` on the shared port.
    async fn https(&self, ip: Ipv4Addr, org: &str) -> TestServer {
        let org = format!(
            "{org}\n[tls]\ncert = \"\"\"{}\"\"\"\nkey = \"\"\"{}\"\"\"\n",
            self.cert.0, self.cert.1
        );
        self.at(SocketAddr::from((ip, self.https)), &org).await
    }

    async fn at(&self, addr: SocketAddr, org: &str) -> TestServer {
        TestServer::start_on(addr, Org::from_toml(org).unwrap(), None)
            .await
            .unwrap()
    }

    fn autodiscover(&self, dns: SocketAddr) -> ews_client::AutodiscoverBuilder {
        let ca = self.cert.0.clone();
        Autodiscover::builder(Credentials::basic("svc", "svc-pw"))
            .name_servers([dns])
            .ports(self.https, self.http)
            .configure(move |b| b.add_root_certificates_pem(ca.as_bytes()))
    }
}

fn certificate_for(names: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap()
            .self_signed(&key)
            .unwrap();
    (cert.pem(), key.serialize_pem())
}

const SVC: &str = r#"
[[account]]
user = "svc"
password = "svc-pw"
impersonation = true
"#;

fn ip(a: u8, b: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, a, b)
}

#[tokio::test]
async fn each_candidate_in_microsofts_order() {
    let net = Net::new();
    // 1. The domain itself answers.
    let a = net
        .https(
            ip(1, 1),
            &format!("{SVC}[[mailbox]]\nsmtp = \"alice@a.test\""),
        )
        .await;
    // 2. The domain's web server knows no Autodiscover; autodiscover.b.test does.
    let b_web = net
        .https(ip(2, 1), &format!("{SVC}[autodiscover]\nenabled = false"))
        .await;
    let b = net
        .https(
            ip(2, 2),
            &format!("{SVC}[[mailbox]]\nsmtp = \"bob@b.test\""),
        )
        .await;
    // 3. Nothing at c.test or autodiscover.c.test over HTTPS; the HTTP probe of
    //    autodiscover.c.test redirects to mail.c.test.
    let probe_to = format!(
        "https://mail.c.test:{}/autodiscover/autodiscover.xml",
        net.https
    );
    let c_probe = net
        .at(
            SocketAddr::from((ip(3, 2), net.http)),
            &format!("[autodiscover]\nhttp_redirect = \"{probe_to}\""),
        )
        .await;
    let c = net
        .https(
            ip(3, 3),
            &format!("{SVC}[[mailbox]]\nsmtp = \"carol@c.test\""),
        )
        .await;
    // 4. Only an SRV record for d.test, to a server on another port.
    let d = TestServer::start_on(
        SocketAddr::from((ip(4, 3), 0)),
        Org::from_toml(&format!(
            "{SVC}[[mailbox]]\nsmtp = \"dave@d.test\"\n[tls]\ncert = \"\"\"{}\"\"\"\nkey = \"\"\"{}\"\"\"\n",
            net.cert.0, net.cert.1
        ))
        .unwrap(),
        None,
    )
    .await
    .unwrap();
    let zone = Zone::default()
        .a("a.test", ip(1, 1))
        .a("b.test", ip(2, 1))
        .a("autodiscover.b.test", ip(2, 2))
        .a("autodiscover.c.test", ip(3, 2))
        .a("mail.c.test", ip(3, 3))
        .a("mail.d.test", ip(4, 3))
        .srv(
            "_autodiscover._tcp.d.test",
            0,
            0,
            d.addr().port(),
            "mail.d.test",
        );
    let dns = dns(zone).await;
    let ad = net.autodiscover(dns.addr).build().unwrap();
    let p = net.https;
    let cases = [
        (
            "alice@a.test",
            format!("https://a.test:{p}/EWS/Exchange.asmx"),
            format!("https://a.test:{p}/autodiscover/autodiscover.svc"),
        ),
        (
            "bob@b.test",
            format!("https://autodiscover.b.test:{p}/EWS/Exchange.asmx"),
            format!("https://autodiscover.b.test:{p}/autodiscover/autodiscover.svc"),
        ),
        (
            "carol@c.test",
            format!("https://mail.c.test:{p}/EWS/Exchange.asmx"),
            probe_to.clone(),
        ),
        (
            "dave@d.test",
            format!("https://mail.d.test:{}/EWS/Exchange.asmx", d.addr().port()),
            format!(
                "https://mail.d.test:{}/autodiscover/autodiscover.svc",
                d.addr().port()
            ),
        ),
    ];
    for (address, ews, from) in &cases {
        let found = ad
            .discover(address)
            .await
            .unwrap_or_else(|e| panic!("{address}: {e}"));
        assert_eq!(&found.ews_url, ews, "{address}");
        assert_eq!(&found.autodiscover_url, from, "{address}");
        assert_eq!(found.mailbox, *address);
    }
    // The step-2 domain's web server was asked first and said nothing useful.
    assert!(b_web.control().autodiscover_requests() == 0);
    assert!(c_probe.control().autodiscover_requests() == 1);
    // The endpoint found works: an appointment through it lands in that server's mailbox.
    for (address, server) in [
        ("alice@a.test", &a),
        ("bob@b.test", &b),
        ("carol@c.test", &c),
        ("dave@d.test", &d),
    ] {
        let client = ad.client_for(address).await.unwrap();
        let mb = client
            .impersonate(ConnectingSid::smtp(address))
            .unwrap()
            .mailbox();
        mb.create_appointment(appointment("found", &[]))
            .await
            .unwrap();
        assert_eq!(stored(server, address, F::Calendar).len(), 1, "{address}");
    }
    // SRV was looked up only for d.test; the probe only where HTTPS failed.
    let asked: Vec<_> = dns
        .queries
        .lock()
        .unwrap()
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    assert!(asked.contains(&"_autodiscover._tcp.d.test".to_owned()));
    assert!(!asked.contains(&"_autodiscover._tcp.a.test".to_owned()));
}

#[tokio::test]
async fn redirects_loops_and_hostile_targets() {
    let net = Net::new();
    let p = net.https;
    let a = net
        .https(
            ip(11, 1),
            &format!(
                "{SVC}
                [[autodiscover.redirect]]
                address = \"moved@a.test\"
                to_address = \"moved@b.test\"
                [[autodiscover.redirect]]
                address = \"loop@a.test\"
                to_address = \"loop@b.test\"
                [[autodiscover.redirect]]
                address = \"plain@a.test\"
                to_url = \"http://autodiscover.b.test:{h}/autodiscover/autodiscover.svc\"
                [[autodiscover.redirect]]
                address = \"away@a.test\"
                to_url = \"https://evil.test:{p}/autodiscover/autodiscover.svc\"
                [[autodiscover.redirect]]
                address = \"self@a.test\"
                to_url = \"https://a.test:{p}/autodiscover/autodiscover.svc\"
                [[autodiscover.redirect]]
                address = \"hop1@a.test\"
                to_address = \"hop2@b.test\"
                ",
                h = net.http
            ),
        )
        .await;
    let b = net
        .https(
            ip(12, 2),
            &format!(
                "{SVC}
                [[mailbox]]
                smtp = \"moved@b.test\"
                [[autodiscover.redirect]]
                address = \"loop@b.test\"
                to_address = \"loop@a.test\"
                [[autodiscover.redirect]]
                address = \"hop2@b.test\"
                to_address = \"hop3@a.test\"
                "
            ),
        )
        .await;
    // A hostile host that would answer for anyone, and the HTTP probe of e.test pointing at it.
    let evil = net
        .https(
            ip(13, 9),
            &format!("{SVC}[[mailbox]]\nsmtp = \"victim@e.test\""),
        )
        .await;
    let _e_probe = net
        .at(
            SocketAddr::from((ip(14, 2), net.http)),
            &format!(
                "[autodiscover]\nhttp_redirect = \"https://evil.test:{p}/autodiscover/autodiscover.xml\""
            ),
        )
        .await;
    let _g_probe = net
        .at(
            SocketAddr::from((ip(15, 2), net.http)),
            &format!(
                "[autodiscover]\nhttp_redirect = \"http://autodiscover.g.test:{}/autodiscover/autodiscover.xml\"",
                net.http
            ),
        )
        .await;
    let zone = Zone::default()
        .a("a.test", ip(11, 1))
        .a("autodiscover.b.test", ip(12, 2))
        .a("evil.test", ip(13, 9))
        .a("autodiscover.e.test", ip(14, 2))
        .a("autodiscover.g.test", ip(15, 2));
    let dns = dns(zone).await;
    let ad = net.autodiscover(dns.addr).build().unwrap();

    // redirectAddr: asked again from the start for the new address's domain.
    let found = ad.discover("moved@a.test").await.unwrap();
    assert_eq!(found.mailbox, "moved@b.test");
    assert_eq!(
        found.ews_url,
        format!("https://autodiscover.b.test:{p}/EWS/Exchange.asmx")
    );

    let refused = |address: &'static str| {
        let ad = ad.clone();
        async move { ad.discover(address).await.unwrap_err() }
    };
    let e = refused("loop@a.test").await;
    assert_eq!(e.kind(), ErrorKind::Redirect, "{e}");
    assert!(e.to_string().contains("loop"), "{e}");
    let e = refused("plain@a.test").await;
    assert!(e.to_string().contains("not HTTPS"), "{e}");
    let e = refused("away@a.test").await;
    assert!(e.to_string().contains("outside a.test"), "{e}");
    let e = refused("self@a.test").await;
    assert!(e.to_string().contains("redirected back"), "{e}");
    // The probe's 302 to another domain: refused, and nothing (no credentials) sent there.
    let e = refused("victim@e.test").await;
    assert_eq!(e.kind(), ErrorKind::Redirect, "{e}");
    assert!(e.to_string().contains("outside e.test"), "{e}");
    assert_eq!(evil.control().autodiscover_requests(), 0);
    // The probe's 302 to plain HTTP.
    let e = refused("someone@g.test").await;
    assert!(e.to_string().contains("not HTTPS"), "{e}");
    // Hop limit.
    let short = net.autodiscover(dns.addr).max_hops(1).build().unwrap();
    let e = short.discover("hop1@a.test").await.unwrap_err();
    assert!(e.to_string().contains("more than 1"), "{e}");
    // A domain that trusts evil.test follows it.
    let trusting = net
        .autodiscover(dns.addr)
        .trust_domain("evil.test")
        .build()
        .unwrap();
    let e = trusting.discover("away@a.test").await.unwrap_err();
    assert!(e.to_string().contains("InvalidUser"), "{e}");
    assert!(evil.control().autodiscover_requests() > 0);
    let _ = (&a, &b);
}

#[tokio::test]
async fn answers_are_cached() {
    let net = Net::new();
    let a = net
        .https(
            ip(21, 1),
            &format!(
                "{SVC}[[mailbox]]\nsmtp = \"alice@a.test\"\n[[mailbox]]\nsmtp = \"ann@a.test\""
            ),
        )
        .await;
    let dns = dns(Zone::default().a("a.test", ip(21, 1))).await;
    let ad = net.autodiscover(dns.addr).build().unwrap();
    ad.discover("alice@a.test").await.unwrap();
    let first = a.control().autodiscover_requests();
    assert_eq!(first, 1);
    ad.discover("ALICE@a.test").await.unwrap();
    assert_eq!(
        a.control().autodiscover_requests(),
        1,
        "the address is cached"
    );
    // Another address of the domain goes straight to the endpoint that answered.
    ad.discover("ann@a.test").await.unwrap();
    assert_eq!(a.control().autodiscover_requests(), 2);
    ad.forget();
    ad.discover("alice@a.test").await.unwrap();
    assert_eq!(a.control().autodiscover_requests(), 3);
    let uncached = net
        .autodiscover(dns.addr)
        .cache_ttl(std::time::Duration::ZERO)
        .build()
        .unwrap();
    uncached.discover("alice@a.test").await.unwrap();
    uncached.discover("alice@a.test").await.unwrap();
    assert_eq!(a.control().autodiscover_requests(), 5);
    // Answers expire after the cache's time to live.
    let brief = net
        .autodiscover(dns.addr)
        .cache_ttl(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    brief.discover("alice@a.test").await.unwrap();
    brief.discover("alice@a.test").await.unwrap();
    assert_eq!(a.control().autodiscover_requests(), 6);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    brief.discover("alice@a.test").await.unwrap();
    assert_eq!(a.control().autodiscover_requests(), 7);
    // An unknown address is an error of its own, not a cached answer.
    let e = ad.discover("nobody@a.test").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Discovery, "{e}");
    assert!(e.to_string().contains("InvalidUser"), "{e}");
}

#[tokio::test]
async fn bulk_work_is_split_by_site() {
    let net = Net::new();
    let p = net.https;
    let sites = format!(
        "{SVC}
        [[site]]
        name = \"eu\"
        ews_url = \"https://eu.f.test:{p}/EWS/Exchange.asmx\"
        [[site]]
        name = \"us\"
        ews_url = \"https://us.f.test:{p}/EWS/Exchange.asmx\"
        [[mailbox]]
        smtp = \"anna@f.test\"
        site = \"eu\"
        [[mailbox]]
        smtp = \"bert@f.test\"
        site = \"us\"
        [[mailbox]]
        smtp = \"cleo@f.test\"
        site = \"eu\"
        "
    );
    let _ad_server = net.https(ip(31, 2), &sites).await;
    let eu = net
        .https(
            ip(31, 3),
            &format!(
                "{SVC}[[mailbox]]\nsmtp = \"anna@f.test\"\n[[mailbox]]\nsmtp = \"cleo@f.test\""
            ),
        )
        .await;
    let us = net
        .https(
            ip(31, 4),
            &format!("{SVC}[[mailbox]]\nsmtp = \"bert@f.test\""),
        )
        .await;
    let dns = dns(Zone::default()
        .a("autodiscover.f.test", ip(31, 2))
        .a("eu.f.test", ip(31, 3))
        .a("us.f.test", ip(31, 4)))
    .await;
    let ad = net.autodiscover(dns.addr).build().unwrap();
    let addresses = ["anna@f.test", "bert@f.test", "nobody@f.test", "cleo@f.test"];
    let found = ad.discover_all(&addresses).await;
    assert_eq!(found.len(), 4);
    assert!(found[2].is_err());
    let groups = by_endpoint(&found);
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[&format!("https://eu.f.test:{p}/EWS/Exchange.asmx")],
        [0, 3]
    );
    assert_eq!(
        groups[&format!("https://us.f.test:{p}/EWS/Exchange.asmx")],
        [1]
    );
    // One client per site, the work fanned out over all mailboxes found.
    let mut mailboxes = Vec::new();
    for d in found.iter().flatten() {
        let client = ad.client_at(&d.ews_url).unwrap();
        mailboxes.push(
            client
                .impersonate(ConnectingSid::smtp(&d.mailbox))
                .unwrap()
                .mailbox(),
        );
    }
    let results = fan_out(mailboxes, BulkOptions::default(), |mb| async move {
        mb.create_appointment(appointment("site work", &[])).await
    })
    .await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(stored(&eu, "anna@f.test", F::Calendar).len(), 1);
    assert_eq!(stored(&eu, "cleo@f.test", F::Calendar).len(), 1);
    assert_eq!(stored(&us, "bert@f.test", F::Calendar).len(), 1);
    assert!(
        ad.client_at(&format!("https://eu.f.test:{p}/EWS/Exchange.asmx"))
            .is_ok()
    );
}

#[tokio::test]
async fn the_json_endpoint_is_asked_first_when_enabled() {
    let net = Net::new();
    let a = net
        .https(
            ip(41, 1),
            &format!("{SVC}[[mailbox]]\nsmtp = \"alice@a.test\""),
        )
        .await;
    let dns = dns(Zone::default().a("a.test", ip(41, 1))).await;
    let ad = net.autodiscover(dns.addr).json(true).build().unwrap();
    let found = ad.discover("alice@a.test").await.unwrap();
    let p = net.https;
    assert_eq!(
        found.ews_url,
        format!("https://a.test:{p}/EWS/Exchange.asmx")
    );
    assert_eq!(
        found.autodiscover_url,
        format!(
            "https://a.test:{p}/autodiscover/autodiscover.json/v1.0/alice%40a.test?Protocol=EWS"
        )
    );
    assert_eq!(a.control().autodiscover_requests(), 1);
}
