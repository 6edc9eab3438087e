//! Requests per second and added latency of the client stack against a local server that
//! answers instantly, compared in the same run with the same requests sent by a bare reqwest
//! client (same envelope bytes, same headers, body read to the end but not parsed).
//!
//! `cargo bench -p ews-client --bench throughput` (options: `-- --requests N --rounds R`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ews_client::{Client, RetryPolicy};
use ews_types::{m, t};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const M_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

fn response_body() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" Version="V2018_01_08" xmlns:h="{T_NS}"/></s:Header><s:Body><m:GetItemResponse xmlns:m="{M_NS}" xmlns:t="{T_NS}"><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:Message><t:ItemId Id="AAMkADk0" ChangeKey="CQAAABYA"/><t:Subject>Status report</t:Subject><t:DateTimeReceived>2026-11-20T09:15:00Z</t:DateTimeReceived><t:Size>2048</t:Size><t:IsRead>false</t:IsRead></t:Message></m:Items></m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse></s:Body></s:Envelope>"#
    )
}

/// A keep-alive HTTP/1.1 server answering every request at once with the same response.
async fn server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = response_body();
    let reply: Arc<[u8]> = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/xml; charset=utf-8\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .into();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock.set_nodelay(true);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(8192);
                let mut chunk = [0u8; 8192];
                loop {
                    // One request: head, then content-length bytes.
                    let need = loop {
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                            let len: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            break end + 4 + len;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    while buf.len() < need {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..need);
                    if sock.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/EWS/Exchange.asmx")
}

fn request() -> m::GetItem {
    m::GetItem::new(
        t::ItemResponseShape::new(t::DefaultShapeNames::Default),
        t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(
            t::ItemId::new("AAMkADk0"),
        )),
    )
}

/// The envelope ews-client sends for `request()`, captured once for the bare client.
fn envelope() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="{M_NS}" xmlns:t="{T_NS}"><s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header><s:Body><m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="AAMkADk0"/></m:ItemIds></m:GetItem></s:Body></s:Envelope>"#
    )
}

/// Runs `total` calls split across `callers` tasks; returns (elapsed, mean latency).
async fn run<F, Fut>(callers: usize, total: usize, call: F) -> (Duration, Duration)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut busy = Duration::ZERO;
                for _ in 0..total / callers {
                    let t = Instant::now();
                    call().await;
                    busy += t.elapsed();
                }
                busy
            })
        })
        .collect();
    let mut busy = Duration::ZERO;
    for t in tasks {
        busy += t.await.unwrap();
    }
    let elapsed = start.elapsed();
    (elapsed, busy / (total as u32))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let total = arg("--requests", 20_000);
    let rounds = arg("--rounds", 3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let url = server().await;
        let bare = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let client = Client::builder(url.clone())
            .retry(RetryPolicy::none())
            .concurrency(64)
            .build()
            .unwrap();
        let body = bytes::Bytes::from(envelope());
        println!("{total} GetItem requests per measurement, median of {rounds} rounds");
        println!("| callers | bare reqwest req/s | ews-client req/s | bare latency | ews-client latency | added latency | throughput ratio |");
        println!("|---|---|---|---|---|---|---|");
        for callers in [1usize, 10] {
            let (mut bare_rps, mut ews_rps, mut bare_lat, mut ews_lat) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds {
                let (b, u, bd) = (bare.clone(), url.clone(), body.clone());
                let (e, l) = run(callers, total, move || {
                    let (b, u, bd) = (b.clone(), u.clone(), bd.clone());
                    async move {
                        let r = b
                            .post(&u)
                            .header("content-type", "text/xml; charset=utf-8")
                            .header(
                                "soapaction",
                                "\"http://schemas.microsoft.com/exchange/services/2006/messages/GetItem\"",
                            )
                            .header("client-request-id", uuid_like())
                            .header("return-client-request-id", "true")
                            .body(bd)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), 200);
                        let _ = r.bytes().await.unwrap();
                    }
                })
                .await;
                bare_rps.push(total as f64 / e.as_secs_f64());
                bare_lat.push(l.as_secs_f64() * 1e6);
                let c = client.clone();
                let req = Arc::new(request());
                let (e, l) = run(callers, total, move || {
                    let (c, req) = (c.clone(), req.clone());
                    async move {
                        let r = c.send(&*req).await.unwrap();
                        assert_eq!(r.response_messages.content.len(), 1);
                    }
                })
                .await;
                ews_rps.push(total as f64 / e.as_secs_f64());
                ews_lat.push(l.as_secs_f64() * 1e6);
            }
            let (br, er, bl, el) = (median(bare_rps), median(ews_rps), median(bare_lat), median(ews_lat));
            println!(
                "| {callers} | {br:.0} | {er:.0} | {bl:.0} µs | {el:.0} µs | {:+.0} µs | {:.2}× |",
                el - bl,
                er / br
            );
        }
    });
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "00000000-0000-4000-8000-{:012x}",
        N.fetch_add(1, Ordering::Relaxed)
    )
}
