//! [`NetworkList`]: client networks a credential or policy accepts.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::{PolicyError, shown};

/// The most networks one allow-list may hold.
pub const MAX_NETWORKS: usize = 1024;

/// A list of IPv4 and IPv6 networks in CIDR form that client addresses must
/// come from.
///
/// An IPv4 address and its IPv4-mapped IPv6 form (`10.0.0.1` and
/// `::ffff:10.0.0.1`) are the same address: either matches a network written
/// in either form, so `::/0` accepts IPv4 clients too. An empty list accepts
/// no address.
///
/// # Example
///
/// ```
/// use api_roles::NetworkList;
///
/// let list = NetworkList::parse(["10.0.0.0/8", "2001:db8::/32"])?;
/// assert!(list.contains("10.1.2.3".parse()?));
/// assert!(list.contains("::ffff:10.1.2.3".parse()?));
/// assert!(list.contains("2001:db8::1".parse()?));
/// assert!(!list.contains("192.0.2.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct NetworkList(Box<[IpNet]>);

impl NetworkList {
    /// Parses networks in CIDR form; a bare address is a network of one.
    ///
    /// # Errors
    ///
    /// Returns [`PolicyError::InvalidNetwork`] naming the first entry that is
    /// not a network, with its place (`networks[2]`), and
    /// [`PolicyError::TooManyNetworks`] for more than [`MAX_NETWORKS`].
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{NetworkList, PolicyError};
    ///
    /// let err = NetworkList::parse(["10.0.0.0/8", "10.0.0.0/33"]).unwrap_err();
    /// assert_eq!(err.to_string(), "networks[1]: invalid network `10.0.0.0/33`");
    /// ```
    pub fn parse<I>(networks: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut out = Vec::new();
        for (i, text) in networks.into_iter().enumerate() {
            if i >= MAX_NETWORKS {
                return Err(PolicyError::TooManyNetworks { max: MAX_NETWORKS });
            }
            let text = text.as_ref();
            let net = match text.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => match text.parse::<IpAddr>() {
                    Ok(addr) => IpNet::from(addr),
                    Err(_) => {
                        return Err(PolicyError::InvalidNetwork {
                            at: format!("networks[{i}]"),
                            input: shown(text),
                        });
                    }
                },
            };
            out.push(canonical(net).trunc());
        }
        Ok(Self(out.into()))
    }

    /// Returns whether `addr` lies in one of the networks.
    ///
    /// # Example
    ///
    /// See [`NetworkList`].
    pub fn contains(&self, addr: IpAddr) -> bool {
        let canonical = addr.to_canonical();
        let mapped = match canonical {
            IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
            IpAddr::V6(_) => None,
        };
        self.0
            .iter()
            .any(|net| net.contains(&canonical) || mapped.is_some_and(|m| net.contains(&m)))
    }

    /// Returns the networks.
    ///
    /// # Example
    ///
    /// ```
    /// let list = api_roles::NetworkList::parse(["10.0.0.7/8"])?;
    /// assert_eq!(list.networks()[0].to_string(), "10.0.0.0/8");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }
}

/// Writes an IPv4-mapped IPv6 network (`::ffff:192.0.2.0/120`) as the IPv4
/// network it is, since client addresses are compared in their IPv4 form.
fn canonical(net: IpNet) -> IpNet {
    let IpNet::V6(v6) = net else {
        return net;
    };
    match v6.addr().to_ipv4_mapped() {
        Some(v4) if v6.prefix_len() >= 96 => {
            ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4)
        }
        _ => net,
    }
}

impl fmt::Debug for NetworkList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(ToString::to_string))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_both_families() {
        let list = NetworkList::parse(["192.0.2.0/24", "2001:db8::/48", "198.51.100.7"]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(list.contains(ip("192.0.2.255")));
        assert!(!list.contains(ip("192.0.3.0")));
        assert!(list.contains(ip("2001:db8:0:ffff::1")));
        assert!(!list.contains(ip("2001:db8:1::1")));
        assert!(list.contains(ip("198.51.100.7")));
        assert!(!list.contains(ip("198.51.100.8")));
        assert!(!NetworkList::default().contains(ip("127.0.0.1")));
        let mapped = NetworkList::parse(["::ffff:192.0.2.0/120"]).unwrap();
        assert!(mapped.contains(ip("192.0.2.7")));
        assert!(mapped.contains(ip("::ffff:192.0.2.7")));
        assert!(!mapped.contains(ip("192.0.3.7")));
        assert_eq!(mapped.networks()[0].to_string(), "192.0.2.0/24");
    }

    #[test]
    fn bad_networks_are_refused_with_their_place() {
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0/8",
            "fe80::/129",
            "host.example",
            "10.0.0.0/8 ",
        ] {
            let err = NetworkList::parse(["::1", bad]).unwrap_err();
            assert!(matches!(&err, PolicyError::InvalidNetwork { at, .. } if at == "networks[1]"));
        }
        let many = vec!["10.0.0.1"; MAX_NETWORKS + 1];
        assert!(matches!(
            NetworkList::parse(many),
            Err(PolicyError::TooManyNetworks { .. })
        ));
    }
}
