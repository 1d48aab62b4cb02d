//! Sandbox sessions and what LinkedIn shows before any data: the cookies, the CSRF check, and
//! the scenario's faults.
//!
//! Sessions are stateless: `li_at` carries the scenario and an account nonce (so that two
//! accounts with the same scenario keep separate fault counters).

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use msgsync_core::{LinkedinProduct, ProviderKind};
use sha2::{Digest, Sha256};

use crate::scenario::{Fault, Scenario};

/// Real `li_at` values start with `AQEDA…`; sandbox ones with this.
const LI_AT_PREFIX: &str = "AQEDSBX";
const VERSION: &str = "v1";

/// A flaky LinkedIn fails this many requests in a row (a 502, then dropped connections).
pub(crate) const FLAKY_FAILURES: u64 = 3;

/// A sandbox session, from its `li_at`.
#[derive(Debug, Clone)]
pub(crate) struct SandboxSession {
    pub(crate) li_at: String,
    pub(crate) scenario: Scenario,
}

fn li_at(scenario: &Scenario, nonce: &str) -> String {
    let raw = format!("{VERSION}|{scenario}|{nonce}");
    format!("{LI_AT_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
}

/// A JSESSIONID like LinkedIn's (`ajax:` and 19 digits), derived from `seed`.
pub(crate) fn jsessionid_for(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut n = [0u8; 8];
    n.copy_from_slice(&digest[..8]);
    format!(
        "ajax:{:019}",
        u64::from_be_bytes(n) % 10_000_000_000_000_000_000
    )
}

/// The `li_a` cookie of Recruiter / Sales Navigator that goes with a session's `li_at`.
pub(crate) fn li_a_for(li_at: &str) -> String {
    let digest = Sha256::digest(format!("li_a|{li_at}").as_bytes());
    format!("AQJ2{}", URL_SAFE_NO_PAD.encode(&digest[..24]))
}

/// The whole `Cookie` header under which the simulator serves `scenario` (CONTRACT §6,
/// `msgsync sandbox linkedin-cookies`): `li_at`, its `JSESSIONID`, and for a scenario with a
/// Sales Navigator inbox its `li_a`.
pub fn sandbox_cookies(scenario: &Scenario, nonce: &str) -> String {
    let li_at = li_at(scenario, nonce);
    let jsessionid = jsessionid_for(&li_at);
    let mut cookies = format!("li_at={li_at}; JSESSIONID=\"{jsessionid}\"");
    if scenario.products.contains(&LinkedinProduct::SalesNavigator) {
        cookies.push_str(&format!("; li_a={}", li_a_for(&li_at)));
    }
    cookies
}

/// The value of cookie `name` in the request's `Cookie` headers, quotes removed.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
}

fn decode(li_at: &str) -> Option<Scenario> {
    let raw = URL_SAFE_NO_PAD
        .decode(li_at.strip_prefix(LI_AT_PREFIX)?)
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let mut parts = raw.splitn(3, '|');
    if parts.next()? != VERSION {
        return None;
    }
    let scenario = parts.next()?;
    parts.next()?;
    Scenario::parse(ProviderKind::Linkedin, scenario).ok()
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The session of a request, or what LinkedIn answers a client it does not know.
pub(crate) fn session(headers: &HeaderMap, base_url: &str) -> Result<SandboxSession, Response> {
    let Some(li_at) = cookie(headers, "li_at") else {
        // No session cookie at all: the API's plain refusal.
        return Err(json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"status": 401, "message": "Unauthorized"}),
        ));
    };
    match decode(&li_at) {
        Some(scenario) => Ok(SandboxSession { li_at, scenario }),
        // A cookie LinkedIn does not know (expired long ago, or made up): off to the login
        // page, and the browser is told to forget it.
        None => Err(redirect(
            &format!("{base_url}/uas/login?session_redirect=%2Fmessaging%2F"),
            true,
        )),
    }
}

fn redirect(location: &str, delete_li_at: bool) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    if delete_li_at {
        r.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "li_at=delete me; Domain=.linkedin.com; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ),
        );
    }
    r
}

/// A `Set-Cookie` giving a fresh JSESSIONID, as LinkedIn sends to a client without one.
pub(crate) fn set_jsessionid(response: &mut Response, seed: &str) {
    let v = format!(
        "JSESSIONID=\"{}\"; Path=/; Domain=.linkedin.com; Secure; SameSite=None",
        jsessionid_for(seed)
    );
    if let Ok(v) = HeaderValue::from_str(&v) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The double-submit check: `csrf-token` must equal the JSESSIONID cookie, and that must be
/// the one issued with the session's `li_at` (a JSESSIONID from an anonymous visit is bound to
/// no member's session).
pub(crate) fn csrf(headers: &HeaderMap, session: &SandboxSession) -> Result<(), Response> {
    let jsessionid = cookie(headers, "JSESSIONID");
    let token = headers.get("csrf-token").and_then(|v| v.to_str().ok());
    let bound = jsessionid_for(&session.li_at);
    match (jsessionid.as_deref(), token) {
        (Some(j), Some(t)) if j == t && j == bound => Ok(()),
        _ => Err((StatusCode::FORBIDDEN, "CSRF check failed").into_response()),
    }
}

/// A `Set-Cookie` of LinkedIn's load balancer routing cookie (`lidc`, among the cookies a
/// logged-in browser holds: saifedding/LinkedIn-post `linkedin_auth_guide.md`), new on every
/// answer that sets it: a client that keeps the cookies LinkedIn sets has the latest.
pub(crate) fn set_lidc(response: &mut Response, serial: u64) {
    let v = format!(
        "lidc=\"b=SB00:s=S:r=S:a=S:p=S:g=1:u=1:x=1:i={serial}:t=0:v=2\"; Path=/; \
         Domain=.linkedin.com; Secure; SameSite=None"
    );
    if let Ok(v) = HeaderValue::from_str(&v) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// What a restricted member gets from the API: a 403 whose Rest.li error names the
/// restriction (the connector reads it as `Restricted`, not as a missing permission).
pub(crate) fn restricted() -> Response {
    json(
        StatusCode::FORBIDDEN,
        serde_json::json!({
            "exceptionClass": "com.linkedin.restli.server.RestLiServiceException",
            "message": "This account has been restricted",
            "code": "MEMBER_RESTRICTED",
            "status": 403,
        }),
    )
}

/// How a faulty scenario answers its `nth` request past `fault_after`.
pub(crate) enum FaultAnswer {
    Respond(Response),
    /// Close the connection without a word.
    Cut,
    /// Never answer.
    Hold,
}

pub(crate) fn fault_answer(fault: Fault, nth: u64, base_url: &str) -> Option<FaultAnswer> {
    Some(match fault {
        Fault::Expired => FaultAnswer::Respond(redirect(
            &format!("{base_url}/checkpoint/challenge/AgFsYW5kYm94?ut=sandbox"),
            true,
        )),
        Fault::Restricted => FaultAnswer::Respond(restricted()),
        Fault::RateLimited if nth == 1 => {
            let mut r = json(
                StatusCode::TOO_MANY_REQUESTS,
                serde_json::json!({"status": 429, "message": "Too Many Requests"}),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            FaultAnswer::Respond(r)
        }
        Fault::Flaky if nth == 1 => {
            FaultAnswer::Respond((StatusCode::BAD_GATEWAY, "Bad Gateway").into_response())
        }
        Fault::Flaky if nth <= FLAKY_FAILURES => FaultAnswer::Cut,
        Fault::Down => FaultAnswer::Respond(
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response(),
        ),
        Fault::Timeout => FaultAnswer::Hold,
        // Telegram's own faults: a LinkedIn scenario never parses with them.
        Fault::RateLimited
        | Fault::Flaky
        | Fault::AuthKeyDuplicated
        | Fault::Migrate
        | Fault::Deactivated => return None,
    })
}

/// The latency of a scenario.
pub(crate) fn latency(scenario: &Scenario) -> Duration {
    Duration::from_millis(scenario.latency_ms)
}
