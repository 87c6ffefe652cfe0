//! Neighbouring communities on the state thread: neighbour invitations and linking, the
//! directory, calls (by hand and by escalation), visitors' pledges and hours, offers and
//! needs.

use std::collections::BTreeSet;

use automerge::ReadDoc;
use tracing::info;
use weft_core::doc::commons::{self, CommonsView, Link, NoticeKind};
use weft_core::doc::{DocId, DocName};
use weft_core::id::{InviteId, NoticeId, ReplyId};
use weft_core::model::PledgeState;
use weft_core::roster::{Evidence, Roster, evidence_of};
use weft_core::verify::parse_change;
use weft_core::{CommunityId, DeviceId, EntryId, Minutes, Timestamp};
use weft_net::wire::{LinkRequest, Refusal, RefusalCode, WireChange};

use super::State;
use crate::api::{
    CallInfo, NeighbourInfo, NeighboursInfo, NoticeInfo, NoticeKindInput, ReplyInfo, Response, VisitorInfo,
};
use crate::error::NodeError;
use crate::sync::Input;

/// What a member changes of how the community describes itself (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub(crate) struct DirectorySet {
    pub about: Option<String>,
    pub location: Option<String>,
    pub languages: Option<String>,
    pub hosts: Option<u64>,
    pub escalate_after_hours: Option<u32>,
}

/// A new neighbour invitation, before the node adds where to reach it.
#[derive(Debug, Clone)]
pub(crate) struct NewNeighbourInvite {
    pub community: CommunityId,
    pub invite: InviteId,
    pub secret: [u8; 16],
    pub expires: Timestamp,
}

fn kind_of(k: NoticeKindInput) -> NoticeKind {
    match k {
        NoticeKindInput::Offer => NoticeKind::Offer,
        NoticeKindInput::Need => NoticeKind::Need,
    }
}

/// Reads roster evidence from the wire and proves from it that `device` is a current member of
/// `community`.
pub(crate) fn prove_member(
    community: CommunityId,
    device: &DeviceId,
    evidence: &[WireChange],
) -> Result<Roster, String> {
    let evidence: Vec<Evidence> = evidence
        .iter()
        .filter_map(|w| {
            Some(Evidence {
                change: parse_change(&w.bytes).ok()?,
                signature: weft_core::identity::ChangeSignature(w.signature?),
            })
        })
        .collect();
    let founding = evidence
        .iter()
        .find(|e| CommunityId::from_genesis_hash(&e.change.hash()) == community)
        .ok_or("the roster evidence lacks the community's founding change")?;
    let (roster, _) = Roster::read(community, founding, &evidence).map_err(|e| e.to_string())?;
    if roster.member_of_device(device).is_none() {
        return Err("the roster evidence does not show the asking device as a current member".into());
    }
    Ok(roster)
}

impl State {
    /// Our community's roster evidence (founding, admissions, devices, removals), signed. A
    /// change that came here by sync may have no signature of its own in our store (a later
    /// change of its author's vouched for it): its signature is the one our commons' copy of
    /// the evidence holds, which the member who had it wrote there.
    pub(crate) fn roster_evidence(&mut self, c: CommunityId) -> Result<Vec<WireChange>, NodeError> {
        let copied: std::collections::HashMap<_, _> = {
            let doc = self.load_commons_doc(c)?.doc().ok_or(NodeError::Stopped)?;
            commons::evidence(doc.automerge()).iter().map(|e| (e.change.hash(), e.signature.0)).collect()
        };
        let hashes = evidence_of(&self.community(c)?.people);
        let sigs = self.store.signatures_of(DocId { community: c, name: DocName::People }, &hashes)?;
        let people = &self.community(c)?.people;
        Ok(hashes
            .iter()
            .zip(sigs)
            .filter_map(|(h, sig)| {
                let change = people.automerge().get_change_by_hash(h)?;
                let signature = sig.map(|s| s.0).or_else(|| copied.get(h).copied())?;
                Some(WireChange { bytes: change.raw_bytes().to_vec(), signature: Some(signature) })
            })
            .collect())
    }

    /// Who a neighbour's member behind a device is ("Bo, of Hills"), from the neighbour's
    /// roster: `weft peers` names neighbours so.
    pub(crate) fn neighbour_name_of_device(&mut self, c: CommunityId, device: &DeviceId) -> Option<String> {
        let roster = self.commons.get_mut(&c)?.roster()?;
        let member = roster.member_of_device(device)?;
        let name = roster.members.get(&member)?.name.clone();
        Some(format!("{name}, of {}", self.neighbour_name(c)))
    }

    /// Schedules tending our community's commons soon (after a jitter of this device's, so
    /// members who all notice the same change do not all write the same evidence).
    pub(crate) fn commons_due(&mut self, c: CommunityId) {
        if !self.communities.contains_key(&c) {
            return;
        }
        let jitter = self.identity.as_ref().map_or(0, |i| u64::from(i.identity.device().as_bytes()[0]) * 8);
        let at = self.clock.mono() + std::time::Duration::from_millis(200 + jitter);
        self.commons_due.entry(c).or_insert(at);
    }

    /// Looks at escalation again soon (a board changed).
    pub(crate) fn escalate_soon(&mut self) {
        let jitter = self.identity.as_ref().map_or(0, |i| u64::from(i.identity.device().as_bytes()[1]) * 8);
        let at = self.clock.mono() + std::time::Duration::from_millis(200 + jitter);
        if at < self.escalate_at {
            self.escalate_at = at;
        }
    }

    /// How long after tending failed it is tried again.
    const TEND_AGAIN_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

    /// Tends the commons and escalates where it is due by the clock.
    pub(crate) fn run_commons_due(&mut self) {
        let now = self.clock.mono();
        let due: Vec<CommunityId> = self.commons_due.iter().filter(|(_, at)| **at <= now).map(|(c, _)| *c).collect();
        for c in due {
            self.commons_due.remove(&c);
            if let Err(e) = self.tend_commons(c) {
                // Tried again later: nothing else asks for it until the next people change, and
                // until our evidence is written, peers' own tending may wait on it (a full disk
                // that is freed must not leave the commons stuck).
                tracing::warn!(%e, community = %c.short(), "could not tend the commons; trying again in a while");
                self.commons_due.insert(c, now + Self::TEND_AGAIN_AFTER);
            }
        }
        if self.escalate_at <= now && self.net.is_some() {
            self.escalate_all();
        }
    }

    /// When tending or escalation is next due.
    pub(crate) fn commons_next_due(&self) -> Option<crate::clock::Mono> {
        let tend = self.commons_due.values().min().copied();
        let escalate = self.net.is_some().then_some(self.escalate_at);
        tend.into_iter().chain(escalate).min()
    }

    /// Records a neighbour invitation in our commons.
    pub(crate) fn create_neighbour_invite(
        &mut self,
        community: Option<&str>,
        valid_for_ms: i64,
    ) -> Result<NewNeighbourInvite, NodeError> {
        let c = self.resolve_community(community)?;
        self.tend_commons(c)?;
        let expires = Timestamp(self.clock.now().millis().saturating_add(valid_for_ms));
        let invite = InviteId::random();
        let secret: [u8; 16] = weft_core::id::random_bytes();
        self.write_commons(c, |doc, w| doc.neighbour_invite(&w.me, invite, &secret, expires, w.now).map(Some))?;
        info!(community = %c.short(), "neighbour invitation created");
        Ok(NewNeighbourInvite { community: c, invite, secret, expires })
    }

    /// What a peer's link request asks of us: the asking device proves it is a member of its
    /// community, the invitation is one of our commons', and we write the link.
    pub(crate) fn link_by_invite(
        &mut self,
        device: DeviceId,
        link: LinkRequest,
    ) -> Result<(CommunityId, Vec<WireChange>), Refusal> {
        let bad = |code: RefusalCode, reason: String| Refusal { code, reason };
        let invite = InviteId::from_bytes(link.invite);
        let ours = self.community_ids();
        let mut found = None;
        for c in ours {
            if self.held(c).is_ok_and(|h| h.view().invites.contains_key(&invite)) {
                found = Some(c);
                break;
            }
        }
        let c = found
            .ok_or_else(|| bad(RefusalCode::BadInvite, "no community here knows this neighbour invitation".into()))?;
        if link.community == c {
            return Err(bad(RefusalCode::Invalid, "a community cannot be its own neighbour".into()));
        }
        prove_member(link.community, &device, &link.evidence).map_err(|e| bad(RefusalCode::NotAMember, e))?;
        let (id, secret, theirs) = (invite, link.secret, link.community);
        self.write_commons(c, |doc, w| doc.link_by_invite(&w.me, id, &secret, theirs, w.now))
            .map_err(|e| bad(RefusalCode::BadInvite, e.to_string()))?;
        self.introduce(theirs, device).map_err(|e| bad(RefusalCode::Internal, e.to_string()))?;
        self.commons_due(c);
        info!(community = %c.short(), neighbour = %theirs.short(), "linked a neighbour by invitation");
        let evidence = self.roster_evidence(c).map_err(|e| bad(RefusalCode::Internal, e.to_string()))?;
        Ok((c, evidence))
    }

    /// Notes a neighbour's device that proved its membership, and holds its community's
    /// commons (empty until it arrives from that device).
    fn introduce(&mut self, theirs: CommunityId, device: DeviceId) -> Result<(), NodeError> {
        self.sync.introduced.entry(device).or_default().insert(theirs);
        let new = !self.commons.contains_key(&theirs);
        self.ensure_commons(theirs)?;
        if new {
            self.net_input(Input::CommonsAdded(theirs));
        }
        Ok(())
    }

    /// Our side of a link a neighbour's member wrote for us.
    pub(crate) fn begin_link(
        &mut self,
        ours: CommunityId,
        theirs: CommunityId,
        device: DeviceId,
        evidence: Vec<WireChange>,
    ) -> Result<(), NodeError> {
        prove_member(theirs, &device, &evidence).map_err(NodeError::Network)?;
        self.introduce(theirs, device)?;
        let live = self.held(ours)?.view().links.get(&theirs).is_some_and(Link::is_live);
        if !live {
            self.write_commons(ours, |doc, w| doc.link(&w.me, theirs, w.now).map(Some))?;
        }
        self.commons_due(ours);
        info!(community = %ours.short(), neighbour = %theirs.short(), "linked to a neighbour");
        Ok(())
    }

    /// A link request for our community `c` with a neighbour invitation.
    pub(crate) fn link_request(
        &mut self,
        community: Option<&str>,
        code: &weft_net::invite::InviteCode,
    ) -> Result<LinkRequest, NodeError> {
        let c = self.resolve_community(community)?;
        if code.community == Some(c) {
            return Err(NodeError::Write("a community cannot be its own neighbour".into()));
        }
        self.tend_commons(c)?;
        Ok(LinkRequest { invite: code.invite, secret: code.secret, community: c, evidence: self.roster_evidence(c)? })
    }

    /// Resolves a neighbour of `c` by name or id prefix.
    fn resolve_neighbour(&mut self, c: CommunityId, reference: &str) -> Result<CommunityId, NodeError> {
        let r = reference.trim().to_lowercase();
        let links: Vec<CommunityId> = self.held(c)?.view().links.keys().copied().collect();
        let mut found = Vec::new();
        for l in links {
            let name = self.neighbour_name(l).to_lowercase();
            if name == r || (r.len() >= 4 && l.to_string().starts_with(&r)) {
                found.push(l);
            }
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(NodeError::NotFound(format!("no neighbour '{reference}'"))),
            _ => Err(NodeError::NotFound(format!("'{reference}' names several neighbours; use its id"))),
        }
    }

    fn neighbour_name(&mut self, c: CommunityId) -> String {
        if let Some(com) = self.communities.get_mut(&c) {
            return com.people().name.clone();
        }
        self.commons
            .get_mut(&c)
            .and_then(|h| h.view().directory.name.clone())
            .unwrap_or_else(|| format!("community {}", c.short()))
    }

    pub(super) fn neighbours(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let links: Vec<Link> = self.held(c)?.view().links.values().cloned().collect();
        let mut neighbours = Vec::new();
        for link in links {
            let linked_by = super::community::member_name(self.community(c)?.people(), &link.by);
            let name = self.neighbour_name(link.community);
            let (dir, open_calls, theirs_live, members) = match self.commons.get_mut(&link.community) {
                Some(held) => {
                    let roster = held.roster();
                    let has_founding = roster.is_some();
                    let members = roster.map_or(0, |r| r.members.values().filter(|m| !m.removed).count());
                    let view = held.view();
                    (
                        view.directory.clone(),
                        view.calls.values().filter(|c| c.open).count(),
                        has_founding.then(|| view.links.get(&c).is_some_and(Link::is_live)),
                        members,
                    )
                }
                None => Default::default(),
            };
            neighbours.push(NeighbourInfo {
                community: link.community,
                name,
                about: dir.about,
                location: dir.location,
                languages: dir.languages,
                hosts: dir.hosts,
                members: super::count(members),
                open_calls: super::count(open_calls),
                linked_by,
                linked_at: link.at,
                live: link.is_live(),
                theirs_live,
            });
        }
        let community_name = self.community(c)?.people().name.clone();
        Ok(Response::Neighbours(NeighboursInfo { community: c, community_name, neighbours }))
    }

    /// Sets how our community describes itself to its neighbours; answers with our
    /// neighbours (each of whom sees the entry).
    pub(super) fn set_directory(&mut self, community: Option<&str>, set: DirectorySet) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        self.tend_commons(c)?;
        let mut dir = self.held(c)?.view().directory.clone();
        if let Some(a) = set.about {
            dir.about = a;
        }
        if let Some(l) = set.location {
            dir.location = Some(l).filter(|l| !l.trim().is_empty());
        }
        if let Some(l) = set.languages {
            dir.languages = l;
        }
        if let Some(h) = set.hosts {
            dir.hosts = h;
        }
        if let Some(h) = set.escalate_after_hours {
            let max = commons::ESCALATE_AFTER_MAX;
            if !(1..=max).contains(&h) {
                return Err(NodeError::Write(format!(
                    "an urgent task can wait between 1 and {max} hours before the neighbours are asked; {h} is \
                     outside"
                )));
            }
            dir.escalate_after = Some(h);
        }
        self.write_commons(c, |doc, w| doc.set_directory(&w.me, &dir, w.now).map(Some))?;
        self.neighbours(Some(&c.to_string()))
    }

    pub(super) fn end_neighbour(&mut self, community: Option<&str>, neighbour: &str) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let other = self.resolve_neighbour(c, neighbour)?;
        self.write_commons(c, |doc, w| doc.end_link(&w.me, other, w.now).map(Some))?;
        // A new commons key, sealed to everyone but them.
        self.tend_commons(c)?;
        info!(community = %c.short(), neighbour = %other.short(), "link ended");
        self.neighbours(Some(&c.to_string()))
    }

    /// The names and commons of the live neighbours of our community `c` (for the matcher).
    pub(super) fn neighbour_commons(&mut self, c: CommunityId) -> Result<Vec<(String, CommonsView)>, NodeError> {
        let links: Vec<CommunityId> = self.held(c)?.view().live_links().collect();
        let mut out = Vec::new();
        for l in links {
            let name = self.neighbour_name(l);
            if let Some(held) = self.commons.get_mut(&l) {
                out.push((name, held.view().clone()));
            }
        }
        Ok(out)
    }

    /// Visitors' minutes in our community's commons in `month`, by sector.
    pub(super) fn visitor_minutes(
        &mut self,
        c: CommunityId,
        month: weft_core::Month,
    ) -> Result<std::collections::BTreeMap<weft_core::SectorId, u32>, NodeError> {
        let mut out = std::collections::BTreeMap::new();
        for h in self.held(c)?.view().hours.iter().filter(|h| !h.retracted && month.contains(h.date)) {
            *out.entry(h.sector.clone()).or_insert(0u32) += h.minutes.get();
        }
        Ok(out)
    }

    /// The communities whose calls and notices a member of `c` sees: `c` and its live
    /// neighbours.
    fn visible(&mut self, c: CommunityId) -> Result<Vec<CommunityId>, NodeError> {
        let mut out = vec![c];
        out.extend(self.held(c)?.view().live_links());
        Ok(out)
    }

    fn call_info(
        &mut self,
        home: CommunityId,
        of: CommunityId,
        view: &CommonsView,
        task: &weft_core::TaskId,
    ) -> Option<CallInfo> {
        let call = view.calls.get(task)?;
        let community_name = self.neighbour_name(of);
        let visitors = view
            .pledges
            .iter()
            .filter(|p| p.task == *task)
            .map(|p| {
                let name = self
                    .commons
                    .get_mut(&p.community)
                    .and_then(|h| h.roster().and_then(|r| r.members.get(&p.member).map(|m| m.name.clone())))
                    .unwrap_or_else(|| format!("member {}", p.member.short()));
                VisitorInfo {
                    member: p.member,
                    name,
                    community: p.community,
                    community_name: self.neighbour_name(p.community),
                    state: p.state,
                }
            })
            .collect();
        let minutes: u32 = view.hours.iter().filter(|h| h.call == *task && !h.retracted).map(|h| h.minutes.get()).sum();
        Some(CallInfo {
            community: of,
            community_name,
            task: call.task,
            title: call.title.clone(),
            description: call.description.clone(),
            sector: call.sector.clone(),
            skills: call.skills.iter().cloned().collect(),
            hours: call.hours,
            slots: call.slots,
            urgency: call.urgency,
            deadline: call.deadline,
            location: call.location.clone(),
            escalated: call.escalated,
            open: call.open,
            ours: of == home,
            visitors,
            visitor_minutes: Minutes(minutes),
        })
    }

    pub(super) fn calls(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let mut out = Vec::new();
        for of in self.visible(c)? {
            let Some(view) = self.commons.get_mut(&of).map(|h| h.view().clone()) else { continue };
            for task in view.calls.iter().filter(|(_, call)| call.open).map(|(t, _)| *t) {
                out.extend(self.call_info(c, of, &view, &task));
            }
        }
        Ok(Response::Calls(out))
    }

    /// A call by task id prefix among those `c` sees.
    fn resolve_call(&mut self, c: CommunityId, reference: &str) -> Result<(CommunityId, weft_core::TaskId), NodeError> {
        let r = reference.trim().to_lowercase();
        if r.len() < 4 {
            return Err(NodeError::NotFound(format!("'{reference}' is too short to name a call (4 characters)")));
        }
        let mut found = Vec::new();
        for of in self.visible(c)? {
            if let Some(held) = self.commons.get_mut(&of) {
                found.extend(held.view().calls.keys().filter(|t| t.to_string().starts_with(&r)).map(|t| (of, *t)));
            }
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(NodeError::NotFound(format!("no call '{reference}' here or at a neighbour's"))),
            _ => Err(NodeError::NotFound(format!("'{reference}' names several calls"))),
        }
    }

    pub(super) fn open_call(&mut self, task: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_task(task)?;
        let t = self.community(c)?.board().tasks.get(&id).cloned().ok_or(NodeError::Stopped)?;
        self.write_commons(c, |doc, w| doc.open_call(&w.me, &t, false, w.now).map(Some))?;
        let view = self.held(c)?.view().clone();
        self.call_info(c, c, &view, &id).map(Response::Call).ok_or(NodeError::Stopped)
    }

    pub(super) fn close_call(&mut self, task: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_task(task)?;
        self.write_commons(c, |doc, w| doc.close_call(&w.me, id, w.now).map(Some))?;
        let view = self.held(c)?.view().clone();
        self.call_info(c, c, &view, &id).map(Response::Call).ok_or(NodeError::Stopped)
    }

    /// Which of our communities sees a linked neighbour's call by this reference.
    pub(super) fn call_seen_from(&mut self, reference: &str) -> Option<CommunityId> {
        self.community_ids().into_iter().find(|c| self.resolve_call(*c, reference).is_ok_and(|(of, _)| of != *c))
    }

    pub(super) fn call_pledge(
        &mut self,
        community: Option<&str>,
        call: &str,
        withdraw: bool,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let (of, task) = self.resolve_call(c, call)?;
        if of == c {
            return Err(NodeError::Write("this is your own community's call: pledge to the task itself".into()));
        }
        let state = if withdraw { PledgeState::Withdrawn } else { PledgeState::Pledged };
        self.write_commons(of, |doc, w| doc.visitor_pledge(&w.me, c, task, state, w.now).map(Some))?;
        let view = self.held(of)?.view().clone();
        self.call_info(c, of, &view, &task).map(Response::Call).ok_or(NodeError::Stopped)
    }

    /// Hours given as a visitor: in our own ledger (our rotation and burnout guard count them)
    /// and, under the same entry id, in the neighbour's commons.
    pub(super) fn call_log(
        &mut self,
        community: Option<&str>,
        call: &str,
        minutes: Minutes,
        date: Option<weft_core::Date>,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let (of, task) = self.resolve_call(c, call)?;
        if of == c {
            return Err(NodeError::Write("this is your own community's call: log hours to the task itself".into()));
        }
        let call = self.held(of)?.view().calls.get(&task).cloned().ok_or(NodeError::Stopped)?;
        let neighbour = self.neighbour_name(of);
        let note = format!("visiting {neighbour}: {}", call.title);
        let response = self.log(Some(&c.to_string()), None, Some(call.sector.clone()), minutes, date, &note)?;
        let Response::Entry(entry) = &response else { return Ok(response) };
        let (id, day): (EntryId, weft_core::Date) = (entry.id, entry.date);
        self.write_commons(of, |doc, w| doc.visitor_hours(&w.me, c, id, task, minutes, day, w.now).map(Some))?;
        Ok(response)
    }

    fn notice_info(
        &mut self,
        home: CommunityId,
        of: CommunityId,
        view: &CommonsView,
        kind: NoticeKind,
        id: &NoticeId,
    ) -> Option<NoticeInfo> {
        let n = match kind {
            NoticeKind::Offer => view.offers.get(id)?,
            NoticeKind::Need => view.needs.get(id)?,
        };
        let replies = view
            .replies
            .iter()
            .filter(|r| r.to == *id)
            .map(|r| {
                let name = if r.community == home {
                    self.communities.get_mut(&home).map(|com| super::community::member_name(com.people(), &r.member))
                } else {
                    self.commons
                        .get_mut(&r.community)
                        .and_then(|h| h.roster().and_then(|ro| ro.members.get(&r.member).map(|m| m.name.clone())))
                }
                .unwrap_or_else(|| format!("member {}", r.member.short()));
                ReplyInfo { name, community_name: self.neighbour_name(r.community), text: r.text.clone(), at: r.at }
            })
            .collect();
        Some(NoticeInfo {
            id: n.id,
            kind: match kind {
                NoticeKind::Offer => NoticeKindInput::Offer,
                NoticeKind::Need => NoticeKindInput::Need,
            },
            community: of,
            community_name: self.neighbour_name(of),
            title: n.title.clone(),
            description: n.description.clone(),
            sector: n.sector.clone(),
            open: n.open,
            ours: of == home,
            created_at: n.created_at,
            replies,
        })
    }

    pub(super) fn notices(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let mut out = Vec::new();
        for of in self.visible(c)? {
            let Some(view) = self.commons.get_mut(&of).map(|h| h.view().clone()) else { continue };
            for (kind, ids) in [
                (NoticeKind::Offer, view.offers.iter().filter(|(_, n)| n.open).map(|(id, _)| *id).collect::<Vec<_>>()),
                (NoticeKind::Need, view.needs.iter().filter(|(_, n)| n.open).map(|(id, _)| *id).collect()),
            ] {
                for id in ids {
                    out.extend(self.notice_info(c, of, &view, kind, &id));
                }
            }
        }
        Ok(Response::Notices(out))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn post_notice(
        &mut self,
        community: Option<&str>,
        kind: NoticeKindInput,
        title: &str,
        description: &str,
        sector: Option<&weft_core::SectorId>,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let id = NoticeId::random();
        let k = kind_of(kind);
        self.write_commons(c, |doc, w| doc.post_notice(&w.me, k, id, title, description, sector, w.now).map(Some))?;
        let view = self.held(c)?.view().clone();
        self.notice_info(c, c, &view, k, &id).map(Response::Notice).ok_or(NodeError::Stopped)
    }

    /// A notice by id prefix among those `c` sees.
    fn resolve_notice(
        &mut self,
        c: CommunityId,
        reference: &str,
    ) -> Result<(CommunityId, NoticeKind, NoticeId), NodeError> {
        let r = reference.trim().to_lowercase();
        if r.len() < 4 {
            return Err(NodeError::NotFound(format!("'{reference}' is too short to name an offer or need")));
        }
        let mut found = BTreeSet::new();
        for of in self.visible(c)? {
            if let Some(held) = self.commons.get_mut(&of) {
                let view = held.view();
                found.extend(view.offers.keys().filter(|t| t.to_string().starts_with(&r)).map(|t| (of, 0, *t)));
                found.extend(view.needs.keys().filter(|t| t.to_string().starts_with(&r)).map(|t| (of, 1, *t)));
            }
        }
        let found: Vec<_> = found.into_iter().collect();
        match found.as_slice() {
            [(of, k, id)] => Ok((*of, if *k == 0 { NoticeKind::Offer } else { NoticeKind::Need }, *id)),
            [] => Err(NodeError::NotFound(format!("no offer or need '{reference}'"))),
            _ => Err(NodeError::NotFound(format!("'{reference}' names several offers or needs"))),
        }
    }

    pub(super) fn close_notice(&mut self, notice: &str) -> Result<Response, NodeError> {
        let mut found = None;
        for c in self.community_ids() {
            if let Ok((of, kind, id)) = self.resolve_notice(c, notice)
                && of == c
            {
                found = Some((c, kind, id));
            }
        }
        let (c, kind, id) = found
            .ok_or_else(|| NodeError::NotFound(format!("none of your communities has an offer or need '{notice}'")))?;
        self.write_commons(c, |doc, w| doc.close_notice(&w.me, kind, id, w.now).map(Some))?;
        let view = self.held(c)?.view().clone();
        self.notice_info(c, c, &view, kind, &id).map(Response::Notice).ok_or(NodeError::Stopped)
    }

    pub(super) fn reply_notice(
        &mut self,
        community: Option<&str>,
        notice: &str,
        text: &str,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let (of, kind, id) = self.resolve_notice(c, notice)?;
        let reply = ReplyId::random();
        self.write_commons(of, |doc, w| doc.reply(&w.me, c, reply, id, text, w.now).map(Some))?;
        let view = self.held(of)?.view().clone();
        self.notice_info(c, of, &view, kind, &id).map(Response::Notice).ok_or(NodeError::Stopped)
    }
}
