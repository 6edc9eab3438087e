//! Autodiscover: the EWS endpoint of a mailbox from its email address, as Exchange documents
//! it ("Autodiscover for Exchange"), for on-premises organisations whose sites have endpoints
//! of their own.
//!
//! For an address at `contoso.com`, the candidates are tried in Microsoft's order:
//!
//! 1. `https://contoso.com/autodiscover/autodiscover.svc` (SOAP), then `.xml` (POX);
//! 2. the same at `https://autodiscover.contoso.com`;
//! 3. an unauthenticated GET of `http://autodiscover.contoso.com/autodiscover/autodiscover.xml`
//!    whose 302 names an HTTPS endpoint (the only plain-HTTP request, and it carries no
//!    credentials);
//! 4. the DNS SRV record `_autodiscover._tcp.contoso.com`.
//!
//! With [`AutodiscoverBuilder::json`], Exchange Online's JSON endpoint is asked first at each
//! host. Answers may redirect: to another address (`redirectAddr`, asked again from the start)
//! or to another endpoint (`redirectUrl`, or the probe's 302). Redirects are followed only to
//! HTTPS, only to hosts in the address's domain or a domain trusted with
//! [`AutodiscoverBuilder::trust_domain`], at most [`AutodiscoverBuilder::max_hops`] times, and
//! never back to an address or URL already visited. Credentials are sent only over HTTPS, and
//! never to a host above the address's own domain. Results are cached per address, and the
//! endpoint that answered is remembered per domain (both for [`AutodiscoverBuilder::cache_ttl`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::autodiscover_wire::{self as wire, Said};
use crate::builder::ClientBuilder;
use crate::client::Client;
use crate::dns::Dns;
use crate::error::{Error, ErrorKind};
use crate::transport::ReqwestTransport;

/// Changes every [`ClientBuilder`] Autodiscover makes (TLS roots, timeouts).
pub type Configure = Arc<dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync>;

/// Where an address's mailbox is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The address asked about.
    pub address: String,
    /// The address the answer is for (differs after a `redirectAddr`).
    pub mailbox: String,
    /// The mailbox's EWS endpoint.
    pub ews_url: String,
    /// The Autodiscover endpoint that answered.
    pub autodiscover_url: String,
}

/// Finds EWS endpoints by Autodiscover; cheap to clone (one cache).
///
/// ```no_run
/// # async fn run() -> Result<(), ews_client::Error> {
/// use ews_client::{Autodiscover, ConnectingSid, Credentials};
/// use ews_client::autodiscover::by_endpoint;
///
/// let ad = Autodiscover::builder(Credentials::ntlm("CONTOSO\\svc-booking", "secret")).build()?;
/// // One mailbox: a client for its site's endpoint.
/// let client = ad.client_for("alice@contoso.com").await?;
/// // Many: discovered together, one result per address in order, grouped by site.
/// let addresses = ["alice@contoso.com", "bob@contoso.com"];
/// let found = ad.discover_all(&addresses).await;
/// for (endpoint, positions) in by_endpoint(&found) {
///     let site = ad.client_at(&endpoint)?;
///     for i in positions {
///         let mailbox = site.impersonate(ConnectingSid::smtp(addresses[i]))?.mailbox();
///         // … work on `mailbox`
///     }
/// }
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Autodiscover {
    inner: Arc<Inner>,
}

struct Inner {
    credentials: crate::auth::Credentials,
    configure: Option<Configure>,
    dns: Dns,
    http: ReqwestTransport,
    trusted: Vec<String>,
    max_hops: usize,
    ttl: Duration,
    json: bool,
    ports: (Option<u16>, Option<u16>),
    cache: Mutex<Cache>,
    clients: Mutex<HashMap<String, Client>>,
}

#[derive(Default)]
struct Cache {
    by_address: HashMap<String, (Discovered, Instant)>,
    /// The Autodiscover URL that last answered for a domain.
    by_domain: HashMap<String, (Endpoint, Instant)>,
}

impl std::fmt::Debug for Autodiscover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Autodiscover")
            .field("credentials", &self.inner.credentials)
            .field("dns", &self.inner.dns)
            .field("trusted", &self.inner.trusted)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Autodiscover`].
pub struct AutodiscoverBuilder {
    credentials: crate::auth::Credentials,
    configure: Option<Configure>,
    name_servers: Vec<SocketAddr>,
    trusted: Vec<String>,
    max_hops: usize,
    ttl: Duration,
    json: bool,
    ports: (Option<u16>, Option<u16>),
}

impl Autodiscover {
    /// Autodiscover signing in with `credentials` (the same as for EWS).
    pub fn builder(credentials: crate::auth::Credentials) -> AutodiscoverBuilder {
        AutodiscoverBuilder {
            credentials,
            configure: None,
            name_servers: Vec::new(),
            trusted: Vec::new(),
            max_hops: 10,
            ttl: Duration::from_secs(24 * 3600),
            json: false,
            ports: (None, None),
        }
    }
}

impl AutodiscoverBuilder {
    /// Applied to every client Autodiscover builds: for the Autodiscover endpoints and for
    /// the EWS endpoints it finds (TLS roots, timeouts, user agent).
    pub fn configure(
        mut self,
        f: impl Fn(ClientBuilder) -> ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.configure = Some(Arc::new(f));
        self
    }

    /// Ask these DNS servers (SRV records and host names, for Autodiscover and the EWS
    /// clients it builds) instead of the system's.
    pub fn name_servers(mut self, servers: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.name_servers = servers.into_iter().collect();
        self
    }

    /// Follow redirects to hosts in this domain too (`outlook.office365.com` for a hybrid
    /// organisation). The address's own domain is always trusted.
    pub fn trust_domain(mut self, domain: impl Into<String>) -> Self {
        self.trusted.push(domain.into().to_ascii_lowercase());
        self
    }

    /// Redirects followed for one address before giving up (default 10, as the EWS Managed
    /// API).
    pub fn max_hops(mut self, n: usize) -> Self {
        self.max_hops = n;
        self
    }

    /// How long answers are cached (default 24 hours; zero: not cached).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Ask the JSON endpoint (`/autodiscover/autodiscover.json/v1.0/…?Protocol=EWS`) first at
    /// each host, as Exchange Online prefers. Off by default.
    pub fn json(mut self, yes: bool) -> Self {
        self.json = yes;
        self
    }

    /// The HTTPS and HTTP ports of the standard candidates (default 443 and 80). For test
    /// set-ups; redirects and SRV records carry their own ports.
    pub fn ports(mut self, https: u16, http: u16) -> Self {
        self.ports = (Some(https), Some(http));
        self
    }

    /// Builds it, or reports a bad setting (an unusable DNS configuration, TLS roots).
    pub fn build(self) -> Result<Autodiscover, Error> {
        let dns = if self.name_servers.is_empty() {
            Dns::system()?
        } else {
            Dns::with_servers(&self.name_servers)?
        };
        let configure = with_dns(self.configure, &self.name_servers, &dns);
        let template = apply(&configure, Client::builder("https://localhost/"));
        let http = ReqwestTransport::new(&template.http_settings())?;
        Ok(Autodiscover {
            inner: Arc::new(Inner {
                credentials: self.credentials,
                configure,
                dns,
                http,
                trusted: self.trusted,
                max_hops: self.max_hops,
                ttl: self.ttl,
                json: self.json,
                ports: self.ports,
                cache: Mutex::default(),
                clients: Mutex::default(),
            }),
        })
    }
}

/// The caller's configuration, plus the name servers when given.
fn with_dns(configure: Option<Configure>, servers: &[SocketAddr], dns: &Dns) -> Option<Configure> {
    if servers.is_empty() {
        return configure;
    }
    let dns = dns.clone();
    Some(Arc::new(move |b: ClientBuilder| {
        let b = b.resolve_with(dns.clone());
        match &configure {
            Some(f) => f(b),
            None => b,
        }
    }))
}

fn apply(configure: &Option<Configure>, b: ClientBuilder) -> ClientBuilder {
    match configure {
        Some(f) => f(b),
        None => b,
    }
}

/// An Autodiscover endpoint and how it is spoken to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    Soap(String),
    Pox(String),
    Json(String),
    /// The unauthenticated HTTP GET whose 302 names an endpoint.
    Probe(String),
    /// The SRV record of a domain.
    Srv(String),
}

impl Endpoint {
    fn url(&self) -> &str {
        match self {
            Endpoint::Soap(u)
            | Endpoint::Pox(u)
            | Endpoint::Json(u)
            | Endpoint::Probe(u)
            | Endpoint::Srv(u) => u,
        }
    }

    /// The endpoint a redirect URL names: `.svc` is SOAP, `.json` JSON, anything else POX.
    fn for_url(url: &str) -> Endpoint {
        let path = url.split('?').next().unwrap_or(url).to_ascii_lowercase();
        if path.ends_with(".svc") {
            Endpoint::Soap(url.to_owned())
        } else if path.contains("autodiscover.json") {
            Endpoint::Json(url.to_owned())
        } else {
            Endpoint::Pox(url.to_owned())
        }
    }
}

/// One search: what was visited and what each candidate said.
struct Search {
    hops: usize,
    addresses: Vec<String>,
    urls: Vec<String>,
    tried: Vec<String>,
    /// The most telling failure so far (an answer beats silence).
    worst: Option<Error>,
}

impl Search {
    fn note(&mut self, endpoint: &Endpoint, e: Error) {
        self.tried.push(format!("{}: {e}", endpoint.url()));
        // An answer beats silence: a refused sign-in or redirect, then a server that does not
        // know the address, then anything that did not answer at all.
        let rank = |e: &Error| match e.kind() {
            ErrorKind::Auth | ErrorKind::Redirect => 3,
            ErrorKind::Discovery => 2,
            _ => 1,
        };
        if self.worst.as_ref().is_none_or(|w| rank(&e) >= rank(w)) {
            self.worst = Some(e);
        }
    }
}

fn domain_of(address: &str) -> Result<String, Error> {
    match address.rsplit_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
        {
            Ok(domain.trim_end_matches('.').to_ascii_lowercase())
        }
        _ => Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{address:?} is not an email address Autodiscover can look up"),
        )),
    }
}

impl Autodiscover {
    /// The EWS endpoint of `address`'s mailbox.
    pub async fn discover(&self, address: &str) -> Result<Discovered, Error> {
        let key = address.to_ascii_lowercase();
        if let Some(d) = self.cached_address(&key) {
            return Ok(d);
        }
        let mut search = Search {
            hops: 0,
            addresses: vec![key.clone()],
            urls: Vec::new(),
            tried: Vec::new(),
            worst: None,
        };
        let mut current = address.to_owned();
        'address: loop {
            let domain = domain_of(&current)?;
            let mut queue = self.candidates(&domain, &current).await;
            while let Some(endpoint) = queue.pop() {
                let said = match self.ask(&endpoint, &current).await {
                    Ok(s) => s,
                    Err(e) => {
                        search.note(&endpoint, e);
                        continue;
                    }
                };
                match said {
                    Ask::Said(Said::EwsUrl(url), from) => {
                        let found = Discovered {
                            address: address.to_owned(),
                            mailbox: current.clone(),
                            ews_url: self.checked_ews_url(&url)?,
                            autodiscover_url: from.url().to_owned(),
                        };
                        self.remember(&key, &domain, &found, from);
                        return Ok(found);
                    }
                    Ask::Said(Said::RedirectAddress(next), _) => {
                        self.hop(&mut search)?;
                        let lower = next.to_ascii_lowercase();
                        if search.addresses.contains(&lower) {
                            return Err(Error::new(
                                ErrorKind::Redirect,
                                format!(
                                    "Autodiscover redirected {current} to {next}, an address already visited (a loop)"
                                ),
                            ));
                        }
                        search.addresses.push(lower);
                        current = next;
                        continue 'address;
                    }
                    Ask::Said(Said::RedirectUrl(url), _) | Ask::Follow(url) => {
                        self.hop(&mut search)?;
                        // A refused redirect ends that candidate, not the search.
                        match self.check_redirect(&url, &domain, &mut search) {
                            Ok(()) => queue.push(Endpoint::for_url(&url)),
                            Err(e) => search.note(&endpoint, e),
                        }
                    }
                    Ask::Said(Said::Refused(why), from) => {
                        search.note(
                            &from,
                            Error::new(
                                ErrorKind::Discovery,
                                format!("{current}: the server answered {why}"),
                            ),
                        );
                    }
                    Ask::More(more) => queue.extend(more.into_iter().rev()),
                }
            }
            let detail = search.tried.join("; ");
            let e = search.worst.take().unwrap_or_else(|| {
                Error::new(ErrorKind::Discovery, "no Autodiscover candidate answered")
            });
            return Err(Error::new(
                e.kind(),
                format!("Autodiscover found no EWS endpoint for {address}: {e} (tried: {detail})"),
            ));
        }
    }

    /// Discovers every address, concurrently; one result per address, in order.
    pub async fn discover_all<S: AsRef<str>>(
        &self,
        addresses: &[S],
    ) -> Vec<Result<Discovered, Error>> {
        futures_util::future::join_all(addresses.iter().map(|a| self.discover(a.as_ref()))).await
    }

    /// A client for `address`'s EWS endpoint, signed in with the same credentials; one client
    /// per endpoint, shared by every mailbox served there.
    pub async fn client_for(&self, address: &str) -> Result<Client, Error> {
        let found = self.discover(address).await?;
        self.client_at(&found.ews_url)
    }

    /// The client of an endpoint [`Autodiscover::discover`] gave (one per endpoint).
    pub fn client_at(&self, ews_url: &str) -> Result<Client, Error> {
        let mut clients = self.inner.clients.lock().expect("lock");
        if let Some(c) = clients.get(ews_url) {
            return Ok(c.clone());
        }
        let c = self.builder_for(ews_url).build()?;
        clients.insert(ews_url.to_owned(), c.clone());
        Ok(c)
    }

    /// Forgets every cached answer.
    pub fn forget(&self) {
        *self.inner.cache.lock().expect("lock") = Cache::default();
    }

    fn builder_for(&self, url: &str) -> ClientBuilder {
        apply(
            &self.inner.configure,
            Client::builder(url).credentials(self.inner.credentials.clone()),
        )
    }

    fn cached_address(&self, key: &str) -> Option<Discovered> {
        let cache = self.inner.cache.lock().expect("lock");
        let (d, at) = cache.by_address.get(key)?;
        (at.elapsed() < self.inner.ttl).then(|| d.clone())
    }

    fn remember(&self, key: &str, domain: &str, found: &Discovered, from: Endpoint) {
        if self.inner.ttl.is_zero() {
            return;
        }
        let mut cache = self.inner.cache.lock().expect("lock");
        let now = Instant::now();
        cache
            .by_address
            .insert(key.to_owned(), (found.clone(), now));
        cache.by_domain.insert(domain.to_owned(), (from, now));
    }

    fn hop(&self, search: &mut Search) -> Result<(), Error> {
        search.hops += 1;
        if search.hops > self.inner.max_hops {
            return Err(Error::new(
                ErrorKind::Redirect,
                format!(
                    "Autodiscover redirected more than {} times",
                    self.inner.max_hops
                ),
            ));
        }
        Ok(())
    }

    /// A redirect may go only to HTTPS, to a trusted host, and never back.
    fn check_redirect(&self, url: &str, domain: &str, search: &mut Search) -> Result<(), Error> {
        let refused = |why: String| Error::new(ErrorKind::Redirect, why);
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| refused(format!("Autodiscover redirected to {url:?}, not a URL")))?;
        if parsed.scheme() != "https" {
            return Err(refused(format!(
                "Autodiscover redirected to {url}, which is not HTTPS; credentials are sent only over HTTPS"
            )));
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let within = |d: &str| host == d || host.ends_with(&format!(".{d}"));
        if !within(domain) && !self.inner.trusted.iter().any(|d| within(d)) {
            return Err(refused(format!(
                "Autodiscover redirected to {host}, outside {domain}; trust it with trust_domain if it is yours"
            )));
        }
        if search.urls.iter().any(|u| u == url) {
            return Err(refused(format!(
                "Autodiscover redirected back to {url} (a loop)"
            )));
        }
        search.urls.push(url.to_owned());
        Ok(())
    }

    fn checked_ews_url(&self, url: &str) -> Result<String, Error> {
        match reqwest::Url::parse(url) {
            Ok(u) if u.scheme() == "https" => Ok(url.to_owned()),
            _ => Err(Error::new(
                ErrorKind::Discovery,
                format!("Autodiscover gave {url:?} as the EWS endpoint, which is not an HTTPS URL"),
            )),
        }
    }

    /// The candidates for an address at `domain`, the last to try first (a stack): the
    /// endpoint that answered for the domain before, then Microsoft's order.
    async fn candidates(&self, domain: &str, address: &str) -> Vec<Endpoint> {
        let (https, http) = self.inner.ports;
        let port = |p: Option<u16>| p.map(|p| format!(":{p}")).unwrap_or_default();
        let mut order = Vec::new();
        for host in [domain.to_owned(), format!("autodiscover.{domain}")] {
            let base = format!("https://{host}{}/autodiscover/autodiscover", port(https));
            if self.inner.json {
                order.push(Endpoint::Json(format!(
                    "{base}.json/v1.0/{}?Protocol=EWS",
                    form_urlencoded::byte_serialize(address.as_bytes()).collect::<String>()
                )));
            }
            order.push(Endpoint::Soap(format!("{base}.svc")));
            order.push(Endpoint::Pox(format!("{base}.xml")));
        }
        order.push(Endpoint::Probe(format!(
            "http://autodiscover.{domain}{}/autodiscover/autodiscover.xml",
            port(http)
        )));
        order.push(Endpoint::Srv(format!("_autodiscover._tcp.{domain}")));
        let remembered = {
            let cache = self.inner.cache.lock().expect("lock");
            cache
                .by_domain
                .get(domain)
                .filter(|(_, at)| at.elapsed() < self.inner.ttl)
                .map(|(e, _)| e.clone())
        };
        if let Some(e) = remembered {
            order.retain(|x| x != &e);
            order.insert(0, e);
        }
        order.reverse();
        order
    }

    async fn ask(&self, endpoint: &Endpoint, address: &str) -> Result<Ask, Error> {
        tracing::debug!(endpoint = endpoint.url(), "Autodiscover");
        match endpoint {
            Endpoint::Soap(url) | Endpoint::Pox(url) => {
                let soap = matches!(endpoint, Endpoint::Soap(_));
                let client = self.builder_for(url).build()?;
                let (body, action) = if soap {
                    (wire::soap_request(url, address), Some(wire::SOAP_ACTION))
                } else {
                    (wire::pox_request(address), None)
                };
                let resp = client.post_document(body, action).await?;
                match resp.status {
                    200 => {}
                    401 | 403 => {
                        return Err(Error::new(
                            ErrorKind::Auth,
                            format!("{url} refused the credentials (HTTP {})", resp.status),
                        ));
                    }
                    302 | 301 | 307 | 308 => {
                        if let Some(to) = location(&resp.headers) {
                            return Ok(Ask::Follow(to));
                        }
                        return Err(Error::new(ErrorKind::Http, "a redirect without Location"));
                    }
                    s => {
                        return Err(Error::new(
                            ErrorKind::Http,
                            format!("{url} answered HTTP {s}"),
                        ));
                    }
                }
                let said = if soap {
                    wire::soap_answer(&resp.body)?
                } else {
                    wire::pox_answer(&resp.body)?
                };
                Ok(Ask::Said(said, endpoint.clone()))
            }
            Endpoint::Json(url) => {
                let resp = self.inner.http.get(url).await.map_err(|t| t.into_error())?;
                if matches!(resp.status, 301 | 302 | 307 | 308)
                    && let Some(to) = location(&resp.headers)
                {
                    return Ok(Ask::Follow(to));
                }
                Ok(Ask::Said(
                    wire::json_answer(resp.status, &resp.body)?,
                    endpoint.clone(),
                ))
            }
            Endpoint::Probe(url) => {
                let resp = self.inner.http.get(url).await.map_err(|t| t.into_error())?;
                match (resp.status, location(&resp.headers)) {
                    (301 | 302 | 307 | 308, Some(to)) => Ok(Ask::Follow(to)),
                    (s, _) => Err(Error::new(
                        ErrorKind::Http,
                        format!("the HTTP probe {url} answered HTTP {s} without a redirect"),
                    )),
                }
            }
            Endpoint::Srv(name) => {
                let records = self.inner.dns.srv(name).await;
                if records.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Connect,
                        format!("no SRV record {name}"),
                    ));
                }
                Ok(Ask::More(
                    records
                        .into_iter()
                        .flat_map(|r| {
                            let base =
                                format!("https://{}:{}/autodiscover/autodiscover", r.host, r.port);
                            [
                                Endpoint::Soap(format!("{base}.svc")),
                                Endpoint::Pox(format!("{base}.xml")),
                            ]
                        })
                        .collect(),
                ))
            }
        }
    }
}

/// The positions of the discovered addresses, grouped by EWS endpoint (failures left out), so
/// that bulk work can take one client per site.
pub fn by_endpoint(found: &[Result<Discovered, Error>]) -> BTreeMap<String, Vec<usize>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, d) in found.iter().enumerate() {
        if let Ok(d) = d {
            groups.entry(d.ews_url.clone()).or_default().push(i);
        }
    }
    groups
}

/// What asking one endpoint gave.
enum Ask {
    /// An answer, and who gave it.
    Said(Said, Endpoint),
    /// An HTTP redirect to follow (checked like a `redirectUrl`).
    Follow(String),
    /// More candidates to try next, in order (an SRV record's targets).
    More(Vec<Endpoint>),
}

fn location(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl Client {
    /// A client for `address`'s mailbox, its EWS endpoint found by Autodiscover with the
    /// system's DNS and default settings. For many mailboxes, keep one [`Autodiscover`] (its
    /// cache, one client per endpoint) and call [`Autodiscover::client_for`].
    pub async fn discover(
        address: &str,
        credentials: crate::auth::Credentials,
    ) -> Result<Client, Error> {
        Autodiscover::builder(credentials)
            .build()?
            .client_for(address)
            .await
    }
}
