//! The desktop UI's contract: every type the UI exchanges with the shell (requests, answers,
//! events, errors, `app_info`), the error codes and the limits its forms check, as one
//! TypeScript file generated from the Rust types with ts-rs.
//!
//! The test builds the file's text in memory and fails when `ui/src/lib/contract.ts` differs,
//! naming the command that writes it again. Only this crate sees every type the UI does (the
//! node's and the shell's own), so the contract is made here.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use ts_rs::{Config, TS, TypeVisitor};
use weft_core::model::{INTEREST_MAX, SKILL_LEVEL_MAX};
use weft_core::validate as v;
use weft_core::validate::{Field, ValidationError};
use weft_net::invite::InviteError;
use weft_node::api::{DEMO_MEMBERS_MAX, DEMO_MEMBERS_MIN, INVITE_HOURS_MAX, MAX_SUGGESTIONS};
use weft_node::error::{MIN_ID_PREFIX, Refusal, Thing};
use weft_node::{ApiError, ErrorCode, Event, Request, Response};

use crate::shell::{AppInfo, ShellEvent};

/// Where the generated file lives, from this crate's folder.
const FILE: &str = "../ui/src/lib/contract.ts";
/// The command that writes the file again.
const REGENERATE: &str = "WEFT_UPDATE_CONTRACT=1 cargo test --workspace contract";

/// Collects the declaration of every named type reachable from the roots, once each.
struct Declarations<'a> {
    cfg: &'a Config,
    seen: HashSet<TypeId>,
    /// By TypeScript name: the file lists them in name order.
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Declarations<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        // Named types (derived ones) are declared; containers (`Vec`, `Option`, maps, tuples)
        // are written inline, but what they hold may be named.
        if T::output_path().is_some() {
            let name = T::ident(self.cfg);
            let decl = format!("{}export {}", T::docs().unwrap_or_default(), T::decl(self.cfg));
            let before = self.decls.insert(name.clone(), decl);
            assert!(before.is_none(), "two types are called {name} in TypeScript: rename one with #[ts(rename)]");
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

/// The values of a string union as ts-rs writes it inline: `"a" | "b"`.
fn union_values(inline: &str) -> Vec<String> {
    inline.split('|').map(|v| v.trim().trim_matches('"').to_owned()).collect()
}

/// The `kind` of every variant of an internally tagged enum as ts-rs writes it inline:
/// `{ "kind": "a", … } | { "kind": "b" }`.
fn kinds(inline: &str) -> Vec<String> {
    inline
        .split("\"kind\": \"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(kind, _)| kind.to_owned()))
        .collect()
}

/// `export const NAME = ["a", "b"] as const;`, with its doc.
fn string_list(out: &mut String, doc: &str, name: &str, values: &[String], of: Option<&str>) {
    let values = values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
    let satisfies = of.map(|t| format!(" satisfies readonly {t}[]")).unwrap_or_default();
    let _ = write!(out, "\n/** {doc} */\nexport const {name} = [{values}] as const{satisfies};\n");
}

/// A limit the UI's forms check: its name in `LIMITS`, what it limits, its value.
fn limits() -> Vec<(&'static str, &'static str, u64)> {
    use weft_core::doc::{proposals, series};
    let minutes = |m: weft_core::Minutes| u64::from(m.get());
    let chars = |n: usize| n as u64;
    vec![
        ("title", "Characters in a task's title.", chars(v::TITLE_MAX)),
        ("description", "Characters in a task's description.", chars(v::DESCRIPTION_MAX)),
        ("guildDescription", "Characters in a guild's description.", chars(v::GUILD_DESCRIPTION_MAX)),
        ("location", "Characters in a task's location.", chars(v::LOCATION_MAX)),
        ("note", "Characters in an hour entry's note.", chars(v::NOTE_MAX)),
        ("concern", "Characters in a concern.", chars(v::CONCERN_MAX)),
        ("name", "Characters in a member's, a community's or a guild's name.", chars(v::NAME_MAX)),
        ("sectorName", "Characters in a sector's name.", chars(v::SECTOR_NAME_MAX)),
        ("taskMinutesMax", "The most a task asks of each person, in minutes.", minutes(v::TASK_HOURS_MAX)),
        ("entryMinutesMax", "The most one hour entry holds, in minutes.", minutes(v::ENTRY_MAX)),
        ("weekMinutesMax", "The most hours a week holds, in minutes.", minutes(v::WEEK_MAX)),
        ("baselineMinutesMax", "The largest yearly baseline of a sector, in minutes.", minutes(v::BASELINE_MAX)),
        ("slotsMax", "The most people one task asks for.", u64::from(v::SLOTS_MAX)),
        ("entryMaxAgeDays", "How many days back hours may be logged.", u64::from(v::MAX_ENTRY_AGE_DAYS)),
        ("entryDaysAhead", "How many days ahead hours may be logged (time zones).", u64::from(v::ENTRY_DAYS_AHEAD)),
        ("deadlineMaxDays", "How many days ahead a deadline may be.", u64::from(v::DEADLINE_MAX_DAYS)),
        ("skillLevelMax", "The highest skill level (the lowest is 1).", u64::from(SKILL_LEVEL_MAX)),
        ("interestMax", "The highest interest in a sector (the lowest is 0).", u64::from(INTEREST_MAX)),
        ("inviteUsesMax", "The most times one invitation can be used.", u64::from(v::INVITE_USES_MAX)),
        ("inviteHoursMax", "The longest an invitation is valid, in hours.", u64::from(INVITE_HOURS_MAX)),
        ("suggestionsMax", "The most suggestions one `suggest` request returns.", u64::from(MAX_SUGGESTIONS)),
        ("demoMembersMin", "The fewest members of a demo community.", u64::from(DEMO_MEMBERS_MIN)),
        ("demoMembersMax", "The most members of a demo community.", u64::from(DEMO_MEMBERS_MAX)),
        ("idPrefixMin", "The fewest characters of an id a reference gives.", u64::from(MIN_ID_PREFIX)),
        ("proposalDetails", "Characters in a proposal's details.", chars(proposals::DETAILS_MAX)),
        ("stanceReason", "Characters in the reason given with a stance.", chars(proposals::REASON_MAX)),
        ("outcome", "Characters in a decision's outcome.", chars(proposals::OUTCOME_MAX)),
        ("roundHoursMin", "The shortest round of a proposal, in hours.", u64::from(proposals::ROUND_HOURS_MIN)),
        ("roundHoursMax", "The longest round of a proposal, in hours.", u64::from(proposals::ROUND_HOURS_MAX)),
        (
            "roundHoursDefault",
            "A proposal's round unless it says, in hours.",
            u64::from(proposals::DEFAULT_ROUND_HOURS),
        ),
        ("seriesEveryMax", "A weekly series comes round every 1 to this many weeks.", u64::from(series::EVERY_MAX)),
        ("seriesAheadDaysMin", "The fewest days ahead a series makes occurrences.", u64::from(series::AHEAD_DAYS_MIN)),
        ("seriesAheadDaysMax", "The most days ahead a series makes occurrences.", u64::from(series::AHEAD_DAYS_MAX)),
        (
            "seriesAheadDaysDefault",
            "How far ahead a series makes occurrences unless it says, in days.",
            u64::from(series::DEFAULT_AHEAD_DAYS),
        ),
        ("crewMax", "A crew is at most this many people.", weft_core::doc::crews::CREW_MAX as u64),
        (
            "crewPurposeMax",
            "The longest a crew's purpose may be, in characters.",
            weft_core::doc::crews::PURPOSE_MAX as u64,
        ),
        (
            "crewNoteMax",
            "The longest a crew's check-in or review may be, in characters.",
            weft_core::doc::crews::NOTE_MAX as u64,
        ),
        (
            "meetingMinutesMin",
            "The shortest a crew's meeting may be, in minutes.",
            u64::from(weft_core::doc::crews::MEETING_MINUTES_MIN),
        ),
        (
            "meetingMinutesMax",
            "The longest a crew's meeting may be, in minutes.",
            u64::from(weft_core::doc::crews::MEETING_MINUTES_MAX),
        ),
        (
            "gatheringDaysMax",
            "A gathering lasts at most this many days.",
            u64::from(weft_core::doc::gatherings::DAYS_MAX),
        ),
        (
            "shortTaskMinutes",
            "The longest task the matcher calls short, in minutes.",
            u64::from(weft_match::SHORT_TASK),
        ),
        (
            "halfDayTaskMinutes",
            "The longest task the matcher calls half a day, in minutes.",
            u64::from(weft_match::HALF_DAY_TASK),
        ),
    ]
}

/// The text of `ui/src/lib/contract.ts`.
fn typescript() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut d = Declarations { cfg: &cfg, seen: HashSet::new(), decls: BTreeMap::new() };
    d.visit::<Request>();
    d.visit::<Response>();
    d.visit::<Event>();
    d.visit::<ShellEvent>();
    d.visit::<ApiError>();
    d.visit::<AppInfo>();

    let mut out = String::new();
    let _ = writeln!(out, "// The contract between the desktop UI and Weft, generated from the Rust types (ts-rs):");
    let _ =
        writeln!(out, "// do not edit. After changing a type, a limit or an error the UI sees, write it again with");
    let _ = writeln!(out, "//   {REGENERATE}");
    let _ = writeln!(out, "// (the test in src-tauri/src/contract.rs fails while this file is out of date).");
    let _ = writeln!(out, "//");
    let _ = writeln!(out, "// Every id, date and month is a string; every duration is a whole number of minutes.");
    for decl in d.decls.values() {
        let _ = write!(out, "\n{decl}\n");
    }

    let codes = union_values(&ErrorCode::inline(&cfg));
    for code in &codes {
        let parsed: Result<ErrorCode, _> = serde_json::from_value(serde_json::Value::String(code.clone()));
        assert!(parsed.is_ok(), "'{code}' is not an error code");
    }
    string_list(
        &mut out,
        "Every error code, in the order the node declares them.",
        "ERROR_CODES",
        &codes,
        Some("ErrorCode"),
    );

    let mut detail_kinds = kinds(&ValidationError::inline(&cfg));
    detail_kinds.extend(kinds(&Refusal::inline(&cfg)));
    detail_kinds.extend(kinds(&InviteError::inline(&cfg)));
    let unique: HashSet<&String> = detail_kinds.iter().collect();
    assert_eq!(unique.len(), detail_kinds.len(), "two error details share a kind: {detail_kinds:?}");
    assert!(detail_kinds.len() > 60, "the error detail kinds were not found in ts-rs's output");
    string_list(
        &mut out,
        "Every kind of error detail (`ApiError.detail.kind`): the UI has words for each.",
        "ERROR_DETAIL_KINDS",
        &detail_kinds,
        Some("ErrorDetail['kind']"),
    );
    string_list(
        &mut out,
        "Every field an error detail names.",
        "FIELDS",
        &union_values(&Field::inline(&cfg)),
        Some("Field"),
    );
    string_list(
        &mut out,
        "Every thing an error detail names.",
        "THINGS",
        &union_values(&Thing::inline(&cfg)),
        Some("Thing"),
    );

    let _ = write!(out, "\n/** The limits the node enforces, which the UI's forms check before sending anything. */\n");
    let _ = writeln!(out, "export const LIMITS = {{");
    for (name, doc, value) in limits() {
        let _ = writeln!(out, "  /** {doc} */\n  {name}: {value},");
    }
    let _ = writeln!(out, "}} as const;");
    out
}

#[test]
fn contract_ts_is_generated_from_the_rust_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let wanted = typescript();
    if std::env::var_os("WEFT_UPDATE_CONTRACT").is_some() {
        std::fs::write(&path, &wanted).unwrap();
        return;
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    if found != wanted {
        let line = found
            .lines()
            .zip(wanted.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| found.lines().count().min(wanted.lines().count()) + 1, |i| i + 1);
        panic!(
            "{} is out of date (first difference on line {line}): write it again with\n\n    {REGENERATE}\n",
            path.display()
        );
    }
}
