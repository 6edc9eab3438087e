//! A DNS server for tests: answers A and SRV queries from a table, NXDOMAIN otherwise, over
//! UDP on loopback.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// The records a [`DnsServer`] answers with.
#[derive(Default, Clone)]
pub struct Zone {
    a: HashMap<String, Ipv4Addr>,
    srv: HashMap<String, Vec<(u16, u16, u16, String)>>,
}

impl Zone {
    /// `name` has the address `ip`.
    pub fn a(mut self, name: &str, ip: Ipv4Addr) -> Self {
        self.a.insert(name.to_ascii_lowercase(), ip);
        self
    }

    /// `name` has an SRV record pointing at `target:port`.
    pub fn srv(mut self, name: &str, priority: u16, weight: u16, port: u16, target: &str) -> Self {
        self.srv
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push((priority, weight, port, target.to_owned()));
        self
    }
}

/// A running DNS server and the queries it got.
pub struct DnsServer {
    pub addr: SocketAddr,
    pub queries: Arc<Mutex<Vec<(String, RecordType)>>>,
}

/// Starts a DNS server for `zone` on 127.0.0.1.
pub async fn serve(zone: Zone) -> DnsServer {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let queries: Arc<Mutex<Vec<(String, RecordType)>>> = Arc::default();
    let log = queries.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
            reply.metadata.recursion_desired = query.metadata.recursion_desired;
            reply.metadata.recursion_available = true;
            reply.metadata.authoritative = true;
            let mut found = false;
            for q in &query.queries {
                reply.add_query(q.clone());
                let name = q.name.to_utf8().trim_end_matches('.').to_ascii_lowercase();
                log.lock().unwrap().push((name.clone(), q.query_type));
                match q.query_type {
                    RecordType::A => {
                        if let Some(ip) = zone.a.get(&name) {
                            found = true;
                            reply.add_answer(Record::from_rdata(
                                q.name.clone(),
                                60,
                                RData::A(A(*ip)),
                            ));
                        }
                    }
                    RecordType::SRV => {
                        for (p, w, port, target) in zone.srv.get(&name).into_iter().flatten() {
                            found = true;
                            let t = Name::from_ascii(format!("{target}.")).unwrap();
                            reply.add_answer(Record::from_rdata(
                                q.name.clone(),
                                60,
                                RData::SRV(SRV::new(*p, *w, *port, t)),
                            ));
                        }
                    }
                    _ => {
                        // Known names answer other types with no records (AAAA).
                        found |= zone.a.contains_key(&name);
                    }
                }
            }
            if !found {
                reply.metadata.response_code = ResponseCode::NXDomain;
            }
            if let Ok(bytes) = reply.to_vec() {
                let _ = sock.send_to(&bytes, from).await;
            }
        }
    });
    DnsServer { addr, queries }
}
