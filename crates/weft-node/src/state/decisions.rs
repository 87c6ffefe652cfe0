//! Handlers for decisions by consent: proposals, stances, closing a round, outcomes
//! (`weft_core::doc::proposals` holds the rules; every device computes the same course).

use weft_core::doc::people::PeopleView;
use weft_core::doc::proposals::{NewProposal, Proposal, ProposalStatus, Stance};
use weft_core::id::{FlagId, ProposalId};
use weft_core::{CommunityId, Date, Timestamp};

use super::community::{Touched, member_name};
use super::{State, count};
use crate::api::{OutcomeInfo, ProposalInfo, ProposalInput, Response, RoundInfo, StanceInfo};
use crate::error::{MIN_ID_PREFIX, NodeError, Refusal, Thing};

/// Decided proposals stay in the short list this long after their last round ended.
const RECENT_MS: i64 = 30 * 24 * 3_600_000;

impl State {
    /// A proposal by id or unique id prefix, in any community.
    fn resolve_proposal(&mut self, reference: &str) -> Result<(CommunityId, ProposalId), NodeError> {
        let r = reference.trim().to_lowercase();
        if r.len() < MIN_ID_PREFIX as usize {
            let reference = reference.to_owned();
            return Err(Refusal::ShortReference { reference, thing: Thing::Proposal, min: MIN_ID_PREFIX }.into());
        }
        let mut found = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            found.extend(c.board().proposals.keys().filter(|p| p.to_string().starts_with(&r)).map(|p| (id, *p)));
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Refusal::NoSuchProposal { reference: reference.to_owned() }.into()),
            _ => {
                Err(Refusal::AmbiguousProposal { reference: reference.to_owned(), matches: count(found.len()) }.into())
            }
        }
    }

    /// A concern on a community's board by id or unique id prefix.
    fn resolve_concern(&mut self, c: CommunityId, reference: &str) -> Result<FlagId, NodeError> {
        let r = reference.trim().to_lowercase();
        if r.len() < MIN_ID_PREFIX as usize {
            let reference = reference.to_owned();
            return Err(Refusal::ShortReference { reference, thing: Thing::Concern, min: MIN_ID_PREFIX }.into());
        }
        let found: Vec<FlagId> =
            self.community(c)?.board().flags.keys().filter(|f| f.to_string().starts_with(&r)).copied().collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Refusal::NoSuchConcern { reference: reference.to_owned() }.into()),
            _ => Err(Refusal::AmbiguousConcern { reference: reference.to_owned(), matches: count(found.len()) }.into()),
        }
    }

    pub(super) fn open_proposal(
        &mut self,
        community: Option<&str>,
        input: &ProposalInput,
    ) -> Result<Response, NodeError> {
        let (c, mut task) = match input.task.as_deref() {
            Some(t) => {
                let (c, t) = self.resolve_task(t)?;
                (c, Some(t))
            }
            None => (self.resolve_community(community)?, None),
        };
        let guild = input.guild.as_deref().map(|g| self.resolve_guild(c, g)).transpose()?;
        let flag = input.concern.as_deref().map(|f| self.resolve_concern(c, f)).transpose()?;
        let mut sector = input.sector.clone();
        // From a concern: about what the concern is about, unless said otherwise.
        if let Some(f) =
            flag.and_then(|f| self.communities.get_mut(&c).and_then(|com| com.board().flags.get(&f).cloned()))
        {
            task = task.or(f.task);
            sector = sector.or(f.sector);
        }
        let new = NewProposal {
            title: input.title.clone(),
            details: input.details.clone(),
            kind: input.kind,
            round_hours: input.round_hours,
            guild,
            flag,
            task,
            sector,
        };
        let id = ProposalId::random();
        self.write_board(c, |board, people, w| {
            Ok((board.open_proposal(id, &w.me, &new, people, w.now)?, [Touched::Proposals]))
        })?;
        self.proposal_info(c, id).map(|p| Response::Proposal(Box::new(p)))
    }

    pub(super) fn take_stance(
        &mut self,
        proposal: &str,
        stance: Stance,
        reason: Option<&str>,
    ) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_proposal(proposal)?;
        self.write_board(c, |board, people, w| {
            Ok((board.take_stance(&w.me, id, stance, reason, people, w.now)?, [Touched::Proposals]))
        })?;
        self.proposal_info(c, id).map(|p| Response::Proposal(Box::new(p)))
    }

    pub(super) fn close_round(&mut self, proposal: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_proposal(proposal)?;
        self.write_board(c, |board, _, w| Ok((board.close_round(&w.me, id, w.now)?, [Touched::Proposals])))?;
        self.proposal_info(c, id).map(|p| Response::Proposal(Box::new(p)))
    }

    pub(super) fn withdraw_proposal(&mut self, proposal: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_proposal(proposal)?;
        self.write_board(c, |board, _, w| Ok((board.withdraw_proposal(&w.me, id, w.now)?, [Touched::Proposals])))?;
        self.proposal_info(c, id).map(|p| Response::Proposal(Box::new(p)))
    }

    pub(super) fn edit_proposal(
        &mut self,
        proposal: &str,
        title: Option<&str>,
        details: Option<&str>,
    ) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_proposal(proposal)?;
        self.write_board(c, |board, _, w| {
            Ok((board.edit_proposal(&w.me, id, title, details, w.now)?, [Touched::Proposals]))
        })?;
        self.proposal_info(c, id).map(|p| Response::Proposal(Box::new(p)))
    }

    pub(super) fn write_outcome(
        &mut self,
        proposal: &str,
        text: &str,
        review: Option<Date>,
    ) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_proposal(proposal)?;
        self.write_board(c, |board, people, w| {
            Ok((board.write_outcome(&w.me, id, text, review, people, w.now)?, [Touched::Proposals]))
        })?;
        self.proposal_info(c, id).map(|p| Response::Proposal(Box::new(p)))
    }

    pub(super) fn show_proposal(&mut self, proposal: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_proposal(proposal)?;
        self.proposal_info(c, id).map(|p| Response::Proposal(Box::new(p)))
    }

    /// Open proposals first (closing soonest first), then those decided or ended in the last
    /// 30 days and those whose review is due; `all`: every proposal, newest first after the
    /// open ones.
    pub(super) fn proposals(&mut self, community: Option<&str>, all: bool) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let now = self.clock.now();
        let ids: Vec<ProposalId> = self.community(c)?.board().proposals.keys().copied().collect();
        let mut out = Vec::new();
        for id in ids {
            let info = self.proposal_info(c, id)?;
            let open = matches!(info.status, ProposalStatus::Open { .. });
            let ended = info.rounds.last().map_or(info.created_at, |r| r.closes);
            let recent = now.millis().saturating_sub(ended.millis()) <= RECENT_MS;
            if all || open || recent || info.review_due {
                out.push(info);
            }
        }
        out.sort_by_key(|p| {
            let open = matches!(p.status, ProposalStatus::Open { .. });
            let closes = p.rounds.last().map_or(p.created_at, |r| r.closes).millis();
            (!open, if open { closes } else { -closes }, p.id)
        });
        Ok(Response::Proposals(out))
    }

    fn proposal_info(&mut self, c: CommunityId, id: ProposalId) -> Result<ProposalInfo, NodeError> {
        let now = self.clock.now();
        let today = self.clock.today();
        let me = self.me_if_any();
        let com = self.community(c)?;
        let board = com.board();
        let p: Proposal = board
            .proposals
            .get(&id)
            .cloned()
            .ok_or_else(|| NodeError::NotFound(format!("no proposal {}", id.short())))?;
        let concern_note = p.flag.and_then(|f| board.flags.get(&f)).map(|f| f.note.clone());
        let task_title = p.task.and_then(|t| board.tasks.get(&t)).map(|t| t.title.clone());
        let people = com.people();
        Ok(info_of(c, &p, people, concern_note, task_title, me, now, today))
    }
}

#[allow(clippy::too_many_arguments)]
fn info_of(
    community: CommunityId,
    p: &Proposal,
    people: &PeopleView,
    concern_note: Option<String>,
    task_title: Option<String>,
    me: Option<weft_core::MemberId>,
    now: Timestamp,
    today: Date,
) -> ProposalInfo {
    let stance_info = |s: &weft_core::doc::proposals::StanceRecord| StanceInfo {
        member: s.member,
        name: member_name(people, &s.member),
        stance: s.stance,
        reason: s.reason.clone(),
        at: s.at,
        round: s.round,
    };
    let rounds: Vec<RoundInfo> = p
        .rounds(now)
        .iter()
        .map(|r| RoundInfo {
            n: r.n,
            opened: r.opened,
            closes: r.closes,
            closed_early: r.closed_early,
            result: r.result,
            stances: r.stances.iter().map(stance_info).collect(),
            tally: p
                .kind
                .stances()
                .iter()
                .map(|st| (*st, count(r.stances.iter().filter(|s| s.stance == *st).count())))
                .collect(),
        })
        .collect();
    let my_stance = me.and_then(|m| p.stance_of(&m, now)).map(|s| s.stance);
    ProposalInfo {
        community,
        id: p.id,
        title: p.title.clone(),
        details: p.details.clone(),
        kind: p.kind,
        round_hours: u32::try_from(p.round_ms / 3_600_000).unwrap_or(u32::MAX),
        guild: p.guild,
        guild_name: p.guild.and_then(|g| people.guilds.get(&g)).map(|g| g.name.clone()),
        concern: p.flag,
        concern_note,
        task: p.task,
        task_title,
        sector: p.sector.clone(),
        created_by: p.created_by,
        created_by_name: member_name(people, &p.created_by),
        created_at: p.created_at,
        updated_at: p.updated_at,
        status: p.status(now),
        rounds,
        history: p.stances.iter().map(stance_info).collect(),
        choices: p.kind.stances().to_vec(),
        my_stance,
        is_mine: me == Some(p.created_by),
        outcome: p.outcome.as_ref().map(|o| OutcomeInfo {
            text: o.text.clone(),
            by: o.by,
            by_name: member_name(people, &o.by),
            at: o.at,
            review: o.review,
        }),
        review_due: p.outcome.as_ref().and_then(|o| o.review).is_some_and(|d| d <= today),
    }
}
