//! Handlers for crews (the people document) and gatherings (the board): writing them, and
//! reading them with names, next meetings and tasks.

use weft_core::doc::board::PledgeAction;
use weft_core::doc::crews::{CREW_MAX, Crew, CrewEdit, NewCrew, NoteKind, Rhythm};
use weft_core::doc::gatherings::{Gathering, GatheringEdit, NewGathering};
use weft_core::doc::people::PeopleView;
use weft_core::id::{CrewId, GatheringId};
use weft_core::model::{PledgeState, TaskStatus};
use weft_core::views;
use weft_core::{CommunityId, DocName, MemberId, Minutes, TaskId};

use super::community::{Touched, member_name};
use super::series::repeat_of;
use super::{State, count};
use crate::api::{
    CrewEditInput, CrewInfo, CrewInput, CrewNoteInfo, CrewTaskInfo, GatheringInfo, Named, Response, RhythmInput,
    TaskInput,
};
use crate::error::{MIN_ID_PREFIX, NodeError, Refusal, Thing};

/// A meeting lasts an hour and a half unless the crew says.
const MEETING_MINUTES_DEFAULT: u32 = 90;

fn named(people: &PeopleView, ids: impl IntoIterator<Item = MemberId>) -> Vec<Named> {
    ids.into_iter().map(|member| Named { member, name: member_name(people, &member) }).collect()
}

/// Finds one thing by name (whole, any case) or by id prefix among `(community, id, name)`.
fn find<T: Copy + ToString>(
    all: Vec<(CommunityId, T, String)>,
    reference: &str,
    thing: Thing,
    none: impl FnOnce() -> Refusal,
    many: impl FnOnce(u32) -> Refusal,
) -> Result<(CommunityId, T), NodeError> {
    let lower = reference.trim().to_lowercase();
    let by_name: Vec<(CommunityId, T)> =
        all.iter().filter(|(_, _, n)| n.to_lowercase() == lower).map(|(c, id, _)| (*c, *id)).collect();
    let found = if by_name.is_empty() {
        if lower.len() < MIN_ID_PREFIX as usize {
            let reference = reference.to_owned();
            return Err(Refusal::ShortReference { reference, thing, min: MIN_ID_PREFIX }.into());
        }
        all.iter().filter(|(_, id, _)| id.to_string().starts_with(&lower)).map(|(c, id, _)| (*c, *id)).collect()
    } else {
        by_name
    };
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(none().into()),
        _ => Err(many(count(found.len())).into()),
    }
}

impl State {
    fn rhythm_of(&self, input: &RhythmInput) -> Rhythm {
        let starts = input.starts.unwrap_or_else(|| self.clock.today());
        Rhythm {
            repeat: repeat_of(&input.repeat, starts),
            starts,
            time: input.time,
            minutes: input.minutes.unwrap_or(MEETING_MINUTES_DEFAULT),
            place: input.place.clone(),
        }
    }

    /// A crew by name or id prefix, in any community here.
    fn resolve_crew(&mut self, reference: &str) -> Result<(CommunityId, CrewId), NodeError> {
        let mut all = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            all.extend(c.people().crews.values().map(|k| (id, k.id, k.name.clone())));
        }
        let r = reference.to_owned();
        find(
            all,
            reference,
            Thing::Crew,
            || Refusal::NoSuchCrew { reference: r.clone() },
            |matches| Refusal::AmbiguousCrew { reference: r.clone(), matches },
        )
    }

    /// A gathering by title or id prefix, in any community here.
    fn resolve_gathering(&mut self, reference: &str) -> Result<(CommunityId, GatheringId), NodeError> {
        let mut all = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            all.extend(c.board().gatherings.values().map(|g| (id, g.id, g.title.clone())));
        }
        let r = reference.to_owned();
        find(
            all,
            reference,
            Thing::Gathering,
            || Refusal::NoSuchGathering { reference: r.clone() },
            |matches| Refusal::AmbiguousGathering { reference: r.clone(), matches },
        )
    }

    pub(super) fn create_crew(&mut self, community: Option<&str>, input: CrewInput) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let new = NewCrew {
            name: input.name,
            purpose: input.purpose,
            open: input.open,
            rhythm: input.rhythm.as_ref().map(|r| self.rhythm_of(r)),
            review: input.review,
        };
        let id = CrewId::random();
        self.write_people(c, |doc, w| {
            let people = PeopleView::read_some(doc.automerge(), Some(&[w.me.member()]));
            Ok((doc.create_crew(id, &w.me, &new, &people, w.now)?, [Touched::Settings]))
        })?;
        self.crew_info(c, id).map(|i| Response::Crew(Box::new(i)))
    }

    pub(super) fn edit_crew(&mut self, crew: &str, input: CrewEditInput) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_crew(crew)?;
        let edit = CrewEdit {
            name: input.name,
            purpose: input.purpose,
            open: input.open,
            rhythm: input.rhythm.map(|r| r.map(|r| self.rhythm_of(&r))),
            review: input.review,
            ended: input.ended,
        };
        self.write_people(c, |doc, w| Ok((doc.edit_crew(&w.me, id, &edit, w.now)?, [Touched::Settings])))?;
        self.crew_info(c, id).map(|i| Response::Crew(Box::new(i)))
    }

    pub(super) fn join_crew(&mut self, crew: &str, join: bool) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_crew(crew)?;
        self.write_people(c, |doc, w| {
            let change = if join {
                let people = PeopleView::read_some(doc.automerge(), Some(&[w.me.member()]));
                doc.join_crew(&w.me, id, &people, w.now)?
            } else {
                doc.leave_crew(&w.me, id, w.now)?
            };
            Ok((change, [Touched::Settings]))
        })?;
        self.crew_info(c, id).map(|i| Response::Crew(Box::new(i)))
    }

    pub(super) fn invite_to_crew(&mut self, crew: &str, member: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_crew(crew)?;
        let who = self.resolve_member(c, member)?;
        self.write_people(c, |doc, w| {
            let people = PeopleView::read_some(doc.automerge(), Some(&[w.me.member(), who]));
            Ok((doc.invite_to_crew(&w.me, id, who, &people, w.now)?, [Touched::Settings]))
        })?;
        self.crew_info(c, id).map(|i| Response::Crew(Box::new(i)))
    }

    pub(super) fn crew_note(&mut self, crew: &str, kind: NoteKind, text: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_crew(crew)?;
        self.write_people(c, |doc, w| Ok((doc.crew_note(&w.me, id, kind, text, w.now)?, [Touched::Settings])))?;
        self.crew_info(c, id).map(|i| Response::Crew(Box::new(i)))
    }

    pub(super) fn crews(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let ids: Vec<CrewId> = self.community(c)?.people().crews.keys().copied().collect();
        let mut out = ids.into_iter().map(|id| self.crew_info(c, id)).collect::<Result<Vec<_>, _>>()?;
        // Mine first, then those still meeting, by name.
        out.sort_by_key(|k| (!k.mine, k.ended, k.name.to_lowercase(), k.id));
        Ok(Response::Crews(out))
    }

    pub(super) fn show_crew(&mut self, crew: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_crew(crew)?;
        self.crew_info(c, id).map(|i| Response::Crew(Box::new(i)))
    }

    /// Takes a task for one's crew (pledging first if need be), or makes it one's own again.
    pub(super) fn crew_pledge(&mut self, task: &str, crew: Option<&str>) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let me = self.me()?;
        let crew = match crew {
            Some(r) => {
                let (in_c, id) = self.resolve_crew(r)?;
                let people = self.community(c)?.people();
                let k = people.crews.get(&id).filter(|_| in_c == c).ok_or(Refusal::TaskInOtherCommunity)?;
                if !k.has(&me) {
                    return Err(weft_core::validate::ValidationError::NotInCrew { name: k.name.clone() }.into());
                }
                Some(id)
            }
            None => None,
        };
        let pledged = self.community(c)?.board().pledge(t, me).map(|p| p.state) == Some(PledgeState::Pledged);
        self.write_board_changes(c, |board, people, w| {
            let mut out = Vec::new();
            if !pledged && crew.is_some() {
                out.push(board.set_pledge(&w.me, t, PledgeAction::Pledge, people, w.now)?);
            }
            out.push(board.set_pledge_crew(&w.me, t, crew, people, w.now)?);
            Ok((out, [Touched::Task(t)]))
        })?;
        match crew {
            Some(id) => self.crew_info(c, id).map(|i| Response::Crew(Box::new(i))),
            None => self.show_task(&t.to_string()),
        }
    }

    fn crew_info(&mut self, c: CommunityId, id: CrewId) -> Result<CrewInfo, NodeError> {
        let me = self.me_if_any();
        let today = self.clock.today();
        let v = self.community(c)?.views();
        let (people, board) = (v.people, v.board);
        let k: &Crew = people.crews.get(&id).ok_or_else(|| NodeError::NotFound(format!("no crew {}", id.short())))?;
        let share = |hours: Minutes| Minutes(hours.get().div_ceil(u32::try_from(k.members.len().max(1)).unwrap_or(1)));
        let mut tasks: Vec<CrewTaskInfo> = board
            .pledges
            .values()
            .filter(|p| p.crew == Some(id) && p.state != PledgeState::Withdrawn && k.has(&p.member))
            .filter_map(|p| {
                let t = board.tasks.get(&p.task)?;
                Some(CrewTaskInfo {
                    task: t.id,
                    title: t.title.clone(),
                    state: p.state,
                    pledged_by: member_name(people, &p.member),
                    hours: t.hours,
                    share: share(t.hours),
                    day: p.on.or_else(|| weft_core::calendar::day_of(t)),
                })
            })
            .collect();
        tasks.sort_by_key(|t| (t.state == PledgeState::Done, t.day, t.task));
        let mine = me.is_some_and(|m| k.has(&m) || k.waiting.contains(&m));
        let may_join = me.is_some_and(|m| !mine && k.ended.is_none() && k.lets_in(&m) && !k.is_full());
        Ok(CrewInfo {
            community: c,
            id,
            name: k.name.clone(),
            purpose: k.purpose.clone(),
            open: k.open,
            created_at: k.created_at,
            when: k.rhythm.as_ref().map(Rhythm::describe),
            next_meeting: k.rhythm.as_ref().filter(|_| k.ended.is_none()).and_then(|r| r.next(today)),
            rhythm: k.rhythm.clone(),
            review: k.review,
            review_due: k.review.is_some_and(|d| d <= today) && k.ended.is_none(),
            ended: k.ended.is_some(),
            members: named(people, k.members.iter().copied()),
            waiting: named(people, k.waiting.iter().copied()),
            invited: named(people, k.invited.iter().copied().filter(|m| !k.has(m))),
            mine,
            waiting_for_place: me.is_some_and(|m| k.waiting.contains(&m)),
            may_join,
            max: count(CREW_MAX),
            notes: k
                .notes
                .iter()
                .map(|n| CrewNoteInfo { note: n.clone(), name: member_name(people, &n.member) })
                .collect(),
            tasks,
        })
    }

    pub(super) fn add_gathering(&mut self, community: Option<&str>, new: &NewGathering) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let id = GatheringId::random();
        self.write_board_changes(c, |board, people, w| {
            Ok((board.add_gathering(id, &w.me, new, people, w.today, w.now)?, [Touched::Doc(DocName::Board)]))
        })?;
        self.gathering_info(c, id).map(|g| Response::Gathering(Box::new(g)))
    }

    pub(super) fn edit_gathering(&mut self, gathering: &str, edit: &GatheringEdit) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_gathering(gathering)?;
        self.write_board(c, |board, people, w| {
            Ok((board.edit_gathering(&w.me, id, edit, people, w.now)?, [Touched::Doc(DocName::Board)]))
        })?;
        self.gathering_info(c, id).map(|g| Response::Gathering(Box::new(g)))
    }

    pub(super) fn attend(&mut self, gathering: &str, coming: bool) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_gathering(gathering)?;
        self.write_board(c, |board, people, w| {
            Ok((board.attend(&w.me, id, coming, people, w.now)?, [Touched::Doc(DocName::Board)]))
        })?;
        self.gathering_info(c, id).map(|g| Response::Gathering(Box::new(g)))
    }

    pub(super) fn gathering_task(&mut self, gathering: &str, input: TaskInput) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_gathering(gathering)?;
        let mut task = input.task;
        if let Some(g) = input.guild_ref.as_deref() {
            task.guild = Some(self.resolve_guild(c, g)?);
        }
        let t = TaskId::random();
        self.write_board(c, |board, people, w| {
            Ok((board.add_gathering_task(t, id, &w.me, &task, people, w.today, w.now)?, [Touched::Task(t)]))
        })?;
        self.gathering_info(c, id).map(|g| Response::Gathering(Box::new(g)))
    }

    pub(super) fn gatherings(&mut self, community: Option<&str>, past: bool) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let today = self.clock.today();
        let ids: Vec<GatheringId> = self
            .community(c)?
            .board()
            .gatherings
            .values()
            .filter(|g| past || !g.is_past(today))
            .map(|g| g.id)
            .collect();
        let mut out = ids.into_iter().map(|id| self.gathering_info(c, id)).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|g| (g.starts, g.id));
        Ok(Response::Gatherings(out))
    }

    pub(super) fn show_gathering(&mut self, gathering: &str) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_gathering(gathering)?;
        self.gathering_info(c, id).map(|g| Response::Gathering(Box::new(g)))
    }

    fn gathering_info(&mut self, c: CommunityId, id: GatheringId) -> Result<GatheringInfo, NodeError> {
        let me = self.me_if_any();
        let v = self.community(c)?.views();
        let (people, board) = (v.people, v.board);
        let g: &Gathering =
            board.gatherings.get(&id).ok_or_else(|| NodeError::NotFound(format!("no gathering {}", id.short())))?;
        let mut tasks: Vec<_> =
            board.tasks.values().filter(|t| t.gathering == Some(id)).map(|t| views::summary(board, t)).collect();
        tasks.sort_by_key(|t| (t.task.status != TaskStatus::Open, t.task.deadline, t.task.id));
        let open_places = tasks.iter().filter(|t| t.task.status == TaskStatus::Open).map(|t| t.free).sum();
        Ok(GatheringInfo {
            community: c,
            id,
            title: g.title.clone(),
            description: g.description.clone(),
            starts: g.starts,
            ends: g.ends,
            place: g.place.clone(),
            cancelled: g.cancelled,
            created_by: member_name(people, &g.created_by),
            attending: named(people, g.attending.iter().copied()),
            coming: me.and_then(|m| {
                if g.attending.contains(&m) {
                    Some(true)
                } else if g.not_coming.contains(&m) {
                    Some(false)
                } else {
                    None
                }
            }),
            tasks,
            open_places,
        })
    }
}
