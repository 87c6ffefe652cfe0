//! The app's command line: where its data is and how it meets peers (tests wire peers on
//! loopback with `--listen` and `--connect`), plus a `weft://` link to open.

use std::path::PathBuf;

use clap::Parser;
use weft_net::Multiaddr;

#[derive(Debug, Parser)]
#[command(name = "weft-app", version, about = "Weft on the desktop: your community's board, pledges and hours")]
pub struct Args {
    /// The data directory (default: your per-user data directory, the same as `weft`'s).
    #[arg(long, env = "WEFT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// An address to listen on (repeatable; default: every interface, a free TCP port and a
    /// free QUIC port).
    #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    pub listen: Vec<Multiaddr>,
    /// A peer to keep connected to (repeatable), where mDNS cannot find it.
    #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    pub connect: Vec<Multiaddr>,
    /// Do not look for peers on the local network with mDNS.
    #[arg(long)]
    pub no_mdns: bool,
    /// A `weft://` link to open (an invitation); handed to the window already running on this
    /// data directory, if there is one.
    #[arg(value_name = "LINK", value_parser = parse_link)]
    pub link: Option<String>,
}

fn parse_multiaddr(s: &str) -> Result<Multiaddr, String> {
    s.parse().map_err(|_| format!("'{s}' is not a network address: use e.g. /ip4/192.168.1.20/tcp/4001"))
}

fn parse_link(s: &str) -> Result<String, String> {
    if s.starts_with("weft://") && s.len() <= crate::link::MAX_LINK {
        Ok(s.to_owned())
    } else {
        Err(format!("'{s}' is not a Weft link: they start with weft://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_tests_and_links_pass() {
        let args = Args::try_parse_from([
            "weft-app",
            "--data-dir",
            "weft-data",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--connect",
            "/ip4/127.0.0.1/tcp/4001",
            "--connect",
            "/ip4/127.0.0.1/udp/4002/quic-v1",
            "weft://join/abc",
        ])
        .unwrap();
        assert_eq!(args.data_dir, Some(PathBuf::from("weft-data")));
        assert_eq!(args.listen.len(), 1);
        assert_eq!(args.connect.len(), 2);
        assert_eq!(args.link.as_deref(), Some("weft://join/abc"));
        assert!(Args::try_parse_from(["weft-app", "https://example.org"]).is_err());
        assert!(Args::try_parse_from(["weft-app", "--listen", "nowhere"]).is_err());
    }
}
