//! Callback URLs and the addresses a webhook may reach (SPEC §8).
//!
//! This module holds the rules; resolving names and dialling live in the
//! webhook crate, which applies [`is_forbidden_ip`] to every address it
//! resolves, at request time and again at delivery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Longest accepted callback URL.
const MAX_URL_LEN: usize = 2048;

/// Host names that always mean "this machine" or a cloud metadata service.
const FORBIDDEN_HOSTS: &[&str] = &[
    "localhost",
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.internal",
    "metadata.packet.net",
    "metadata.tencentyun.com",
    "instance-data",
    "instance-data.ec2.internal",
];

/// How strict the rules are. `insecure` (the `allow_insecure_callbacks`
/// switch, for development and tests only) admits `http` and private targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallbackPolicy {
    pub insecure: bool,
}

/// Why a callback URL is refused. Each message names the problem; the API
/// prefixes it with the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("is not a valid absolute URL")]
    Unparsable,
    #[error("is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("must use https")]
    NotHttps,
    #[error("must not carry a user name or password")]
    UserInfo,
    #[error("must name a host")]
    NoHost,
    #[error("must not target `{0}`")]
    ForbiddenHost(String),
    #[error("must not target the private, loopback or reserved address {0}")]
    ForbiddenAddress(IpAddr),
    #[error("host `{0}` does not resolve")]
    Unresolvable(String),
    #[error("host `{host}` resolves to the private, loopback or reserved address {address}")]
    ResolvesToForbidden { host: String, address: IpAddr },
}

/// Where a parsed callback URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackHost {
    /// A literal address, already checked.
    Address(IpAddr),
    /// A name that must be resolved, and every address checked.
    Name(String),
}

/// A callback URL that passed the rules that need no network. Names still
/// need resolving and checking ([`check_resolved`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    url: Url,
    host: CallbackHost,
}

impl CallbackUrl {
    /// Parses with WHATWG rules, which normalise odd IPv4 spellings
    /// (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1` are all 127.0.0.1)
    /// before any check runs.
    pub fn parse(text: &str, policy: CallbackPolicy) -> Result<CallbackUrl, CallbackError> {
        if text.len() > MAX_URL_LEN {
            return Err(CallbackError::TooLong);
        }
        let url = Url::parse(text.trim()).map_err(|_| CallbackError::Unparsable)?;
        match url.scheme() {
            "https" => {}
            "http" if policy.insecure => {}
            _ => return Err(CallbackError::NotHttps),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CallbackError::UserInfo);
        }
        let host = match url.host() {
            None => return Err(CallbackError::NoHost),
            Some(Host::Ipv4(v4)) => CallbackHost::Address(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => CallbackHost::Address(IpAddr::V6(v6)),
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    return Err(CallbackError::NoHost);
                }
                if !policy.insecure && is_forbidden_name(&name) {
                    return Err(CallbackError::ForbiddenHost(name));
                }
                CallbackHost::Name(name)
            }
        };
        if let CallbackHost::Address(ip) = host
            && !policy.insecure
            && is_forbidden_ip(ip)
        {
            return Err(CallbackError::ForbiddenAddress(ip));
        }
        Ok(CallbackUrl { url, host })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn host(&self) -> &CallbackHost {
        &self.host
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(443)
    }
}

fn is_forbidden_name(name: &str) -> bool {
    FORBIDDEN_HOSTS.contains(&name) || name.ends_with(".localhost")
}

/// Checks the addresses a name resolved to: all must be allowed (one bad
/// address is enough to refuse, since a client may be handed any of them).
pub fn check_resolved(
    host: &str,
    addresses: &[IpAddr],
    policy: CallbackPolicy,
) -> Result<(), CallbackError> {
    if addresses.is_empty() {
        return Err(CallbackError::Unresolvable(host.to_owned()));
    }
    if policy.insecure {
        return Ok(());
    }
    match addresses.iter().find(|ip| is_forbidden_ip(**ip)) {
        Some(address) => Err(CallbackError::ResolvesToForbidden {
            host: host.to_owned(),
            address: *address,
        }),
        None => Ok(()),
    }
}

/// True for every address a webhook must never reach: private, loopback,
/// link-local, shared (CGNAT), documentation, benchmarking, multicast,
/// reserved, cloud metadata — and IPv6 forms that embed such an IPv4 address
/// (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    const RANGES: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network"
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // shared address space (CGNAT; Alibaba metadata 100.100.100.200)
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local (cloud metadata 169.254.169.254)
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // TEST-NET-1
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // TEST-NET-2
        ([203, 0, 113, 0], 24),  // TEST-NET-3
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, broadcast
    ];
    RANGES.iter().any(|(net, prefix)| in_v4(ip, *net, *prefix))
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    (u128::from(ip) & mask) == (u128::from(net) & mask)
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    let embedded_v4 = |shift: u32| Ipv4Addr::from((bits >> shift) as u32);
    // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64): judged by the
    // IPv4 address inside.
    if in_v6(ip, Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96)
        || in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)
    {
        return is_forbidden_v4(embedded_v4(0));
    }
    // 6to4 (2002:a.b.c.d::/48) embeds the IPv4 address in bits 16–48.
    if in_v6(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) && is_forbidden_v4(embedded_v4(80))
    {
        return true;
    }
    const RANGES: &[(Ipv6Addr, u32)] = &[
        (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96), // ::, ::1, IPv4-compatible (deprecated)
        (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48), // local-use NAT64
        (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64), // discard-only
        (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
        (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7), // unique local
        (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10), // link-local
        (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10), // site-local (deprecated)
        (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8), // multicast
    ];
    RANGES.iter().any(|(net, prefix)| in_v6(ip, *net, *prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: CallbackPolicy = CallbackPolicy { insecure: false };

    fn refused(url: &str) -> CallbackError {
        CallbackUrl::parse(url, STRICT).expect_err(url)
    }

    #[test]
    fn odd_ipv4_spellings_are_normalised_then_refused() {
        for url in [
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://0x7f000001/",
            "https://017700000001/",
            "https://127.0.0.1./",
        ] {
            assert_eq!(
                refused(url),
                CallbackError::ForbiddenAddress("127.0.0.1".parse().unwrap()),
                "{url}"
            );
        }
    }

    #[test]
    fn embedded_ipv4_in_ipv6_is_judged_by_the_ipv4() {
        for url in [
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[64:ff9b::10.0.0.1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[2002:c0a8:0101::1]/",
            "https://[::127.0.0.1]/",
        ] {
            assert!(
                matches!(refused(url), CallbackError::ForbiddenAddress(_)),
                "{url}"
            );
        }
        // Embedding a public address is fine.
        assert!(CallbackUrl::parse("https://[::ffff:8.8.8.8]/", STRICT).is_ok());
        assert!(CallbackUrl::parse("https://[64:ff9b::808:808]/", STRICT).is_ok());
    }

    #[test]
    fn scheme_user_info_and_names() {
        assert_eq!(refused("http://example.com/"), CallbackError::NotHttps);
        assert_eq!(refused("ftp://example.com/"), CallbackError::NotHttps);
        assert_eq!(
            refused("https://user:pw@example.com/"),
            CallbackError::UserInfo
        );
        assert_eq!(
            refused("https://user@example.com/"),
            CallbackError::UserInfo
        );
        assert_eq!(refused("not a url"), CallbackError::Unparsable);
        assert_eq!(refused("/relative/path"), CallbackError::Unparsable);
        for host in [
            "localhost",
            "api.localhost",
            "LOCALHOST.",
            "metadata.google.internal",
            "metadata",
            "instance-data",
        ] {
            assert!(
                matches!(
                    refused(&format!("https://{host}/x")),
                    CallbackError::ForbiddenHost(_)
                ),
                "{host}"
            );
        }
    }

    #[test]
    fn public_targets_pass() {
        for url in [
            "https://example.com/hooks/myqa",
            "https://hooks.example.org:8443/x?y=1",
            "https://8.8.8.8/",
            "https://[2606:4700:4700::1111]/hook",
        ] {
            assert!(CallbackUrl::parse(url, STRICT).is_ok(), "{url}");
        }
    }

    #[test]
    fn insecure_policy_admits_http_and_private_targets() {
        let insecure = CallbackPolicy { insecure: true };
        assert!(CallbackUrl::parse("http://127.0.0.1:8080/hook", insecure).is_ok());
        assert!(CallbackUrl::parse("http://localhost/hook", insecure).is_ok());
        assert_eq!(
            CallbackUrl::parse("http://u:p@127.0.0.1/", insecure).unwrap_err(),
            CallbackError::UserInfo
        );
        assert!(check_resolved("x", &["10.0.0.1".parse().unwrap()], insecure).is_ok());
    }

    #[test]
    fn resolved_addresses_must_all_be_public() {
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(check_resolved("a.example", &[public], STRICT).is_ok());
        assert_eq!(
            check_resolved("a.example", &[public, private], STRICT),
            Err(CallbackError::ResolvesToForbidden {
                host: "a.example".into(),
                address: private
            })
        );
        assert_eq!(
            check_resolved("a.example", &[], STRICT),
            Err(CallbackError::Unresolvable("a.example".into()))
        );
    }
}
