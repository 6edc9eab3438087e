//! Autodiscover as Exchange answers it: SOAP `GetUserSettings` at
//! `/autodiscover/autodiscover.svc`, POX at `/autodiscover/autodiscover.xml`, and the JSON
//! endpoint of Exchange Online at `/autodiscover/autodiscover.json/v1.0/<address>`. Each
//! mailbox's EWS URL is its site's (`[[site]]`), or this server's own; `[[autodiscover.redirect]]`
//! answers an address with a redirect, and `http_redirect` makes an unauthenticated GET the
//! 302 of the HTTP redirect probe.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quick_xml::escape::escape;

use crate::State;
use crate::auth::{Conn, SignIn, sign_in};

const POX_RESPONSE: &str = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
const POX_OUTLOOK: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
const SOAP_AD: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";

/// The routes, in the casings clients use (IIS matches paths without regard to case).
pub(crate) fn routes(router: Router<Arc<State>>) -> Router<Arc<State>> {
    let mut r = router;
    for base in ["/autodiscover", "/Autodiscover"] {
        for file in ["autodiscover", "Autodiscover"] {
            r = r
                .route(&format!("{base}/{file}.svc"), post(soap))
                .route(&format!("{base}/{file}.xml"), post(pox).get(probe))
                .route(&format!("{base}/{file}.json/v1.0/{{address}}"), get(json));
        }
    }
    r
}

/// What Autodiscover says about an address.
enum Answer {
    /// The mailbox's EWS endpoint, display name and primary address.
    Settings {
        ews_url: String,
        name: String,
        smtp: String,
    },
    RedirectAddress(String),
    RedirectUrl(String),
    Unknown,
}

fn answer(state: &State, headers: &HeaderMap, tls: bool, address: &str) -> Answer {
    let cfg = &state.org.autodiscover;
    if let Some(r) = cfg
        .redirects
        .iter()
        .find(|r| r.address.eq_ignore_ascii_case(address))
    {
        if let Some(a) = &r.to_address {
            return Answer::RedirectAddress(a.clone());
        }
        if let Some(u) = &r.to_url {
            return Answer::RedirectUrl(u.clone());
        }
    }
    let store = state.store();
    let Some(i) = store.find_smtp(address) else {
        return Answer::Unknown;
    };
    let mb = &store.mailboxes[i];
    let site = state.org.mailboxes[i].site.as_ref().and_then(|name| {
        state
            .org
            .sites
            .iter()
            .find(|s| &s.name == name)
            .map(|s| s.ews_url.clone())
    });
    let own = || {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if tls { "https" } else { "http" };
        format!("{scheme}://{host}/EWS/Exchange.asmx")
    };
    Answer::Settings {
        ews_url: site.unwrap_or_else(own),
        name: mb.name.clone(),
        smtp: mb.smtp.clone(),
    }
}

/// 404 when Autodiscover is off; 401 (with the offered schemes) when the caller is not
/// signed in; else nothing.
fn refuse(state: &State, conn: &Conn, headers: &HeaderMap) -> Option<Response> {
    if !state.org.autodiscover.enabled {
        return Some(StatusCode::NOT_FOUND.into_response());
    }
    state.control.count_autodiscover();
    match sign_in(state, conn, headers) {
        SignIn::Account(..) => None,
        SignIn::Challenge(offers) => {
            let mut r = (StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response();
            for o in offers {
                if let Ok(v) = HeaderValue::from_str(&o) {
                    r.headers_mut().append(header::WWW_AUTHENTICATE, v);
                }
            }
            Some(r)
        }
    }
}

fn xml(body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    r
}

/// The text of every element named `local` in namespace `ns`, in order.
fn texts(body: &[u8], ns: &str, local: &str) -> Option<Vec<String>> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    let mut reader = quick_xml::NsReader::from_reader(body);
    let mut out = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_resolved_event().ok()? {
            (ResolveResult::Bound(n), Event::Start(e))
                if n.as_ref() == ns && e.local_name().as_ref() == local =>
            {
                inside = true;
                out.push(String::new());
            }
            (_, Event::Text(t)) if inside => out.last_mut()?.push_str(t.xml10_content().trim()),
            (_, Event::GeneralRef(r)) if inside => {
                let name: &str = r.as_ref();
                let c = match name {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r.resolve_char_ref().ok()??,
                };
                out.last_mut()?.push(c);
            }
            (_, Event::End(_)) => inside = false,
            (_, Event::Eof) => return Some(out),
            _ => {}
        }
    }
}

fn is_tls(conn: &Conn) -> bool {
    conn.ntlm_binding.is_some()
}

async fn pox(
    AxState(state): AxState<Arc<State>>,
    axum::Extension(conn): axum::Extension<Arc<Conn>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refuse(&state, &conn, &headers) {
        return r;
    }
    const REQUEST: &str =
        "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
    let Some(address) = texts(&body, REQUEST, "EMailAddress").and_then(|a| a.into_iter().next())
    else {
        return pox_error(600, "Invalid Request");
    };
    let account = match answer(&state, &headers, is_tls(&conn), &address) {
        Answer::Unknown => return pox_error(500, "The email address can't be found."),
        Answer::RedirectAddress(a) => format!(
            "<Account><AccountType>email</AccountType><Action>redirectAddr</Action>\
             <RedirectAddr>{}</RedirectAddr></Account>",
            escape(&a)
        ),
        Answer::RedirectUrl(u) => format!(
            "<Account><AccountType>email</AccountType><Action>redirectUrl</Action>\
             <RedirectUrl>{}</RedirectUrl></Account>",
            escape(&u)
        ),
        Answer::Settings {
            ews_url,
            name,
            smtp,
        } => {
            let url = escape(&ews_url);
            return xml(format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"{POX_RESPONSE}\">\
                 <Response xmlns=\"{POX_OUTLOOK}\"><User><DisplayName>{}</DisplayName>\
                 <AutoDiscoverSMTPAddress>{}</AutoDiscoverSMTPAddress></User>\
                 <Account><AccountType>email</AccountType><Action>settings</Action>\
                 <Protocol><Type>EXCH</Type><EwsUrl>{url}</EwsUrl></Protocol>\
                 <Protocol><Type>EXPR</Type><EwsUrl>{url}</EwsUrl></Protocol>\
                 </Account></Response></Autodiscover>",
                escape(&name),
                escape(&smtp)
            ));
        }
    };
    xml(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"{POX_RESPONSE}\">\
         <Response xmlns=\"{POX_OUTLOOK}\">{account}</Response></Autodiscover>"
    ))
}

fn pox_error(code: u16, message: &str) -> Response {
    xml(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"{POX_RESPONSE}\">\
         <Response><Error Time=\"00:00:00.0000000\" Id=\"1\"><ErrorCode>{code}</ErrorCode>\
         <Message>{}</Message><DebugData /></Error></Response></Autodiscover>",
        escape(message)
    ))
}

/// Settings this server can give, and their values for a mailbox.
fn setting(name: &str, ews_url: &str, display: &str, smtp: &str) -> Option<String> {
    Some(match name {
        "ExternalEwsUrl" | "InternalEwsUrl" => ews_url.to_owned(),
        "UserDisplayName" => display.to_owned(),
        "AutoDiscoverSMTPAddress" => smtp.to_owned(),
        "CasVersion" => "15.2.1544.4".to_owned(),
        "EwsSupportedSchemas" => "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016".to_owned(),
        _ => return None,
    })
}

async fn soap(
    AxState(state): AxState<Arc<State>>,
    axum::Extension(conn): axum::Extension<Arc<Conn>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refuse(&state, &conn, &headers) {
        return r;
    }
    let (Some(users), Some(settings)) = (
        texts(&body, SOAP_AD, "Mailbox"),
        texts(&body, SOAP_AD, "Setting"),
    ) else {
        return soap_envelope("<Response><ErrorCode>InvalidRequest</ErrorCode><ErrorMessage>The request is invalid.</ErrorMessage><UserResponses/></Response>".into());
    };
    let mut responses = String::new();
    for user in &users {
        let (code, message, target, values) = match answer(&state, &headers, is_tls(&conn), user) {
            Answer::Unknown => (
                "InvalidUser",
                format!("Invalid user: '{user}'"),
                None,
                String::new(),
            ),
            Answer::RedirectAddress(a) => (
                "RedirectAddress",
                "Redirection address.".into(),
                Some(a),
                String::new(),
            ),
            Answer::RedirectUrl(u) => (
                "RedirectUrl",
                "Redirection URL.".into(),
                Some(u),
                String::new(),
            ),
            Answer::Settings {
                ews_url,
                name,
                smtp,
            } => {
                let mut known = String::new();
                let mut errors = String::new();
                for s in &settings {
                    match setting(s, &ews_url, &name, &smtp) {
                            Some(v) => known.push_str(&format!(
                                "<UserSetting i:type=\"StringSetting\"><Name>{}</Name><Value>{}</Value></UserSetting>",
                                escape(s),
                                escape(&v)
                            )),
                            None => errors.push_str(&format!(
                                "<UserSettingError><ErrorCode>InvalidSetting</ErrorCode><ErrorMessage>The requested setting is invalid.</ErrorMessage><SettingName>{}</SettingName></UserSettingError>",
                                escape(s)
                            )),
                        }
                }
                (
                    "NoError",
                    "No error.".into(),
                    None,
                    format!(
                        "<UserSettingErrors>{errors}</UserSettingErrors><UserSettings>{known}</UserSettings>"
                    ),
                )
            }
        };
        let target = match target {
            Some(t) => format!("<RedirectTarget>{}</RedirectTarget>", escape(&t)),
            None => "<RedirectTarget i:nil=\"true\"/>".into(),
        };
        let values = if values.is_empty() {
            "<UserSettingErrors/><UserSettings/>".to_owned()
        } else {
            values
        };
        responses.push_str(&format!(
            "<UserResponse><ErrorCode>{code}</ErrorCode><ErrorMessage>{}</ErrorMessage>{target}{values}</UserResponse>",
            escape(&message)
        ));
    }
    soap_envelope(format!(
        "<Response><ErrorCode>NoError</ErrorCode><ErrorMessage>No error.</ErrorMessage>\
         <UserResponses>{responses}</UserResponses></Response>"
    ))
}

fn soap_envelope(response: String) -> Response {
    xml(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:a=\"http://www.w3.org/2005/08/addressing\">\
         <s:Header><a:Action s:mustUnderstand=\"1\">{SOAP_AD}/Autodiscover/GetUserSettingsResponse</a:Action>\
         <h:ServerVersionInfo xmlns:h=\"{SOAP_AD}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <h:MajorVersion>15</h:MajorVersion><h:MinorVersion>2</h:MinorVersion><h:MajorBuildNumber>1544</h:MajorBuildNumber>\
         <h:MinorBuildNumber>4</h:MinorBuildNumber><h:Version>Exchange2016</h:Version></h:ServerVersionInfo></s:Header>\
         <s:Body><GetUserSettingsResponseMessage xmlns=\"{SOAP_AD}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\
         {response}</GetUserSettingsResponseMessage></s:Body></s:Envelope>"
    ))
}

/// The HTTP redirect probe: an unauthenticated GET answered with 302 to the configured URL.
async fn probe(
    AxState(state): AxState<Arc<State>>,
    axum::Extension(conn): axum::Extension<Arc<Conn>>,
    headers: HeaderMap,
) -> Response {
    if let (true, Some(to)) = (
        state.org.autodiscover.enabled,
        &state.org.autodiscover.http_redirect,
    ) {
        state.control.count_autodiscover();
        let mut r = StatusCode::FOUND.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    refuse(&state, &conn, &headers)
        .unwrap_or_else(|| StatusCode::METHOD_NOT_ALLOWED.into_response())
}

#[derive(serde::Deserialize)]
struct JsonQuery {
    #[serde(rename = "Protocol")]
    protocol: Option<String>,
}

/// Exchange Online's JSON Autodiscover (anonymous): `{"Protocol":"EWS","Url":…}`.
async fn json(
    AxState(state): AxState<Arc<State>>,
    axum::Extension(conn): axum::Extension<Arc<Conn>>,
    Path(address): Path<String>,
    Query(q): Query<JsonQuery>,
    headers: HeaderMap,
) -> Response {
    if !state.org.autodiscover.enabled {
        return StatusCode::NOT_FOUND.into_response();
    }
    state.control.count_autodiscover();
    let json = |status: StatusCode, v: serde_json::Value| {
        let mut r = (status, v.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        r
    };
    if !q
        .protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("ews"))
    {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"ErrorCode": "ProtocolNotSupported", "ErrorMessage": "The given protocol value is invalid. Supported values are 'ActiveSync, Ews'"}),
        );
    }
    match answer(&state, &headers, is_tls(&conn), &address) {
        Answer::Settings { ews_url, .. } => json(
            StatusCode::OK,
            serde_json::json!({"Protocol": "EWS", "Url": ews_url}),
        ),
        Answer::RedirectUrl(u) => {
            let mut r = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(&u) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Answer::RedirectAddress(_) | Answer::Unknown => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"ErrorCode": "UserNotFound", "ErrorMessage": "The user was not found."}),
        ),
    }
}
