//! Handlers for recurring work: series, their occurrences, and making the occurrences that
//! come due as days pass (on the injected clock, on every member's device; the occurrence ids
//! are the series' own, so devices that make the same occurrence write one task).

use std::time::Duration;

use tracing::{debug, warn};
use weft_core::doc::series::{LAST, NewSeries, Repeat, SeriesEdit, occurrence_id};
use weft_core::id::SeriesId;
use weft_core::{CommunityId, Date, DocName};

use super::community::Touched;
use super::{State, count};
use crate::api::{OccurrenceInfo, RepeatInput, RepeatKind, Response, SeriesInfo, SeriesInput};
use crate::clock::Mono;
use crate::error::{MIN_ID_PREFIX, NodeError, Refusal, Thing};

/// How often a member's node makes the occurrences that came due (days pass slowly).
pub(crate) const OCCURRENCES_EVERY: Duration = Duration::from_secs(3 * 3600);

/// The repeat a member described, filled in from the start day.
pub(super) fn repeat_of(input: &RepeatInput, starts: Date) -> Repeat {
    let weekday = input.weekday.unwrap_or_else(|| starts.weekday());
    match input.kind {
        RepeatKind::Weekly => Repeat::Weekly { every: input.every.unwrap_or(1), weekday },
        RepeatKind::Monthly => {
            let nth = input.nth.unwrap_or_else(|| (u32::from(starts.day()) - 1) / 7 + 1).min(LAST);
            Repeat::Monthly { nth, weekday }
        }
    }
}

impl State {
    fn resolve_series(&mut self, reference: &str) -> Result<(CommunityId, SeriesId), NodeError> {
        let r = reference.trim().to_lowercase();
        if r.len() < MIN_ID_PREFIX as usize {
            let reference = reference.to_owned();
            return Err(Refusal::ShortReference { reference, thing: Thing::Series, min: MIN_ID_PREFIX }.into());
        }
        let mut found = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            found.extend(c.board().series.keys().filter(|s| s.to_string().starts_with(&r)).map(|s| (id, *s)));
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Refusal::NoSuchSeries { reference: reference.to_owned() }.into()),
            _ => Err(Refusal::AmbiguousSeries { reference: reference.to_owned(), matches: count(found.len()) }.into()),
        }
    }

    pub(super) fn add_series(&mut self, community: Option<&str>, input: SeriesInput) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let mut task = input.task.task;
        if let Some(g) = input.task.guild_ref.as_deref() {
            task.guild = Some(self.resolve_guild(c, g)?);
        }
        let starts = input.starts.unwrap_or_else(|| self.clock.today());
        let new = NewSeries {
            task,
            repeat: repeat_of(&input.repeat, starts),
            starts,
            until: input.until,
            ahead_days: input.ahead_days,
        };
        let id = SeriesId::random();
        self.write_board_changes(c, |board, people, w| {
            Ok((board.add_series(id, &w.me, &new, people, w.today, w.now)?, [Touched::Doc(DocName::Board)]))
        })?;
        self.series_info(c, id).map(Response::Series)
    }

    pub(super) fn edit_series(&mut self, series: &str, edit: &SeriesEdit) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_series(series)?;
        self.write_board(c, |board, people, w| {
            Ok((board.edit_series(&w.me, id, edit, people, w.today, w.now)?, [Touched::Doc(DocName::Board)]))
        })?;
        self.series_info(c, id).map(Response::Series)
    }

    pub(super) fn skip_occurrence(&mut self, series: &str, date: Date) -> Result<Response, NodeError> {
        let (c, id) = self.resolve_series(series)?;
        self.write_board(c, |board, people, w| {
            Ok((board.skip_occurrence(&w.me, id, date, people, w.now)?, [Touched::Doc(DocName::Board)]))
        })?;
        self.series_info(c, id).map(Response::Series)
    }

    pub(super) fn series_list(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let ids: Vec<SeriesId> = self.community(c)?.board().series.keys().copied().collect();
        let mut out = ids.into_iter().map(|id| self.series_info(c, id)).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|s| (s.series.title.to_lowercase(), s.series.id));
        Ok(Response::SeriesList(out))
    }

    fn series_info(&mut self, c: CommunityId, id: SeriesId) -> Result<SeriesInfo, NodeError> {
        let today = self.clock.today();
        let board = self.community(c)?.board();
        let series =
            board.series.get(&id).cloned().ok_or_else(|| NodeError::NotFound(format!("no series {}", id.short())))?;
        let mut coming: Vec<OccurrenceInfo> = board
            .tasks
            .values()
            .filter_map(|t| {
                let o = t.occurrence.as_ref().filter(|o| o.series == id && o.on >= today)?;
                Some(OccurrenceInfo {
                    task: t.id,
                    on: o.on,
                    taken: board.taken_slots(t.id),
                    slots: t.slots,
                    open: t.status == weft_core::model::TaskStatus::Open,
                    detached: o.detached,
                })
            })
            .collect();
        coming.sort_by_key(|o| o.on);
        debug_assert!(coming.iter().all(|o| o.task == occurrence_id(id, o.on)));
        Ok(SeriesInfo { community: c, when: series.repeat.describe(), series, coming })
    }

    /// Makes the occurrences our communities' series lack by today (nothing if none lack).
    pub(crate) fn make_occurrences(&mut self, c: CommunityId) -> Result<usize, NodeError> {
        let Some(me) = self.me_if_any() else { return Ok(0) };
        if !self.communities.get_mut(&c).is_some_and(|com| com.people().is_current_member(&me)) {
            return Ok(0);
        }
        // Nothing to do for a board with no series (most): no need to load it.
        if self.community(c)?.board().series.is_empty() {
            return Ok(0);
        }
        let w = self.write_ctx()?;
        let (board, _) = self.board_for_write(c)?;
        let Some(change) = board.make_occurrences(&w.me, w.today, w.now)? else { return Ok(0) };
        self.persist(c, vec![(DocName::Board, change)], &[Touched::Doc(DocName::Board)], None)?;
        Ok(1)
    }

    /// Makes due occurrences in every community of ours, when due by the clock.
    pub(crate) fn run_occurrences_due(&mut self) {
        let now = self.clock.mono();
        if self.occurrences_at > now {
            return;
        }
        for c in self.community_ids() {
            match self.make_occurrences(c) {
                Ok(0) => {}
                Ok(_) => debug!(community = %c.short(), "occurrences made"),
                Err(e) => warn!(%e, community = %c.short(), "could not make a series' occurrences"),
            }
        }
        self.occurrences_at = now + OCCURRENCES_EVERY;
    }

    /// When occurrences are next made.
    pub(crate) fn occurrences_next_due(&self) -> Mono {
        self.occurrences_at
    }
}
