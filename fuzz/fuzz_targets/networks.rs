//! Checks that network lists parse without panicking and that each network contains its address.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use api_roles::NetworkList;
use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;

/// The longest error message a hostile list may produce.
const MAX_MESSAGE_LEN: usize = 300;

/// Addresses every list is asked about.
const PROBES: [IpAddr; 6] = [
    IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V4(Ipv4Addr::BROADCAST),
    IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
    IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped()),
];

/// Checks what a parsed list says about its own networks.
fn check(list: &NetworkList, entries: usize) {
    assert_eq!(list.networks().len(), entries);
    for net in list.networks() {
        assert!(list.contains(net.network()), "{net}");
        assert!(list.contains(net.broadcast()), "{net}");
        if let IpNet::V4(v4) = net {
            let mapped = IpAddr::V6(v4.network().to_ipv6_mapped());
            assert!(list.contains(mapped), "{net} as {mapped}");
        }
    }
    for probe in PROBES {
        let _ = list.contains(probe);
    }

    // Written out and read back, as a policy document does.
    let written: Vec<String> = list.networks().iter().map(ToString::to_string).collect();
    assert_eq!(
        NetworkList::parse(&written).as_ref(),
        Ok(list),
        "{written:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let entries: Vec<&str> = text.split(['\n', ',']).collect();
    match NetworkList::parse(&entries) {
        Ok(list) => check(&list, entries.len()),
        Err(err) => {
            let message = err.to_string();
            assert!(message.len() < MAX_MESSAGE_LEN, "{message}");
        }
    }
});
