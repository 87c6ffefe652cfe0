//! The caller's calendar: their pledges to tasks that have a day, in one community or all,
//! and to neighbours' calls they answered as a visitor, as iCalendar text
//! (`weft_core::calendar` writes it; more sources of events, a crew's meetings or the
//! community's gatherings, add their events to the same list).
//!
//! Which pledges: the caller's own, `pledged` or `done`, and `withdrawn` ones too. A done
//! pledge stays in the calendar, confirmed: the member gave that day, and a calendar that
//! subscribes to the file drops an event that disappears from it, history and all. A
//! withdrawn pledge (or one on a task closed before it was done) is written cancelled under
//! the same UID: importing a file adds and updates events but never removes one, so leaving
//! it out would leave the member's calendar saying they are expected.

use std::collections::BTreeMap;

use weft_core::calendar::{self, Event, PledgedWork, Status};
use weft_core::model::TaskStatus;
use weft_core::{CommunityId, SkillId};

use super::{State, count};
use crate::api::{CalendarFileInfo, CalendarInfo, Response};
use crate::clock::Mono;
use crate::error::NodeError;

/// How far ahead a crew's meetings are written, in days.
const MEETINGS_AHEAD: i64 = 56;

/// The calendar file a device keeps up to date, in its data directory: kept while it exists.
pub(crate) const KEPT: &str = "calendar.ics";
/// The kept file is looked at again this long after a change (changes come in bursts).
const KEPT_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

impl State {
    pub(super) fn calendar(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let me = self.me()?;
        let (covers, ours) = match community {
            Some(_) => {
                let c = self.resolve_community(community)?;
                (Some(c), vec![c])
            }
            None => (None, self.community_ids()),
        };
        // By UID: a neighbour's call seen from two of our communities is one event.
        let mut events: BTreeMap<String, Event> = BTreeMap::new();
        let mut names = Vec::new();
        let today = self.clock.today();
        for c in ours {
            let v = self.community(c)?.views();
            let (people, board) = (v.people, v.board);
            names.push(people.name.clone());
            for p in board.pledges.values().filter(|p| p.member == me) {
                let Some(task) = board.tasks.get(&p.task) else { continue };
                // The day the member said they would do it, else the task's own.
                let Some(day) = p.on.or_else(|| calendar::day_of(task)) else { continue };
                let sector = people.sectors.get(&task.sector).map_or(task.sector.as_str(), |s| s.name.as_str());
                let event = calendar::pledge_event(&PledgedWork {
                    community: c,
                    community_name: &people.name,
                    task: task.id,
                    title: &task.title,
                    description: &task.description,
                    sector_name: sector,
                    hours: task.hours,
                    day,
                    location: task.location.as_deref(),
                    // A place handed over to a stand-in is no longer the member's to keep.
                    state: if board.handed_over(p).is_some() {
                        weft_core::model::PledgeState::Withdrawn
                    } else {
                        p.state
                    },
                    open: task.status == TaskStatus::Open,
                    visiting: false,
                });
                events.insert(event.uid.clone(), event);
            }
            // The meetings of my crews, eight weeks ahead (and the last two weeks'), and the
            // gatherings I said I would come to (or, cancelled, that I said I would not).
            let (from, to) = (today.add_days(-14).unwrap_or(today), today.add_days(MEETINGS_AHEAD).unwrap_or(today));
            for k in people.crews.values().filter(|k| k.has(&me)) {
                for day in k.rhythm.as_ref().map(|r| r.meetings(from, to)).unwrap_or_default() {
                    if let Some(event) = calendar::crew_meeting_event(k, c, &people.name, day) {
                        events.insert(event.uid.clone(), event);
                    }
                }
            }
            for g in board.gatherings.values() {
                let coming = g.attending.contains(&me);
                if coming || g.not_coming.contains(&me) {
                    let event = calendar::gathering_event(g, c, &people.name, coming);
                    events.insert(event.uid.clone(), event);
                }
            }
            for event in self.visits(c)? {
                events.insert(event.uid.clone(), event);
            }
        }
        let mut events: Vec<Event> = events.into_values().collect();
        events.sort_by(|a, b| (a.when.first_day(), &a.uid).cmp(&(b.when.first_day(), &b.uid)));
        let name =
            format!("Weft — {}", if names.is_empty() { "no community yet".to_owned() } else { names.join(", ") });
        let ics = calendar::write(&name, self.clock.now(), &events).map_err(|e| NodeError::Internal(e.to_string()))?;
        let suggested_name = match (covers, names.as_slice()) {
            (Some(_), [one]) => {
                let slug = SkillId::slugify(one).map_or_else(|_| "community".to_owned(), |s| s.to_string());
                format!("{slug}-calendar.ics")
            }
            _ => "weft-calendar.ics".to_owned(),
        };
        Ok(Response::Calendar(CalendarInfo {
            community: covers,
            name,
            suggested_name,
            ics,
            events: count(events.len()),
            cancelled: count(events.iter().filter(|e| e.status == Status::Cancelled).count()),
        }))
    }

    fn kept_path(&self) -> std::path::PathBuf {
        self.dir.path().join(KEPT)
    }

    /// Writes the calendar of every community to the kept file, whole (a new file renamed
    /// over the old one: a calendar program never reads half of it). Returns its events.
    fn write_kept(&mut self) -> Result<u32, NodeError> {
        let Response::Calendar(info) = self.calendar(None)? else {
            return Err(NodeError::Internal("the calendar came back as something else".into()));
        };
        let path = self.kept_path();
        let tmp = path.with_extension("ics.new");
        if let Err(e) = std::fs::write(&tmp, info.ics.as_bytes()).and_then(|()| std::fs::rename(&tmp, &path)) {
            // The old file stays whole; the new one, cut short by a full disk, would only keep
            // the space the member is freeing.
            let _ = std::fs::remove_file(&tmp);
            if matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) {
                tracing::warn!(path = %path.display(), %e, "no room left for the calendar file");
                return Err(weft_store::StoreError::DiskFull.into());
            }
            return Err(NodeError::Write(format!("the calendar file {} could not be written: {e}", path.display())));
        }
        self.calendar_stale = false;
        self.calendar_written = Some(self.clock.today());
        Ok(info.events)
    }

    /// Starts keeping the calendar file (written now), or stops (it is removed).
    pub(super) fn keep_calendar(&mut self, keep: bool) -> Result<Response, NodeError> {
        let path = self.kept_path();
        if !keep {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(NodeError::Write(format!(
                        "the calendar file {} could not be removed: {e}",
                        path.display()
                    )));
                }
            }
            return Ok(Response::CalendarFile(CalendarFileInfo { path: None, url: None, events: 0 }));
        }
        let events = self.write_kept()?;
        let shown = path.display().to_string();
        Ok(Response::CalendarFile(CalendarFileInfo {
            url: Some(format!("file://{}", shown.replace(' ', "%20"))),
            path: Some(shown),
            events,
        }))
    }

    /// When the kept calendar file is next looked at: soon after a change, if it is kept.
    pub(crate) fn calendar_next_due(&self) -> Option<Mono> {
        (self.calendar_stale && self.identity.is_some() && self.kept_path().exists()).then_some(self.calendar_at)
    }

    /// Rewrites the kept calendar file if a document changed since, or the day turned.
    pub(crate) fn run_calendar_due(&mut self) {
        let now = self.clock.mono();
        if now < self.calendar_at || self.identity.is_none() {
            return;
        }
        let stale = self.calendar_stale || self.calendar_written != Some(self.clock.today());
        if !stale || !self.kept_path().exists() {
            return;
        }
        self.calendar_at = now + KEPT_AFTER;
        if let Err(e) = self.write_kept() {
            tracing::warn!(%e, "could not keep the calendar file up to date");
            // Tried again after the next change, or the next day.
            self.calendar_stale = false;
        }
    }

    /// The caller's pledges, as a visitor from our community `c`, to the calls of the
    /// neighbours `c` links live (a call's day is its deadline; a call closing means it is
    /// filled or no longer asked of visitors, not that the work is off).
    fn visits(&mut self, c: CommunityId) -> Result<Vec<Event>, NodeError> {
        let me = self.me()?;
        let links: Vec<CommunityId> = self.held(c)?.view().live_links().collect();
        let ours = self.community(c)?.people().sectors.clone();
        let mut out = Vec::new();
        for n in links {
            let our_name = self.communities.get_mut(&n).map(|com| com.people().name.clone());
            let Some(held) = self.commons.get_mut(&n) else { continue };
            let view = held.view();
            let name =
                our_name.or_else(|| view.directory.name.clone()).unwrap_or_else(|| format!("community {}", n.short()));
            for p in view.pledges.iter().filter(|p| p.member == me && p.community == c) {
                let Some(call) = view.calls.get(&p.task) else { continue };
                let Some(day) = call.deadline else { continue };
                // The neighbour's sectors are named in its people document, which we do not
                // hold; the default sectors share their ids, so ours name most of them.
                let sector = ours.get(&call.sector).map_or(call.sector.as_str(), |s| s.name.as_str());
                out.push(calendar::pledge_event(&PledgedWork {
                    community: n,
                    community_name: &name,
                    task: call.task,
                    title: &call.title,
                    description: &call.description,
                    sector_name: sector,
                    hours: call.hours,
                    day,
                    location: call.location.as_deref(),
                    state: p.state,
                    open: true,
                    visiting: true,
                }));
            }
        }
        Ok(out)
    }
}
