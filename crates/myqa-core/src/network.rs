//! Addresses and networks: key allowlists, trusted proxies, and finding the
//! client's address behind them (SPEC §3).
//!
//! Every address is canonicalised first, so an IPv4 client reaching a
//! dual-stack socket as `::ffff:203.0.113.7` matches an allowlist entry
//! `203.0.113.7`, and an entry written in mapped form matches plain IPv4.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

/// `::ffff:a.b.c.d` → `a.b.c.d`; every other address unchanged.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// A network written in IPv4-mapped IPv6 form (`::ffff:10.0.0.0/104`) becomes
/// the IPv4 network it denotes (`10.0.0.0/8`).
fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && v6.prefix_len() >= 96
    {
        return IpNet::V4(Ipv4Net::new(v4, v6.prefix_len() - 96).expect("prefix ≤ 32"));
    }
    net
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidNetwork {
    #[error("`{0}` is not an IP address or CIDR range")]
    Unparsable(String),
    #[error("`{given}` has host bits set; the range is written `{network}`")]
    HostBitsSet { given: String, network: IpNet },
}

/// Parses `203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32` or `::ffff:10.0.0.1`.
pub fn parse_network(text: &str) -> Result<IpNet, InvalidNetwork> {
    let text = text.trim();
    let net = if text.contains('/') {
        let net: IpNet = text
            .parse()
            .map_err(|_| InvalidNetwork::Unparsable(text.to_owned()))?;
        if net.trunc() != net {
            return Err(InvalidNetwork::HostBitsSet {
                given: text.to_owned(),
                network: net.trunc(),
            });
        }
        net
    } else {
        let ip: IpAddr = text
            .parse()
            .map_err(|_| InvalidNetwork::Unparsable(text.to_owned()))?;
        IpNet::from(ip)
    };
    Ok(canonical_net(net))
}

/// A list of canonical networks. As a key allowlist, empty means "any address".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct NetworkList(Vec<IpNet>);

impl NetworkList {
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, InvalidNetwork> {
        let mut nets = Vec::with_capacity(entries.len());
        for entry in entries {
            let net = parse_network(entry.as_ref())?;
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Allowlist semantics: an empty list admits everyone.
    pub fn admits(&self, ip: IpAddr) -> bool {
        self.is_empty() || self.contains(ip)
    }
}

impl TryFrom<Vec<String>> for NetworkList {
    type Error = InvalidNetwork;

    fn try_from(value: Vec<String>) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NetworkList> for Vec<String> {
    fn from(value: NetworkList) -> Self {
        value.0.iter().map(display_net).collect()
    }
}

/// Single addresses print without their `/32` or `/128`.
fn display_net(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

impl std::fmt::Display for NetworkList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(display_net).collect();
        f.write_str(&parts.join(","))
    }
}

/// One `X-Forwarded-For` hop: an address, optionally with a port
/// (`198.51.100.4:5123`, `[2001:db8::1]:443`) as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical_ip)
}

/// The address a request comes from: the TCP peer, unless the peer is a trusted
/// proxy, in which case the right-most `X-Forwarded-For` hop that is not itself
/// a trusted proxy. An unparsable hop ends the walk: what lies left of it cannot
/// be trusted, so the answer falls back to the peer (which, being a proxy,
/// matches no customer's allowlist).
pub fn client_ip<'a>(
    peer: IpAddr,
    trusted_proxies: &NetworkList,
    forwarded_for: impl IntoIterator<Item = &'a str>,
) -> IpAddr {
    let peer = canonical_ip(peer);
    if !trusted_proxies.contains(peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|header| header.split(','))
        .filter(|hop| !hop.trim().is_empty())
        .collect();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted_proxies.contains(ip) => continue,
            Some(ip) => return ip,
            None => return peer,
        }
    }
    peer
}

/// The unspecified IPv4 address, for places that need a placeholder peer.
pub const UNSPECIFIED: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn mapped_addresses_and_networks_are_canonical() {
        let list = NetworkList::parse(&["::ffff:10.0.0.0/104", "::ffff:192.0.2.7"]).unwrap();
        assert_eq!(list.to_string(), "10.0.0.0/8,192.0.2.7");
        assert!(list.contains(ip("10.1.2.3")));
        assert!(list.contains(ip("::ffff:10.1.2.3")));
        assert!(list.contains(ip("192.0.2.7")));
        assert!(!list.contains(ip("192.0.2.8")));
    }

    #[test]
    fn ipv6_ranges_match() {
        let list = NetworkList::parse(&["2001:db8::/32"]).unwrap();
        assert!(list.contains(ip("2001:db8:1::5")));
        assert!(!list.contains(ip("2001:db9::1")));
    }

    #[test]
    fn bad_entries_are_named() {
        assert_eq!(
            NetworkList::parse(&["10.0.0.1/8"]).unwrap_err().to_string(),
            "`10.0.0.1/8` has host bits set; the range is written `10.0.0.0/8`"
        );
        assert_eq!(
            NetworkList::parse(&["localhost"]).unwrap_err().to_string(),
            "`localhost` is not an IP address or CIDR range"
        );
    }

    #[test]
    fn empty_allowlist_admits_everyone() {
        assert!(NetworkList::default().admits(ip("203.0.113.9")));
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let none = NetworkList::default();
        assert_eq!(
            client_ip(ip("198.51.100.1"), &none, ["10.0.0.1"]),
            ip("198.51.100.1")
        );
        let proxies = NetworkList::parse(&["10.0.0.0/8"]).unwrap();
        assert_eq!(
            client_ip(ip("198.51.100.1"), &proxies, ["10.0.0.1"]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn forwarded_for_from_trusted_proxies_gives_rightmost_untrusted_hop() {
        let proxies = NetworkList::parse(&["10.0.0.0/8", "::1"]).unwrap();
        let peer = ip("10.0.0.2");
        assert_eq!(
            client_ip(peer, &proxies, ["203.0.113.5"]),
            ip("203.0.113.5")
        );
        // A client-supplied left part cannot win over the hop the proxy saw.
        assert_eq!(
            client_ip(peer, &proxies, ["1.1.1.1, 203.0.113.5, 10.0.0.9"]),
            ip("203.0.113.5")
        );
        // Several headers are one list, in order.
        assert_eq!(
            client_ip(peer, &proxies, ["1.1.1.1", "203.0.113.5:4711"]),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(ip("::1"), &proxies, ["::ffff:203.0.113.5"]),
            ip("203.0.113.5")
        );
        // Nothing usable: the peer.
        assert_eq!(client_ip(peer, &proxies, std::iter::empty()), peer);
        assert_eq!(client_ip(peer, &proxies, ["1.1.1.1, garbage"]), peer);
        assert_eq!(client_ip(peer, &proxies, ["10.0.0.7"]), peer);
    }
}
