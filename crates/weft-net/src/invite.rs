//! Invitation codes and links: what a newcomer needs to find a member and prove the
//! invitation.
//!
//! - The **short code** (`abcdef-ghijkl-…`, 48 characters) holds the invitation's id and
//!   secret and a checksum against typos. It is enough on a LAN, where mDNS finds members.
//! - The **link** (`weft://join/<code>?c=<community>&k=neighbour&a=<address>…`) adds the
//!   community, what the invitation is for (`k=neighbour`: linking another community, not
//!   joining as a member; `k=device`: linking another computer of the same member; left out
//!   for a member's) and the inviter's addresses, for joining across the internet.
//!
//! Both are typed or pasted by people, so parsing is strict and every failure says what is
//! wrong.

use libp2p::Multiaddr;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use weft_core::id::{CommunityId, decode, encode};

const SCHEME: &str = "weft://join/";
/// At most this many addresses in a link.
pub const MAX_ADDRESSES: usize = 8;

/// A parsed invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCode {
    pub invite: [u8; 12],
    pub secret: [u8; 16],
    pub community: Option<CommunityId>,
    /// What the code is for, as the link says (a short code alone says nothing: the command
    /// it is typed into does).
    pub kind: CodeKind,
    pub addresses: Vec<Multiaddr>,
}

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodeKind {
    /// Joining a community as a member.
    #[default]
    Member,
    /// Linking another community as a neighbour.
    Neighbour,
    /// Linking another computer of the same member (a pairing code, minutes long).
    Device,
}

/// Why an invitation could not be read. In the API each is a `kind` of its own with its
/// values (`invite_code_length`, …), for front ends that word it in the member's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InviteError {
    #[error("an invitation code has 48 letters and digits (dashes optional); this one has {len}")]
    #[serde(rename = "invite_code_length")]
    Length { len: usize },
    #[error("the invitation code has characters that are not in Weft's alphabet (a–z, 2–7)")]
    #[serde(rename = "invite_code_alphabet")]
    Alphabet,
    #[error("the invitation code has a typo (its checksum does not match)")]
    #[serde(rename = "invite_code_checksum")]
    Checksum,
    #[error("the link's community '{community}' is not a community id")]
    #[serde(rename = "invite_link_community")]
    Community { community: String },
    #[error("the link's address '{address}' is not a network address")]
    #[serde(rename = "invite_link_address")]
    Address { address: String },
    #[error("the link has more than {max} addresses")]
    #[serde(rename = "invite_link_too_many_addresses")]
    TooManyAddresses { max: usize },
    #[error("the link has an unknown part '{part}'")]
    #[serde(rename = "invite_link_unknown_part")]
    UnknownPart { part: String },
}

fn checksum(body: &[u8]) -> [u8; 2] {
    let d = Sha256::digest([b"weft/invite-code/v1".as_slice(), body].concat());
    [d[0], d[1]]
}

impl InviteCode {
    /// The short code, in groups of six for reading aloud.
    pub fn short(&self) -> String {
        let mut bytes = Vec::with_capacity(30);
        bytes.extend_from_slice(&self.invite);
        bytes.extend_from_slice(&self.secret);
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        let text = encode(&bytes);
        text.as_bytes().chunks(6).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
    }

    /// The `weft://` link: the code, the community and where to reach the inviter.
    pub fn link(&self) -> String {
        let mut out = format!("{SCHEME}{}", self.short().replace('-', ""));
        let mut sep = '?';
        if let Some(c) = &self.community {
            out.push_str(&format!("{sep}c={c}"));
            sep = '&';
        }
        let kind = match self.kind {
            CodeKind::Member => None,
            CodeKind::Neighbour => Some("neighbour"),
            CodeKind::Device => Some("device"),
        };
        if let Some(kind) = kind {
            out.push_str(&format!("{sep}k={kind}"));
            sep = '&';
        }
        for a in self.addresses.iter().take(MAX_ADDRESSES) {
            out.push_str(&format!("{sep}a={a}"));
            sep = '&';
        }
        out
    }

    /// Reads a short code or a link.
    pub fn parse(text: &str) -> Result<Self, InviteError> {
        let text = text.trim();
        let (code, query) = match text.strip_prefix(SCHEME) {
            Some(rest) => match rest.split_once('?') {
                Some((code, query)) => (code, Some(query)),
                None => (rest, None),
            },
            None => (text, None),
        };
        let compact: String = code.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect();
        let compact = compact.to_ascii_lowercase();
        if compact.len() != 48 {
            return Err(InviteError::Length { len: compact.len() });
        }
        let bytes: [u8; 30] = decode(&compact).ok_or(InviteError::Alphabet)?;
        if checksum(&bytes[..28]) != bytes[28..] {
            return Err(InviteError::Checksum);
        }
        let mut invite = [0u8; 12];
        invite.copy_from_slice(&bytes[..12]);
        let mut secret = [0u8; 16];
        secret.copy_from_slice(&bytes[12..28]);
        let mut out = Self { invite, secret, community: None, kind: CodeKind::Member, addresses: Vec::new() };
        for part in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some(("c", c)) => {
                    out.community = Some(c.parse().map_err(|_| InviteError::Community { community: c.to_owned() })?);
                }
                Some(("k", "neighbour")) => out.kind = CodeKind::Neighbour,
                Some(("k", "member")) => out.kind = CodeKind::Member,
                Some(("k", "device")) => out.kind = CodeKind::Device,
                Some(("a", a)) => {
                    if out.addresses.len() >= MAX_ADDRESSES {
                        return Err(InviteError::TooManyAddresses { max: MAX_ADDRESSES });
                    }
                    out.addresses.push(a.parse().map_err(|_| InviteError::Address { address: a.to_owned() })?);
                }
                _ => return Err(InviteError::UnknownPart { part: part.chars().take(40).collect() }),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_neighbour_link_says_so_and_a_member_link_does_not() {
        let member = sample();
        assert!(!member.link().contains("k="));
        let neighbour = InviteCode { kind: CodeKind::Neighbour, ..sample() };
        let link = neighbour.link();
        assert!(link.contains("&k=neighbour&"), "{link}");
        assert_eq!(InviteCode::parse(&link).unwrap(), neighbour);
        assert_eq!(InviteCode::parse(&member.link()).unwrap(), member);
        assert!(matches!(
            InviteCode::parse(&link.replace("k=neighbour", "k=other")),
            Err(InviteError::UnknownPart { .. })
        ));
    }

    fn sample() -> InviteCode {
        InviteCode {
            invite: [3; 12],
            secret: [9; 16],
            community: Some(CommunityId::from_bytes([1; 16])),
            kind: CodeKind::Member,
            addresses: vec![
                "/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE".parse().unwrap(),
            ],
        }
    }

    #[test]
    fn codes_and_links_round_trip() {
        let code = sample();
        let short = code.short();
        assert_eq!(short.len(), 48 + 7);
        let parsed = InviteCode::parse(&short).unwrap();
        assert_eq!((parsed.invite, parsed.secret), (code.invite, code.secret));
        assert_eq!(InviteCode::parse(&code.link()).unwrap(), code);
        assert_eq!(InviteCode::parse(&format!("  {}  ", short.to_uppercase())).unwrap().secret, code.secret);
    }

    #[test]
    fn mistakes_are_named() {
        let short = sample().short();
        let mut typo: Vec<char> = short.chars().collect();
        typo[3] = if typo[3] == 'a' { 'b' } else { 'a' };
        let typo: String = typo.into_iter().collect();
        assert_eq!(InviteCode::parse(&typo), Err(InviteError::Checksum));
        assert_eq!(InviteCode::parse("abc"), Err(InviteError::Length { len: 3 }));
        assert_eq!(InviteCode::parse(&"1".repeat(48)), Err(InviteError::Alphabet));
        let link = format!("weft://join/{}?a=not-an-address", short);
        assert_eq!(InviteCode::parse(&link), Err(InviteError::Address { address: "not-an-address".into() }));
        let link = format!("weft://join/{}?x=1", short);
        assert!(matches!(InviteCode::parse(&link), Err(InviteError::UnknownPart { .. })));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = InviteCode::parse(&s);
            let _ = InviteCode::parse(&format!("weft://join/{s}"));
        }

        #[test]
        fn arbitrary_links_never_panic(code in "[a-z2-7-]{40,60}", q in "[a-z0-9=&/?.]{0,120}") {
            let _ = InviteCode::parse(&format!("weft://join/{code}?{q}"));
        }
    }
}
