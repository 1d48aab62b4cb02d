//! Where a webhook may be sent. A webhook URL is chosen by an API user but requested by the server,
//! so without these checks it would let that user reach the server's own network (SSRF): the
//! metadata service at 169.254.169.254, an admin port on 127.0.0.1, a database on 10.0.0.5.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Long enough for any real endpoint with a token in its query, short enough that a stored URL
/// cannot be used to bloat the database or the logs.
const URL_CHARS_MAX: usize = 2048;

/// The setting an operator turns on for a self-hosted receiver on the same machine or network.
const ALLOW_PRIVATE_HINT: &str = "set MSGSYNC_WEBHOOK_ALLOW_PRIVATE=true to allow it";

/// Whether webhooks may reach the server's own networks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    pub allow_private: bool,
}

/// Why a webhook target was refused, in words an API user can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("request_url is not a valid URL ({0})")]
    InvalidUrl(String),
    #[error("request_url must use http or https (it uses {0})")]
    UnsupportedScheme(String),
    #[error("request_url must name a host")]
    MissingHost,
    #[error("request_url must be at most {URL_CHARS_MAX} characters (it has {0})")]
    TooLong(usize),
    #[error(
        "request_url points to a private, loopback or link-local address ({0}); {ALLOW_PRIVATE_HINT}"
    )]
    Forbidden(IpAddr),
    #[error(
        "request_url host {host} resolves only to private, loopback or link-local addresses \
         ({addresses}); {ALLOW_PRIVATE_HINT}"
    )]
    ResolvesOnlyToForbidden { host: String, addresses: String },
    #[error("request_url host {host} could not be resolved ({reason})")]
    Unresolvable { host: String, reason: String },
}

/// Checks what can be known from the URL alone. It runs at registration and again before each
/// delivery, because reqwest connects to an IP-literal host without asking the resolver.
pub fn check_url(policy: &TargetPolicy, raw: &str) -> Result<Url, TargetError> {
    let chars = raw.chars().count();
    if chars > URL_CHARS_MAX {
        return Err(TargetError::TooLong(chars));
    }
    let url = Url::parse(raw).map_err(|e| TargetError::InvalidUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::UnsupportedScheme(url.scheme().to_owned()));
    }
    let ip = match url.host() {
        None => return Err(TargetError::MissingHost),
        Some(Host::Domain(_)) => None,
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
    };
    if let Some(ip) = ip {
        if !policy.allow_private && is_forbidden(ip) {
            return Err(TargetError::Forbidden(ip));
        }
    }
    Ok(url)
}

/// Whether an address belongs to the server's own host or networks, or is not a unicast address
/// at all: none of these is a public webhook receiver.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network", 0.0.0.0/8: reaches the local host on Linux
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // cloud metadata services live here
        || (a == 100 && (b & 0b1100_0000) == 64) // carrier-grade NAT, 100.64.0.0/10
        || ip.is_broadcast()
        || ip.is_multicast()
        || a >= 240 // reserved, 240.0.0.0/4
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0.0/24
        || (a == 198 && (b & 0b1111_1110) == 18) // benchmarking, 198.18.0.0/15
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    if ip.is_unspecified() || ip.is_loopback() {
        return true;
    }
    // An IPv4 address carried inside an IPv6 one reaches that IPv4 host, so it is judged as such.
    if let Some(v4) = embedded_ipv4(ip) {
        return is_forbidden_v4(v4);
    }
    let first = ip.segments()[0];
    (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first & 0xffc0) == 0xfec0 // deprecated site-local, fec0::/10, still private where used
        || (first & 0xff00) == 0xff00 // multicast, ff00::/8
}

/// The IPv4 address an IPv6 address stands for, in the forms a stack may translate to IPv4.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // IPv4-mapped, ::ffff:a.b.c.d
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(v4(hi, lo)),
        // IPv4-compatible (deprecated), ::a.b.c.d; :: and ::1 were handled before.
        [0, 0, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        // NAT64 well-known prefix, 64:ff9b::/96
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        // 6to4, 2002:AABB:CCDD::/48 relays to AA.BB.CC.DD
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

/// Resolves a checked URL's host to the addresses it may be sent to, so that registration can
/// refuse a host that only leads inside with a clear message rather than fail at every delivery.
pub async fn resolve_allowed(
    policy: &TargetPolicy,
    url: &Url,
) -> Result<Vec<SocketAddr>, TargetError> {
    let port = url.port_or_known_default().unwrap_or(0);
    match url.host() {
        None => Err(TargetError::MissingHost),
        Some(Host::Ipv4(v4)) => allowed_literal(policy, IpAddr::V4(v4), port),
        Some(Host::Ipv6(v6)) => allowed_literal(policy, IpAddr::V6(v6), port),
        Some(Host::Domain(host)) => lookup_allowed(policy, host, port).await,
    }
}

fn allowed_literal(
    policy: &TargetPolicy,
    ip: IpAddr,
    port: u16,
) -> Result<Vec<SocketAddr>, TargetError> {
    if !policy.allow_private && is_forbidden(ip) {
        return Err(TargetError::Forbidden(ip));
    }
    Ok(vec![SocketAddr::new(ip, port)])
}

async fn lookup_allowed(
    policy: &TargetPolicy,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, TargetError> {
    let unresolvable = |reason: String| TargetError::Unresolvable {
        host: host.to_owned(),
        reason,
    };
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| unresolvable(e.to_string()))?
        .collect();
    if found.is_empty() {
        return Err(unresolvable("no address".to_owned()));
    }
    if policy.allow_private {
        return Ok(found);
    }
    let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
        found.into_iter().partition(|a| !is_forbidden(a.ip()));
    if allowed.is_empty() {
        let mut addresses = String::new();
        for (i, addr) in refused.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(addresses, "{sep}{}", addr.ip());
        }
        return Err(TargetError::ResolvesOnlyToForbidden {
            host: host.to_owned(),
            addresses,
        });
    }
    Ok(allowed)
}

/// The resolver the delivery client connects through. Filtering here, on the very addresses the
/// connection will use, closes the window in which a host could resolve to a public address at a
/// check and to a private one at the connection (DNS rebinding).
#[derive(Clone, Copy, Debug, Default)]
pub struct GuardedResolver {
    policy: TargetPolicy,
}

impl GuardedResolver {
    pub fn new(policy: TargetPolicy) -> GuardedResolver {
        GuardedResolver { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // reqwest puts the URL's port on each address; 0 stands for "not chosen here".
            let allowed = lookup_allowed(&policy, &host, 0).await?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY: TargetPolicy = TargetPolicy {
        allow_private: false,
    };
    const ALLOW: TargetPolicy = TargetPolicy {
        allow_private: true,
    };

    #[test]
    fn forbidden_addresses() {
        let cases: &[(&str, bool)] = &[
            // IPv4
            ("0.0.0.0", true),
            ("0.1.2.3", true),
            ("127.0.0.1", true),
            ("127.255.255.254", true),
            ("10.0.0.5", true),
            ("172.16.0.1", true),
            ("172.31.255.255", true),
            ("172.32.0.1", false),
            ("172.15.255.255", false),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("100.64.0.1", true),
            ("100.127.255.255", true),
            ("100.128.0.1", false),
            ("100.63.255.255", false),
            ("255.255.255.255", true),
            ("224.0.0.1", true),
            ("239.255.255.255", true),
            ("240.0.0.1", true),
            ("192.0.0.8", true),
            ("192.0.1.1", false),
            ("198.18.0.1", true),
            ("198.19.255.255", true),
            ("198.20.0.1", false),
            ("8.8.8.8", false),
            ("1.1.1.1", false),
            ("93.184.215.14", false),
            // IPv6
            ("::", true),
            ("::1", true),
            ("fc00::1", true),
            ("fd12:3456::1", true),
            ("fe80::1", true),
            ("febf::1", true),
            ("fec0::1", true),
            ("ff02::1", true),
            ("2606:4700:4700::1111", false),
            ("2001:4860:4860::8888", false),
            // IPv4 inside IPv6
            ("::ffff:127.0.0.1", true),
            ("::ffff:169.254.169.254", true),
            ("::ffff:10.1.2.3", true),
            ("::ffff:8.8.8.8", false),
            ("64:ff9b::7f00:1", true),
            ("64:ff9b::a9fe:a9fe", true),
            ("64:ff9b::808:808", false),
            ("::127.0.0.1", true),
            ("::10.0.0.1", true),
            ("::8.8.8.8", false),
            ("2002:7f00:1::", true),
            ("2002:0808:0808::1", false),
        ];
        for (raw, expected) in cases {
            let ip: IpAddr = raw.parse().unwrap();
            assert_eq!(is_forbidden(ip), *expected, "{raw}");
        }
    }

    #[test]
    fn check_url_refusals() {
        let long = format!("https://example.com/{}", "a".repeat(URL_CHARS_MAX));
        let cases: &[(&str, TargetError)] = &[
            (
                "ftp://example.com/",
                TargetError::UnsupportedScheme("ftp".into()),
            ),
            (
                "file:///etc/passwd",
                TargetError::UnsupportedScheme("file".into()),
            ),
            (
                "not a url",
                TargetError::InvalidUrl("relative URL without a base".into()),
            ),
            (&long, TargetError::TooLong(URL_CHARS_MAX + 20)),
            (
                "http://127.0.0.1:8080/hook",
                TargetError::Forbidden("127.0.0.1".parse().unwrap()),
            ),
            (
                "http://[::1]/hook",
                TargetError::Forbidden("::1".parse().unwrap()),
            ),
            (
                "http://[::ffff:169.254.169.254]/latest",
                TargetError::Forbidden("::ffff:169.254.169.254".parse().unwrap()),
            ),
            // The URL standard reads these as IPv4 addresses, and so does the connection.
            (
                "http://2130706433/",
                TargetError::Forbidden("127.0.0.1".parse().unwrap()),
            ),
            (
                "http://0x7f.1/",
                TargetError::Forbidden("127.0.0.1".parse().unwrap()),
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(check_url(&DENY, raw).unwrap_err(), *expected, "{raw}");
        }
    }

    #[test]
    fn check_url_error_texts_say_what_to_do() {
        assert_eq!(
            check_url(&DENY, "http://127.0.0.1/")
                .unwrap_err()
                .to_string(),
            "request_url points to a private, loopback or link-local address (127.0.0.1); \
             set MSGSYNC_WEBHOOK_ALLOW_PRIVATE=true to allow it"
        );
        assert_eq!(
            check_url(&DENY, "ftp://x/").unwrap_err().to_string(),
            "request_url must use http or https (it uses ftp)"
        );
    }

    #[test]
    fn check_url_accepts() {
        for raw in [
            "https://example.com/hooks?token=abc",
            "http://example.com:8080/",
            "https://8.8.8.8/",
            "https://[2606:4700:4700::1111]/",
            "http://localhost:3000/", // a name: judged once resolved
        ] {
            assert!(check_url(&DENY, raw).is_ok(), "{raw}");
        }
        for raw in [
            "http://127.0.0.1:3000/",
            "http://[::1]/",
            "http://10.0.0.5/",
        ] {
            assert!(check_url(&ALLOW, raw).is_ok(), "{raw}");
        }
    }

    #[tokio::test]
    async fn resolve_allowed_refuses_a_name_that_only_leads_inside() {
        let url = check_url(&DENY, "http://localhost:3000/").unwrap();
        let err = resolve_allowed(&DENY, &url).await.unwrap_err();
        assert!(
            matches!(&err, TargetError::ResolvesOnlyToForbidden { host, .. } if host == "localhost"),
            "{err:?}"
        );
        assert!(err.to_string().contains("127.0.0.1"), "{err}");

        let addrs = resolve_allowed(&ALLOW, &url).await.unwrap();
        assert!(addrs
            .iter()
            .all(|a| a.port() == 3000 && a.ip().is_loopback()));
        assert!(!addrs.is_empty());
    }

    #[tokio::test]
    async fn resolve_allowed_judges_literals_without_lookup() {
        let url = Url::parse("https://8.8.8.8/").unwrap();
        assert_eq!(
            resolve_allowed(&DENY, &url).await.unwrap(),
            ["8.8.8.8:443".parse::<SocketAddr>().unwrap()]
        );
        let url = Url::parse("http://10.0.0.5/").unwrap();
        assert_eq!(
            resolve_allowed(&DENY, &url).await.unwrap_err(),
            TargetError::Forbidden("10.0.0.5".parse().unwrap())
        );
    }

    #[tokio::test]
    async fn resolve_allowed_reports_a_name_that_does_not_resolve() {
        // .invalid is reserved never to resolve (RFC 6761).
        let url = Url::parse("https://no-such-host.invalid/").unwrap();
        let err = resolve_allowed(&DENY, &url).await.unwrap_err();
        assert!(matches!(err, TargetError::Unresolvable { .. }), "{err:?}");
    }
}
