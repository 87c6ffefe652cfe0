//! Exports for other tools: CSV (hours, tasks, members) and ValueFlows JSON-LD.
//!
//! Everything here is pure and deterministic: the same documents give byte-identical output
//! (records sorted by date and id). The raw Automerge export is simply `Document::save()`.
//!
//! ## ValueFlows mapping
//! Vocabulary: the ValueFlows ontology 0.13, `https://w3id.org/valueflows/ont/vf#`, with agents
//! from FOAF (`foaf:Person`) and the W3C Organization ontology (`org:Organization`), and
//! quantities from OM 2 (`om2:Measure`, unit `om2:hour`), as the ValueFlows spec does.
//!
//! | Weft | ValueFlows |
//! |---|---|
//! | community, guild | `org:Organization` (a guild `org:subOrganizationOf` its community) |
//! | member | `foaf:Person` |
//! | skill | `vf:ResourceSpecification` |
//! | task | `vf:Intent`, action `work`, `receiver` the community, `inScopeOf` its guild (or the community), `effortQuantity` hours per person × places, `resourceConformsTo` its skills, `due` its deadline, `finished` when closed |
//! | pledge (pledged or done; withdrawn ones are left out: they promise nothing) | `vf:Commitment`, action `work`, `provider` the member, `receiver` the community, `satisfies` the Intent, `effortQuantity` hours per person, `finished` when done |
//! | hour entry (retracted ones are left out) | `vf:EconomicEvent`, action `work`, `provider` the member, `receiver` the community, `effortQuantity` its hours, `hasPointInTime` its date, `fulfills` the member's Commitment on that task if any, `inScopeOf` the community |
//!
//! Ids are URNs: `urn:weft:<community>:<kind>:<id>`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

use crate::doc::board::BoardView;
use crate::doc::ledger::LedgerView;
use crate::doc::people::PeopleView;
use crate::id::{CommunityId, MemberId, SkillId};
use crate::model::{HourEntry, PledgeState, TaskStatus};
use crate::time::{Minutes, Timestamp};

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    ValueFlows,
    Automerge,
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Csv => "csv",
            Self::ValueFlows => "valueflows",
            Self::Automerge => "automerge",
        })
    }
}

/// Why a format name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an export format: use csv, valueflows or automerge")]
pub struct ParseFormatError(pub String);

impl FromStr for ExportFormat {
    type Err = ParseFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "csv" => Ok(Self::Csv),
            "valueflows" => Ok(Self::ValueFlows),
            "automerge" => Ok(Self::Automerge),
            other => Err(ParseFormatError(other.to_owned())),
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
    #[error("the CSV is not valid UTF-8: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
    #[error("the CSV could not be finished: {0}")]
    Io(String),
}

/// Hours as a person writes them in a spreadsheet: whole minutes / 60, at most two decimals.
fn decimal_hours(m: Minutes) -> String {
    let hundredths = (u64::from(m.get()) * 100 + 30) / 60;
    let (h, r) = (hundredths / 100, hundredths % 100);
    match r {
        0 => h.to_string(),
        r if r % 10 == 0 => format!("{h}.{}", r / 10),
        r => format!("{h}.{r:02}"),
    }
}

/// RFC 3339 in UTC, e.g. 2026-05-04T12:00:00Z.
fn rfc3339(ts: Timestamp) -> String {
    let date = ts.date();
    let ms_of_day = ts.millis().rem_euclid(86_400_000);
    let secs = ms_of_day / 1000;
    format!("{date}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

fn name_of(people: &PeopleView, m: &MemberId) -> String {
    people.members.get(m).map_or_else(|| m.short(), |m| m.name.clone())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, ExportError> {
    let bytes = w.into_inner().map_err(|e| ExportError::Io(e.error().to_string()))?;
    Ok(String::from_utf8(bytes)?)
}

fn sorted_entries<'a>(ledgers: &[&'a LedgerView]) -> Vec<&'a HourEntry> {
    let mut all: Vec<&HourEntry> = ledgers.iter().flat_map(|l| l.entries.values()).collect();
    all.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
    all
}

/// One row per hour entry (retracted ones marked), by date then id.
pub fn hours_csv(people: &PeopleView, board: &BoardView, ledgers: &[&LedgerView]) -> Result<String, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "entry_id",
        "date",
        "member_id",
        "member_name",
        "sector",
        "task_id",
        "task_title",
        "hours",
        "minutes",
        "note",
        "confirmed_by",
        "retracted",
        "logged_at",
    ])?;
    for e in sorted_entries(ledgers) {
        let confirmed: Vec<String> = e.confirmations.keys().map(|m| name_of(people, m)).collect();
        w.write_record([
            e.id.to_string(),
            e.date.to_string(),
            e.member.to_string(),
            name_of(people, &e.member),
            e.sector.to_string(),
            e.task.map(|t| t.to_string()).unwrap_or_default(),
            e.task.and_then(|t| board.tasks.get(&t)).map(|t| t.title.clone()).unwrap_or_default(),
            decimal_hours(e.minutes),
            e.minutes.get().to_string(),
            e.note.clone(),
            confirmed.join("; "),
            e.retracted.to_string(),
            rfc3339(e.created_at),
        ])?;
    }
    finish(w)
}

/// One row per task, by id.
pub fn tasks_csv(people: &PeopleView, board: &BoardView) -> Result<String, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "task_id",
        "title",
        "sector",
        "guild",
        "skills",
        "hours_per_person",
        "slots",
        "taken",
        "urgency",
        "deadline",
        "location",
        "open_to_neighbours",
        "status",
        "created_by",
        "created_at",
    ])?;
    for t in board.tasks.values() {
        let skills: Vec<&str> = t.skills.iter().map(SkillId::as_str).collect();
        w.write_record([
            t.id.to_string(),
            t.title.clone(),
            t.sector.to_string(),
            t.guild.and_then(|g| people.guilds.get(&g)).map(|g| g.name.clone()).unwrap_or_default(),
            skills.join("; "),
            decimal_hours(t.hours),
            t.slots.to_string(),
            board.taken_slots(t.id).to_string(),
            t.urgency.to_string(),
            t.deadline.map(|d| d.to_string()).unwrap_or_default(),
            t.location.clone().unwrap_or_default(),
            t.open_to_neighbours.to_string(),
            t.status.to_string(),
            name_of(people, &t.created_by),
            rfc3339(t.created_at),
        ])?;
    }
    finish(w)
}

/// One row per member: the profile, never hour totals (Weft does not rank people).
pub fn members_csv(people: &PeopleView) -> Result<String, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "member_id",
        "name",
        "skills",
        "interests",
        "hours_per_week",
        "willing_to_travel",
        "wants_to_learn",
        "removed",
    ])?;
    for m in people.members.values() {
        let p = &m.profile;
        let skills: Vec<String> = p.skills.iter().map(|(s, l)| format!("{s}:{}", l.get())).collect();
        let interests: Vec<String> = p.interests.iter().map(|(s, l)| format!("{s}:{}", l.get())).collect();
        let learn: Vec<&str> = p.wants_to_learn.iter().map(SkillId::as_str).collect();
        w.write_record([
            m.id.to_string(),
            m.name.clone(),
            skills.join("; "),
            interests.join("; "),
            decimal_hours(p.hours_per_week),
            p.willing_to_travel.to_string(),
            learn.join("; "),
            m.removed.to_string(),
        ])?;
    }
    finish(w)
}

fn hours_measure(m: Minutes) -> Value {
    let hundredths = (u64::from(m.get()) * 100 + 30) / 60;
    let value = serde_json::Number::from_f64(hundredths as f64 / 100.0).map_or(Value::Null, Value::Number);
    json!({ "@type": "om2:Measure", "om2:hasNumericalValue": value, "om2:hasUnit": "om2:hour" })
}

/// The whole community as a ValueFlows JSON-LD graph (see the module docs for the mapping).
pub fn valueflows(community: CommunityId, people: &PeopleView, board: &BoardView, ledgers: &[&LedgerView]) -> Value {
    let urn = |kind: &str, id: &dyn fmt::Display| format!("urn:weft:{community}:{kind}:{id}");
    let community_iri = format!("urn:weft:{community}");
    let mut graph: Vec<Value> = Vec::new();
    graph.push(json!({ "@id": community_iri, "@type": "org:Organization", "name": people.name }));
    for g in people.guilds.values() {
        graph.push(json!({
            "@id": urn("guild", &g.id),
            "@type": "org:Organization",
            "name": g.name,
            "note": g.description,
            "org:subOrganizationOf": { "@id": community_iri },
            "vf:classifiedAs": g.sector.as_str(),
        }));
    }
    for m in people.members.values() {
        graph.push(json!({ "@id": urn("member", &m.id), "@type": "foaf:Person", "name": m.name }));
    }
    let mut skills: BTreeMap<&SkillId, ()> = BTreeMap::new();
    for t in board.tasks.values() {
        skills.extend(t.skills.iter().map(|s| (s, ())));
    }
    for m in people.members.values() {
        skills.extend(m.profile.skills.keys().map(|s| (s, ())));
    }
    for s in skills.keys() {
        graph.push(json!({ "@id": urn("skill", s), "@type": "vf:ResourceSpecification", "name": s.as_str() }));
    }
    for t in board.tasks.values() {
        let scope =
            t.guild.filter(|g| people.guilds.contains_key(g)).map_or(community_iri.clone(), |g| urn("guild", &g));
        let mut intent = json!({
            "@id": urn("task", &t.id),
            "@type": "vf:Intent",
            "vf:action": "work",
            "name": t.title,
            "note": t.description,
            "vf:receiver": { "@id": community_iri },
            "vf:inScopeOf": { "@id": scope },
            "vf:effortQuantity": hours_measure(Minutes(t.hours.get().saturating_mul(t.slots))),
            "vf:resourceConformsTo": t.skills.iter().map(|s| json!({ "@id": urn("skill", s) })).collect::<Vec<_>>(),
            "vf:finished": t.status == TaskStatus::Closed,
            "vf:classifiedAs": [t.sector.as_str(), t.urgency.as_str()],
            "created": rfc3339(t.created_at),
        });
        if let Some(d) = t.deadline {
            intent["vf:due"] = json!(format!("{d}T23:59:59Z"));
        }
        if let Some(l) = &t.location {
            intent["vf:atLocation"] = json!({ "@type": "geo:SpatialThing", "name": l });
        }
        graph.push(intent);
    }
    for p in board.pledges.values().filter(|p| p.state != PledgeState::Withdrawn) {
        let Some(task) = board.tasks.get(&p.task) else { continue };
        graph.push(json!({
            "@id": urn("pledge", &format!("{}.{}", p.task, p.member)),
            "@type": "vf:Commitment",
            "vf:action": "work",
            "vf:provider": { "@id": urn("member", &p.member) },
            "vf:receiver": { "@id": community_iri },
            "vf:satisfies": { "@id": urn("task", &p.task) },
            "vf:effortQuantity": hours_measure(task.hours),
            "vf:finished": p.state == PledgeState::Done,
            "created": rfc3339(p.updated_at),
        }));
    }
    for e in sorted_entries(ledgers).into_iter().filter(|e| !e.retracted) {
        let mut event = json!({
            "@id": urn("entry", &e.id),
            "@type": "vf:EconomicEvent",
            "vf:action": "work",
            "vf:provider": { "@id": urn("member", &e.member) },
            "vf:receiver": { "@id": community_iri },
            "vf:inScopeOf": { "@id": community_iri },
            "vf:effortQuantity": hours_measure(e.minutes),
            "vf:hasPointInTime": format!("{}T12:00:00Z", e.date),
            "vf:classifiedAs": e.sector.as_str(),
            "note": e.note,
        });
        if let Some(t) = e.task {
            let pledged = board.pledge(t, e.member).is_some_and(|p| p.state != PledgeState::Withdrawn);
            if pledged {
                event["vf:fulfills"] = json!({ "@id": urn("pledge", &format!("{t}.{}", e.member)) });
            }
        }
        graph.push(event);
    }
    json!({
        "@context": {
            "vf": "https://w3id.org/valueflows/ont/vf#",
            "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "org": "http://www.w3.org/ns/org#",
            "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "name": "vf:name",
            "note": "vf:note",
            "created": { "@id": "vf:created", "@type": "xsd:dateTime" },
            "vf:action": { "@type": "@vocab" },
            "vf:hasPointInTime": { "@type": "xsd:dateTime" },
            "vf:due": { "@type": "xsd:dateTime" },
        },
        "@graph": graph,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::board::PledgeAction;
    use crate::doc::ledger::check_entry;
    use crate::doc::people;
    use crate::doc::{DocId, DocName, Document};
    use crate::id::{EntryId, TaskId};
    use crate::identity::Identity;
    use crate::model::{NewTask, Urgency};
    use crate::time::Date;

    struct Fixture {
        community: CommunityId,
        people: PeopleView,
        board: BoardView,
        ledger: LedgerView,
    }

    fn fixture() -> Fixture {
        let today: Date = "2026-04-10".parse().unwrap();
        let now = Timestamp::midday(today);
        let (_, ana) = Identity::generate();
        let (_, bob) = Identity::generate();
        let (community, mut people_doc, _) = people::found(&ana, "Riverside", "Ana", now).unwrap();
        people_doc.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), now).unwrap();
        let view = PeopleView::read(people_doc.automerge());
        let (mut board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
        let task = NewTask {
            title: "Harvest, \"the big one\"".into(),
            description: "Bring crates".into(),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: ["gardening".parse().unwrap()].into(),
            hours: Minutes(150),
            slots: 4,
            urgency: Urgency::Soon,
            deadline: Some("2026-05-01".parse().unwrap()),
            location: Some("Mill Lane".into()),
            open_to_neighbours: true,
        };
        let t = TaskId::random();
        board.add_task(t, &ana, &task, &view, today, now).unwrap();
        board.set_pledge(&ana, t, PledgeAction::Pledge, &view, now).unwrap();
        board.set_pledge(&bob, t, PledgeAction::Pledge, &view, now).unwrap();
        board.set_pledge(&bob, t, PledgeAction::Withdraw, &view, now).unwrap();
        let (mut ledger, _) = Document::from_genesis(DocId { community, name: DocName::Ledger(2026) }).unwrap();
        let e = check_entry(
            Minutes(20),
            Some((t, "food".parse().unwrap())),
            None,
            today,
            "beans, then \"peas\",\nthen rest",
            today,
        )
        .unwrap();
        let entry = EntryId::random();
        ledger.log_hours(entry, &ana, &e, now).unwrap();
        ledger.confirm_entry(&bob, entry, now).unwrap();
        let e = check_entry(Minutes(90), None, Some("arts".parse().unwrap()), today, "", today).unwrap();
        let gone = EntryId::random();
        ledger.log_hours(gone, &bob, &e, now).unwrap();
        ledger.retract_entry(&bob, gone, now).unwrap();
        Fixture {
            community,
            people: view,
            board: BoardView::read(board.automerge()),
            ledger: LedgerView::read(ledger.automerge()),
        }
    }

    #[test]
    fn hours_csv_round_trips_through_a_csv_reader() {
        let f = fixture();
        let text = hours_csv(&f.people, &f.board, &[&f.ledger]).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let headers = r.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let ana = rows.iter().find(|r| &r[col("member_name")] == "Ana").unwrap();
        assert_eq!(&ana[col("hours")], "0.33");
        assert_eq!(&ana[col("minutes")], "20");
        assert_eq!(&ana[col("note")], "beans, then \"peas\",\nthen rest");
        assert_eq!(&ana[col("confirmed_by")], "Bob");
        assert_eq!(&ana[col("task_title")], "Harvest, \"the big one\"");
        assert_eq!(&ana[col("logged_at")], "2026-04-10T12:00:00Z");
        let bob = rows.iter().find(|r| &r[col("member_name")] == "Bob").unwrap();
        assert_eq!((&bob[col("retracted")], &bob[col("hours")]), ("true", "1.5"));
        assert_eq!(text, hours_csv(&f.people, &f.board, &[&f.ledger]).unwrap(), "deterministic");
    }

    #[test]
    fn tasks_and_members_csv_have_their_columns() {
        let f = fixture();
        let tasks = tasks_csv(&f.people, &f.board).unwrap();
        let mut r = csv::Reader::from_reader(tasks.as_bytes());
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[1], "Harvest, \"the big one\"");
        assert_eq!(&row[5], "2.5");
        assert_eq!(&row[7], "1", "withdrawn pledges hold no place");
        let members = members_csv(&f.people).unwrap();
        assert!(members.lines().next().unwrap().starts_with("member_id,name,skills"));
        assert_eq!(members.lines().count(), 3);
        assert!(!members.contains("hours_logged"), "no per-member totals");
    }

    #[test]
    fn valueflows_graph_is_complete_and_consistent() {
        let f = fixture();
        let doc = valueflows(f.community, &f.people, &f.board, &[&f.ledger]);
        let graph = doc["@graph"].as_array().unwrap();
        let of_type = |t: &str| graph.iter().filter(|n| n["@type"] == t).collect::<Vec<_>>();
        assert_eq!(of_type("vf:Intent").len(), 1);
        assert_eq!(of_type("vf:Commitment").len(), 1, "the withdrawn pledge promises nothing");
        let events = of_type("vf:EconomicEvent");
        assert_eq!(events.len(), 1, "the retracted entry is left out");
        assert_eq!(events[0]["vf:action"], "work");
        assert_eq!(events[0]["vf:effortQuantity"]["om2:hasNumericalValue"], 0.33);
        assert!(events[0]["vf:fulfills"]["@id"].as_str().unwrap().contains(":pledge:"));
        assert_eq!(of_type("vf:ResourceSpecification").len(), 1);
        assert_eq!(of_type("foaf:Person").len(), 2);
        assert_eq!(of_type("vf:Intent")[0]["vf:effortQuantity"]["om2:hasNumericalValue"], 10.0);
        // Every reference points at a node of the graph.
        let ids: std::collections::BTreeSet<&str> = graph.iter().filter_map(|n| n["@id"].as_str()).collect();
        fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
            match v {
                Value::Object(m) => {
                    if m.len() == 1
                        && let Some(Value::String(id)) = m.get("@id")
                    {
                        out.push(id);
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        graph.iter().for_each(|n| refs(n, &mut all));
        for r in all {
            assert!(ids.contains(r), "dangling reference {r}");
        }
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            serde_json::to_string(&valueflows(f.community, &f.people, &f.board, &[&f.ledger])).unwrap()
        );
    }

    #[test]
    fn formats_parse_and_hours_print_like_a_spreadsheet() {
        assert_eq!("valueflows".parse::<ExportFormat>().unwrap(), ExportFormat::ValueFlows);
        assert!("pdf".parse::<ExportFormat>().unwrap_err().to_string().contains("csv, valueflows or automerge"));
        assert_eq!(decimal_hours(Minutes(90)), "1.5");
        assert_eq!(decimal_hours(Minutes(120)), "2");
        assert_eq!(decimal_hours(Minutes(45)), "0.75");
        assert_eq!(decimal_hours(Minutes(10)), "0.17");
    }
}
