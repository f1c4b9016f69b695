//! Who is asking: the client address for login throttling, the audit log and the API's rate
//! limits — the one way every part of the site finds it.
//!
//! The peer of the TCP connection is the client, unless it is one of the configured
//! `trusted_proxies` (a load balancer, a TLS terminator). Then `X-Forwarded-For` is read from
//! its end: each trusted proxy appends the address it received from, so the first address from
//! the right that is not itself a trusted proxy is the client. Entries further left are
//! whatever the client sent, and are never believed. An address from an untrusted peer's
//! header is ignored altogether, so nobody can dodge a lock by sending the header.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

use crate::AppState;

/// The proxies whose `X-Forwarded-For` is believed, as address ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl Default for TrustedProxies {
    /// Loopback: a reverse proxy on the same host.
    fn default() -> Self {
        Self(vec![
            IpNet::from_str("127.0.0.0/8").unwrap_or_default(),
            IpNet::from_str("::1/128").unwrap_or_default(),
        ])
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated ranges (`10.0.0.0/8, 192.0.2.7`); a bare address is a range of one;
    /// an empty text trusts nobody.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                IpNet::from_str(part)
                    .or_else(|_| IpAddr::from_str(part).map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "`{part}` is not an address or a range; write ranges such as \
                             10.0.0.0/8 or 192.0.2.7, separated by commas"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer, or when the peer is trusted, the rightmost address in
    /// `X-Forwarded-For` that is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        if !self.trusts(peer) {
            return client;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            // A garbled entry ends what can be believed: the last good address stands.
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The client's address as text ("unknown" when the server was started without connection
/// info, as in router tests).
pub(crate) fn address(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> String {
    extensions.get::<ConnectInfo<SocketAddr>>().map_or_else(
        || "unknown".to_owned(),
        |peer| {
            state
                .config()
                .trusted_proxies
                .client(peer.0.ip(), headers)
                .to_string()
        },
    )
}

/// The client's address as an extractor, for login throttling and the audit log.
pub(crate) struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(address(state, &parts.extensions, &parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer_and_only_from_its_end() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse().unwrap();
        let forged = headers(&["203.0.113.9, 198.51.100.4"]);
        // An untrusted peer's header is ignored.
        assert_eq!(
            trusted.client(ip("198.51.100.20"), &forged),
            ip("198.51.100.20")
        );
        // Through one trusted proxy: the entry it appended.
        assert_eq!(trusted.client(ip("192.0.2.7"), &forged), ip("198.51.100.4"));
        // Through two: the proxy hop is skipped, the forged entry before the client's is not
        // believed.
        let chained = headers(&["203.0.113.9", "198.51.100.4, 10.1.2.3"]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &chained), ip("198.51.100.4"));
        // No header, or garbage: the peer (or the last good hop).
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &headers(&[])),
            ip("10.0.0.5")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &headers(&["nonsense"])),
            ip("10.0.0.5")
        );
        // IPv4 peers seen as IPv6-mapped addresses are matched as IPv4.
        assert_eq!(
            trusted.client(ip("::ffff:10.0.0.5"), &forged),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn the_default_trusts_loopback_and_an_empty_setting_nobody() {
        let forged = headers(&["203.0.113.9"]);
        let default = TrustedProxies::default();
        assert_eq!(default.client(ip("127.0.0.1"), &forged), ip("203.0.113.9"));
        assert_eq!(default.client(ip("::1"), &forged), ip("203.0.113.9"));
        let nobody: TrustedProxies = "".parse().unwrap();
        assert_eq!(nobody.client(ip("127.0.0.1"), &forged), ip("127.0.0.1"));
        let bad = "10.0.0.0/8, proxy.internal".parse::<TrustedProxies>();
        assert!(bad.unwrap_err().contains("proxy.internal"));
    }
}
