//! A demo community a person would believe: a year of a mutual-aid community's life.
//!
//! The person running the demo founds it; the other members get keys derived from the seed,
//! and every change is written and signed by the member who makes it, through the same
//! validated writers the app uses (nothing bypasses validation). Day by day over the past
//! year, guilds post their recurring tasks (weekly garden days, the Thursday soup, choir,
//! bike-repair Saturdays, the monthly assembly, harvest in late summer, term-time homework
//! club), urgent one-offs turn up (a broken water pump, an uncovered night shift), members
//! pledge to what fits their skills and interests within the time they have, withdraw
//! sometimes, log their hours, confirm each other's hours, and say how it went. Some members
//! join during the year, some fade away. The community is found as it is today: open tasks on
//! the board, a few urgent ones still unfilled, a couple of concerns raised.
//!
//! Everything is drawn from [`Rng`] with the given seed, so the same seed, size, day and local
//! identity give the same documents.
//!
//! A tool, not part of the app's rules: it lives outside weft-core and writes only through
//! weft-core's public writers, ids included (drawn from the seed, where the app draws fresh
//! ones), so a demo community is made of exactly the changes a member's device could make.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use weft_core::doc::board::{BoardView, PledgeAction};
use weft_core::doc::ledger::{LedgerView, check_entry};
use weft_core::doc::people::{self, PeopleView};
use weft_core::doc::{DocId, DocName, Document, WriteError};
use weft_core::id::{CommunityId, EntryId, FlagId, GuildId, MemberId, SectorId, SkillId, TaskId};
use weft_core::identity::{Identity, SecretKey, SignedChange};
use weft_core::model::{
    Interest, NewTask, PledgeState, ProfileUpdate, SkillLevel, TaskEdit, TaskStatus, Urgency, Verdict,
};
use weft_core::rng::Rng;
use weft_core::time::{Date, Minutes, Timestamp};
use weft_core::views;

/// How big, which seed, and which day the demo's "today" is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    pub members: u32,
    pub seed: u64,
    pub today: Date,
    pub name: Option<String>,
}

/// What the demo contains, counted from its documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSummary {
    pub members: u32,
    pub guilds: u32,
    pub tasks: u32,
    pub open_tasks: u32,
    pub urgent_open: u32,
    pub pledges: u32,
    pub entries: u32,
    pub hours: Minutes,
    pub confirmations: u32,
    pub feedback: u32,
}

/// A generated community: its documents and every change that made them, in order.
#[derive(Debug)]
pub struct DemoCommunity {
    pub community: CommunityId,
    pub documents: Vec<Document>,
    pub changes: Vec<(DocId, SignedChange)>,
    pub summary: DemoSummary,
}

/// Why the demo could not be generated (a refused write means a bug in the generator).
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("a demo community has from 2 to 500 members, not {0}")]
    Size(u32),
    #[error("the generator made a change the app refused ({what}): {source}")]
    Refused { what: String, source: Box<WriteError> },
}

const NAMES: &[&str] = &[
    "Amara",
    "Bea",
    "Carlos",
    "Dalia",
    "Eitan",
    "Fatou",
    "Gustav",
    "Hana",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samir",
    "Tove",
    "Ugo",
    "Valentina",
    "Wiebke",
    "Xiomara",
    "Yusuf",
    "Zofia",
    "Aiko",
    "Bruno",
    "Chidi",
    "Dorothea",
    "Emeka",
    "Farah",
    "Goran",
    "Helga",
    "Ibrahim",
    "Jana",
    "Kenji",
    "Liesel",
    "Malik",
    "Noor",
    "Olu",
    "Pilar",
    "Rahel",
    "Sven",
    "Tariq",
    "Uma",
    "Vera",
    "Wanjiru",
    "Ximena",
    "Yara",
    "Zeynep",
    "Aleksander",
    "Birgit",
    "Cem",
    "Dagny",
    "Elif",
    "Femi",
    "Greta",
    "Hamid",
    "Ilse",
    "Jamal",
    "Karin",
    "Luca",
    "Mira",
    "Nikolai",
    "Olga",
    "Pablo",
    "Ragnhild",
    "Sina",
    "Thandiwe",
    "Ulla",
    "Vikram",
    "Wren",
    "Yosef",
    "Zainab",
    "Anouk",
    "Benedikt",
    "Chiara",
    "Dmitri",
    "Esther",
    "Finn",
    "Gloria",
    "Hugo",
    "Ivana",
    "Jakob",
    "Kalani",
    "Leila",
    "Moritz",
    "Nomvula",
    "Orla",
    "Paulo",
    "Ruth",
    "Sofia",
    "Tomasz",
    "Ulrike",
    "Vusi",
    "Wilhelmina",
    "Yaw",
    "Zara",
    "Ada",
    "Bilal",
    "Clara",
    "Diego",
    "Emma",
    "Filip",
    "Gaia",
    "Hassan",
    "Ingrid",
    "Joaquín",
    "Kamala",
    "Lars",
    "Marisol",
    "Nils",
    "Oksana",
    "Pedro",
    "Qiu",
    "Rania",
    "Stellan",
    "Tereza",
    "Ulises",
    "Veda",
    "Wolfgang",
    "Yasmin",
    "Zhao",
    "Abebe",
    "Brigitte",
    "Cosima",
    "Darius",
    "Efua",
    "Frida",
    "Gideon",
    "Hiroshi",
    "Iris",
    "Jelena",
    "Kwame",
    "Lotte",
    "Mehmet",
    "Nina",
    "Obi",
    "Paloma",
    "Rafael",
    "Selma",
    "Teodor",
    "Uri",
    "Viola",
    "Wei",
    "Yannick",
    "Zuzana",
    "Aurelio",
    "Bodil",
    "Cyrus",
    "Dunja",
    "Eamon",
    "Fiona",
    "Gwen",
    "Henrik",
    "Isak",
    "Juno",
    "Katya",
    "Lorenzo",
    "Maren",
    "Nuno",
    "Ottilie",
    "Patrice",
    "Rohan",
    "Sunniva",
    "Tiago",
    "Ulf",
];

const INITIALS: &[&str] =
    &["A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "K.", "L.", "M.", "N.", "P.", "R.", "S.", "T.", "V.", "W."];

/// How often a task recurs.
#[derive(Debug, Clone, Copy)]
enum Cadence {
    /// Every week on a weekday (Monday = 0).
    Weekly(u8),
    /// Every other week on a weekday.
    Fortnightly(u8),
    /// On the n-th (0-based) given weekday of each month.
    Monthly(u8, u8),
    /// Four times a year, in the given month offset (0, 3, 6, 9 + offset).
    Quarterly(u8),
}

/// A recurring task of a guild.
#[derive(Debug, Clone, Copy)]
struct Template {
    title: &'static str,
    skills: &'static [&'static str],
    /// Minutes per person.
    minutes: u32,
    slots: u32,
    cadence: Cadence,
    /// Months it runs in (bit 0 = January); 0 = all year.
    months: u16,
    location: &'static str,
    /// Per mille chance an occurrence is open to neighbouring communities.
    neighbours: u32,
}

/// A set of months (1 = January) as a bit mask.
const fn months(list: &[u8]) -> u16 {
    let mut mask = 0;
    let mut i = 0;
    while i < list.len() {
        mask |= 1 << (list[i] - 1);
        i += 1;
    }
    mask
}

const ALL_YEAR: u16 = 0;
const GROWING: u16 = months(&[4, 5, 6, 7, 8, 9]);
const HARVEST: u16 = months(&[8, 9, 10]);
const TERM: u16 = months(&[1, 2, 3, 4, 5, 6, 9, 10, 11, 12]);
const SUMMER: u16 = months(&[5, 6, 7, 8, 9]);
const PRESERVING: u16 = months(&[9, 10, 11, 12]);
const JUNE: u16 = months(&[6]);
const MAY_JUNE: u16 = months(&[5, 6]);

const fn t(
    title: &'static str,
    skills: &'static [&'static str],
    minutes: u32,
    slots: u32,
    cadence: Cadence,
    months: u16,
    location: &'static str,
) -> Template {
    Template { title, skills, minutes, slots, cadence, months, location, neighbours: 0 }
}

const fn open(mut template: Template, per_mille: u32) -> Template {
    template.neighbours = per_mille;
    template
}

use Cadence::{Fortnightly, Monthly, Quarterly, Weekly};

/// The guilds of each sector, with their recurring work.
const GUILDS: &[(&str, &str, &str, &[Template])] = &[
    (
        "food",
        "Community garden",
        "The shared beds on Mill Lane: sowing, weeding, harvest.",
        &[
            t("Garden work day", &["gardening"], 180, 4, Weekly(5), ALL_YEAR, "Garden on Mill Lane"),
            t("Water the seedlings", &["gardening"], 60, 2, Weekly(2), GROWING, "Garden on Mill Lane"),
            open(
                t(
                    "Harvest the beds",
                    &["gardening", "food-preservation"],
                    180,
                    4,
                    Weekly(6),
                    HARVEST,
                    "Garden on Mill Lane",
                ),
                300,
            ),
            t("Turn the compost", &["composting"], 120, 2, Fortnightly(3), ALL_YEAR, "Garden on Mill Lane"),
        ],
    ),
    (
        "food",
        "Soup kitchen",
        "Thursday soup for anyone who comes, and meals for those who can't.",
        &[
            t("Cook the Thursday soup", &["cooking"], 180, 3, Weekly(3), ALL_YEAR, "Community hall kitchen"),
            t("Gathering: kitchen crew", &["cooking"], 240, 8, Monthly(3, 5), JUNE, "Meadow by the river"),
            t(
                "Deliver meals to neighbours",
                &["delivery-driving"],
                120,
                3,
                Weekly(4),
                ALL_YEAR,
                "From the hall kitchen",
            ),
            t(
                "Collect the market's leftover produce",
                &["delivery-driving"],
                120,
                2,
                Weekly(5),
                ALL_YEAR,
                "Saturday market",
            ),
        ],
    ),
    (
        "food",
        "Preserving circle",
        "Jams, pickles and ferments from what the garden gives.",
        &[t(
            "Jam and pickle session",
            &["food-preservation", "cooking"],
            180,
            5,
            Fortnightly(6),
            PRESERVING,
            "Community hall kitchen",
        )],
    ),
    (
        "food",
        "Seed library",
        "Saving, sorting and lending seeds.",
        &[t("Sort and label seeds", &["gardening"], 120, 2, Monthly(1, 1), ALL_YEAR, "Library corner, community hall")],
    ),
    (
        "healthcare",
        "Care circle",
        "Company, errands and care for neighbours who need it.",
        &[
            t(
                "Weekly visit to Margit",
                &["elder-care", "listening"],
                90,
                1,
                Weekly(1),
                ALL_YEAR,
                "Margit's flat, Elm Street",
            ),
            t(
                "Weekly visit to Tomas",
                &["elder-care", "listening"],
                90,
                1,
                Weekly(3),
                ALL_YEAR,
                "Tomas's flat, Canal Row",
            ),
            t(
                "Afternoon with Edith",
                &["elder-care", "listening"],
                120,
                2,
                Weekly(6),
                ALL_YEAR,
                "Edith's house, Hill Road",
            ),
            t("Night care shift for Jonas", &["nursing", "elder-care"], 240, 1, Weekly(4), ALL_YEAR, "Jonas's house"),
            t("Day care shift for Jonas", &["elder-care"], 180, 1, Weekly(1), ALL_YEAR, "Jonas's house"),
            t(
                "Drive Ilse to the clinic",
                &["transport-logistics"],
                120,
                1,
                Weekly(2),
                ALL_YEAR,
                "Clinic on Station Road",
            ),
            t(
                "Shopping round for housebound neighbours",
                &["delivery-driving", "listening"],
                90,
                3,
                Weekly(0),
                ALL_YEAR,
                "Around the neighbourhood",
            ),
        ],
    ),
    (
        "healthcare",
        "First-aid crew",
        "Courses, kits, and someone trained at every gathering.",
        &[
            t(
                "First-aid course",
                &["first-aid", "workshop-facilitation"],
                180,
                8,
                Quarterly(1),
                ALL_YEAR,
                "Community hall",
            ),
            t("Restock the first-aid kits", &["first-aid"], 60, 1, Monthly(0, 0), ALL_YEAR, "Community hall"),
        ],
    ),
    (
        "healthcare",
        "Childcare co-op",
        "Looking after each other's children.",
        &[
            t(
                "Childcare during the assembly",
                &["childcare"],
                150,
                3,
                Monthly(2, 6),
                ALL_YEAR,
                "Community hall, back room",
            ),
            t("After-school pickup", &["childcare"], 90, 3, Weekly(2), TERM, "Riverside primary school"),
            t(
                "Saturday play morning",
                &["childcare", "crafts"],
                150,
                3,
                Weekly(5),
                ALL_YEAR,
                "Community hall, back room",
            ),
        ],
    ),
    (
        "education",
        "Homework club",
        "Help with homework, reading with the little ones.",
        &[
            t(
                "Homework club",
                &["tutoring", "reading-with-kids"],
                120,
                3,
                Weekly(1),
                TERM,
                "Library corner, community hall",
            ),
            t(
                "Adult literacy tutoring",
                &["tutoring", "languages"],
                90,
                2,
                Weekly(3),
                ALL_YEAR,
                "Library corner, community hall",
            ),
        ],
    ),
    (
        "education",
        "Skill-share evenings",
        "Members teach members.",
        &[t(
            "Skill-share evening",
            &["workshop-facilitation", "mentoring"],
            120,
            2,
            Monthly(1, 3),
            ALL_YEAR,
            "Community hall",
        )],
    ),
    (
        "education",
        "Language café",
        "Practise a language over tea.",
        &[
            t("Language café", &["languages"], 120, 2, Weekly(2), ALL_YEAR, "Café corner, community hall"),
            t(
                "Conversation partner for newcomers",
                &["languages", "listening"],
                60,
                2,
                Weekly(3),
                ALL_YEAR,
                "Café corner, community hall",
            ),
        ],
    ),
    (
        "education",
        "Youth mentoring",
        "Time with the neighbourhood's teenagers.",
        &[t("Youth football and mentoring", &["mentoring"], 120, 3, Weekly(3), TERM, "Park by the river")],
    ),
    (
        "maintenance",
        "Repair café",
        "Bring it broken, leave with it fixed (and knowing how).",
        &[open(
            t(
                "Repair café",
                &["computer-repair", "electrics", "carpentry"],
                180,
                5,
                Monthly(0, 5),
                ALL_YEAR,
                "Community hall",
            ),
            250,
        )],
    ),
    (
        "maintenance",
        "Bike workshop",
        "Bikes for everyone who needs one.",
        &[t("Bike-repair Saturday", &["bike-repair"], 180, 3, Weekly(5), ALL_YEAR, "Bike shed behind the hall")],
    ),
    (
        "maintenance",
        "Tool library",
        "Lending tools, and keeping them sharp.",
        &[
            t(
                "Tool library opening hours",
                &["carpentry", "bike-repair"],
                120,
                2,
                Weekly(5),
                ALL_YEAR,
                "Tool library, Mill Lane",
            ),
            t("Sharpen and oil the tools", &["carpentry"], 120, 2, Monthly(2, 3), ALL_YEAR, "Tool library, Mill Lane"),
        ],
    ),
    (
        "maintenance",
        "Building crew",
        "Keeping the hall and the shared spaces sound.",
        &[
            t("Deep clean of the hall", &["cleaning"], 120, 4, Monthly(3, 5), ALL_YEAR, "Community hall"),
            t("Fix-it list at the hall", &["carpentry", "plumbing"], 180, 3, Monthly(1, 6), ALL_YEAR, "Community hall"),
        ],
    ),
    (
        "governance",
        "Facilitation guild",
        "Holding the assembly and our decisions.",
        &[
            t("Facilitate the monthly assembly", &["facilitation"], 180, 2, Monthly(2, 6), ALL_YEAR, "Community hall"),
            t("Take minutes at the assembly", &["minute-taking"], 180, 1, Monthly(2, 6), ALL_YEAR, "Community hall"),
        ],
    ),
    (
        "governance",
        "Stewards' circle",
        "Shared books, outreach and welcoming newcomers.",
        &[
            t("Keep the shared books", &["bookkeeping"], 120, 1, Monthly(0, 2), ALL_YEAR, "Online"),
            t(
                "Welcome evening for newcomers",
                &["outreach", "facilitation"],
                120,
                3,
                Quarterly(2),
                ALL_YEAR,
                "Community hall",
            ),
        ],
    ),
    (
        "governance",
        "Gathering hosts",
        "The summer gathering: three days of the whole community together.",
        &[
            t(
                "Plan the summer gathering",
                &["facilitation", "event-hosting"],
                120,
                4,
                Weekly(2),
                MAY_JUNE,
                "Community hall",
            ),
            t(
                "Gathering: set up the site",
                &["carpentry", "event-hosting"],
                240,
                10,
                Monthly(3, 4),
                JUNE,
                "Meadow by the river",
            ),
            t(
                "Gathering: circle facilitation",
                &["facilitation", "listening"],
                180,
                4,
                Monthly(3, 5),
                JUNE,
                "Meadow by the river",
            ),
        ],
    ),
    (
        "governance",
        "Working groups",
        "Budget, newsletter and the small circles that carry decisions.",
        &[
            t(
                "Shared budget working group",
                &["bookkeeping", "facilitation"],
                120,
                4,
                Fortnightly(2),
                ALL_YEAR,
                "Community hall",
            ),
            t("Write and send the newsletter", &["writing", "outreach"], 90, 2, Weekly(4), ALL_YEAR, "Online"),
            t(
                "Assembly preparation circle",
                &["facilitation", "minute-taking"],
                120,
                4,
                Monthly(1, 2),
                ALL_YEAR,
                "Community hall",
            ),
            t(
                "Crew check-in circle",
                &["facilitation", "listening"],
                90,
                6,
                Fortnightly(0),
                ALL_YEAR,
                "Quiet room, community hall",
            ),
        ],
    ),
    (
        "governance",
        "Conflict care",
        "Mediation when things get hard between us.",
        &[t(
            "Mediation session",
            &["mediation", "listening"],
            120,
            2,
            Monthly(3, 2),
            ALL_YEAR,
            "Quiet room, community hall",
        )],
    ),
    (
        "arts",
        "Community choir",
        "Everyone sings. Everyone.",
        &[t("Choir rehearsal", &["music"], 120, 10, Weekly(0), ALL_YEAR, "Community hall")],
    ),
    (
        "arts",
        "Theatre group",
        "Rehearsing the winter play.",
        &[
            t("Theatre rehearsal", &["event-hosting", "writing"], 150, 8, Weekly(3), ALL_YEAR, "Community hall"),
            t(
                "Build and paint the stage set",
                &["carpentry", "painting"],
                180,
                4,
                Fortnightly(5),
                ALL_YEAR,
                "Community hall",
            ),
        ],
    ),
    (
        "arts",
        "Community radio",
        "An hour a week on the neighbourhood station.",
        &[t(
            "Community radio show",
            &["sound-engineering", "music", "writing"],
            120,
            3,
            Weekly(4),
            ALL_YEAR,
            "Radio studio, Station Road",
        )],
    ),
    (
        "arts",
        "Open mic",
        "Last Friday of the month, all welcome.",
        &[
            t(
                "Host the open mic",
                &["event-hosting", "sound-engineering"],
                240,
                4,
                Monthly(3, 4),
                ALL_YEAR,
                "Community hall",
            ),
            t(
                "Gathering: music night",
                &["music", "sound-engineering"],
                180,
                6,
                Monthly(3, 5),
                JUNE,
                "Meadow by the river",
            ),
        ],
    ),
    (
        "arts",
        "Mural project",
        "A mural along the hall's south wall.",
        &[open(t("Paint the mural", &["painting"], 180, 6, Weekly(6), SUMMER, "South wall of the hall"), 200)],
    ),
    (
        "arts",
        "Makers' corner",
        "Crafts, sewing and making things together.",
        &[
            t(
                "Craft afternoon with kids",
                &["crafts", "childcare"],
                120,
                4,
                Fortnightly(2),
                ALL_YEAR,
                "Community hall",
            ),
            t("Sewing and mending circle", &["crafts"], 120, 4, Fortnightly(5), ALL_YEAR, "Community hall"),
        ],
    ),
];

/// Urgent one-offs that turn up during a year.
/// An urgent one-off: sector, title, skills, minutes per person, places, where.
type Urgent = (&'static str, &'static str, &'static [&'static str], u32, u32, &'static str);

const URGENT: &[Urgent] = &[
    ("maintenance", "Water pump at the garden is broken", &["plumbing"], 180, 2, "Garden on Mill Lane"),
    ("maintenance", "Roof leak over the hall kitchen", &["carpentry"], 240, 3, "Community hall"),
    ("healthcare", "Night care shift uncovered tonight", &["nursing", "elder-care"], 240, 1, "Jonas's house"),
    ("maintenance", "Flooded cellar at the tool library", &["cleaning"], 180, 4, "Tool library, Mill Lane"),
    ("healthcare", "Drive Samira to her hospital appointment", &["transport-logistics"], 180, 1, "Riverside hospital"),
    ("food", "Frost warning: cover the beds tonight", &["gardening"], 90, 4, "Garden on Mill Lane"),
    ("maintenance", "Soup kitchen fridge has failed", &["electrics"], 120, 2, "Community hall kitchen"),
    (
        "food",
        "Cook for the family whose kitchen burned",
        &["cooking", "delivery-driving"],
        150,
        3,
        "Community hall kitchen",
    ),
    (
        "healthcare",
        "Someone to sit with Margit after her fall",
        &["elder-care", "listening"],
        180,
        2,
        "Margit's flat, Elm Street",
    ),
];

const SECTOR_NOTES: &[(&str, &[&str])] = &[
    (
        "food",
        &["Helped at the soup kitchen", "Picked apples for the preserving circle", "Weeded my corner of the garden"],
    ),
    (
        "healthcare",
        &["Sat with Margit for an afternoon", "Took a neighbour to the pharmacy", "Phone round to check on people"],
    ),
    (
        "education",
        &["Helped two kids with maths", "Prepared the skill-share handout", "Reading session at the library"],
    ),
    ("maintenance", &["Fixed a neighbour's bike", "Mended the hall door", "Cleared the gutters"]),
    (
        "governance",
        &["Wrote up the assembly notes", "Working group on the shared budget", "Welcome call with a newcomer"],
    ),
    ("arts", &["Rehearsed the choir parts", "Painted signs for the open mic", "Sewed bunting for the gathering"]),
];

/// How active someone is over the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activity {
    VeryActive,
    Moderate,
    Occasional,
    /// Active at first, then fades away after `fade_day`.
    Lapsed,
}

struct Person {
    id: Identity,
    name: String,
    joined: i64,
    activity: Activity,
    fade_day: i64,
    /// Hidden preferences: interest 0–5 per sector.
    interest: BTreeMap<SectorId, u8>,
    skills: BTreeMap<SkillId, u8>,
    minutes_per_week: u32,
    travel: bool,
    learn: Vec<SkillId>,
    fills_profile: bool,
    /// Minutes pledged per month (year * 12 + month).
    pledged: BTreeMap<i64, u32>,
}

impl Person {
    fn factor(&self, day: i64) -> u32 {
        match self.activity {
            Activity::VeryActive => 125,
            Activity::Moderate => 95,
            Activity::Occasional => 50,
            Activity::Lapsed if day < self.fade_day => 80,
            Activity::Lapsed => 5,
        }
    }

    /// Minutes this person would give in the month of `day`.
    fn budget(&self, day: i64) -> u32 {
        self.minutes_per_week * 43 / 10 * self.factor(day) / 100
    }
}

struct TaskInfo {
    id: TaskId,
    sector: SectorId,
    skills: Vec<SkillId>,
    minutes: u32,
    slots: u32,
    date: i64,
    urgent: bool,
    creator: usize,
    pledgers: BTreeSet<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Admit(usize),
    Post { template: (usize, usize), date: i64 },
    PostUrgent { which: usize, date: i64 },
    Pledge(usize),
    Withdraw(usize, usize),
    Log(usize, usize),
    Confirm(usize, EntryKey),
    Feedback(usize, usize),
    Close(usize),
}

/// An entry by (task index, member index), to find it for confirmations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EntryKey(EntryIdBytes);
type EntryIdBytes = [u8; 12];

struct Generator<'a> {
    rng: Rng,
    first_day: i64,
    today: i64,
    community: CommunityId,
    people_doc: Document,
    people_view: PeopleView,
    board: Document,
    ledgers: BTreeMap<i32, Document>,
    changes: Vec<(DocId, SignedChange)>,
    persons: Vec<Person>,
    guilds: Vec<(GuildId, usize)>,
    tasks: Vec<TaskInfo>,
    entries: BTreeMap<EntryKey, (EntryId, i32, usize)>,
    agenda: BTreeMap<i64, Vec<Action>>,
    local_name: &'a str,
    size: u32,
}

fn day_of(d: Date) -> i64 {
    d.days_since_epoch()
}

fn date_of(day: i64) -> Date {
    Date::from_days_since_epoch(day).unwrap_or_else(|| Date::of_timestamp(Timestamp(0)))
}

fn month_key(day: i64) -> i64 {
    let d = date_of(day);
    i64::from(d.year()) * 12 + i64::from(d.month().number())
}

fn parse<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    #[allow(clippy::expect_used)]
    s.parse().expect("the demo's own catalogue is valid")
}

/// Generates a demo community founded by `local`.
pub fn generate(local: &Identity, local_name: &str, opts: &DemoOptions) -> Result<DemoCommunity, DemoError> {
    if !(2..=500).contains(&opts.members) {
        return Err(DemoError::Size(opts.members));
    }
    let today = day_of(opts.today);
    let first_day = today - 365;
    let founded = first_day - 21;
    let mut rng = Rng::new(opts.seed);
    let name = opts.name.clone().unwrap_or_else(|| {
        let places = ["Riverside", "Millbrook", "Hollow Lane", "Eastgate", "Willow Street", "Harbourside"];
        let kinds = ["Commons", "Collective", "Mutual Aid", "Neighbours"];
        format!("{} {}", rng.pick(&places).unwrap_or(&"Riverside"), rng.pick(&kinds).unwrap_or(&"Commons"))
    });
    let at = |day: i64, minutes: i64| Timestamp(day * 86_400_000 + minutes * 60_000);
    let (community, people_doc, genesis) = people::found(local, &name, local_name, at(founded, 19 * 60))
        .map_err(|source| DemoError::Refused { what: "founding".into(), source: Box::new(source) })?;
    let (board, board_genesis) = Document::from_genesis(DocId { community, name: DocName::Board })
        .ok_or_else(|| DemoError::Refused { what: "board".into(), source: Box::new(WriteError::Empty) })?;
    let changes = vec![(people_doc.id(), genesis), (board.id(), board_genesis)];
    let people_view = PeopleView::read(people_doc.automerge());
    let mut g = Generator {
        rng,
        first_day,
        today,
        community,
        people_doc,
        people_view,
        board,
        ledgers: BTreeMap::new(),
        changes,
        persons: Vec::new(),
        guilds: Vec::new(),
        tasks: Vec::new(),
        entries: BTreeMap::new(),
        agenda: BTreeMap::new(),
        local_name,
        size: opts.members,
    };
    g.make_people(local, opts.members);
    g.setup(founded)?;
    g.plan_year();
    g.run()?;
    g.finish()?;
    Ok(g.into_community())
}

impl Generator<'_> {
    fn refused(what: impl Into<String>) -> impl FnOnce(WriteError) -> DemoError {
        let what = what.into();
        move |source| DemoError::Refused { what, source: Box::new(source) }
    }

    fn time(&mut self, day: i64) -> Timestamp {
        let minutes = self.rng.range_i64(8 * 60, 21 * 60);
        Timestamp(day * 86_400_000 + minutes * 60_000)
    }

    fn schedule(&mut self, day: i64, action: Action) {
        if day <= self.today {
            self.agenda.entry(day).or_default().push(action);
        }
    }

    fn make_people(&mut self, local: &Identity, members: u32) {
        let sectors: Vec<SectorId> = weft_core::model::default_sectors().into_iter().map(|s| s.id).collect();
        let catalogue = weft_core::model::skill_catalogue();
        let mut names: Vec<&str> = NAMES.to_vec();
        self.rng.shuffle(&mut names);
        let mut used = BTreeSet::new();
        for i in 0..members as usize {
            let id = if i == 0 {
                local.clone()
            } else {
                let member_key = SecretKey::from_bytes(self.rng.bytes());
                Identity::certify(&member_key, SecretKey::from_bytes(self.rng.bytes()))
            };
            let mut name = if i == 0 { self.local_name.to_owned() } else { names[(i - 1) % names.len()].to_owned() };
            while !used.insert(name.clone()) {
                let base = names[(i - 1) % names.len()];
                name = format!("{base} {}", self.rng.pick(INITIALS).unwrap_or(&"A."));
            }
            let activity = match (i, self.rng.below(100)) {
                (0, _) => Activity::Moderate,
                (_, 0..=14) => Activity::VeryActive,
                (_, 15..=59) => Activity::Moderate,
                (_, 60..=89) => Activity::Occasional,
                _ => Activity::Lapsed,
            };
            // Everyone has favourites: two sectors they love, the rest lukewarm.
            let mut order = sectors.clone();
            self.rng.shuffle(&mut order);
            let mut interest = BTreeMap::new();
            for (rank, s) in order.iter().enumerate() {
                let level = match rank {
                    0 => 5,
                    1 => 4,
                    2 => u8::try_from(self.rng.range_u32(2, 5)).unwrap_or(3),
                    _ => u8::try_from(self.rng.range_u32(0, 4)).unwrap_or(1),
                };
                interest.insert(s.clone(), level);
            }
            // Skills mostly in favourite sectors.
            let mut skills = BTreeMap::new();
            let n_skills = self.rng.range_u32(2, 6);
            for k in 0..n_skills {
                let sector = &order[usize::try_from(k).unwrap_or(0).min(3)];
                if let Some(list) = catalogue.get(sector.as_str())
                    && let Some(skill) = self.rng.pick(list)
                {
                    let level = match self.rng.below(10) {
                        0..=1 => 1,
                        2..=4 => 2,
                        5..=7 => 3,
                        8 => 4,
                        _ => 5,
                    };
                    skills.insert(parse::<SkillId>(skill), level);
                }
            }
            let mut learn = Vec::new();
            for _ in 0..self.rng.below(3) {
                let sector = &order[usize::try_from(self.rng.below(3)).unwrap_or(0)];
                if let Some(skill) = catalogue.get(sector.as_str()).and_then(|l| self.rng.pick(l)) {
                    let skill = parse::<SkillId>(skill);
                    if !skills.contains_key(&skill) && !learn.contains(&skill) {
                        learn.push(skill);
                    }
                }
            }
            let hours = match self.rng.below(10) {
                0 => 1,
                1..=3 => 2,
                4..=6 => 3,
                7 => 4,
                8 => 6,
                _ => 8,
            };
            // The person running the demo gives a few hours a week, so "for you" has something
            // to say to them (drawn anyway, to keep everyone else's draws the same).
            let hours = if i == 0 { 4 } else { hours };
            let founding = i < 8 || self.rng.chance(550);
            let joined = if i == 0 {
                self.first_day - 21
            } else if founding {
                self.first_day - 20 + self.rng.range_i64(0, 20)
            } else {
                self.first_day + self.rng.range_i64(0, 330)
            };
            let fade_day = joined + self.rng.range_i64(60, 240);
            self.persons.push(Person {
                id,
                name,
                joined,
                activity,
                fade_day,
                interest,
                skills,
                minutes_per_week: hours * 60,
                travel: self.rng.chance(300),
                learn,
                fills_profile: i == 0 || self.rng.chance(850),
                pledged: BTreeMap::new(),
            });
        }
    }

    fn write_people(&mut self, change: SignedChange, member: Option<MemberId>) {
        self.changes.push((self.people_doc.id(), change));
        match member {
            Some(m) => self.people_view.refresh_member(self.people_doc.automerge(), m),
            None => self.people_view = PeopleView::read(self.people_doc.automerge()),
        }
    }

    fn admit(&mut self, i: usize) -> Result<(), DemoError> {
        let day = self.persons[i].joined;
        let now = self.time(day);
        if i > 0 {
            // Admitted by someone already in: a chain of trust.
            let earlier: Vec<usize> = (0..self.persons.len())
                .filter(|&j| {
                    j != i
                        && self.persons[j].joined <= day
                        && self.people_view.is_current_member(&self.persons[j].id.member())
                })
                .collect();
            let admitter = *self.rng.pick(&earlier).unwrap_or(&0);
            let (newcomer, name) = (self.persons[i].id.clone(), self.persons[i].name.clone());
            let change = self
                .people_doc
                .admit_member(
                    &self.persons[admitter].id,
                    newcomer.member(),
                    &name,
                    newcomer.device(),
                    newcomer.cert(),
                    now,
                )
                .map_err(Self::refused(format!("admitting {name}")))?;
            self.write_people(change, Some(newcomer.member()));
        }
        let p = &self.persons[i];
        let mut update = ProfileUpdate { hours_per_week: Some(Minutes(p.minutes_per_week)), ..Default::default() };
        if p.fills_profile {
            update.skills = p.skills.iter().map(|(s, l)| (s.clone(), SkillLevel::new(*l))).collect();
            update.interests = p.interest.iter().filter_map(|(s, l)| Some((s.clone(), Interest::new(*l)?))).collect();
            update.willing_to_travel = Some(p.travel);
            update.wants_to_learn = p.learn.iter().map(|s| (s.clone(), true)).collect();
        }
        let me = p.id.clone();
        let now = Timestamp(now.0 + 15 * 60_000);
        let change = self.people_doc.update_profile(&me, &update, now).map_err(Self::refused("a profile"))?;
        self.write_people(change, Some(me.member()));
        Ok(())
    }

    /// Founding: the first members, the guilds.
    fn setup(&mut self, founded: i64) -> Result<(), DemoError> {
        self.admit(0)?;
        let mut founders: Vec<usize> =
            (1..self.persons.len()).filter(|&i| self.persons[i].joined < self.first_day).collect();
        founders.sort_by_key(|&i| (self.persons[i].joined, i));
        for i in founders {
            self.admit(i)?;
        }
        for (g, (sector, name, description, _)) in GUILDS.iter().enumerate() {
            let day = founded + 2 + i64::try_from(g % 10).unwrap_or(0);
            let now = self.time(day);
            let starters: Vec<usize> = (0..self.persons.len()).filter(|&i| self.persons[i].joined <= day).collect();
            let who = *self.rng.pick(&starters).unwrap_or(&0);
            let me = self.persons[who].id.clone();
            let id = GuildId::from_bytes(self.rng.bytes());
            let change = self
                .people_doc
                .add_guild(id, &me, name, &parse(sector), description, now)
                .map_err(Self::refused(format!("guild {name}")))?;
            self.write_people(change, None);
            self.guilds.push((id, g));
        }
        Ok(())
    }

    /// Every occurrence of every recurring task, every newcomer, every urgent one-off.
    fn plan_year(&mut self) {
        for i in 1..self.persons.len() {
            if self.persons[i].joined >= self.first_day {
                let day = self.persons[i].joined;
                self.schedule(day, Action::Admit(i));
            }
        }
        let horizon = self.today + 28;
        for (g, (_, _, _, templates)) in GUILDS.iter().enumerate() {
            for (k, tpl) in templates.iter().enumerate() {
                // A smaller community runs fewer of the guilds' regular activities.
                if k > 0 && self.rng.below(120) >= u64::from(self.size) {
                    continue;
                }
                let mut day = self.first_day;
                let mut week = 0i64;
                while day <= horizon {
                    let date = date_of(day);
                    let month_ok = tpl.months == ALL_YEAR || tpl.months & (1 << (date.month().number() - 1)) != 0;
                    let hit = month_ok
                        && match tpl.cadence {
                            Weekly(wd) => date.weekday() == wd,
                            Fortnightly(wd) => date.weekday() == wd && (day / 7) % 2 == 0,
                            Monthly(n, wd) => date.weekday() == wd && (date.day() - 1) / 7 == n,
                            Quarterly(offset) => {
                                date.day() <= 7 && date.weekday() == 5 && (date.month().number() - 1) % 3 == offset % 3
                            }
                        };
                    if hit {
                        week += 1;
                        // Seasons: fewer tasks in the summer lull and around the new year.
                        let skip = match date.month().number() {
                            7 | 8 => 250,
                            12 | 1 => 300,
                            _ => 40,
                        };
                        if !self.rng.chance(skip) {
                            let lead = match tpl.cadence {
                                Weekly(_) | Fortnightly(_) => self.rng.range_i64(6, 15),
                                _ => self.rng.range_i64(14, 29),
                            };
                            let post = (day - lead).max(self.first_day);
                            self.schedule(post, Action::Post { template: (g, k), date: day });
                        }
                    }
                    day += 1;
                }
                let _ = week;
            }
        }
        // Urgent one-offs: about two a month, posted a day or two before they are needed.
        let mut day = self.first_day + self.rng.range_i64(3, 15);
        while day < self.today - 3 {
            let which = usize::try_from(self.rng.below(URGENT.len() as u64)).unwrap_or(0);
            let date = day + self.rng.range_i64(1, 4);
            self.schedule(day, Action::PostUrgent { which, date });
            day += self.rng.range_i64(8, 22);
        }
    }

    fn ledger_mut(&mut self, year: i32) -> Result<&mut Document, DemoError> {
        if !self.ledgers.contains_key(&year) {
            let id = DocId { community: self.community, name: DocName::Ledger(year) };
            let (doc, genesis) = Document::from_genesis(id).ok_or_else(|| DemoError::Refused {
                what: format!("ledger {year}"),
                source: Box::new(WriteError::Empty),
            })?;
            self.changes.push((id, genesis));
            self.ledgers.insert(year, doc);
        }
        self.ledgers
            .get_mut(&year)
            .ok_or_else(|| DemoError::Refused { what: format!("ledger {year}"), source: Box::new(WriteError::Empty) })
    }

    fn member_active(&self, i: usize, day: i64) -> bool {
        self.persons[i].joined <= day && self.people_view.is_current_member(&self.persons[i].id.member())
    }

    fn post(&mut self, day: i64, sector: &str, title: String, tpl: PostSpec<'_>) -> Result<usize, DemoError> {
        let candidates: Vec<usize> = (0..self.persons.len()).filter(|&i| self.member_active(i, day)).collect();
        // The poster is someone who cares about the sector.
        let weights: Vec<u32> = candidates
            .iter()
            .map(|&i| u32::from(*self.persons[i].interest.get(&parse::<SectorId>(sector)).unwrap_or(&0)).pow(2) + 1)
            .collect();
        let creator = candidates[self.rng.weighted_index(&weights).unwrap_or(0)];
        let skills: Vec<SkillId> = tpl.skills.iter().map(|s| parse(s)).collect();
        let task = NewTask {
            title,
            description: tpl.description,
            sector: parse(sector),
            guild: tpl.guild,
            skills: skills.iter().cloned().collect(),
            hours: Minutes(tpl.minutes),
            slots: tpl.slots,
            urgency: tpl.urgency,
            deadline: Some(date_of(tpl.date)),
            location: Some(tpl.location.to_owned()),
            open_to_neighbours: tpl.neighbours,
        };
        let now = self.time(day);
        let id = TaskId::from_bytes(self.rng.bytes());
        let me = self.persons[creator].id.clone();
        let change = self
            .board
            .add_task(id, &me, &task, &self.people_view, date_of(day), now)
            .map_err(Self::refused(format!("task '{}'", task.title)))?;
        self.changes.push((self.board.id(), change));
        self.tasks.push(TaskInfo {
            id,
            sector: task.sector,
            skills,
            minutes: tpl.minutes,
            slots: tpl.slots,
            date: tpl.date,
            urgent: tpl.urgency == Urgency::Urgent,
            creator,
            pledgers: BTreeSet::new(),
        });
        Ok(self.tasks.len() - 1)
    }

    /// Schedules the pledges a task will attract between its posting and its day.
    fn attract(&mut self, task: usize, posted: i64) {
        let (slots, date, urgent) = (self.tasks[task].slots, self.tasks[task].date, self.tasks[task].urgent);
        let fill = if urgent { 750 } else { 930 };
        for _ in 0..slots {
            if self.rng.chance(fill) {
                let last = (date - 1).max(posted);
                let day = self.rng.range_i64(posted, last + 1);
                self.schedule(day, Action::Pledge(task));
            }
        }
    }

    /// Chooses who pledges: someone with time this month, weighted by interest and skills.
    fn choose(&mut self, task: usize, day: i64) -> Option<usize> {
        let t = &self.tasks[task];
        let month = month_key(day);
        let mut who = Vec::new();
        let mut weights = Vec::new();
        for (i, p) in self.persons.iter().enumerate() {
            if !self.member_active(i, day) || t.pledgers.contains(&i) {
                continue;
            }
            let used = p.pledged.get(&month).copied().unwrap_or(0);
            if used + t.minutes > p.budget(day) {
                continue;
            }
            let interest = u32::from(*p.interest.get(&t.sector).unwrap_or(&0));
            let skill: u32 = t.skills.iter().map(|s| u32::from(*p.skills.get(s).unwrap_or(&0))).max().unwrap_or(0);
            let learning = u32::from(t.skills.iter().any(|s| p.learn.contains(s)));
            let w = (interest * interest + 1) * (2 + skill + learning) * p.factor(day) / 10;
            if w > 0 {
                who.push(i);
                weights.push(w);
            }
        }
        self.rng.weighted_index(&weights).map(|k| who[k])
    }

    fn do_pledge(&mut self, task: usize, day: i64) -> Result<(), DemoError> {
        let t = &self.tasks[task];
        if day > t.date || t.pledgers.len() >= t.slots as usize {
            return Ok(());
        }
        let Some(i) = self.choose(task, day) else { return Ok(()) };
        let now = self.time(day);
        let (id, me) = (self.tasks[task].id, self.persons[i].id.clone());
        let change = self
            .board
            .set_pledge(&me, id, PledgeAction::Pledge, &self.people_view, now)
            .map_err(Self::refused("a pledge"))?;
        self.changes.push((self.board.id(), change));
        let minutes = self.tasks[task].minutes;
        *self.persons[i].pledged.entry(month_key(self.tasks[task].date)).or_default() += minutes;
        self.tasks[task].pledgers.insert(i);
        let date = self.tasks[task].date;
        if self.rng.chance(70) {
            let when = self.rng.range_i64(day, date.max(day) + 1);
            self.schedule(when, Action::Withdraw(task, i));
        } else {
            let when = date + self.rng.range_i64(0, 3);
            self.schedule(when, Action::Log(task, i));
        }
        Ok(())
    }

    fn do_withdraw(&mut self, task: usize, i: usize, day: i64) -> Result<(), DemoError> {
        let now = self.time(day);
        let (id, me) = (self.tasks[task].id, self.persons[i].id.clone());
        let change = self
            .board
            .set_pledge(&me, id, PledgeAction::Withdraw, &self.people_view, now)
            .map_err(Self::refused("a withdrawal"))?;
        self.changes.push((self.board.id(), change));
        self.tasks[task].pledgers.remove(&i);
        let minutes = self.tasks[task].minutes;
        if let Some(m) = self.persons[i].pledged.get_mut(&month_key(self.tasks[task].date)) {
            *m = m.saturating_sub(minutes);
        }
        // Someone else often steps in.
        if self.rng.chance(500) && day < self.tasks[task].date {
            let when = self.rng.range_i64(day, self.tasks[task].date);
            self.schedule(when, Action::Pledge(task));
        }
        Ok(())
    }

    fn do_log(&mut self, task: usize, i: usize, day: i64) -> Result<(), DemoError> {
        if !self.tasks[task].pledgers.contains(&i) || self.rng.chance(80) {
            return Ok(()); // forgot to log
        }
        let t = &self.tasks[task];
        let planned = i64::from(t.minutes);
        let minutes = (planned + self.rng.range_i64(-2, 3) * 15).clamp(15, 8 * 60);
        let date = date_of(t.date);
        let notes =
            ["", "", "", "Great team today", "Ran a bit over", "Left the keys with Sven", "Need more hands next time"];
        let note = *self.rng.pick(&notes).unwrap_or(&"");
        let entry = check_entry(
            Minutes(u32::try_from(minutes).unwrap_or(60)),
            Some((t.id, t.sector.clone())),
            None,
            date,
            note,
            date_of(day),
        )
        .map_err(|e| DemoError::Refused { what: "an hour entry".into(), source: Box::new(e.into()) })?;
        let now = self.time(day);
        let me = self.persons[i].id.clone();
        let entry_id = EntryId::from_bytes(self.rng.bytes());
        let year = date.year();
        let ledger = self.ledger_mut(year)?;
        let change = ledger.log_hours(entry_id, &me, &entry, now).map_err(Self::refused("an hour entry"))?;
        let ledger_id = ledger.id();
        self.changes.push((ledger_id, change));
        let key = EntryKey(*entry_id.as_bytes());
        self.entries.insert(key, (entry_id, year, i));
        if self.rng.chance(880) {
            let now = Timestamp(now.0 + 60_000);
            let id = self.tasks[task].id;
            let change = self
                .board
                .set_pledge(&me, id, PledgeAction::Done, &self.people_view, now)
                .map_err(Self::refused("done"))?;
            self.changes.push((self.board.id(), change));
        }
        if self.rng.chance(620) {
            let when = day + self.rng.range_i64(0, 4);
            self.schedule(when, Action::Confirm(task, key));
        }
        if self.rng.chance(420) {
            let when = day + self.rng.range_i64(0, 6);
            self.schedule(when, Action::Feedback(task, i));
        }
        Ok(())
    }

    fn do_confirm(&mut self, task: usize, key: EntryKey, day: i64) -> Result<(), DemoError> {
        let Some(&(entry, year, owner)) = self.entries.get(&key) else { return Ok(()) };
        // Preferably someone who was there.
        let mut who: Vec<usize> =
            self.tasks[task].pledgers.iter().copied().filter(|&j| j != owner && self.member_active(j, day)).collect();
        if who.is_empty() {
            who = (0..self.persons.len())
                .filter(|&j| {
                    j != owner
                        && self.member_active(j, day)
                        && self.persons[j].interest.get(&self.tasks[task].sector).copied().unwrap_or(0) >= 3
                })
                .collect();
        }
        let Some(&j) = self.rng.pick(&who) else { return Ok(()) };
        let now = self.time(day);
        let me = self.persons[j].id.clone();
        let ledger = self.ledger_mut(year)?;
        let change = ledger.confirm_entry(&me, entry, now).map_err(Self::refused("a confirmation"))?;
        let id = ledger.id();
        self.changes.push((id, change));
        Ok(())
    }

    fn do_feedback(&mut self, task: usize, i: usize, day: i64) -> Result<(), DemoError> {
        let p = &self.persons[i];
        let t = &self.tasks[task];
        let fit = u32::from(*p.interest.get(&t.sector).unwrap_or(&0))
            + t.skills.iter().map(|s| u32::from(*p.skills.get(s).unwrap_or(&0))).max().unwrap_or(0);
        let weights = if fit >= 6 {
            [60, 30, 5, 5]
        } else if fit >= 3 {
            [55, 15, 15, 15]
        } else {
            [30, 5, 30, 35]
        };
        let verdict = match self.rng.weighted_index(&weights) {
            Some(0) => Verdict::Enjoyed,
            Some(1) => Verdict::More,
            Some(2) => Verdict::TooHard,
            _ => Verdict::NotAgain,
        };
        let (id, me) = (t.id, p.id.clone());
        let now = self.time(day);
        let year = date_of(day).year();
        let ledger = self.ledger_mut(year)?;
        let change = ledger.give_feedback(&me, id, verdict, now).map_err(Self::refused("feedback"))?;
        let lid = ledger.id();
        self.changes.push((lid, change));
        Ok(())
    }

    fn do_close(&mut self, task: usize, day: i64) -> Result<(), DemoError> {
        let t = &self.tasks[task];
        let closer =
            if self.member_active(t.creator, day) { t.creator } else { t.pledgers.iter().copied().next().unwrap_or(0) };
        let (id, me) = (t.id, self.persons[closer].id.clone());
        let now = self.time(day);
        let edit = TaskEdit { status: Some(TaskStatus::Closed), ..TaskEdit::default() };
        let change = self
            .board
            .edit_task(&me, id, &edit, &self.people_view, date_of(day), now)
            .map_err(Self::refused("closing a task"))?;
        self.changes.push((self.board.id(), change));
        Ok(())
    }

    /// Hours given outside posted tasks: a helping hand here and there.
    fn sector_hours(&mut self, day: i64) -> Result<(), DemoError> {
        for i in 0..self.persons.len() {
            if !self.member_active(i, day) {
                continue;
            }
            let chance = self.persons[i].factor(day) / 2; // per mille per day
            if !self.rng.chance(chance) {
                continue;
            }
            let weights: Vec<u32> = SECTOR_NOTES
                .iter()
                .map(|(s, _)| u32::from(*self.persons[i].interest.get(&parse::<SectorId>(s)).unwrap_or(&0)).pow(2))
                .collect();
            let Some(k) = self.rng.weighted_index(&weights) else { continue };
            let (sector, notes) = SECTOR_NOTES[k];
            let note = *self.rng.pick(notes).unwrap_or(&"");
            let minutes = u32::try_from(self.rng.range_i64(2, 9) * 15).unwrap_or(60);
            let date = date_of(day);
            let entry = check_entry(Minutes(minutes), None, Some(parse(sector)), date, note, date)
                .map_err(|e| DemoError::Refused { what: "sector hours".into(), source: Box::new(e.into()) })?;
            let now = self.time(day);
            let me = self.persons[i].id.clone();
            let id = EntryId::from_bytes(self.rng.bytes());
            let ledger = self.ledger_mut(date.year())?;
            let change = ledger.log_hours(id, &me, &entry, now).map_err(Self::refused("sector hours"))?;
            let lid = ledger.id();
            self.changes.push((lid, change));
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), DemoError> {
        for day in self.first_day..=self.today {
            let mut actions = self.agenda.remove(&day).unwrap_or_default();
            actions.sort_by_key(|a| match a {
                Action::Admit(_) => 0,
                Action::Post { .. } | Action::PostUrgent { .. } => 1,
                Action::Pledge(_) => 2,
                Action::Withdraw(..) => 3,
                Action::Log(..) => 4,
                Action::Confirm(..) => 5,
                Action::Feedback(..) => 6,
                Action::Close(_) => 7,
            });
            for action in actions {
                match action {
                    Action::Admit(i) => self.admit(i)?,
                    Action::Post { template: (g, k), date } => {
                        let (sector, _, _, templates) = GUILDS[g];
                        let tpl = templates[k];
                        let guild = self.guilds.iter().find(|(_, gi)| *gi == g).map(|(id, _)| *id);
                        let neighbours = tpl.neighbours > 0 && self.rng.chance(tpl.neighbours);
                        // Group tasks grow with the community; one-to-one care does not.
                        let slots =
                            if tpl.slots >= 3 { (tpl.slots * self.size / 60).max(tpl.slots) } else { tpl.slots };
                        let spec = PostSpec {
                            guild,
                            skills: tpl.skills,
                            minutes: tpl.minutes,
                            slots,
                            urgency: if date - day <= 3 && self.rng.chance(150) {
                                Urgency::Soon
                            } else {
                                Urgency::Normal
                            },
                            date,
                            location: tpl.location,
                            neighbours,
                            description: String::new(),
                        };
                        let task = self.post(day, sector, tpl.title.to_owned(), spec)?;
                        self.attract(task, day);
                        if date < self.today {
                            let when = date + self.rng.range_i64(1, 4);
                            self.schedule(when, Action::Close(task));
                        }
                    }
                    Action::PostUrgent { which, date } => {
                        let task = self.post_urgent(which, day, date)?;
                        self.attract(task, day);
                        let when = date + self.rng.range_i64(1, 3);
                        self.schedule(when, Action::Close(task));
                    }
                    Action::Pledge(t) => self.do_pledge(t, day)?,
                    Action::Withdraw(t, i) => self.do_withdraw(t, i, day)?,
                    Action::Log(t, i) => self.do_log(t, i, day)?,
                    Action::Confirm(t, key) => self.do_confirm(t, key, day)?,
                    Action::Feedback(t, i) => self.do_feedback(t, i, day)?,
                    Action::Close(t) => self.do_close(t, day)?,
                }
            }
            self.sector_hours(day)?;
        }
        Ok(())
    }

    fn post_urgent(&mut self, which: usize, day: i64, date: i64) -> Result<usize, DemoError> {
        let (sector, title, skills, minutes, slots, location) = URGENT[which % URGENT.len()];
        let spec = PostSpec {
            guild: None,
            skills,
            minutes,
            slots,
            urgency: Urgency::Urgent,
            date,
            location,
            neighbours: self.rng.chance(250),
            description: "Urgent: whoever can, please.".to_owned(),
        };
        self.post(day, sector, title.to_owned(), spec)
    }

    /// Today: urgent needs still open, concerns raised, a few "not for me"s.
    fn finish(&mut self) -> Result<(), DemoError> {
        let today = self.today;
        let urgent = 3 + usize::try_from(self.rng.below(3)).unwrap_or(0);
        let mut order: Vec<usize> = (0..URGENT.len()).collect();
        self.rng.shuffle(&mut order);
        for &which in order.iter().take(urgent) {
            let date = today + self.rng.range_i64(1, 4);
            self.post_urgent(which, today, date)?;
        }
        let concerns = [
            ("governance", "The same five people carry the assembly every month. Can we rotate facilitation?"),
            ("healthcare", "The care circle needs more drivers: Ilse's clinic runs were uncovered twice this month."),
            ("maintenance", "Nobody has signed up for the hall's fix-it list in weeks. Is it too vague?"),
        ];
        for (k, (sector, note)) in concerns.iter().enumerate() {
            if k == 2 && self.rng.chance(500) {
                continue;
            }
            let day = today - self.rng.range_i64(2, 20);
            let who: Vec<usize> = (0..self.persons.len()).filter(|&i| self.member_active(i, day)).collect();
            let i = *self.rng.pick(&who).unwrap_or(&0);
            let now = self.time(day);
            let me = self.persons[i].id.clone();
            let id = FlagId::from_bytes(self.rng.bytes());
            let change = self
                .board
                .raise_flag(id, &me, None, Some(&parse(sector)), note, &self.people_view, now)
                .map_err(Self::refused("a concern"))?;
            self.changes.push((self.board.id(), change));
        }
        // A few members said "not for me" to open tasks.
        let open: Vec<TaskId> = self.tasks.iter().filter(|t| t.date >= today).map(|t| t.id).collect();
        for _ in 0..(self.persons.len() / 20).max(1) {
            let (Some(&task), Some(i)) =
                (self.rng.pick(&open), self.rng.pick(&(0..self.persons.len()).collect::<Vec<_>>()).copied())
            else {
                break;
            };
            if !self.member_active(i, today) {
                continue;
            }
            let now = self.time(today);
            let me = self.persons[i].id.clone();
            let year = date_of(today).year();
            let ledger = self.ledger_mut(year)?;
            let change = ledger.decline_task(&me, task, now).map_err(Self::refused("a decline"))?;
            let lid = ledger.id();
            self.changes.push((lid, change));
        }
        self.rhythm()
    }

    /// The community's rhythm, as the app shows it: two crews that meet (the local member in
    /// one), a gathering in three weeks with its tasks and who is coming, and the weekly food
    /// share as a recurring task.
    fn rhythm(&mut self) -> Result<(), DemoError> {
        use weft_core::doc::crews::{NewCrew, NoteKind, Rhythm};
        use weft_core::doc::gatherings::NewGathering;
        use weft_core::doc::series::{NewSeries, Repeat};
        use weft_core::id::{CrewId, GatheringId, SeriesId};
        let today = self.today;
        let active: Vec<usize> = (0..self.persons.len()).filter(|&i| self.member_active(i, today)).collect();
        let crews = [
            (
                "Tuesday check-in circle",
                "Peer support: how we are, what we carry, what we need.",
                true,
                1,
                2,
                19 * 60,
                "The hall",
            ),
            (
                "Garden crew",
                "We keep the beds, the compost and the seed library going.",
                false,
                5,
                1,
                9 * 60,
                "The garden",
            ),
        ];
        for (k, (name, purpose, open, weekday, every, time, place)) in crews.into_iter().enumerate() {
            let started = today - 60;
            let founder = if k == 0 { 0 } else { *self.rng.pick(&active).unwrap_or(&0) };
            let me = self.persons[founder].id.clone();
            let new = NewCrew {
                name: name.into(),
                purpose: purpose.into(),
                open,
                rhythm: Some(Rhythm {
                    repeat: Repeat::Weekly { every, weekday },
                    starts: date_of(started),
                    time,
                    minutes: 90,
                    place: Some(place.into()),
                }),
                review: Some(date_of(today + 30)),
            };
            let id = CrewId::from_bytes(self.rng.bytes());
            let now = self.time(started);
            let change =
                self.people_doc.create_crew(id, &me, &new, &self.people_view, now).map_err(Self::refused("a crew"))?;
            self.changes.push((self.people_doc.id(), change));
            let mut others: Vec<usize> = active.iter().copied().filter(|&i| i != founder && i != 0).collect();
            self.rng.shuffle(&mut others);
            for (n, &i) in others.iter().take(3 + k).enumerate() {
                let who = self.persons[i].id.clone();
                let day = started + 1 + i64::try_from(n).unwrap_or(0);
                if !open {
                    let now = self.time(day);
                    let change = self
                        .people_doc
                        .invite_to_crew(&me, id, who.member(), &self.people_view, now)
                        .map_err(Self::refused("a crew invitation"))?;
                    self.changes.push((self.people_doc.id(), change));
                }
                let now = Timestamp(self.time(day).millis() + 60_000);
                let change = self
                    .people_doc
                    .join_crew(&who, id, &self.people_view, now)
                    .map_err(Self::refused("joining a crew"))?;
                self.changes.push((self.people_doc.id(), change));
            }
            if let Some(&i) = others.first() {
                let who = self.persons[i].id.clone();
                let now = self.time(today - 7);
                let note = "Glad to be back after the flu. The rhythm really helps.";
                let change = self
                    .people_doc
                    .crew_note(&who, id, NoteKind::CheckIn, note, now)
                    .map_err(Self::refused("a check-in"))?;
                self.changes.push((self.people_doc.id(), change));
            }
        }
        self.people_view = PeopleView::read(self.people_doc.automerge());

        // A gathering in three weeks, with its tasks and those who said they will come.
        let posted = today - 10;
        let poster = self.persons[*self.rng.pick(&active).unwrap_or(&0)].id.clone();
        let gathering = GatheringId::from_bytes(self.rng.bytes());
        let new = NewGathering {
            title: "Harvest gathering".into(),
            description: "Two days together: the harvest, a shared meal, and the yearly look back.".into(),
            starts: date_of(today + 19),
            ends: Some(date_of(today + 20)),
            place: Some("The meadow by the river".into()),
        };
        let now = self.time(posted);
        for change in self
            .board
            .add_gathering(gathering, &poster, &new, &self.people_view, date_of(posted), now)
            .map_err(Self::refused("a gathering"))?
        {
            self.changes.push((self.board.id(), change));
        }
        for (title, sector, minutes, slots) in [
            ("Set up the marquee", "maintenance", 180, 4),
            ("Cook the harvest meal", "food", 240, 5),
            ("Facilitate the look back", "governance", 120, 1),
        ] {
            let task = NewTask {
                title: title.into(),
                description: String::new(),
                sector: parse(sector),
                guild: None,
                skills: BTreeSet::new(),
                hours: Minutes(minutes),
                slots,
                urgency: Urgency::Normal,
                deadline: None,
                location: None,
                open_to_neighbours: false,
            };
            let id = TaskId::from_bytes(self.rng.bytes());
            let change = self
                .board
                .add_gathering_task(id, gathering, &poster, &task, &self.people_view, date_of(posted), now)
                .map_err(Self::refused("a gathering's task"))?;
            self.changes.push((self.board.id(), change));
        }
        for &i in &active {
            if i == 0 || self.persons[i].id.member() == poster.member() || !self.rng.chance(400) {
                continue;
            }
            let who = self.persons[i].id.clone();
            let day = today - self.rng.range_i64(0, 9);
            let now = self.time(day);
            let change =
                self.board.attend(&who, gathering, true, &self.people_view, now).map_err(Self::refused("attending"))?;
            self.changes.push((self.board.id(), change));
        }

        // The food share, every Friday, as a recurring task.
        let series = SeriesId::from_bytes(self.rng.bytes());
        let new = NewSeries {
            task: NewTask {
                title: "Sort and pack the food share".into(),
                description: "Bring a crate if you have one.".into(),
                sector: parse("food"),
                guild: None,
                skills: BTreeSet::new(),
                hours: Minutes(120),
                slots: 3,
                urgency: Urgency::Normal,
                deadline: None,
                location: Some("The hall".into()),
                open_to_neighbours: false,
            },
            repeat: Repeat::Weekly { every: 1, weekday: 4 },
            starts: date_of(today),
            until: None,
            ahead_days: None,
        };
        let now = self.time(today);
        for change in self
            .board
            .add_series(series, &poster, &new, &self.people_view, date_of(today), now)
            .map_err(Self::refused("a recurring task"))?
        {
            self.changes.push((self.board.id(), change));
        }
        Ok(())
    }

    fn into_community(self) -> DemoCommunity {
        let people = self.people_view;
        let board = BoardView::read(self.board.automerge());
        let ledgers: Vec<LedgerView> = self.ledgers.values().map(|l| LedgerView::read(l.automerge())).collect();
        let open = views::open_tasks(&board, None);
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let counted: Vec<_> = ledgers.iter().flat_map(|l| l.counted()).collect();
        let summary = DemoSummary {
            members: count(people.current_members().count()),
            guilds: count(people.guilds.len()),
            tasks: count(board.tasks.len()),
            open_tasks: count(open.len()),
            urgent_open: count(open.iter().filter(|t| t.task.urgency == Urgency::Urgent).count()),
            pledges: count(board.pledges.values().filter(|p| p.state != PledgeState::Withdrawn).count()),
            entries: count(counted.len()),
            hours: counted.iter().map(|e| e.minutes).sum(),
            confirmations: count(counted.iter().map(|e| e.confirmations.len()).sum()),
            feedback: count(ledgers.iter().map(|l| l.feedback.len()).sum()),
        };
        let mut documents = vec![self.people_doc, self.board];
        documents.extend(self.ledgers.into_values());
        DemoCommunity { community: self.community, documents, changes: self.changes, summary }
    }
}

/// What a task post needs beyond its title and sector.
struct PostSpec<'a> {
    guild: Option<GuildId>,
    skills: &'a [&'a str],
    minutes: u32,
    slots: u32,
    urgency: Urgency,
    date: i64,
    location: &'a str,
    neighbours: bool,
    description: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_core::verify::{Verifier, parse_change};

    fn options(members: u32) -> DemoOptions {
        DemoOptions { members, seed: 1, today: "2026-11-22".parse().unwrap(), name: None }
    }

    #[test]
    fn the_same_seed_gives_the_same_community() {
        let (_, me) = Identity::generate();
        let a = generate(&me, "Ana", &options(30)).unwrap();
        let b = generate(&me, "Ana", &options(30)).unwrap();
        assert_eq!(a.community, b.community);
        assert_eq!(a.summary, b.summary);
        assert_eq!(a.changes.len(), b.changes.len());
        for (x, y) in a.documents.iter().zip(&b.documents) {
            assert_eq!(x.heads(), y.heads());
        }
        let c = generate(&me, "Ana", &DemoOptions { seed: 2, ..options(30) }).unwrap();
        assert_ne!(a.summary, c.summary);
    }

    #[test]
    fn every_change_verifies_when_replayed_in_order() {
        let (_, me) = Identity::generate();
        let demo = generate(&me, "Ana", &options(12)).unwrap();
        let mut docs: BTreeMap<DocName, (Document, Verifier)> = BTreeMap::new();
        let mut people = PeopleView::read(&automerge::Automerge::new());
        for (id, change) in &demo.changes {
            let (doc, verifier) =
                docs.entry(id.name).or_insert_with(|| (Document::load(*id, None, &[]).unwrap(), Verifier::new(*id)));
            let parsed = parse_change(&change.bytes).unwrap();
            verifier.verify(doc, &people, &parsed, change.signature.as_ref()).unwrap_or_else(|e| panic!("{id}: {e}"));
            doc.apply([parsed]).unwrap();
            if id.name == DocName::People {
                people = PeopleView::read(doc.automerge());
            }
        }
        for original in &demo.documents {
            assert_eq!(docs[&original.id().name].0.heads(), original.heads());
        }
    }

    #[test]
    fn a_year_of_a_120_member_community_looks_like_life() {
        let (_, me) = Identity::generate();
        let opts = options(120);
        let started = std::time::Instant::now();
        let demo = generate(&me, "Ana", &opts).unwrap();
        eprintln!("generated in {:?}: {} changes", started.elapsed(), demo.changes.len());
        let s = &demo.summary;
        assert_eq!(s.members, 120);
        assert!((15..=30).contains(&s.guilds), "{s:?}");
        assert!((25..=90).contains(&s.open_tasks), "{s:?}");
        assert!((3..=10).contains(&s.urgent_open), "{s:?}");
        let people = PeopleView::read(demo.documents[0].automerge());
        let board = BoardView::read(demo.documents[1].automerge());
        let ledgers: Vec<LedgerView> = demo.documents[2..].iter().map(|d| LedgerView::read(d.automerge())).collect();
        // Entries in each of the last twelve months.
        let mut month = opts.today.month();
        for _ in 0..12 {
            let n = ledgers.iter().flat_map(|l| l.counted()).filter(|e| month.contains(e.date)).count();
            assert!(n >= 10, "only {n} entries in {month}");
            month = month.prev();
        }
        // Per-member yearly hours: a typical active member lands somewhere near the baseline.
        let mut per_member: BTreeMap<MemberId, u32> = BTreeMap::new();
        for e in ledgers.iter().flat_map(|l| l.counted()) {
            *per_member.entry(e.member).or_default() += e.minutes.get();
        }
        let mut hours: Vec<u32> = per_member.values().map(|m| m / 60).collect();
        hours.sort_unstable();
        let median = hours[hours.len() / 2];
        assert!((50..=200).contains(&median), "median {median} h a year; {hours:?}");
        // Over the last twelve full months each sector did a believable share of its goal
        // (with seasons: harvest spikes food, summer and December dip).
        let mut totals: BTreeMap<SectorId, u32> = BTreeMap::new();
        let mut month = opts.today.month();
        for _ in 0..12 {
            month = month.prev();
            let p = views::progress(&people, &board, ledgers.iter(), month);
            for sector in &p.sectors {
                *totals.entry(sector.sector.clone()).or_default() += sector.percent;
            }
        }
        for (sector, total) in &totals {
            assert!((40..=150).contains(&(total / 12)), "{sector}: {}% on average", total / 12);
        }
        let now = views::progress(&people, &board, ledgers.iter(), opts.today.month());
        assert!(now.sectors.iter().all(|s| s.percent >= 10), "{:?}", now.sectors);
        let confirmed = ledgers.iter().flat_map(|l| l.counted()).filter(|e| !e.confirmations.is_empty()).count();
        assert!(confirmed * 100 / s.entries as usize >= 35, "{confirmed} of {} confirmed", s.entries);
    }
}
