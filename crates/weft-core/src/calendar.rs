//! An iCalendar (RFC 5545) writer: a member's pledged work as events that calendar programs
//! import, and import again without duplicates.
//!
//! The writer takes plain [`Event`]s, whatever they come from: today a member's pledges to
//! tasks that have a day ([`pledge_event`]); later, a crew's meetings and the community's
//! gatherings are further sources of the same type. Each event's [`uid`] is derived from the
//! kind of thing, its id and its community, so importing a newer file updates the events an
//! older one created instead of adding them again.
//!
//! # Time zones
//!
//! Two kinds of time, each written the one way that imports correctly everywhere:
//!
//! - **A day** ([`When::Day`], [`When::Days`]) is written as an all-day `VALUE=DATE`, which
//!   iCalendar defines as floating: the same calendar date in every zone. That is what a
//!   task's day is in Weft (a date without a zone: the community's own day, see `time.rs`).
//!   Pinning it to midnight UTC instead would move it to the day before for every member
//!   west of Greenwich.
//! - **An instant** ([`When::Between`]) is written in UTC with a `Z`
//!   (`DTSTART:20260314T170000Z`). Weft keeps instants as UTC milliseconds ([`Timestamp`]),
//!   so the UTC form is exact, and every calendar program shows it in the zone of whoever
//!   looks at it, a visitor from a neighbouring community across a zone border included.
//!   We write no `TZID`: a `TZID` must come with a `VTIMEZONE` giving the zone's rules, and
//!   Weft knows no member's zone by name (a node reads only its current UTC offset at start).
//!   A `VTIMEZONE` made from that offset would be a fixed offset, wrong on the other side of
//!   the next daylight-saving change; carrying the tz database into this pure crate for one
//!   export would be a lot of weight for no gain. Local wall time with a named zone matters
//!   for a recurrence rule (`RRULE`) that must keep 18:00 across a change of offset; we
//!   write none: each occurrence of a series is its own task, and so its own event.
//!
//! # The text format
//!
//! Lines end with CRLF and are folded at 75 octets (a continuation line starts with a space,
//! which counts), never inside a UTF-8 character. Text values escape `\`, `;`, `,` and line
//! breaks; other control characters, which text values may not hold, are left out.

use crate::doc::crews::Crew;
use crate::doc::gatherings::Gathering;
use crate::id::{CommunityId, TaskId};
use crate::model::{PledgeState, Task};
use crate::time::{Date, Minutes, Timestamp};

/// Who wrote the calendar (`PRODID`).
pub const PRODID: &str = "-//Weft//Weft calendar//EN";

/// The most octets on one line, CRLF not counted (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

const DAY_MS: i64 = 86_400_000;

/// Why a calendar could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the event {uid} ends before it starts")]
    EndsBeforeStart { uid: String },
    #[error("the event {uid} falls outside the years 0 to 9999, which iCalendar cannot write")]
    OutOfRange { uid: String },
}

/// When an event happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// All day, on a day without a zone (written as a floating `VALUE=DATE`).
    Day(Date),
    /// All day, from `first` to `last`, both included.
    Days { first: Date, last: Date },
    /// From one instant to another (written in UTC; an end equal to the start is written as
    /// no end: an event of no length).
    Between { start: Timestamp, end: Timestamp },
    /// At a time of day, wherever one is (a floating local time: a crew that meets at 19:00
    /// meets at 19:00 in its own town), for `minutes`.
    Local { day: Date, minute: u32, minutes: u32 },
}

impl When {
    /// The day it starts on (in UTC for an instant): the order events are written in.
    pub fn first_day(self) -> Date {
        match self {
            Self::Day(d) | Self::Days { first: d, .. } | Self::Local { day: d, .. } => d,
            Self::Between { start, .. } => start.date(),
        }
    }
}

/// Whether an event is on (`STATUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Confirmed,
    Tentative,
    Cancelled,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Tentative => "TENTATIVE",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// One event of a calendar: what every source of events (pledges now; crews' meetings and
/// gatherings later) gives the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable across exports (see [`uid`]): a calendar program updates the event it has.
    pub uid: String,
    pub when: When,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    /// `CATEGORIES` (the sector, for work).
    pub categories: Vec<String>,
    pub status: Status,
    /// A link to the thing, where there is one that opens from outside Weft.
    pub url: Option<String>,
}

/// The stable `UID` of a thing of a community: `task-<task id>.<community id>@weft`. The same
/// thing gets the same UID in every export, so a calendar program updates rather than adds.
pub fn uid(kind: &str, id: &impl std::fmt::Display, community: CommunityId) -> String {
    format!("{kind}-{id}.{community}@weft")
}

/// The day a task happens on, if it has one: an occurrence's day, else its deadline.
pub fn day_of(task: &Task) -> Option<Date> {
    task.occurrence.as_ref().map(|o| o.on).or(task.deadline)
}

/// A member's place on a piece of dated work: a task of their community, or a neighbour's
/// call they answered as a visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PledgedWork<'a> {
    /// The community whose task it is (the neighbour's, for a call).
    pub community: CommunityId,
    pub community_name: &'a str,
    pub task: TaskId,
    pub title: &'a str,
    pub description: &'a str,
    pub sector_name: &'a str,
    /// Hours each person gives.
    pub hours: Minutes,
    pub day: Date,
    pub location: Option<&'a str>,
    pub state: PledgeState,
    /// The task still stands. A closed task with a place still pledged did not happen for
    /// this member (a skipped day of a series is closed so), unless they said it was done.
    pub open: bool,
    /// Pledged as a visitor to a neighbouring community's call.
    pub visiting: bool,
}

/// The event of a pledge: all day on the work's day; confirmed while pledged or once done,
/// cancelled once withdrawn or when the task closed before it was done (so importing again
/// marks the event the member had as cancelled instead of leaving it as it was).
pub fn pledge_event(w: &PledgedWork<'_>) -> Event {
    let status = match w.state {
        PledgeState::Done => Status::Confirmed,
        PledgeState::Pledged if w.open => Status::Confirmed,
        PledgeState::Pledged | PledgeState::Withdrawn => Status::Cancelled,
    };
    let mut description = format!("{} · {} · {}", w.hours, w.sector_name, w.community_name);
    if w.visiting {
        description.push_str(" (as a visitor from a neighbouring community)");
    }
    match w.state {
        PledgeState::Done => description.push_str("\nDone."),
        PledgeState::Withdrawn => description.push_str("\nPledge withdrawn."),
        PledgeState::Pledged if !w.open => description.push_str("\nThe task was closed."),
        PledgeState::Pledged => {}
    }
    if !w.description.trim().is_empty() {
        description.push_str("\n\n");
        description.push_str(w.description.trim());
    }
    Event {
        uid: uid("task", &w.task, w.community),
        when: When::Day(w.day),
        summary: w.title.to_owned(),
        description,
        location: w.location.map(str::to_owned).filter(|l| !l.trim().is_empty()),
        categories: vec![w.sector_name.to_owned()],
        status,
        url: None,
    }
}

/// A crew's meeting on `day`: at the crew's time, local wherever it meets; one event per
/// meeting, its UID the crew's and the day's (an ended crew's meetings are written
/// cancelled, so a calendar that had them drops them).
pub fn crew_meeting_event(crew: &Crew, community: CommunityId, community_name: &str, day: Date) -> Option<Event> {
    let rhythm = crew.rhythm.as_ref()?;
    let mut description = format!("Crew meeting · {community_name}");
    if !crew.purpose.trim().is_empty() {
        description.push_str("\n\n");
        description.push_str(crew.purpose.trim());
    }
    Some(Event {
        uid: uid("crew", &format!("{}-{day}", crew.id), community),
        when: When::Local { day, minute: rhythm.time, minutes: rhythm.minutes },
        summary: crew.name.clone(),
        description,
        location: rhythm.place.clone(),
        categories: vec!["crew".to_owned()],
        status: if crew.ended.is_some() { Status::Cancelled } else { Status::Confirmed },
        url: None,
    })
}

/// A gathering, all days it lasts: confirmed for one who is coming, cancelled if it was
/// called off or they said they will not come after all.
pub fn gathering_event(g: &Gathering, community: CommunityId, community_name: &str, coming: bool) -> Event {
    let mut description = format!("Gathering · {community_name}");
    if !g.description.trim().is_empty() {
        description.push_str("\n\n");
        description.push_str(g.description.trim());
    }
    Event {
        uid: uid("gathering", &g.id, community),
        when: When::Days { first: g.starts, last: g.ends },
        summary: g.title.clone(),
        description,
        location: g.place.clone(),
        categories: vec!["gathering".to_owned()],
        status: if g.cancelled || !coming { Status::Cancelled } else { Status::Confirmed },
        url: None,
    }
}

/// Writes a calendar named `name` (`X-WR-CALNAME`, and RFC 7986's `NAME`) holding `events`
/// in the order given; `stamp` (`DTSTAMP`) is when it was made.
pub fn write(name: &str, stamp: Timestamp, events: &[Event]) -> Result<String, CalendarError> {
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line(&format!("PRODID:{PRODID}"));
    out.line("CALSCALE:GREGORIAN");
    out.line(&format!("X-WR-CALNAME:{}", escape_text(name)));
    out.line(&format!("NAME:{}", escape_text(name)));
    for e in events {
        let out_of_range = || CalendarError::OutOfRange { uid: e.uid.clone() };
        let stamp = utc_time(stamp).ok_or_else(out_of_range)?;
        out.line("BEGIN:VEVENT");
        out.line(&format!("UID:{}", escape_text(&e.uid)));
        out.line(&format!("DTSTAMP:{stamp}"));
        match e.when {
            When::Day(day) => all_day(&mut out, day, day).ok_or_else(out_of_range)?,
            When::Days { first, last } if last < first => {
                return Err(CalendarError::EndsBeforeStart { uid: e.uid.clone() });
            }
            When::Days { first, last } => all_day(&mut out, first, last).ok_or_else(out_of_range)?,
            When::Between { start, end } if end < start => {
                return Err(CalendarError::EndsBeforeStart { uid: e.uid.clone() });
            }
            When::Local { day, minute, minutes } => {
                let start = local_time(day, minute).ok_or_else(out_of_range)?;
                let end_minute = minute + minutes;
                let end_day = day.add_days(i64::from(end_minute / MINUTES_A_DAY)).ok_or_else(out_of_range)?;
                let end = local_time(end_day, end_minute % MINUTES_A_DAY).ok_or_else(out_of_range)?;
                out.line(&format!("DTSTART:{start}"));
                out.line(&format!("DTEND:{end}"));
            }
            When::Between { start, end } => {
                out.line(&format!("DTSTART:{}", utc_time(start).ok_or_else(out_of_range)?));
                if end > start {
                    out.line(&format!("DTEND:{}", utc_time(end).ok_or_else(out_of_range)?));
                }
            }
        }
        out.line(&format!("SUMMARY:{}", escape_text(&e.summary)));
        if !e.description.is_empty() {
            out.line(&format!("DESCRIPTION:{}", escape_text(&e.description)));
        }
        if let Some(location) = &e.location {
            out.line(&format!("LOCATION:{}", escape_text(location)));
        }
        let categories: Vec<String> = e.categories.iter().filter(|c| !c.is_empty()).map(|c| escape_text(c)).collect();
        if !categories.is_empty() {
            out.line(&format!("CATEGORIES:{}", categories.join(",")));
        }
        out.line(&format!("STATUS:{}", e.status.as_str()));
        if let Some(url) = &e.url {
            // A URI, not text: never escaped; line breaks cannot be in one.
            let url: String = url.chars().filter(|c| !c.is_ascii_control()).collect();
            out.line(&format!("URL:{url}"));
        }
        // A day's work takes some hours of it, not the whole day: it does not mark the
        // member busy for the day.
        if matches!(e.when, When::Day(_) | When::Days { .. }) {
            out.line("TRANSP:TRANSPARENT");
        }
        out.line("END:VEVENT");
    }
    out.line("END:VCALENDAR");
    Ok(out.text)
}

/// `DTSTART`/`DTEND` of an all-day event (`DTEND` is the day after the last: it is exclusive).
fn all_day(out: &mut Lines, first: Date, last: Date) -> Option<()> {
    let after = last.add_days(1)?;
    out.line(&format!("DTSTART;VALUE=DATE:{}", ical_date(first)?));
    out.line(&format!("DTEND;VALUE=DATE:{}", ical_date(after)?));
    Some(())
}

/// `YYYYMMDD`, for years iCalendar can write.
fn ical_date(d: Date) -> Option<String> {
    (0..=9999).contains(&d.year()).then(|| format!("{:04}{:02}{:02}", d.year(), d.month().number(), d.day()))
}

const MINUTES_A_DAY: u32 = 24 * 60;

/// `YYYYMMDDTHHMMSS`: a floating local time (no zone).
fn local_time(day: Date, minute: u32) -> Option<String> {
    (minute < MINUTES_A_DAY).then_some(())?;
    Some(format!("{}T{:02}{:02}00", ical_date(day)?, minute / 60, minute % 60))
}

/// `YYYYMMDDTHHMMSSZ` (seconds are whole: a part of a second is dropped).
fn utc_time(t: Timestamp) -> Option<String> {
    let day = Date::from_days_since_epoch(t.millis().div_euclid(DAY_MS))?;
    let secs = t.millis().rem_euclid(DAY_MS) / 1000;
    Some(format!("{}T{:02}{:02}{:02}Z", ical_date(day)?, secs / 3600, secs / 60 % 60, secs % 60))
}

/// A TEXT value (RFC 5545 §3.3.11): `\`, `;` and `,` escaped, every line break (CRLF, CR or
/// LF) as `\n`, and other control characters but the tab left out.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_ascii_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Content lines, folded and ended with CRLF.
#[derive(Debug, Default)]
struct Lines {
    text: String,
}

impl Lines {
    fn line(&mut self, line: &str) {
        fold_into(&mut self.text, line);
    }
}

/// Appends `line` folded at [`LINE_OCTETS`] octets (a continuation's leading space counts),
/// cutting only between UTF-8 characters, each piece ended with CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut rest = line;
    let mut room = LINE_OCTETS;
    while rest.len() > room {
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        room = LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus};

    use super::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// The instant `hh:mm` UTC on a day.
    fn at(d: &str, hh: i64, mm: i64) -> Timestamp {
        Timestamp(day(d).days_since_epoch() * DAY_MS + (hh * 60 + mm) * 60_000)
    }

    fn event(uid: &str, when: When) -> Event {
        Event {
            uid: uid.to_owned(),
            when,
            summary: "Soup".to_owned(),
            description: String::new(),
            location: None,
            categories: Vec::new(),
            status: Status::Confirmed,
            url: None,
        }
    }

    /// The physical lines of a written calendar, each checked to end with CRLF.
    fn physical_lines(text: &str) -> Vec<&str> {
        assert!(text.ends_with("\r\n"), "{text:?}");
        let lines: Vec<&str> = text[..text.len() - 2].split("\r\n").collect();
        assert!(lines.iter().all(|l| !l.contains('\n') && !l.contains('\r')), "a bare line break: {text:?}");
        lines
    }

    /// Content lines, unfolded as RFC 5545 says (a CRLF followed by a space or a tab goes).
    fn unfolded(text: &str) -> Vec<String> {
        text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n").map(str::to_owned).collect()
    }

    #[test]
    fn text_escapes_backslashes_separators_and_every_line_break() {
        assert_eq!(escape_text(r"a,b;c\d"), r"a\,b\;c\\d");
        assert_eq!(escape_text("one\ntwo\r\nthree\rfour"), r"one\ntwo\nthree\nfour");
        assert_eq!(escape_text("\r\n\r\n"), r"\n\n");
        assert_eq!(escape_text(r"\n is not a line break"), r"\\n is not a line break");
        // Text may hold tabs but no other control character.
        assert_eq!(escape_text("a\tb\u{7}c\u{0}d\u{7f}"), "a\tbcd");
        assert_eq!(escape_text("Café: ñandú 🍲"), "Café: ñandú 🍲");
    }

    #[test]
    fn long_lines_fold_at_75_octets_and_unfold_to_what_they_were() {
        let line = format!("DESCRIPTION:{}", "abcdefghij".repeat(30));
        let mut out = String::new();
        fold_into(&mut out, &line);
        let lines = physical_lines(&out);
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert_eq!(lines[0].len(), 75);
        assert!(lines[1..].iter().all(|l| l.starts_with(' ') && l.len() <= 75), "{lines:?}");
        assert_eq!(lines[1].len(), 75);
        assert_eq!(unfolded(&out), vec![line, String::new()]);
        // A line of exactly 75 octets stays whole; one more folds.
        for (len, pieces) in [(75, 1), (76, 2), (75 + 74, 2), (75 + 75, 3)] {
            let mut out = String::new();
            fold_into(&mut out, &"x".repeat(len));
            assert_eq!(physical_lines(&out).len(), pieces, "{len}");
        }
    }

    #[test]
    fn folding_never_cuts_inside_a_character() {
        // 74 octets, then a two-octet "é" that would straddle the 75th: the cut comes before it.
        let line = format!("SUMMARY:{}é{}", "a".repeat(66), "b".repeat(10));
        let mut out = String::new();
        fold_into(&mut out, &line);
        let lines = physical_lines(&out);
        assert_eq!(lines[0].len(), 74, "{lines:?}");
        assert!(lines[1].starts_with(" é"), "{lines:?}");
        // Emoji (four octets, and sequences joined by U+200D), accents precomposed and
        // combining, at every offset against the fold.
        for pad in 0..8 {
            let text = format!(
                "{}Soupe à l'oignon 🍲🥕, café, ñandú, e\u{301}te\u{301}; 👩\u{200d}🌾 en la huerta 🧑🏽\u{200d}🍳 {}",
                "x".repeat(pad),
                "🌱".repeat(40)
            );
            let line = format!("SUMMARY:{}", escape_text(&text));
            let mut out = String::new();
            fold_into(&mut out, &line);
            // Split as bytes, not as a string: each piece must be UTF-8 on its own.
            for piece in out.as_bytes().split(|b| *b == b'\n') {
                let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
                assert!(piece.len() <= 75, "{pad}: {} octets", piece.len());
                assert!(std::str::from_utf8(piece).is_ok(), "{pad}: a character was cut: {piece:?}");
            }
            assert_eq!(unfolded(&out)[0], line, "{pad}");
        }
    }

    #[test]
    fn a_calendar_of_one_day_is_written_as_rfc_5545_says() {
        let mut e = event("task-abc.def@weft", When::Day(day("2026-03-14")));
        e.summary = "Sort the food share, then pack it; all of it".to_owned();
        e.description = "2 h · Food · Riverside\nBring a crate".to_owned();
        e.location = Some("The hall, back door".to_owned());
        e.categories = vec!["Arts, culture & innovation".to_owned(), "Food".to_owned()];
        let text = write("Weft — Riverside", at("2026-03-01", 9, 30), &[e]).unwrap();
        assert_eq!(
            unfolded(&text),
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Weft//Weft calendar//EN",
                "CALSCALE:GREGORIAN",
                "X-WR-CALNAME:Weft — Riverside",
                "NAME:Weft — Riverside",
                "BEGIN:VEVENT",
                "UID:task-abc.def@weft",
                "DTSTAMP:20260301T093000Z",
                "DTSTART;VALUE=DATE:20260314",
                "DTEND;VALUE=DATE:20260315",
                r"SUMMARY:Sort the food share\, then pack it\; all of it",
                r"DESCRIPTION:2 h · Food · Riverside\nBring a crate",
                r"LOCATION:The hall\, back door",
                r"CATEGORIES:Arts\, culture & innovation,Food",
                "STATUS:CONFIRMED",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
                "END:VCALENDAR",
                "",
            ]
        );
    }

    #[test]
    fn days_are_floating_dates_and_instants_are_utc() {
        let events = [
            // The last day of a month and of a year: the exclusive end is the next day.
            event("a", When::Day(day("2026-12-31"))),
            event("b", When::Days { first: day("2028-02-28"), last: day("2028-02-29") }),
            // 18:00 in Madrid in March (UTC+1) is 17:00 UTC; in New York (UTC−4 then) 22:00
            // UTC: the file holds the instant, each program shows it in its own zone.
            event("c", When::Between { start: at("2026-03-14", 17, 0), end: at("2026-03-14", 19, 30) }),
            // Across midnight UTC, and before 1970.
            event("d", When::Between { start: at("2026-03-14", 23, 15), end: at("2026-03-15", 0, 45) }),
            event("e", When::Between { start: at("1969-07-20", 20, 17), end: at("1969-07-20", 20, 17) }),
        ];
        let text = write("Weft", at("2026-03-01", 0, 0), &events).unwrap();
        let lines = unfolded(&text);
        let has = |l: &str| assert!(lines.iter().any(|x| x == l), "{l} is missing from {lines:#?}");
        has("DTSTART;VALUE=DATE:20261231");
        has("DTEND;VALUE=DATE:20270101");
        has("DTSTART;VALUE=DATE:20280228");
        has("DTEND;VALUE=DATE:20280301");
        has("DTSTART:20260314T170000Z");
        has("DTEND:20260314T193000Z");
        has("DTSTART:20260314T231500Z");
        has("DTEND:20260315T004500Z");
        has("DTSTART:19690720T201700Z");
        // No zone is named anywhere: no TZID to resolve, so no VTIMEZONE is needed.
        assert!(!text.contains("TZID") && !text.contains("VTIMEZONE"), "{text}");
        // An event of no length has no end; a timed event keeps the member busy.
        assert_eq!(lines.iter().filter(|l| l.starts_with("DTEND")).count(), 4);
        assert_eq!(lines.iter().filter(|l| *l == "TRANSP:TRANSPARENT").count(), 2);

        // And an independent parser reads the same dates and instants.
        let parsed: icalendar::Calendar = text.parse().unwrap();
        let got: Vec<(String, Option<DatePerhapsTime>, Option<DatePerhapsTime>)> =
            parsed.events().map(|e| (e.get_uid().unwrap().to_owned(), e.get_start(), e.get_end())).collect();
        assert_eq!(got.len(), 5);
        let date = |d: &Option<DatePerhapsTime>| match d {
            Some(DatePerhapsTime::Date(d)) => d.to_string(),
            other => panic!("not a date: {other:?}"),
        };
        let utc = |d: &Option<DatePerhapsTime>| match d {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => Timestamp(t.timestamp_millis()),
            other => panic!("not a UTC instant: {other:?}"),
        };
        assert_eq!((date(&got[0].1), date(&got[0].2)), ("2026-12-31".into(), "2027-01-01".into()));
        assert_eq!((date(&got[1].1), date(&got[1].2)), ("2028-02-28".into(), "2028-03-01".into()));
        assert_eq!((utc(&got[2].1), utc(&got[2].2)), (at("2026-03-14", 17, 0), at("2026-03-14", 19, 30)));
        assert_eq!((utc(&got[3].1), utc(&got[3].2)), (at("2026-03-14", 23, 15), at("2026-03-15", 0, 45)));
        assert_eq!((utc(&got[4].1), &got[4].2), (at("1969-07-20", 20, 17), &None));
    }

    #[test]
    fn what_cannot_be_written_is_refused() {
        let backwards = event("x", When::Between { start: at("2026-03-14", 18, 0), end: at("2026-03-14", 17, 0) });
        assert_eq!(write("Weft", Timestamp(0), &[backwards]), Err(CalendarError::EndsBeforeStart { uid: "x".into() }));
        let backwards = event("y", When::Days { first: day("2026-03-14"), last: day("2026-03-13") });
        assert_eq!(write("Weft", Timestamp(0), &[backwards]), Err(CalendarError::EndsBeforeStart { uid: "y".into() }));
        let far = Date::from_ymd(-1, 1, 1).unwrap();
        assert_eq!(
            write("Weft", Timestamp(0), &[event("z", When::Day(far))]),
            Err(CalendarError::OutOfRange { uid: "z".into() })
        );
    }

    #[test]
    fn text_with_every_awkward_character_reads_back_the_same() {
        let summary = "Soup, bread; and \\ backslashes 🍲 — «café» e\u{301}";
        let description = "Line one,\nline two; 👩\u{200d}🌾\r\n\nand a last one ".repeat(6);
        let mut e = event("task-1.c@weft", When::Day(day("2026-05-01")));
        e.summary = summary.to_owned();
        e.description = description.clone();
        e.location = Some("Plaza Mayor, 3; Ávila".to_owned());
        e.categories = vec!["Arts, culture & innovation".to_owned()];
        e.status = Status::Cancelled;
        e.url = Some("https://example.org/a?b=c,d;e".to_owned());
        let text = write("Weft — Ñandú, Hills; \\ 🌾", Timestamp(0), &[e]).unwrap();
        assert!(physical_lines(&text).iter().all(|l| l.len() <= 75));
        let parsed: icalendar::Calendar = text.parse().unwrap();
        assert_eq!(parsed.property_value("X-WR-CALNAME"), Some("Weft — Ñandú, Hills; \\ 🌾"));
        let got = parsed.events().next().unwrap();
        assert_eq!(got.get_summary(), Some(summary));
        assert_eq!(got.get_description(), Some(description.replace("\r\n", "\n").as_str()));
        assert_eq!(got.get_location(), Some("Plaza Mayor, 3; Ávila"));
        assert_eq!(got.get_categories(), Some(vec!["Arts, culture & innovation".to_owned()]));
        assert_eq!(got.get_status(), Some(EventStatus::Cancelled));
        assert_eq!(got.get_url(), Some("https://example.org/a?b=c,d;e"));
    }

    fn work(state: PledgeState, open: bool) -> PledgedWork<'static> {
        PledgedWork {
            community: CommunityId::from_bytes([7; 16]),
            community_name: "Riverside",
            task: TaskId::from_bytes([9; 12]),
            title: "Sort the food share",
            description: "  Crates are in the shed.\n",
            sector_name: "Food",
            hours: Minutes(90),
            day: day("2026-03-14"),
            location: Some(""),
            state,
            open,
            visiting: false,
        }
    }

    #[test]
    fn a_pledge_is_confirmed_until_withdrawn_or_its_task_closes_undone() {
        let e = pledge_event(&work(PledgeState::Pledged, true));
        let community = CommunityId::from_bytes([7; 16]);
        assert_eq!(e.uid, format!("task-{}.{community}@weft", TaskId::from_bytes([9; 12])));
        assert_eq!(e.when, When::Day(day("2026-03-14")));
        assert_eq!(e.description, "1.5 h · Food · Riverside\n\nCrates are in the shed.");
        assert_eq!((e.status, e.location, e.categories), (Status::Confirmed, None, vec!["Food".to_owned()]));
        for (state, open, status) in [
            (PledgeState::Pledged, false, Status::Cancelled),
            (PledgeState::Withdrawn, true, Status::Cancelled),
            (PledgeState::Done, true, Status::Confirmed),
            (PledgeState::Done, false, Status::Confirmed),
        ] {
            let again = pledge_event(&work(state, open));
            assert_eq!(again.status, status, "{state} open={open}");
            assert_eq!(again.uid, e.uid, "one event whatever becomes of the pledge");
        }
        let visit = pledge_event(&PledgedWork { visiting: true, ..work(PledgeState::Pledged, true) });
        assert!(visit.description.contains("as a visitor"), "{}", visit.description);
    }
}
