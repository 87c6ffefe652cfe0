//! Handlers for the matcher: a member's suggestions, the community plan, "not for me".
//! Nothing is cached: a plan for the demo community takes a few milliseconds.

use tracing::debug;
use weft_core::doc::commons::CommonsView;
use weft_core::{CommunityId, MemberId, TaskId};

use super::community::{Community, Views, member_name};
use super::{State, count};
use crate::api::{MAX_SUGGESTIONS, PlanInfo, PlanPartInfo, Response, SuggestionsInfo, UncoveredTask};
use crate::error::{NodeError, Refusal};

/// The open needs of linked neighbours' commons, as the matcher reads them.
fn open_needs(commons: &[(String, CommonsView)]) -> Vec<weft_match::NeedInput> {
    commons
        .iter()
        .flat_map(|(name, view)| {
            view.needs.values().filter(|n| n.open).map(move |n| weft_match::NeedInput {
                id: n.id,
                community: name.clone(),
                title: n.title.clone(),
                description: n.description.clone(),
                sector: n.sector.clone(),
                answered: view.replies.iter().filter(|r| r.to == n.id).map(|r| r.member).collect(),
            })
        })
        .collect()
}

impl State {
    /// What the matcher reads for a community today: its documents, this year's ledger and
    /// last year's (for the last 28 days in January), and the calls the other communities of
    /// this data directory opened to neighbours.
    fn match_input(&mut self, c: CommunityId) -> Result<weft_match::Input, NodeError> {
        self.match_input_and_commons(c).map(|(input, _)| input)
    }

    /// [`Self::match_input`], and the linked neighbours' commons it read (by name).
    fn match_input_and_commons(
        &mut self,
        c: CommunityId,
    ) -> Result<(weft_match::Input, Vec<(String, CommonsView)>), NodeError> {
        let today = self.clock.today();
        let years = [today.year() - 1, today.year()];
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        for id in ids {
            self.read_ledgers(id, years)?;
            self.community(id)?.views();
        }
        let this = self
            .communities
            .get(&c)
            .and_then(Community::cached_views)
            .ok_or_else(|| NodeError::NotFound(format!("no community {}", c.short())))?;
        // In id order, so the first community to offer a call names it on every device.
        let others: Vec<Views<'_>> = self
            .communities
            .iter()
            .filter(|(id, _)| **id != c)
            .filter_map(|(_, com)| com.cached_views())
            // A community whose people document has not arrived yet has nothing to offer.
            .filter(|v| !v.people.name.is_empty())
            .collect();
        let neighbours: Vec<weft_match::Neighbour<'_>> = others
            .iter()
            .map(|v| weft_match::Neighbour {
                name: &v.people.name,
                people: v.people,
                board: v.board,
                ledgers: years.iter().filter_map(|y| v.ledgers.get(y)).collect(),
            })
            .collect();
        let ledgers = years.iter().filter_map(|y| this.ledgers.get(y));
        let mut input = weft_match::Input::from_views(this.people, this.board, ledgers, &neighbours, today);
        // Tasks from a computer whose clock is off: posted when a right clock says.
        let off = self.members_clock_off();
        if !off.is_empty() {
            for (id, t) in &mut input.tasks {
                if let Some(at) = this.board.tasks.get(id).and_then(|task| super::clocks::corrected(task, &off)) {
                    t.posted = at.date();
                }
            }
        }
        // Linked neighbours' calls, from their commons.
        let commons = self.neighbour_commons(c)?;
        let calls: Vec<weft_match::CommonsCalls<'_>> =
            commons.iter().map(|(name, view)| weft_match::CommonsCalls { name, commons: view }).collect();
        input.add_commons(&calls);
        Ok((input, commons))
    }

    pub(super) fn suggest(
        &mut self,
        community: Option<&str>,
        member: Option<&str>,
        limit: u32,
    ) -> Result<Response, NodeError> {
        if !(1..=MAX_SUGGESTIONS).contains(&limit) {
            return Err(Refusal::SuggestionLimit { limit, max: MAX_SUGGESTIONS }.into());
        }
        let c = self.resolve_community(community)?;
        let me = self.me_if_any();
        let who = match member {
            Some(m) => self.resolve_member(c, m)?,
            None => self.me()?,
        };
        let started = std::time::Instant::now();
        let (input, commons) = self.match_input_and_commons(c)?;
        let Some(member_name) = input.members.get(&who).map(|m| m.name.clone()) else {
            let people = self.community(c)?.people();
            return Err(if me == Some(who) {
                Refusal::NotYoursToSuggest { community: people.name.clone() }
            } else {
                Refusal::NotACurrentMember { member: member_name(people, &who), community: people.name.clone() }
            }
            .into());
        };
        let plan = weft_match::plan(&input);
        let suggestions = weft_match::suggest(&input, who, usize::try_from(limit).unwrap_or(usize::MAX), Some(&plan))?;
        let needs = weft_match::suggest_needs(&input, who, &open_needs(&commons))?;
        debug!(
            community = %c.short(),
            tasks = input.tasks.len(),
            members = input.members.len(),
            items = suggestions.items.len(),
            needs = needs.len(),
            elapsed = ?started.elapsed(),
            "suggested"
        );
        Ok(Response::Suggestions(SuggestionsInfo {
            community: c,
            member_name,
            is_me: me == Some(who),
            suggestions,
            needs,
        }))
    }

    pub(super) fn plan(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let started = std::time::Instant::now();
        let input = self.match_input(c)?;
        let plan = weft_match::plan(&input);
        debug!(community = %c.short(), parts = plan.parts.len(), elapsed = ?started.elapsed(), "planned");
        let member_name =
            |m: &MemberId| input.members.get(m).map_or_else(|| format!("member {}", m.short()), |m| m.name.clone());
        let title = |t: &TaskId| input.tasks.get(t).map_or_else(|| format!("task {}", t.short()), |t| t.title.clone());
        let neighbour = |t: &TaskId| input.tasks.get(t).and_then(|t| t.neighbour.clone());
        let mut parts: Vec<PlanPartInfo> = plan
            .parts
            .iter()
            .map(|p| PlanPartInfo {
                member: p.member,
                member_name: member_name(&p.member),
                task: p.task,
                title: title(&p.task),
                neighbour: neighbour(&p.task),
                minutes: p.minutes,
                urgent: p.urgent,
                fit: p.fit,
            })
            .collect();
        // By name for people to read; stable, so each member's parts keep the plan's order.
        parts.sort_by(|a, b| {
            a.member_name.to_lowercase().cmp(&b.member_name.to_lowercase()).then(a.member.cmp(&b.member))
        });
        let urgent_uncovered = plan
            .urgent_uncovered
            .iter()
            .map(|t| {
                let free = input.tasks.get(t).map_or(0, |t| t.free);
                let covered = count(plan.parts.iter().filter(|p| p.task == *t).count());
                UncoveredTask {
                    task: *t,
                    title: title(t),
                    neighbour: neighbour(t),
                    places: free.saturating_sub(covered),
                }
            })
            .collect();
        let community_name = self.community(c)?.people().name.clone();
        Ok(Response::Plan(PlanInfo {
            community: c,
            community_name,
            parts,
            places_open: plan.places_open,
            places_covered: plan.places_covered,
            urgent_open: plan.urgent_open,
            urgent_covered: plan.urgent_covered,
            members_available: plan.members_available,
            members_with_part: plan.members_with_part,
            trimmed: plan.trimmed,
            urgent_uncovered,
        }))
    }

    pub(super) fn decline(&mut self, community: Option<&str>, task: &str) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let (title, open_to_neighbours) = {
            let task = self.community(c)?.board().require_task(t)?;
            (task.title.clone(), task.open_to_neighbours)
        };
        if let Some(r) = community {
            let named = self.resolve_community(Some(r))?;
            if named != c && !open_to_neighbours {
                return Err(Refusal::NotOpenToNeighbours { title }.into());
            }
        }
        self.write_pair(c, t, |ledger, me, now| ledger.decline_task(me, t, now))?;
        Ok(Response::Declined { task: t, title })
    }
}
