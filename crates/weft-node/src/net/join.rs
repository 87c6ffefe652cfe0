//! Invitations (they carry where to reach this peer) and joining with one (the sync engine
//! does the joining; this hands it the invitation and waits for the answer).

use tokio::sync::oneshot;

use super::Control;
use weft_core::CommunityId;

use crate::Node;
use crate::error::NodeError;

impl Node {
    /// Creates an invitation and the code and link that carry it.
    pub(crate) async fn invite(
        &self,
        community: Option<String>,
        uses: u32,
        hours: u32,
    ) -> Result<crate::api::Response, crate::error::ApiError> {
        if hours == 0 || hours > crate::api::INVITE_HOURS_MAX {
            let max = crate::api::INVITE_HOURS_MAX;
            return Err(NodeError::from(crate::error::Refusal::InviteHours { hours, max }).into());
        }
        let valid_for = i64::from(hours) * 3_600_000;
        let new = self.call(move |s| s.create_invite(community.as_deref(), uses, valid_for)).await??;
        let c = new.community;
        let community_name = self.call(move |s| s.people_view(c).map(|p| p.name.clone()).unwrap_or_default()).await?;
        let shared = self.shared_addresses().await;
        let code = weft_net::invite::InviteCode {
            invite: *new.invite.as_bytes(),
            secret: new.secret,
            community: Some(c),
            kind: weft_net::invite::CodeKind::Member,
            addresses: shared.clone(),
        };
        Ok(crate::api::Response::Invite(crate::api::InviteInfo {
            community: c,
            community_name,
            code: code.short(),
            link: code.link(),
            addresses: shared.iter().map(ToString::to_string).collect(),
            expires: new.expires,
            uses: new.uses,
        }))
    }

    /// Joins a community with an invitation: reaches a member (by the link's addresses or
    /// on the LAN), asks to be admitted, then syncs the community's documents from them.
    pub(crate) async fn join(&self, text: &str, name: Option<String>) -> Result<crate::api::Response, NodeError> {
        let code = weft_net::invite::InviteCode::parse(text)?;
        match code.kind {
            weft_net::invite::CodeKind::Member => {}
            weft_net::invite::CodeKind::Neighbour => return Err(crate::error::Refusal::NeighbourInviteToJoin.into()),
            weft_net::invite::CodeKind::Device => return Err(crate::error::Refusal::DeviceCodeToJoin.into()),
        }
        let link = self.net_link().ok_or_else(|| {
            NodeError::Network("joining needs the network: run `weft serve`, or `weft join` without it running".into())
        })?;
        let (reply, answer) = oneshot::channel();
        link.control.send(Control::Join { code, name, reply }).await.map_err(|_| NodeError::Stopped)?;
        let community = first(answer.await.map_err(|_| NodeError::Stopped)??)?;
        let info = self.call(move |s| s.community_info(community)).await??;
        Ok(crate::api::Response::Community(info))
    }
}

/// The one community a join or a link brings.
fn first(communities: Vec<CommunityId>) -> Result<CommunityId, NodeError> {
    communities.into_iter().next().ok_or_else(|| NodeError::Network("a peer answered without a community".into()))
}

impl Node {
    /// Creates a neighbour invitation for one of our communities: a code and a link.
    pub(crate) async fn neighbour_invite(
        &self,
        community: Option<String>,
        hours: u32,
    ) -> Result<crate::api::Response, crate::error::ApiError> {
        if hours == 0 || hours > crate::api::INVITE_HOURS_MAX {
            let max = crate::api::INVITE_HOURS_MAX;
            return Err(NodeError::from(crate::error::Refusal::InviteHours { hours, max }).into());
        }
        let valid_for = i64::from(hours) * 3_600_000;
        let new = self.call(move |s| s.create_neighbour_invite(community.as_deref(), valid_for)).await??;
        let c = new.community;
        let community_name = self.call(move |s| s.people_view(c).map(|p| p.name.clone()).unwrap_or_default()).await?;
        let shared = self.shared_addresses().await;
        let code = weft_net::invite::InviteCode {
            invite: *new.invite.as_bytes(),
            secret: new.secret,
            community: Some(c),
            kind: weft_net::invite::CodeKind::Neighbour,
            addresses: shared.clone(),
        };
        Ok(crate::api::Response::Invite(crate::api::InviteInfo {
            community: c,
            community_name,
            code: code.short(),
            link: code.link(),
            addresses: shared.iter().map(ToString::to_string).collect(),
            expires: new.expires,
            uses: 1,
        }))
    }

    /// Links one of our communities to the community of a neighbour invitation: reaches one
    /// of its members, which writes the link on its side; we write ours, and each side's
    /// commons comes over.
    pub(crate) async fn neighbour_accept(
        &self,
        community: Option<String>,
        text: &str,
    ) -> Result<crate::api::Response, NodeError> {
        let code = weft_net::invite::InviteCode::parse(text)?;
        let link = self.net_link().ok_or_else(|| {
            NodeError::Network("linking needs the network: run `weft serve`, or run this without it running".into())
        })?;
        let (reply, answer) = oneshot::channel();
        let ours = community.clone();
        link.control.send(Control::Link { code, community, reply }).await.map_err(|_| NodeError::Stopped)?;
        answer.await.map_err(|_| NodeError::Stopped)??;
        self.call(move |s| s.execute(crate::api::Request::Neighbours { community: ours })).await?
    }

    /// Our addresses worth putting in an invitation: loopback ones help nobody on another
    /// machine, so they go in only if there is nothing else (tests on one host).
    pub(super) async fn shared_addresses(&self) -> Vec<weft_net::Multiaddr> {
        let addresses = match self.net_link() {
            Some(link) => link.handle.addresses().await.unwrap_or_default(),
            None => Vec::new(),
        };
        let mut shared: Vec<weft_net::Multiaddr> = addresses.iter().filter(|a| !is_loopback(a)).cloned().collect();
        if shared.is_empty() {
            shared = addresses;
        }
        shared.truncate(weft_net::invite::MAX_ADDRESSES);
        shared
    }
}

fn is_loopback(a: &weft_net::Multiaddr) -> bool {
    a.iter().any(|p| match p {
        weft_net::multiaddr::Protocol::Ip4(ip) => ip.is_loopback(),
        weft_net::multiaddr::Protocol::Ip6(ip) => ip.is_loopback(),
        _ => false,
    })
}
