//! DNS through hickory-resolver: `_autodiscover._tcp` SRV records for Autodiscover, and host
//! names for HTTP when a client is given name servers of its own (split-horizon DNS, tests).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use crate::error::{Error, ErrorKind};

/// A resolver: the system's configuration, or given name servers.
#[derive(Clone)]
pub(crate) struct Dns {
    resolver: Arc<TokioResolver>,
    /// The name servers, when given (for `Debug`).
    servers: Vec<SocketAddr>,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns")
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

/// One SRV record's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub host: String,
    pub port: u16,
}

impl Dns {
    /// The system's resolver configuration (`/etc/resolv.conf`).
    pub(crate) fn system() -> Result<Dns, Error> {
        let builder = TokioResolver::builder_tokio().map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot read the system's DNS configuration: {e}"),
            )
        })?;
        let resolver = builder
            .build()
            .map_err(|e| Error::new(ErrorKind::Config, format!("cannot set up DNS: {e}")))?;
        Ok(Dns {
            resolver: Arc::new(resolver),
            servers: Vec::new(),
        })
    }

    /// These name servers (UDP, then TCP), nothing else.
    pub(crate) fn with_servers(servers: &[SocketAddr]) -> Result<Dns, Error> {
        let name_servers = servers
            .iter()
            .map(|s| {
                let mut udp = ConnectionConfig::udp();
                udp.port = s.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = s.port();
                NameServerConfig::new(s.ip(), true, vec![udp, tcp])
            })
            .collect();
        let config = ResolverConfig::from_name_servers(name_servers);
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .build()
            .map_err(|e| Error::new(ErrorKind::Config, format!("cannot set up DNS: {e}")))?;
        Ok(Dns {
            resolver: Arc::new(resolver),
            servers: servers.to_vec(),
        })
    }

    /// The SRV records of `name`, best first (lowest priority, then highest weight); none
    /// when the name has none or does not resolve.
    pub(crate) async fn srv(&self, name: &str) -> Vec<Srv> {
        let Ok(lookup) = self.resolver.srv_lookup(name).await else {
            return Vec::new();
        };
        let mut out: Vec<Srv> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::SRV(s) => Some(Srv {
                    priority: s.priority,
                    weight: s.weight,
                    host: s.target.to_utf8().trim_end_matches('.').to_owned(),
                    port: s.port,
                }),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.weight.cmp(&a.weight)));
        out
    }

    /// The addresses of `host`.
    pub(crate) async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let lookup = self
            .resolver
            .lookup_ip(host)
            .await
            .map_err(|e| e.to_string())?;
        Ok(lookup.iter().collect())
    }
}
