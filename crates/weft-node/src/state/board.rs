//! Handlers for the board: tasks, pledges and concerns.

use weft_core::doc::board::PledgeAction;
use weft_core::id::FlagId;
use weft_core::model::{PledgeState, TaskEdit, TaskStatus};
use weft_core::views;
use weft_core::{CommunityId, SectorId, TaskId};

use super::community::{Touched, member_name};
use super::{State, count};
use crate::api::{PledgeInfo, PledgeView, Response, TaskDetail, TaskInput};
use crate::error::NodeError;

impl State {
    pub(super) fn add_task(&mut self, community: Option<&str>, input: TaskInput) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let mut task = input.task;
        if let Some(g) = input.guild_ref.as_deref() {
            task.guild = Some(self.resolve_guild(c, g)?);
        }
        let id = TaskId::random();
        self.write_board(c, |board, people, w| {
            Ok((board.add_task(id, &w.me, &task, people, w.today, w.now)?, [Touched::Task(id)]))
        })?;
        self.task_detail(c, id).map(|d| Response::Task(Box::new(d)))
    }

    pub(super) fn edit_task(&mut self, task: &str, edit: &TaskEdit) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        self.write_board(c, |board, people, w| {
            Ok((board.edit_task(&w.me, t, edit, people, w.today, w.now)?, [Touched::Task(t)]))
        })?;
        self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
    }

    pub(super) fn close_task(&mut self, task: &str) -> Result<Response, NodeError> {
        self.edit_task(task, &TaskEdit { status: Some(TaskStatus::Closed), ..TaskEdit::default() })
    }

    pub(super) fn task_list(
        &mut self,
        community: Option<&str>,
        sector: Option<&SectorId>,
        open_only: bool,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let com = self.community(c)?;
        if let Some(s) = sector {
            com.people().require_sector(s)?;
        }
        let board = com.board();
        let tasks = if open_only { views::open_tasks(board, sector) } else { views::all_tasks(board, sector) };
        Ok(Response::Tasks(tasks))
    }

    pub(super) fn show_task(&mut self, task: &str) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
    }

    fn task_detail(&mut self, c: CommunityId, t: TaskId) -> Result<TaskDetail, NodeError> {
        let me = self.me_if_any();
        // Hours for a task are logged from the year it was posted on.
        let posted = self.community(c)?.board().require_task(t)?.created_at.date().year();
        let this_year = self.clock.today().year();
        self.read_ledgers(c, posted..=this_year.max(posted))?;
        let v = self.community(c)?.views();
        let (people, board) = (v.people, v.board);
        let task = board.require_task(t)?.clone();
        let summary = views::summary(board, &task);
        let mut pledges: Vec<PledgeView> = board
            .pledges_for(t)
            .map(|p| PledgeView {
                member: p.member,
                name: member_name(people, &p.member),
                state: p.state,
                at: p.updated_at,
                on: p.on,
                stand_in: p.stand_in,
                stands_in_for: p.stands_in_for.map(|m| member_name(people, &m)),
                handed_over_to: board.handed_over(p).map(|m| member_name(people, &m)),
                crew: p.crew.and_then(|c| people.crews.get(&c)).filter(|k| k.has(&p.member)).map(|k| k.name.clone()),
            })
            .collect();
        pledges.sort_by(|a, b| a.at.cmp(&b.at).then(a.member.cmp(&b.member)));
        let my_pledge = me.and_then(|m| board.pledge(t, m)).map(|p| p.state);
        let open_flags = count(board.flags.values().filter(|f| f.task == Some(t) && !f.resolved).count());
        let hours_logged =
            v.ledgers.values().flat_map(|l| l.counted()).filter(|e| e.task == Some(t)).map(|e| e.minutes).sum();
        Ok(TaskDetail {
            community: c,
            guild_name: task.guild.and_then(|g| people.guilds.get(&g)).map(|g| g.name.clone()),
            sector_name: people.sectors.get(&task.sector).map_or_else(|| task.sector.to_string(), |s| s.name.clone()),
            created_by_name: member_name(people, &task.created_by),
            gathering_title: task.gathering.and_then(|g| board.gatherings.get(&g)).map(|g| g.title.clone()),
            summary,
            pledges,
            my_pledge,
            hours_logged,
            open_flags,
        })
    }

    pub(super) fn stand_in(&mut self, task: &str, looking: bool) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        self.write_board(c, |board, people, w| {
            Ok((board.ask_stand_in(&w.me, t, looking, people, w.now)?, [Touched::Task(t)]))
        })?;
        self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
    }

    pub(super) fn take_over(&mut self, task: &str, from: &str) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let from = self.resolve_member(c, from)?;
        self.write_board(c, |board, people, w| {
            Ok((board.take_over(&w.me, t, from, people, w.now)?, [Touched::Task(t)]))
        })?;
        self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
    }

    pub(super) fn pledge_day(&mut self, task: &str, on: Option<weft_core::Date>) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        self.write_board(c, |board, people, w| {
            Ok((board.set_pledge_day(&w.me, t, on, people, w.today, w.now)?, [Touched::Task(t)]))
        })?;
        self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
    }

    pub(super) fn pledge(&mut self, task: &str, action: PledgeAction) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let me = self.me()?;
        self.write_board(c, |board, people, w| {
            Ok((board.set_pledge(&w.me, t, action, people, w.now)?, [Touched::Task(t)]))
        })?;
        let board = self.community(c)?.board();
        let task = board.require_task(t)?;
        let state = board.pledge(t, me).map(|p| p.state).unwrap_or(PledgeState::Withdrawn);
        Ok(Response::Pledge(PledgeInfo {
            task: t,
            title: task.title.clone(),
            state,
            taken: board.taken_slots(t),
            slots: task.slots,
        }))
    }

    /// Raises a concern about a task (in its community) or a sector of a community.
    pub(super) fn flag(
        &mut self,
        community: Option<&str>,
        task: Option<&str>,
        sector: Option<&SectorId>,
        note: &str,
    ) -> Result<Response, NodeError> {
        let (c, t) = match task {
            Some(t) => {
                let (c, t) = self.resolve_task(t)?;
                (c, Some(t))
            }
            None => (self.resolve_community(community)?, None),
        };
        let id = FlagId::random();
        self.write_board(c, |board, people, w| {
            Ok((board.raise_flag(id, &w.me, t, sector, note, people, w.now)?, [Touched::Flags]))
        })?;
        Ok(Response::Flag { id })
    }
}
