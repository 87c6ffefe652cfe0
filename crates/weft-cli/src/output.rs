//! How answers are printed: for people (short, aligned, collective progress as bars) and for
//! scripts (`--json`: the response's data as JSON on stdout).

use std::io::{self, Write};

use weft_core::Minutes;
use weft_core::model::{PledgeState, TaskStatus, Urgency};
use weft_core::views::TaskSummary;
use weft_match::Resting;
use weft_node::Response;
use weft_node::api::{EntryInfo, PlanInfo, SuggestionsInfo};

/// Prints the data of a response as JSON.
pub fn json(out: &mut impl Write, response: &Response) -> anyhow::Result<()> {
    let value = serde_json::to_value(response)?;
    let data = value.get("data").cloned().unwrap_or(serde_json::Value::Null);
    serde_json::to_writer_pretty(&mut *out, &data)?;
    writeln!(out)?;
    Ok(())
}

fn urgency(u: Urgency) -> &'static str {
    match u {
        Urgency::Urgent => "URGENT",
        Urgency::Soon => "soon",
        Urgency::Normal => "",
    }
}

fn bar(percent: u32, width: u32) -> String {
    let filled = (percent.min(100) * width / 100) as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width as usize - filled))
}

fn hours(m: Minutes) -> String {
    let h = m.get() / 60;
    match m.get() % 60 {
        0 => format!("{h} h"),
        r => format!("{:.1} h", f64::from(h) + f64::from(r) / 60.0),
    }
}

fn task_row(out: &mut impl Write, t: &TaskSummary) -> io::Result<()> {
    let task = &t.task;
    let status = if task.status == TaskStatus::Closed { "closed" } else { urgency(task.urgency) };
    writeln!(
        out,
        "{:<8}  {:<6}  {:<12}  {:>5}  {:>6}  {:<10}  {}{}",
        task.id.short(),
        status,
        task.sector,
        format!("{}/{}", t.taken, task.slots),
        hours(task.hours),
        task.deadline.map(|d| d.to_string()).unwrap_or_default(),
        task.title,
        if task.open_to_neighbours { "  (neighbours welcome)" } else { "" }
    )
}

fn entry_row(out: &mut impl Write, e: &EntryInfo) -> io::Result<()> {
    let what = e.task_title.clone().unwrap_or_else(|| e.sector.to_string());
    let confirmed =
        if e.confirmed_by.is_empty() { String::new() } else { format!("  ✓ {}", e.confirmed_by.join(", ")) };
    writeln!(
        out,
        "{:<8}  {}  {:>6}  {:<18}  {}{}",
        e.id.short(),
        e.date,
        hours(e.minutes),
        e.member_name,
        what,
        confirmed
    )
}

fn neighbour(out: &mut impl Write, x: &weft_node::api::NeighbourInfo) -> anyhow::Result<()> {
    let state = match (x.live, x.theirs_live) {
        (false, _) => "link ended".to_owned(),
        (true, None) => "linked (their commons has not arrived yet)".to_owned(),
        (true, Some(true)) => "linked both ways".to_owned(),
        (true, Some(false)) => "linked here, but their side has not linked us (or ended it)".to_owned(),
    };
    writeln!(out, "{} ({}) — {state}", x.name, x.community.short())?;
    let place = x.location.as_deref().unwrap_or("somewhere not said");
    writeln!(
        out,
        "  {} members · {} open calls · {place} · speaks {} · can host {}",
        x.members,
        x.open_calls,
        if x.languages.is_empty() { "(not said)" } else { &x.languages },
        x.hosts
    )?;
    if !x.about.is_empty() {
        writeln!(out, "  {}", x.about)?;
    }
    writeln!(out, "  linked by {} on {}", x.linked_by, x.linked_at.date())?;
    Ok(())
}

fn names(list: &[weft_node::api::Named]) -> String {
    list.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn crew(out: &mut impl Write, k: &weft_node::api::CrewInfo, full: bool) -> anyhow::Result<()> {
    let mut state = Vec::new();
    if k.ended {
        state.push("ended".to_owned());
    }
    if k.mine {
        state.push(if k.waiting_for_place { "you wait for a place".into() } else { "yours".into() });
    } else if k.may_join {
        state.push("you may join".into());
    }
    if !k.open {
        state.push("by invitation".into());
    }
    let state = if state.is_empty() { String::new() } else { format!(" ({})", state.join(", ")) };
    writeln!(out, "{} {} — {} of {} members{state}", k.id.short(), k.name, k.members.len(), k.max)?;
    if let Some(w) = &k.when {
        let place = k.rhythm.as_ref().and_then(|r| r.place.as_deref()).map(|p| format!(", {p}")).unwrap_or_default();
        let next = k.next_meeting.map(|d| format!("; next {d}")).unwrap_or_default();
        writeln!(out, "  meets {w}{place}{next}")?;
    }
    if let Some(r) = k.review {
        writeln!(out, "  review {}{}", r, if k.review_due { " — due" } else { "" })?;
    }
    if !full {
        return Ok(());
    }
    if !k.purpose.is_empty() {
        writeln!(out, "  {}", k.purpose)?;
    }
    writeln!(out, "  members: {}", names(&k.members))?;
    if !k.waiting.is_empty() {
        writeln!(out, "  waiting for a place: {}", names(&k.waiting))?;
    }
    if !k.invited.is_empty() {
        writeln!(out, "  invited: {}", names(&k.invited))?;
    }
    for t in &k.tasks {
        let day = t.day.map(|d| format!(" on {d}")).unwrap_or_default();
        writeln!(
            out,
            "  task {} {}{day} — {} shared, {} each ({}, taken by {})",
            t.task.short(),
            t.title,
            hours(t.hours),
            hours(t.share),
            t.state,
            t.pledged_by
        )?;
    }
    for n in &k.notes {
        writeln!(out, "  {} {} — {}: {}", n.note.at.date(), n.note.kind, n.name, n.note.text)?;
    }
    Ok(())
}

fn gathering(out: &mut impl Write, g: &weft_node::api::GatheringInfo, full: bool) -> anyhow::Result<()> {
    let days = if g.ends == g.starts { g.starts.to_string() } else { format!("{} to {}", g.starts, g.ends) };
    let place = g.place.as_deref().map(|p| format!(", {p}")).unwrap_or_default();
    let state = if g.cancelled {
        " — called off".to_owned()
    } else {
        match g.coming {
            Some(true) => " — you are coming".to_owned(),
            Some(false) => " — you are not coming".to_owned(),
            None => String::new(),
        }
    };
    writeln!(out, "{} {} — {days}{place}{state}", g.id.short(), g.title)?;
    writeln!(out, "  {} coming; {} places open on {} tasks", g.attending.len(), g.open_places, g.tasks.len())?;
    if !full {
        return Ok(());
    }
    if !g.description.is_empty() {
        writeln!(out, "  {}", g.description)?;
    }
    if !g.attending.is_empty() {
        writeln!(out, "  coming: {}", names(&g.attending))?;
    }
    for t in &g.tasks {
        task_row(out, t)?;
    }
    Ok(())
}

fn series(out: &mut impl Write, s: &weft_node::api::SeriesInfo) -> anyhow::Result<()> {
    let until = s.series.until.map(|u| format!(" until {u}")).unwrap_or_default();
    writeln!(
        out,
        "{} {} — {} from {}{} ({}, {}, {} place{})",
        s.series.id.short(),
        s.series.title,
        s.when,
        s.series.starts,
        until,
        s.series.sector,
        hours(s.series.hours),
        s.series.slots,
        if s.series.slots == 1 { "" } else { "s" }
    )?;
    for o in &s.coming {
        let state = if !o.open { "closed".to_owned() } else { format!("{}/{} taken", o.taken, o.slots) };
        let by_hand = if o.detached { " · changed by hand" } else { "" };
        writeln!(out, "  {} {} · {}{}", o.on, o.task.short(), state, by_hand)?;
    }
    if !s.series.skipped.is_empty() {
        let days: Vec<String> = s.series.skipped.iter().map(ToString::to_string).collect();
        writeln!(out, "  skipped: {}", days.join(", "))?;
    }
    Ok(())
}

fn round_result(r: weft_core::doc::proposals::RoundResult) -> &'static str {
    use weft_core::doc::proposals::RoundResult as R;
    match r {
        R::Consented => "consented: nobody objected",
        R::Objected => "objected to: a new round opened",
        R::Advised => "advice given: it goes ahead",
        R::Agreed => "agreed",
        R::NotAgreed => "not agreed",
        R::Blocked => "blocked: a new round opened",
        R::Lapsed => "lapsed: nobody took a stance in time",
    }
}

/// A proposal: one line and its state, and with `full` its rounds and every stance.
fn proposal(out: &mut impl Write, p: &weft_node::api::ProposalInfo, full: bool) -> anyhow::Result<()> {
    use weft_core::doc::proposals::ProposalStatus as S;
    let state = match p.status {
        S::Open { round } => {
            let closes = p.rounds.last().map(|r| r.closes.date().to_string()).unwrap_or_default();
            format!("open, round {round}, closes {closes}")
        }
        S::Decided { result } | S::NotDecided { result } => round_result(result).to_owned(),
        S::Withdrawn => "withdrawn".to_owned(),
    };
    writeln!(out, "{} {} ({}, by {}) · {}", p.id.short(), p.title, p.kind, p.created_by_name, state)?;
    if let Some(s) = p.my_stance {
        writeln!(out, "  your stance: {s}")?;
    } else if matches!(p.status, S::Open { .. }) {
        let choices: Vec<String> = p.choices.iter().map(ToString::to_string).collect();
        writeln!(out, "  your stance: none yet ({})", choices.join(", "))?;
    }
    if let Some(o) = &p.outcome {
        writeln!(out, "  outcome: {} ({})", o.text, o.by_name)?;
        if let Some(r) = o.review {
            writeln!(out, "  review {}{}", r, if p.review_due { " — due now" } else { "" })?;
        }
    } else if matches!(p.status, S::Decided { .. }) {
        writeln!(out, "  decided; nobody has written the outcome yet: weft proposal outcome {} TEXT", p.id.short())?;
    }
    if !full {
        return Ok(());
    }
    if !p.details.is_empty() {
        writeln!(out, "  {}", p.details)?;
    }
    if let Some(n) = &p.concern_note {
        writeln!(out, "  from the concern: {n}")?;
    }
    if let Some(t) = &p.task_title {
        writeln!(out, "  about the task: {t}")?;
    }
    if let Some(s) = &p.sector {
        writeln!(out, "  about the sector: {s}")?;
    }
    if let Some(g) = &p.guild_name {
        writeln!(out, "  for the guild: {g}")?;
    }
    for r in &p.rounds {
        let tally: Vec<String> = r.tally.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let result = r.result.map_or("open", round_result);
        writeln!(
            out,
            "  round {} ({} – {}): {} · {}",
            r.n,
            r.opened.date(),
            r.closes.date(),
            tally.join(", "),
            result
        )?;
        for s in &r.stances {
            match &s.reason {
                Some(why) => writeln!(out, "    {}: {} — {}", s.name, s.stance, why)?,
                None => writeln!(out, "    {}: {}", s.name, s.stance)?,
            }
        }
    }
    if p.history.len() > p.rounds.iter().map(|r| r.stances.len()).sum::<usize>() {
        writeln!(out, "  every stance taken:")?;
        for s in &p.history {
            writeln!(out, "    {} round {}: {} {}", s.at.date(), s.round, s.name, s.stance)?;
        }
    }
    Ok(())
}

fn call(out: &mut impl Write, c: &weft_node::api::CallInfo) -> anyhow::Result<()> {
    let why = if c.escalated { "escalated: urgent and short of people" } else { "open to visitors" };
    writeln!(
        out,
        "{} {} — {} ({}, {}, {} place{}) · {}{}",
        c.task.short(),
        c.title,
        c.community_name,
        c.sector,
        hours(c.hours),
        c.slots,
        if c.slots == 1 { "" } else { "s" },
        why,
        if c.ours { " · ours" } else { "" }
    )?;
    if !c.skills.is_empty() {
        let skills: Vec<&str> = c.skills.iter().map(weft_core::SkillId::as_str).collect();
        writeln!(out, "  asks for {}", skills.join(", "))?;
    }
    if let Some(d) = c.deadline {
        writeln!(out, "  by {d}")?;
    }
    if let Some(l) = &c.location {
        writeln!(out, "  at {l}")?;
    }
    for v in &c.visitors {
        writeln!(out, "  {} from {}: {}", v.name, v.community_name, v.state)?;
    }
    if c.visitor_minutes.get() > 0 {
        writeln!(out, "  visitors gave {}", hours(c.visitor_minutes))?;
    }
    Ok(())
}

fn notice(out: &mut impl Write, n: &weft_node::api::NoticeInfo) -> anyhow::Result<()> {
    let kind = match n.kind {
        weft_node::api::NoticeKindInput::Offer => "offer",
        weft_node::api::NoticeKindInput::Need => "need",
    };
    writeln!(
        out,
        "{} {kind} of {}: {}{}",
        n.id.short(),
        n.community_name,
        n.title,
        if n.open { "" } else { " (closed)" }
    )?;
    if !n.description.is_empty() {
        writeln!(out, "  {}", n.description)?;
    }
    for r in &n.replies {
        writeln!(out, "  {} ({}): {}", r.name, r.community_name, r.text)?;
    }
    Ok(())
}

/// A moment as a date and a UTC time of day.
fn utc_time(t: weft_core::Timestamp) -> String {
    let minute = t.millis().rem_euclid(86_400_000) / 60_000;
    format!("{} {:02}:{:02} UTC", t.date(), minute / 60, minute % 60)
}

fn devices(out: &mut impl Write, d: &weft_node::api::DevicesInfo) -> anyhow::Result<()> {
    for device in &d.devices {
        let label = if device.label.is_empty() { "(unnamed)" } else { device.label.as_str() };
        let kind = match device.kind {
            weft_core::model::DeviceKind::Computer => "computer",
            weft_core::model::DeviceKind::Backup => "backup",
        };
        let this = if device.this { " — this computer" } else { "" };
        let state = match &device.revoked {
            Some(r) => format!(" — revoked by {} on {}", r.by_name, r.at.date()),
            None => String::new(),
        };
        writeln!(out, "{}  {label} ({kind}, added {}){this}{state}", device.id.short(), device.added_at.date())?;
    }
    if let Some(p) = &d.pairing {
        let state = if p.used { "used" } else { "waiting" };
        writeln!(out)?;
        writeln!(out, "Pairing code {state}, valid until {}: {}", utc_time(p.expires), p.code)?;
    }
    for a in &d.asking {
        let state = if a.confirmed { "confirmed" } else { "asks to be linked" };
        writeln!(out, "  \"{}\" ({}) {state}: {}", a.label, a.device.short(), a.words.join(" "))?;
    }
    Ok(())
}

/// Prints a response for a person.
pub fn human(out: &mut impl Write, response: &Response) -> anyhow::Result<()> {
    match response {
        Response::Identity(i) => {
            writeln!(out, "{} — member {}", i.name, i.member)?;
            writeln!(out, "device {}", i.device)?;
            writeln!(out, "data in {}", i.data_dir)?;
        }
        Response::Community(c) => {
            writeln!(out, "{} ({})", c.name, c.id)?;
            writeln!(
                out,
                "{} members · {} open tasks ({} urgent) · baseline {} a year",
                c.members,
                c.open_tasks,
                c.urgent_open,
                hours(c.baseline)
            )?;
        }
        Response::Communities(list) => {
            if list.is_empty() {
                writeln!(out, "No communities yet: `weft community create NAME`, or `weft demo` to try one.")?;
            }
            for c in list {
                writeln!(
                    out,
                    "{:<8}  {:<30}  {:>4} members  {:>3} open tasks  {:>2} urgent",
                    c.id.short(),
                    c.name,
                    c.members,
                    c.open_tasks,
                    c.urgent_open
                )?;
            }
        }
        Response::Member(m) => {
            let p = &m.profile;
            writeln!(out, "{}{} ({})", m.name, if m.is_me { " (you)" } else { "" }, m.id.short())?;
            let skills: Vec<String> = p.skills.iter().map(|(s, l)| format!("{s} {}/5", l.get())).collect();
            writeln!(out, "  skills:    {}", if skills.is_empty() { "—".into() } else { skills.join(", ") })?;
            let interests: Vec<String> = p.interests.iter().map(|(s, l)| format!("{s} {}/5", l.get())).collect();
            writeln!(out, "  interests: {}", if interests.is_empty() { "—".into() } else { interests.join(", ") })?;
            writeln!(out, "  available: {} a week", hours(p.hours_per_week))?;
            writeln!(out, "  travel:    {}", if p.willing_to_travel { "yes" } else { "no" })?;
            let learn: Vec<&str> = p.wants_to_learn.iter().map(|s| s.as_str()).collect();
            writeln!(out, "  learning:  {}", if learn.is_empty() { "—".into() } else { learn.join(", ") })?;
        }
        Response::Members(list) => {
            for m in list {
                let skills: Vec<&str> = m.profile.skills.keys().map(|s| s.as_str()).take(4).collect();
                writeln!(
                    out,
                    "{:<24}  {}",
                    format!("{}{}", m.name, if m.is_me { " (you)" } else { "" }),
                    skills.join(", ")
                )?;
            }
            writeln!(out, "{} members", list.len())?;
        }
        Response::Sectors(list) => {
            for s in list {
                writeln!(
                    out,
                    "{:<12}  {:<30}  {:>5} a year  {}",
                    s.id,
                    s.name,
                    hours(s.baseline),
                    if s.essential { "essential" } else { "" }
                )?;
            }
        }
        Response::Guild(g) => writeln!(out, "Guild '{}' in {} ({})", g.name, g.sector, g.id.short())?,
        Response::Guilds(list) => {
            for g in list {
                writeln!(out, "{:<8}  {:<12}  {}", g.id.short(), g.sector, g.name)?;
            }
        }
        Response::Task(t) => {
            let task = &t.summary.task;
            writeln!(out, "{}", task.title)?;
            writeln!(out, "  id:        {}", task.id)?;
            let guild = t.guild_name.as_deref().map(|g| format!(" · {g}")).unwrap_or_default();
            writeln!(out, "  sector:    {}{guild}", t.sector_name)?;
            let state =
                if task.status == TaskStatus::Closed { "closed".to_owned() } else { format!("open, {}", task.urgency) };
            writeln!(out, "  status:    {state}")?;
            writeln!(
                out,
                "  places:    {} of {} taken, {} per person",
                t.summary.taken,
                task.slots,
                hours(task.hours)
            )?;
            if !task.skills.is_empty() {
                let skills: Vec<&str> = task.skills.iter().map(|s| s.as_str()).collect();
                writeln!(out, "  skills:    {}", skills.join(", "))?;
            }
            if let Some(d) = task.deadline {
                writeln!(out, "  deadline:  {d}")?;
            }
            if let Some(l) = &task.location {
                writeln!(out, "  where:     {l}")?;
            }
            if task.open_to_neighbours {
                writeln!(out, "  neighbouring communities are welcome to help")?;
            }
            if let Some(g) = &t.gathering_title {
                writeln!(out, "  gathering: {g}")?;
            }
            writeln!(out, "  posted by: {}", t.created_by_name)?;
            if !task.description.is_empty() {
                writeln!(out, "\n{}\n", task.description)?;
            }
            let active: Vec<String> = t
                .pledges
                .iter()
                .filter(|p| p.state != PledgeState::Withdrawn)
                .map(|p| {
                    let mut s = p.name.clone();
                    if p.state == PledgeState::Done {
                        s.push_str(" (done)");
                    }
                    if let Some(d) = p.on {
                        s.push_str(&format!(" on {d}"));
                    }
                    if let Some(by) = &p.handed_over_to {
                        s.push_str(&format!(" (handed over to {by})"));
                    } else if p.stand_in {
                        s.push_str(" (looking for a stand-in)");
                    }
                    if let Some(whom) = &p.stands_in_for {
                        s.push_str(&format!(" (standing in for {whom})"));
                    }
                    if let Some(crew) = &p.crew {
                        s.push_str(&format!(" (for the crew {crew})"));
                    }
                    s
                })
                .collect();
            writeln!(out, "  pledged:   {}", if active.is_empty() { "nobody yet".into() } else { active.join(", ") })?;
            if t.hours_logged.get() > 0 {
                writeln!(out, "  logged:    {}", hours(t.hours_logged))?;
            }
            if let Some(p) = t.my_pledge {
                writeln!(out, "  you:       {p}")?;
            }
            if t.open_flags > 0 {
                writeln!(out, "  concerns:  {} open", t.open_flags)?;
            }
        }
        Response::Tasks(list) => {
            if list.is_empty() {
                writeln!(out, "No tasks here. Post one with `weft task add`.")?;
            } else {
                writeln!(
                    out,
                    "{:<8}  {:<6}  {:<12}  {:>5}  {:>6}  {:<10}  TITLE",
                    "ID", "", "SECTOR", "TAKEN", "HOURS", "DEADLINE"
                )?;
                for t in list {
                    task_row(out, t)?;
                }
            }
        }
        Response::Pledge(p) => {
            let verb = match p.state {
                PledgeState::Pledged => "You pledged to",
                PledgeState::Withdrawn => "You withdrew from",
                PledgeState::Done => "Marked done:",
            };
            writeln!(out, "{verb} '{}' — {} of {} places taken.", p.title, p.taken, p.slots)?;
        }
        Response::Entry(e) => {
            let what = e.task_title.clone().unwrap_or_else(|| e.sector.to_string());
            if e.retracted {
                writeln!(out, "Retracted {} on {} for {what}.", hours(e.minutes), e.date)?;
            } else if e.confirmed_by.is_empty() {
                writeln!(out, "Logged {} on {} for {what} (entry {}).", hours(e.minutes), e.date, e.id.short())?;
            } else {
                writeln!(
                    out,
                    "{}'s {} on {} for {what} — confirmed by {}.",
                    e.member_name,
                    hours(e.minutes),
                    e.date,
                    e.confirmed_by.join(", ")
                )?;
            }
        }
        Response::Pending(p) => {
            writeln!(out, "To confirm ({}):", p.to_confirm.len())?;
            for e in &p.to_confirm {
                entry_row(out, e)?;
            }
            writeln!(out, "\nYour hours nobody has confirmed yet ({}):", p.mine_unconfirmed.len())?;
            for e in &p.mine_unconfirmed {
                entry_row(out, e)?;
            }
        }
        Response::Feedback(f) => writeln!(out, "Thanks: '{}' — {}.", f.title, f.verdict)?,
        Response::Flag { id } => writeln!(
            out,
            "Concern raised ({}); the guild will take it up (to decide on it: weft proposal open TITLE --concern {}).",
            id.short(),
            id.short()
        )?,
        Response::Series(s) => series(out, s)?,
        Response::CalendarFile(f) => match (&f.path, &f.url) {
            (Some(path), Some(url)) => writeln!(
                out,
                "Keeping {path} up to date ({} events now).\nSubscribe to it in your calendar program: {url}",
                f.events
            )?,
            _ => writeln!(out, "No calendar file is kept any more.")?,
        },
        Response::Crew(k) => crew(out, k, true)?,
        Response::Crews(list) => {
            if list.is_empty() {
                writeln!(out, "No crews yet. To start one: weft crew create NAME --meets every-2-weeks --at 19:00")?;
            }
            for k in list {
                crew(out, k, false)?;
            }
        }
        Response::Gathering(g) => gathering(out, g, true)?,
        Response::Gatherings(list) => {
            if list.is_empty() {
                writeln!(out, "No gatherings coming. To announce one: weft gathering add TITLE --starts YYYY-MM-DD")?;
            }
            for g in list {
                gathering(out, g, false)?;
            }
        }
        Response::SeriesList(list) => {
            if list.is_empty() {
                writeln!(out, "No recurring tasks. To make one: weft task add --title … --sector … --repeat weekly")?;
            }
            for s in list {
                series(out, s)?;
            }
        }
        Response::Proposal(p) => proposal(out, p, true)?,
        Response::Proposals(list) => {
            if list.is_empty() {
                writeln!(
                    out,
                    "No open proposals, none decided lately. To propose something: weft proposal open TITLE"
                )?;
            }
            for p in list {
                proposal(out, p, false)?;
            }
        }
        Response::Progress(p) => {
            writeln!(out, "{} — {} members; each sector against its goal for the month", p.month, p.members)?;
            for s in &p.sectors {
                let open = if s.urgent_open > 0 {
                    format!("{} open tasks, {} urgent", s.open_tasks, s.urgent_open)
                } else {
                    format!("{} open tasks", s.open_tasks)
                };
                writeln!(
                    out,
                    "  {:<30} {:>4}%  {}  {:>6} of {:>6}  {}",
                    s.name,
                    s.percent,
                    bar(s.percent, 20),
                    hours(s.done),
                    hours(s.goal),
                    open
                )?;
            }
            writeln!(
                out,
                "  {:<30} {:>4}%  {}  {:>6} of {:>6}",
                "All sectors",
                p.percent,
                bar(p.percent, 20),
                hours(p.done),
                hours(p.goal)
            )?;
        }
        Response::Hours(y) => {
            writeln!(out, "Your hours in {} (as of {}) — the baseline is a guideline, never a quota", y.year, y.as_of)?;
            for s in &y.sectors {
                let pct = if s.baseline.get() == 0 { 0 } else { s.hours.get() * 100 / s.baseline.get() };
                writeln!(
                    out,
                    "  {:<30} {:>6} of {:>5}  {}  (a steady pace would be {} by now)",
                    s.name,
                    hours(s.hours),
                    hours(s.baseline),
                    bar(pct, 20),
                    hours(s.expected_by_now)
                )?;
            }
            writeln!(out, "  {:<30} {:>6} of {:>5}", "In all", hours(y.total), hours(y.total_baseline))?;
        }
        Response::Export(e) => {
            writeln!(out, "{} export ready: {}", format!("{:?}", e.format).to_lowercase(), e.suggested_name)?
        }
        // The file itself, as calendar programs import it.
        Response::Calendar(c) => out.write_all(c.ics.as_bytes())?,
        Response::Demo(d) => {
            writeln!(out, "Demo community '{}' ({}) is ready:", d.community.name, d.community.id)?;
            writeln!(
                out,
                "  {} members, {} guilds, {} tasks ({} open, {} urgent), {} pledges, {} hour entries, {} in all",
                d.members,
                d.guilds,
                d.tasks,
                d.open_tasks,
                d.urgent_open,
                d.pledges,
                d.entries,
                hours(d.hours)
            )?;
            writeln!(out, "Try: weft task list --open · weft progress · weft hours")?;
        }
        Response::Peers(p) => peers(out, p)?,
        Response::Suggestions(s) => suggestions(out, s)?,
        Response::Plan(p) => plan(out, p)?,
        Response::Declined { title, .. } => {
            writeln!(out, "Noted: '{title}' is not for you; it won't be suggested again.")?
        }
        Response::Neighbours(n) => {
            if n.neighbours.is_empty() {
                writeln!(
                    out,
                    "{} has no neighbours yet: `weft neighbour invite`, or accept one's invitation.",
                    n.community_name
                )?;
            }
            for x in &n.neighbours {
                neighbour(out, x)?;
            }
        }
        Response::Neighbour(x) => neighbour(out, x)?,
        Response::Calls(list) => {
            if list.is_empty() {
                writeln!(out, "No open calls, ours or our neighbours'.")?;
            }
            for c in list {
                call(out, c)?;
            }
        }
        Response::Call(c) => call(out, c)?,
        Response::Notices(list) => {
            if list.is_empty() {
                writeln!(out, "No open offers or needs, ours or our neighbours'.")?;
            }
            for n in list {
                notice(out, n)?;
            }
        }
        Response::Notice(n) => notice(out, n)?,
        Response::Devices(d) => devices(out, d)?,
        Response::Pairing(p) => {
            writeln!(out, "Pairing code (valid until {}, for one computer):", utc_time(p.expires))?;
            writeln!(out)?;
            writeln!(out, "  code: {}", p.code)?;
            writeln!(out, "  link: {}", p.link)?;
            writeln!(out)?;
            writeln!(out, "On the other computer: weft device link '<link>' --label \"Its name\"")?;
            writeln!(
                out,
                "Then, once it asks: `weft device list` shows its words; `weft device confirm WORDS` links it."
            )?;
        }
        Response::LinkWords(words) => writeln!(out, "{}", words.join(" "))?,
        Response::Backup(b) => {
            writeln!(out, "Backup made (its key is device {}).", b.device.short())?;
        }
        Response::Linked(l) => {
            writeln!(out, "This computer now acts for {} ({}).", l.identity.name, l.identity.member.short())?;
            writeln!(out, "device {}", l.identity.device)?;
            for c in &l.communities {
                writeln!(out, "  {} — {} members, {} open tasks", c.name, c.members, c.open_tasks)?;
            }
            for d in &l.revoked {
                writeln!(out, "Revoked device {}.", d.short())?;
            }
        }
        Response::Invite(i) => {
            writeln!(
                out,
                "Invitation to {} ({} use{}, valid until {}):",
                i.community_name,
                i.uses,
                if i.uses == 1 { "" } else { "s" },
                i.expires.date()
            )?;
            writeln!(out)?;
            writeln!(out, "  code: {}", i.code)?;
            writeln!(out, "  link: {}", i.link)?;
            writeln!(out)?;
            if i.addresses.is_empty() {
                writeln!(out, "This peer is not online, so the link carries no address: the code works on the same")?;
                writeln!(out, "network while `weft serve` runs here (mDNS finds it).")?;
            } else {
                writeln!(out, "The newcomer runs: weft join '<link>' --name \"Their name\"")?;
            }
        }
        Response::Status(s) => {
            writeln!(out, "data directory: {}", s.data_dir)?;
            writeln!(out, "size on disk:   {:.1} MB", s.disk_bytes as f64 / 1_000_000.0)?;
            match &s.identity {
                Some(i) => writeln!(out, "identity:       {} ({})", i.name, i.member.short())?,
                None => writeln!(out, "identity:       none yet (`weft init --name NAME`)")?,
            }
            if let Some(r) = &s.recovered {
                writeln!(out, "recovered:      the database was found damaged when this Weft started ({})", r.damage)?;
                writeln!(out, "                set aside (kept) as {}", r.set_aside)?;
                writeln!(
                    out,
                    "                {} changes saved from it; other members' peers bring the rest",
                    r.changes_saved
                )?;
                for what in &r.unreadable {
                    writeln!(out, "                not saved: {what}")?;
                }
            }
            for d in &s.documents {
                writeln!(
                    out,
                    "  {:<8} {:<12} {:>6} changes ({} since the last snapshot), {}",
                    d.community.short(),
                    d.name.to_string(),
                    d.changes,
                    d.logged_since_snapshot,
                    if d.in_memory { "in memory" } else { "at rest" }
                )?;
            }
        }
    }
    Ok(())
}

fn suggestions(out: &mut impl Write, s: &SuggestionsInfo) -> anyhow::Result<()> {
    let m = &s.suggestions;
    let whose = if s.is_me { "Your".to_owned() } else { format!("{}'s", s.member_name) };
    match &m.resting {
        Some(Resting::NoHours) if s.is_me => {
            writeln!(out, "Your profile says 0 hours a week: nothing to suggest.")?;
            writeln!(out, "Set your hours with `weft profile set --hours-per-week HOURS`.")?;
            return Ok(());
        }
        Some(Resting::NoHours) => {
            writeln!(out, "{whose} profile says 0 hours a week: nothing to suggest.")?;
            return Ok(());
        }
        Some(Resting::WeekFull { load, week }) => {
            let (who, their) =
                if s.is_me { ("You've".to_owned(), "your") } else { (format!("{} has", s.member_name), "their") };
            writeln!(
                out,
                "{who} logged or pledged {} of {their} {} this week: time to rest — nothing suggested until next week.",
                weft_match::hours(*load),
                weft_match::hours(*week)
            )?;
            return Ok(());
        }
        None => {}
    }
    if m.items.is_empty() {
        writeln!(out, "Nothing to suggest right now: no open task fits {} week.", whose.to_lowercase())?;
    } else {
        let whom = if s.is_me { "you".to_owned() } else { s.member_name.clone() };
        writeln!(
            out,
            "Suggested for {whom} ({} of {} taken this week):",
            weft_match::hours(m.week.load()),
            weft_match::hours(m.week.available)
        )?;
        for (rank, item) in m.items.iter().enumerate() {
            let mut line =
                format!("{}. {} — {} · {}", rank + 1, item.title, item.sector, weft_match::hours(item.minutes));
            match item.urgency {
                Urgency::Urgent => line.push_str(" · urgent"),
                Urgency::Soon => line.push_str(" · needed soon"),
                Urgency::Normal => line.push_str(" · not urgent"),
            }
            if let Some(n) = &item.neighbour {
                line.push_str(&format!(" · in {n}"));
            }
            if item.planned {
                line.push_str(if s.is_me { " (your part of the plan)" } else { " (their part of the plan)" });
            }
            writeln!(out, "{line}  [{}]", item.task.short())?;
            for r in &item.reasons {
                writeln!(out, "     {} {}", mark(r.points), r.text)?;
            }
        }
    }
    if !s.needs.is_empty() {
        writeln!(out)?;
        writeln!(out, "Neighbours' needs {} could help with:", if s.is_me { "you" } else { &s.member_name })?;
        for (rank, n) in s.needs.iter().enumerate() {
            let sector = n.sector.as_ref().map(|x| format!(" · {x}")).unwrap_or_default();
            writeln!(out, "{}. {} — {}{sector}  [{}]", rank + 1, n.title, n.community, n.need.short())?;
            for r in &n.reasons {
                writeln!(out, "     {} {}", mark(r.points), r.text)?;
            }
        }
    }
    if s.is_me {
        writeln!(out)?;
        if !m.items.is_empty() {
            writeln!(out, "Take one with `weft pledge ID`; not for you? `weft suggest --decline ID`.")?;
        }
        if !s.needs.is_empty() {
            writeln!(out, "Answer a need with `weft need reply ID TEXT`.")?;
        }
    }
    Ok(())
}

/// A reason's mark: for, against, or neither.
fn mark(points: i64) -> char {
    match points.signum() {
        1 => '+',
        -1 => '-',
        _ => '·',
    }
}

fn plan(out: &mut impl Write, p: &PlanInfo) -> anyhow::Result<()> {
    writeln!(out, "This week's plan for {} — suggestions, never assignments", p.community_name)?;
    writeln!(out, "  Urgent places covered: {} of {}", p.urgent_covered, p.urgent_open)?;
    writeln!(out, "  Places covered: {} of {}", p.places_covered, p.places_open)?;
    writeln!(out, "  Members with a part: {} of {} with time this week", p.members_with_part, p.members_available)?;
    if !p.parts.is_empty() {
        writeln!(out)?;
    }
    // Parts come ordered by member name; one line per member.
    let mut i = 0;
    while i < p.parts.len() {
        let member = p.parts[i].member;
        let mine: Vec<String> = p.parts[i..]
            .iter()
            .take_while(|part| part.member == member)
            .map(|part| {
                let mut what = weft_match::hours(part.minutes);
                if part.urgent {
                    what.push_str(", urgent");
                }
                if let Some(n) = &part.neighbour {
                    what.push_str(&format!(", in {n}"));
                }
                format!("{} ({what})", part.title)
            })
            .collect();
        writeln!(out, "{} — {}", p.parts[i].member_name, mine.join("; "))?;
        i += mine.len();
    }
    if !p.urgent_uncovered.is_empty() {
        writeln!(out)?;
        writeln!(out, "Urgent places nobody here can take this week:")?;
        for t in &p.urgent_uncovered {
            let places = format!("{} place{}", t.places, if t.places == 1 { "" } else { "s" });
            let whose = match &t.neighbour {
                Some(n) => format!("a call from {n}"),
                None => "ask a neighbouring community?".to_owned(),
            };
            writeln!(out, "  {} — {places} [{}] — {whose}", t.title, t.task.short())?;
        }
    }
    Ok(())
}

fn peers(out: &mut impl Write, p: &weft_node::api::PeersInfo) -> anyhow::Result<()> {
    use weft_node::api::SyncStatus;
    if !p.online {
        writeln!(out, "Offline: this data directory is not running the network.")?;
        writeln!(out, "Run `weft serve` (or open the desktop app) to sync with other members.")?;
        return Ok(());
    }
    if let Some(id) = &p.peer_id {
        writeln!(out, "This peer: {id}")?;
    }
    for a in &p.listening {
        writeln!(out, "  listening on {a}")?;
    }
    for incident in &p.incidents {
        writeln!(out, "recently: {incident}")?;
    }
    if p.peers.is_empty() {
        writeln!(out, "No peers connected. Members on this network are found automatically; elsewhere,")?;
        writeln!(out, "connect with `weft serve --connect /ip4/ADDRESS/tcp/PORT`.")?;
        return Ok(());
    }
    for peer in &p.peers {
        let who = peer.member.clone().unwrap_or_else(|| "not a member".into());
        let rtt = peer.rtt_ms.map(|ms| format!(", {ms} ms")).unwrap_or_default();
        writeln!(out, "{who} — found by {}{rtt}", peer.found_by)?;
        writeln!(out, "  {} at {}", peer.peer_id, peer.address)?;
        for d in &peer.docs {
            let state = match &d.state {
                SyncStatus::InSync => "in sync".to_owned(),
                SyncStatus::Syncing => "syncing".to_owned(),
                SyncStatus::Behind { changes } => format!("{changes} changes behind"),
                SyncStatus::Failed { reason } => format!("failed: {reason}"),
            };
            writeln!(out, "  {:<12} {state}", d.doc.to_string())?;
        }
        if let Some(problem) = &peer.problem {
            writeln!(out, "  problem: {problem}")?;
        }
    }
    Ok(())
}

/// The simulation's report and the goals, as JSON.
pub fn simulation_json(out: &mut impl Write, report: &weft_sim::Report) -> anyhow::Result<()> {
    let body = serde_json::json!({ "report": report, "goals": report.goals() });
    serde_json::to_writer_pretty(&mut *out, &body)?;
    writeln!(out)?;
    Ok(())
}

/// The simulation's report as a table, then Weft against the goals.
pub fn simulation(out: &mut impl Write, r: &weft_sim::Report) -> anyhow::Result<()> {
    use weft_sim::percent;
    let c = &r.config;
    let months = if c.months == 1 { "" } else { "s" };
    if let Some(n) = &r.network {
        writeln!(
            out,
            "Simulated {} linked communities of {} members each over {} month{months} (seed {}), in a ring, \
             {} apart; {} members willing to travel. In all: {} tasks, {} of them urgent; {} members stayed to \
             the end.",
            n.communities,
            c.members,
            c.months,
            c.seed,
            n.distance,
            n.travellers,
            r.tasks,
            r.urgent_tasks,
            r.members_at_end
        )?;
    } else {
        writeln!(
            out,
            "Simulated {} members over {} month{months} (seed {}): {} tasks, {} of them urgent; {} members stayed to the end.",
            c.members, c.months, c.seed, r.tasks, r.urgent_tasks, r.members_at_end
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<24} {:>16} {:>12} {:>6} {:>9} {:>11} {:>9}",
        "", "urgent filled in", "within ±25%", "Gini", "overload", "acceptance", "unfilled"
    )?;
    writeln!(
        out,
        "{:<24} {:>16} {:>12} {:>6} {:>9} {:>11} {:>9}",
        "", "median / p90", "all sectors", "", "weeks", "", "tasks"
    )?;
    let h = |x: Option<u32>| x.map_or_else(|| "never".to_owned(), |x| format!("{x} h"));
    for o in &r.outcomes {
        writeln!(
            out,
            "{:<24} {:>16} {:>12} {:>6} {:>9} {:>11} {:>9}",
            o.policy.name(),
            format!("{} / {}", h(o.urgent_fill_median_h), h(o.urgent_fill_p90_h)),
            percent(o.within_baseline_pm),
            format!("0.{:03}", o.gini_pm),
            o.overload_incidents,
            percent(o.acceptance_pm),
            percent(o.unfilled_pm),
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Within ±25% of the baseline, sector by sector:")?;
    for o in &r.outcomes {
        let per: Vec<String> = o.within_by_sector_pm.iter().map(|(s, pm)| format!("{s} {}", percent(*pm))).collect();
        writeln!(out, "  {:<22} {}", o.policy.name(), per.join(", "))?;
    }
    if r.network.is_some() {
        writeln!(out)?;
        writeln!(out, "Escalation: urgent tasks short of people offered to the linked communities:")?;
        for o in &r.outcomes {
            let Some(e) = &o.escalation else {
                writeln!(out, "  {:<22} does not escalate", o.policy.name())?;
                continue;
            };
            writeln!(
                out,
                "  {:<22} {} call{} opened, {} filled with visitors' help; visitors took {} place{} and gave {} h",
                o.policy.name(),
                e.calls_opened,
                if e.calls_opened == 1 { "" } else { "s" },
                e.calls_filled_by_visitors,
                e.visitor_pledges,
                if e.visitor_pledges == 1 { "" } else { "s" },
                e.visitor_minutes / 60,
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Weft against the goals:")?;
    for g in r.goals() {
        writeln!(out, "  [{}] {}: {}", if g.met { "met" } else { "not met" }, g.goal, g.reached)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use weft_core::id::NoticeId;
    use weft_core::{CommunityId, MemberId, TaskId};
    use weft_match::{NeedFacts, NeedReason, NeedSuggestion, Suggestions, Week};
    use weft_node::api::CallInfo;

    use super::*;

    fn printed(response: &Response) -> String {
        let mut out = Vec::new();
        human(&mut out, response).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_call_says_which_skills_it_asks_for() {
        let call = CallInfo {
            community: CommunityId::from_bytes([1; 16]),
            community_name: "Coast".into(),
            task: TaskId::from_bytes([2; 12]),
            title: "Mend the nets".into(),
            description: String::new(),
            sector: "food".parse().unwrap(),
            skills: vec!["knots".parse().unwrap(), "net-mending".parse().unwrap()],
            hours: Minutes::from_hours(3),
            slots: 2,
            urgency: Urgency::Urgent,
            deadline: None,
            location: None,
            escalated: true,
            open: true,
            ours: false,
            visitors: Vec::new(),
            visitor_minutes: Minutes(0),
        };
        let text = printed(&Response::Calls(vec![call.clone()]));
        assert!(text.contains("\n  asks for knots, net-mending\n"), "{text}");
        let none = printed(&Response::Call(CallInfo { skills: Vec::new(), ..call }));
        assert!(!none.contains("asks for"), "{none}");
    }

    #[test]
    fn needs_come_under_their_own_heading_after_the_tasks_even_when_no_task_fits() {
        let need = NeedSuggestion {
            need: NoticeId::from_bytes([3; 12]),
            title: "A van for Saturday".into(),
            community: "Hills".into(),
            sector: None,
            score: 600,
            reasons: vec![NeedReason {
                points: 500,
                facts: NeedFacts::Skill { skills: vec![("driving".parse().unwrap(), 4)] },
                text: "it asks for driving (4/5), which you know".into(),
            }],
        };
        let info = SuggestionsInfo {
            community: CommunityId::from_bytes([1; 16]),
            member_name: "Ana".into(),
            is_me: true,
            suggestions: Suggestions {
                member: MemberId::from_bytes([4; 32]),
                week: Week { available: 300, logged: 0, committed: 0 },
                resting: None,
                items: Vec::new(),
            },
            needs: vec![need],
        };
        let text = printed(&Response::Suggestions(info));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("Nothing to suggest right now"), "{text}");
        let heading = lines.iter().position(|l| *l == "Neighbours' needs you could help with:").unwrap();
        let short = NoticeId::from_bytes([3; 12]).short();
        assert_eq!(lines[heading + 1], format!("1. A van for Saturday — Hills  [{short}]"));
        assert_eq!(lines[heading + 2], "     + it asks for driving (4/5), which you know");
        assert!(text.contains("weft need reply ID TEXT") && !text.contains("weft pledge ID"), "{text}");
    }
}
