//! The command line: flags, their parsing (a bad value is refused by name, before anything
//! runs), and their translation into one `weft_node::Request`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use weft_core::doc::proposals::{ProposalKind, Stance};
use weft_core::model::{Interest, NewTask, ProfileUpdate, SkillLevel, Urgency, Verdict};
use weft_core::{Date, DocName, Minutes, Month, SectorId, SkillId};
use weft_node::Request;
use weft_node::api::{
    ExportFormatInput, NoticeKindInput, PledgeActionInput, ProposalInput, RepeatInput, RepeatKind, SeriesInput,
    TaskInput,
};

/// Weft: share the work of a mutual-aid community, peer to peer, without a server.
#[derive(Debug, Parser)]
#[command(name = "weft", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The data directory (default: your per-user data directory). Several peers on one
    /// machine each use their own.
    #[arg(long, global = true, env = "WEFT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout (errors as JSON on stderr).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create your identity in this data directory (a member key and a device key).
    Init {
        /// What others call you.
        #[arg(long)]
        name: String,
    },
    /// Show your identity and data directory.
    Whoami,
    /// Create or list communities.
    #[command(subcommand)]
    Community(CommunityCmd),
    /// Set or show a profile: skills, interests, hours a week, travel, things to learn.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// The members directory (profiles; never rankings).
    Members(CommunityArg),
    /// The community's sectors and their yearly baselines.
    Sectors(CommunityArg),
    /// Add a sector or change one: its name, whether it is essential, its yearly baseline.
    Sector(SectorArgs),
    /// Add or list guilds.
    #[command(subcommand)]
    Guild(GuildCmd),
    /// Post, list, show, edit and close tasks.
    #[command(subcommand)]
    Task(TaskCmd),
    /// Take a place on a task (or give it back with --withdraw, or mark it done with --done).
    Pledge {
        /// The task id (at least 4 characters of it).
        task: String,
        #[arg(long, conflicts_with_all = ["done", "stand_in", "keep", "on", "take_over"])]
        withdraw: bool,
        #[arg(long, conflicts_with_all = ["stand_in", "keep", "on", "take_over"])]
        done: bool,
        /// Look for someone to take your place (it stays covered until someone does).
        #[arg(long, conflicts_with_all = ["keep", "on", "take_over"])]
        stand_in: bool,
        /// No longer look for a stand-in.
        #[arg(long, conflicts_with_all = ["on", "take_over"])]
        keep: bool,
        /// The day you will do it (YYYY-MM-DD), or "any" for no particular day.
        #[arg(long, value_parser = parse_day_or_any, conflicts_with = "take_over")]
        on: Option<PledgeDayArg>,
        /// Take over the place of this member, who looks for a stand-in (name or id).
        #[arg(long, value_name = "MEMBER")]
        take_over: Option<String>,
    },
    /// Log hours you gave, for a task or for a sector.
    Log(LogArgs),
    /// Confirm another member's hours.
    Confirm {
        /// The entry id (at least 4 characters of it).
        entry: String,
    },
    /// Retract one of your own entries (a mistake).
    Retract { entry: String },
    /// Hours waiting for your confirmation, and yours that nobody confirmed yet.
    Pending(CommunityArg),
    /// Say how a task went: enjoyed, too-hard, not-again or more.
    Feedback {
        task: String,
        #[arg(long, value_parser = parse_verdict)]
        verdict: Verdict,
    },
    /// Tasks that would suit you now, ranked, each with its reasons (your part of the community
    /// plan first); or say a task is not for you with --decline.
    Suggest(SuggestArgs),
    /// The community plan for this week: who could take which open place, urgent ones first.
    /// It suggests; it never assigns.
    Plan(CommunityArg),
    /// Raise a concern about a task or a sector, for its guild to discuss.
    Flag {
        #[arg(long)]
        task: Option<String>,
        #[arg(long)]
        community: Option<String>,
        #[arg(long, value_parser = parse_sector)]
        sector: Option<SectorId>,
        #[arg(long)]
        note: String,
    },
    /// Recurring tasks (made with `weft task add --repeat`): list, skip a day, edit.
    #[command(subcommand)]
    Series(SeriesCmd),
    /// Decisions by consent: open a proposal, take a stance, write the outcome.
    #[command(subcommand)]
    Proposal(ProposalCmd),
    /// Crews: a few members (at most seven) who meet on a rhythm and take tasks together.
    #[command(subcommand)]
    Crew(CrewCmd),
    /// Gatherings of the whole community: days, place, who is coming, their tasks.
    #[command(subcommand)]
    Gathering(GatheringCmd),
    /// Each sector's collective progress against its monthly goal.
    Progress {
        #[arg(long)]
        community: Option<String>,
        /// The month, YYYY-MM (default: this month).
        #[arg(long, value_parser = parse_month)]
        month: Option<Month>,
    },
    /// Your own hours per sector this year, against the baseline (a guideline, never a quota).
    Hours {
        #[arg(long)]
        community: Option<String>,
        #[arg(long)]
        year: Option<i32>,
    },
    /// Export hours, tasks or members as CSV, everything as ValueFlows JSON-LD, or a raw
    /// Automerge document.
    Export(ExportArgs),
    /// Your pledged work that has a day, as an iCalendar file (.ics) calendar programs import;
    /// import it again later to update the events (withdrawn pledges come as cancelled).
    Calendar {
        /// The community, by name or id (default: every community here).
        #[arg(long)]
        community: Option<String>,
        /// Write it to this file (replaced whole, never left half written) instead of
        /// printing it.
        #[arg(long, value_name = "FILE.ics", conflicts_with_all = ["keep", "stop_keeping"])]
        out: Option<PathBuf>,
        /// Keep a calendar file of every community in the data directory up to date (while
        /// `weft serve` or the app runs), for calendar programs that subscribe to a file.
        #[arg(long, conflicts_with_all = ["community", "stop_keeping"])]
        keep: bool,
        /// Stop keeping that file (it is removed).
        #[arg(long, conflicts_with = "community")]
        stop_keeping: bool,
    },
    /// Generate a demo community with a year of believable history.
    Demo {
        #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(2..=500))]
        members: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The community's name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Simulate synthetic communities over a year under Weft's matcher and under simple
    /// baselines (random, greedy by skill, first come first served), and compare what happens
    /// to people: urgent tasks' fill time, balance across sectors, fairness, overload,
    /// acceptance; with --communities, escalation to neighbouring communities too. Needs no
    /// data directory.
    Simulate {
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(2..=2000))]
        members: u32,
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=36))]
        months: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Linked communities (in a ring, each with --members members and a world of its own):
        /// Weft escalates urgent tasks short of people to the neighbours, whose travellers may
        /// answer; the baselines do not. 1 is a single community.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
        communities: u32,
    },
    /// Run this peer until Ctrl-C or SIGTERM: sync with other members' peers (found on the LAN
    /// by mDNS, or at --connect addresses), relay for them; other `weft` commands on this data
    /// directory go through it meanwhile.
    Serve(ServeArgs),
    /// Connected peers, how each was found, and per document whether we are in sync.
    Peers,
    /// Invite someone: prints a short code and a weft:// link (and writes a QR code).
    Invite {
        #[arg(long)]
        community: Option<String>,
        /// How many people may join with it.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        uses: u32,
        /// How long it stays valid: e.g. 7d, 12h (at most 365d).
        #[arg(long, default_value = "7d", value_parser = parse_expiry)]
        expires: u32,
        /// Also write the link as a QR code to this PNG file.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
    },
    /// Join a community with an invitation code or weft:// link.
    Join {
        code: String,
        /// What the community should call you (needed if this data directory has no identity).
        #[arg(long)]
        name: Option<String>,
        /// More addresses to look for members at (besides the link's and the LAN).
        #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
        connect: Vec<weft_net::Multiaddr>,
    },
    /// Your computers: list them, link another one with a pairing code, revoke a lost one.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Write an encrypted backup of your identity (to restore it on a new computer if this one
    /// is lost). The passphrase comes from --passphrase-file, WEFT_PASSPHRASE, or is asked.
    Backup {
        /// The backup file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Also write a printable recovery sheet (the same backup as lines and a QR code).
        #[arg(long, value_name = "FILE.html")]
        sheet: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Become yourself again on this computer (a new data directory) from a backup file or a
    /// recovery sheet, and get your communities back from any member's peer.
    Restore {
        /// The backup file, or a text file with the recovery sheet's lines.
        file: PathBuf,
        /// What to call this computer in your device list.
        #[arg(long, default_value = "Restored computer")]
        label: String,
        /// Revoke a lost device once back (its name or id prefix; `all` for every other computer).
        #[arg(long, value_name = "DEVICE")]
        revoke: Vec<String>,
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// More addresses to look for members at (besides the backup's and the LAN).
        #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
        connect: Vec<weft_net::Multiaddr>,
    },
    /// Manage members.
    #[command(subcommand)]
    Member(MemberCmd),
    /// Neighbouring communities: invite one to link, accept, list, end a link.
    #[command(subcommand)]
    Neighbour(NeighbourCmd),
    /// Calls: tasks open to visitors from neighbouring communities (ours and theirs).
    #[command(subcommand)]
    Call(CallCmd),
    /// Offers of surplus in the commons shared with our neighbours.
    #[command(subcommand)]
    Offer(NoticeCmd),
    /// Stated needs in the commons shared with our neighbours.
    #[command(subcommand)]
    Need(NoticeCmd),
    /// The data directory: location, size on disk, documents.
    Status,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// An address to listen on (default: every interface, a free TCP port and a free QUIC port).
    #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    pub listen: Vec<weft_net::Multiaddr>,
    /// A peer to connect to, e.g. /ip4/192.168.1.20/tcp/4001 (where mDNS is blocked).
    #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    pub connect: Vec<weft_net::Multiaddr>,
    /// This peer's public address, if it has one (an always-on server): announced to others,
    /// and it makes this peer relay for members behind NAT.
    #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    pub external: Vec<weft_net::Multiaddr>,
    /// Do not look for peers on the local network.
    #[arg(long)]
    pub no_mdns: bool,
}

#[derive(Debug, Subcommand)]
pub enum MemberCmd {
    /// Remove a member: their new changes are refused by every peer and the community's data
    /// key is rotated, so they cannot read new gossip.
    Remove {
        #[arg(long)]
        community: Option<String>,
        /// The member, by name or id.
        member: String,
    },
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The community, by name or id (not needed when you are in just one).
    #[arg(long)]
    pub community: Option<String>,
    /// Another member's suggestions, by name or id (yours by default).
    #[arg(long, conflicts_with = "decline")]
    pub member: Option<String>,
    /// How many suggestions.
    #[arg(
        long,
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(weft_node::api::MAX_SUGGESTIONS))
    )]
    pub limit: u32,
    /// Say "not for me" to a task (at least 4 characters of its id): it won't be suggested to
    /// you again.
    #[arg(long, value_name = "TASK", conflicts_with = "limit")]
    pub decline: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommunityArg {
    /// The community, by name or id (not needed when you are in just one).
    #[arg(long)]
    pub community: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CommunityCmd {
    /// Found a new community (you are its first member).
    Create { name: String },
    /// The communities in this data directory.
    List,
    /// Give a community a new name.
    Rename {
        #[arg(long)]
        community: Option<String>,
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct SectorArgs {
    #[arg(long)]
    pub community: Option<String>,
    /// The sector's id, e.g. food, or a new one such as water.
    #[arg(value_parser = parse_sector)]
    pub sector: SectorId,
    #[arg(long)]
    pub name: Option<String>,
    /// The yearly baseline per member, e.g. 20 (a guideline, never a quota).
    #[arg(long, value_parser = parse_hours, allow_hyphen_values = true)]
    pub baseline: Option<Minutes>,
    #[arg(long, value_parser = parse_yes_no, value_name = "yes|no")]
    pub essential: Option<bool>,
    /// Retire the sector (its history stays).
    #[arg(long, conflicts_with = "restore")]
    pub archive: bool,
    /// Bring an archived sector back.
    #[arg(long)]
    pub restore: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Change your profile; only what you pass changes.
    Set(ProfileSetArgs),
    /// Show a member's profile (yours by default).
    Show {
        #[arg(long)]
        community: Option<String>,
        /// A member's name or id.
        member: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ProfileSetArgs {
    #[arg(long)]
    pub community: Option<String>,
    /// Your name as others see it.
    #[arg(long)]
    pub name: Option<String>,
    /// A skill and your level from 1 to 5, e.g. gardening:4 (repeat for more).
    #[arg(long = "skill", value_parser = parse_skill_level, value_name = "SKILL:LEVEL")]
    pub skills: Vec<(SkillId, SkillLevel)>,
    /// Remove a skill from your profile.
    #[arg(long = "drop-skill", value_parser = parse_skill, value_name = "SKILL")]
    pub drop_skills: Vec<SkillId>,
    /// Your interest in a sector from 0 to 5, e.g. food=5 (repeat for more).
    #[arg(long = "interest", value_parser = parse_interest, value_name = "SECTOR=LEVEL")]
    pub interests: Vec<(SectorId, Interest)>,
    /// Hours a week you can usually give, e.g. 3 or 1.5.
    #[arg(long, value_parser = parse_hours, allow_hyphen_values = true)]
    pub hours_per_week: Option<Minutes>,
    /// Whether you like to travel to neighbouring communities: yes or no.
    #[arg(long, value_parser = parse_yes_no, value_name = "yes|no")]
    pub travel: Option<bool>,
    /// Something you want to learn (repeat for more).
    #[arg(long = "learn", value_parser = parse_skill, value_name = "SKILL")]
    pub learn: Vec<SkillId>,
    /// Something you no longer want to learn.
    #[arg(long = "unlearn", value_parser = parse_skill, value_name = "SKILL")]
    pub unlearn: Vec<SkillId>,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCmd {
    /// Your computers and backups, and computers asking to be linked (with their words).
    List,
    /// Show a pairing code for another computer of yours (needs `weft serve` or the app
    /// running on this data directory); confirm it with `weft device confirm` once it asks.
    Add {
        /// How long the code stays valid, in minutes.
        #[arg(long, default_value_t = 10)]
        minutes: u32,
        /// Also write the code's link as a QR code to this PNG file.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
    },
    /// Confirm the computer asking with the pairing code: the words both screens show (or its id).
    Confirm { words: Vec<String> },
    /// On a new computer (a fresh data directory): become another computer of yours, with the
    /// pairing code your other computer shows.
    Link {
        code: String,
        /// What to call this computer in your device list.
        #[arg(long, default_value = "Computer")]
        label: String,
        /// More addresses to look for your other computer at (besides the link's and the LAN).
        #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
        connect: Vec<weft_net::Multiaddr>,
    },
    /// Revoke one of your computers or backups (its name or id prefix): what it writes from
    /// now on is refused everywhere, and the communities' data keys change.
    Revoke { device: String },
    /// Name one of your computers (this one unless --device says which).
    Rename {
        label: String,
        #[arg(long)]
        device: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum NeighbourCmd {
    /// Invite a neighbouring community to link with ours: prints a code and a weft:// link
    /// (single use) for one of its members to accept.
    Invite {
        #[arg(long)]
        community: Option<String>,
        /// How long it stays valid: e.g. 7d, 12h (at most 365d).
        #[arg(long, default_value = "7d", value_parser = parse_expiry)]
        expires: u32,
        /// Also write the link as a QR code to this PNG file.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
    },
    /// Link our community to the one whose neighbour invitation this is.
    Accept {
        code: String,
        #[arg(long)]
        community: Option<String>,
        /// More addresses to look for the neighbour's members at.
        #[arg(long, value_name = "MULTIADDR", value_parser = parse_multiaddr)]
        connect: Vec<weft_net::Multiaddr>,
    },
    /// Our neighbours: their directory entries and the state of each link.
    List(CommunityArg),
    /// How our community describes itself to its neighbours.
    Describe {
        #[arg(long)]
        community: Option<String>,
        #[arg(long)]
        about: Option<String>,
        /// A rough location (a town, a valley): neighbours see it, never a map.
        #[arg(long)]
        location: Option<String>,
        /// Languages spoken, e.g. "English, Spanish".
        #[arg(long)]
        languages: Option<String>,
        /// How many visitors our members can put up at once.
        #[arg(long)]
        hosts: Option<u64>,
        /// How long an urgent task short of people waits before the neighbours are asked,
        /// e.g. 12h, 2d (the default is 12 hours, or earlier as its deadline nears).
        #[arg(long, value_parser = parse_expiry)]
        escalate_after: Option<u32>,
    },
    /// End the link with a neighbour (by name or id): its members write nothing new in our
    /// commons from then on.
    End {
        neighbour: String,
        #[arg(long)]
        community: Option<String>,
    },
}

/// When a crew meets, on the command line.
#[derive(Debug, Args)]
pub struct RhythmArgs {
    /// How often it meets: weekly, every-N-weeks (e.g. every-2-weeks), monthly or monthly-last.
    #[arg(long, value_parser = parse_repeat)]
    pub meets: Option<RepeatInput>,
    /// The weekday it meets on, e.g. tuesday (default: the weekday of --from).
    #[arg(long, value_parser = parse_weekday, requires = "meets")]
    pub weekday: Option<u8>,
    /// The time it meets, HH:MM, local (default 19:00).
    #[arg(long, value_parser = parse_time, requires = "meets")]
    pub at: Option<u32>,
    /// How long a meeting lasts, e.g. 1.5 (hours; default 1.5).
    #[arg(long, value_parser = parse_hours, requires = "meets")]
    pub length: Option<Minutes>,
    /// Where it meets.
    #[arg(long, requires = "meets")]
    pub place: Option<String>,
    /// The first day it may meet (default today).
    #[arg(long, value_parser = parse_date, requires = "meets")]
    pub from: Option<Date>,
}

impl RhythmArgs {
    fn input(&self) -> Option<weft_node::api::RhythmInput> {
        let repeat = self.meets.clone()?;
        Some(weft_node::api::RhythmInput {
            repeat: RepeatInput { weekday: self.weekday.or(repeat.weekday), ..repeat },
            starts: self.from,
            time: self.at.unwrap_or(19 * 60),
            minutes: self.length.map(Minutes::get),
            place: self.place.clone(),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum CrewCmd {
    /// Start a crew (you are its first member).
    Create {
        name: String,
        #[arg(long)]
        community: Option<String>,
        /// What the crew is for.
        #[arg(long, default_value = "")]
        purpose: String,
        /// Anyone may join (else only those its members invite).
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        rhythm: RhythmArgs,
        /// When to review how it goes, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        review: Option<Date>,
    },
    /// The community's crews, yours first, with their next meetings.
    List(CommunityArg),
    /// A crew: members, rhythm, notes and the tasks it took.
    Show {
        crew: String,
    },
    Join {
        crew: String,
    },
    Leave {
        crew: String,
    },
    /// Invite a member (by name) to a crew you are in.
    Invite {
        crew: String,
        member: String,
    },
    /// Record a check-in (how you are) in a crew you are in.
    Checkin {
        crew: String,
        text: String,
    },
    /// Record a review (how the crew goes: keep going? change?) in a crew you are in.
    Review {
        crew: String,
        text: String,
    },
    /// Change a crew you are in.
    Edit {
        crew: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        purpose: Option<String>,
        /// yes: anyone may join; no: only those invited.
        #[arg(long, value_parser = parse_yes_no)]
        open: Option<bool>,
        #[command(flatten)]
        rhythm: RhythmArgs,
        /// It no longer meets on a rhythm.
        #[arg(long, conflicts_with = "meets")]
        no_rhythm: bool,
        #[arg(long, value_parser = parse_date)]
        review: Option<Date>,
        /// The crew ends: it meets no more.
        #[arg(long)]
        end: bool,
    },
    /// Take a task for your crew (pledging if you have not): its members share the hours,
    /// each logging their own. With --mine, the pledge is yours alone again.
    Pledge {
        task: String,
        #[arg(required_unless_present = "mine")]
        crew: Option<String>,
        #[arg(long, conflicts_with = "crew")]
        mine: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GatheringCmd {
    /// Announce a gathering of the whole community (you are coming).
    Add {
        title: String,
        #[arg(long)]
        community: Option<String>,
        /// The first day, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        starts: Date,
        /// The last day (default: the first).
        #[arg(long, value_parser = parse_date)]
        ends: Option<Date>,
        #[arg(long)]
        place: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Gatherings from today on (--past: the earlier ones too).
    List {
        #[arg(long)]
        community: Option<String>,
        #[arg(long)]
        past: bool,
    },
    /// A gathering: who is coming, its tasks.
    Show { gathering: String },
    /// "I'll come" (--no: "I won't").
    Attend {
        gathering: String,
        #[arg(long)]
        no: bool,
    },
    /// Post a task of a gathering (due on its first day unless --deadline says).
    Task {
        gathering: String,
        #[arg(long)]
        title: String,
        #[arg(long, value_parser = parse_sector)]
        sector: SectorId,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long = "skill", value_parser = parse_skill, value_name = "SKILL")]
        skills: Vec<SkillId>,
        #[arg(long, default_value = "2", value_parser = parse_hours)]
        hours: Minutes,
        #[arg(long, default_value_t = 1)]
        slots: u32,
        #[arg(long, value_parser = parse_date)]
        deadline: Option<Date>,
    },
    /// Change a gathering, or call it off.
    Edit {
        gathering: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, value_parser = parse_date)]
        starts: Option<Date>,
        #[arg(long, value_parser = parse_date)]
        ends: Option<Date>,
        #[arg(long)]
        place: Option<String>,
        #[arg(long)]
        cancel: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SeriesCmd {
    /// Recurring tasks and their coming occurrences.
    List {
        #[arg(long)]
        community: Option<String>,
    },
    /// Skip one day of a recurring task (its occurrence, if made, is closed).
    Skip {
        series: String,
        #[arg(value_parser = parse_date)]
        date: Date,
    },
    /// Change what the coming occurrences ask (pledges stay), or when it ends.
    Edit {
        series: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_parser = parse_hours)]
        hours: Option<Minutes>,
        #[arg(long)]
        slots: Option<u32>,
        #[arg(long, value_parser = parse_date)]
        until: Option<Date>,
        /// Remove the end: it goes on.
        #[arg(long, conflicts_with = "until")]
        no_end: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProposalCmd {
    /// Propose something for the community (or a guild) to decide.
    Open {
        title: String,
        #[arg(long, default_value = "")]
        details: String,
        /// consent (it goes ahead unless someone objects), advice, or consensus.
        #[arg(long, default_value = "consent", value_parser = parse_kind)]
        kind: ProposalKind,
        /// How long each round runs: 7d, 48h or a number of days (default 7 days).
        #[arg(long, value_parser = parse_expiry)]
        closes_in: Option<u32>,
        /// A guild, by name.
        #[arg(long)]
        guild: Option<String>,
        /// The concern it answers (its id, as `weft flag` printed it).
        #[arg(long)]
        concern: Option<String>,
        #[arg(long)]
        task: Option<String>,
        /// The sector it is about (one far behind its goal, say).
        #[arg(long, value_parser = parse_sector)]
        sector: Option<SectorId>,
        #[arg(long)]
        community: Option<String>,
    },
    /// Open proposals, those decided lately, and reviews due.
    List {
        /// Every proposal, also long closed ones.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        community: Option<String>,
    },
    /// A proposal, its rounds and every stance taken.
    Show { proposal: String },
    /// Take your stance (or change it) while the round is open: consent or objection;
    /// agree or abstain (advice); agree, abstain, disagree or block (consensus).
    Stance {
        proposal: String,
        #[arg(value_parser = parse_stance)]
        stance: Stance,
        /// Why (an objection or a block must say).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Close the open round now (the proposal's author only).
    Close { proposal: String },
    /// Withdraw an open proposal (its author only).
    Withdraw { proposal: String },
    /// Reword an open proposal (its author only), after an objection say.
    Edit {
        proposal: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        details: Option<String>,
    },
    /// Write what was decided, once decided, with a date to look at it again.
    Outcome {
        proposal: String,
        text: String,
        #[arg(long, value_parser = parse_date)]
        review: Option<Date>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CallCmd {
    /// Open one of our tasks to visitors from our neighbours.
    Open { task: String },
    /// Close our call for a task.
    Close { task: String },
    /// Open calls: ours and our neighbours'.
    List(CommunityArg),
    /// As a visitor, pledge to a neighbour's call (or withdraw with --withdraw).
    Pledge {
        call: String,
        #[arg(long)]
        community: Option<String>,
        #[arg(long)]
        withdraw: bool,
    },
    /// As a visitor, log hours given to a neighbour's call (they count in your own ledger).
    Log {
        call: String,
        /// Hours, e.g. 2 or 1.5 or 1:30.
        #[arg(long, value_parser = parse_hours)]
        hours: Minutes,
        #[arg(long, value_parser = parse_date)]
        date: Option<Date>,
        #[arg(long)]
        community: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum NoticeCmd {
    /// Post one in our commons.
    Post {
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, value_parser = parse_sector)]
        sector: Option<SectorId>,
        #[arg(long)]
        community: Option<String>,
    },
    /// Open offers and needs: ours and our neighbours'.
    List(CommunityArg),
    /// Close one of ours (given, met, no longer so).
    Close { id: String },
    /// Answer one (ours or a neighbour's).
    Reply {
        id: String,
        text: String,
        #[arg(long)]
        community: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GuildCmd {
    /// Add a guild to a sector.
    Add {
        #[arg(long)]
        community: Option<String>,
        #[arg(long, value_parser = parse_sector)]
        sector: SectorId,
        #[arg(long, default_value = "")]
        description: String,
        name: String,
    },
    /// The guilds of a community.
    List(CommunityArg),
}

#[derive(Debug, Subcommand)]
pub enum TaskCmd {
    /// Post a task on the board.
    Add(TaskAddArgs),
    /// The board: open tasks first, most pressing first.
    List {
        #[arg(long)]
        community: Option<String>,
        #[arg(long, value_parser = parse_sector)]
        sector: Option<SectorId>,
        /// Only open tasks with free places.
        #[arg(long)]
        open: bool,
    },
    /// A task with its pledges.
    Show { task: String },
    /// Change a task; only what you pass changes.
    Edit(TaskEditArgs),
    /// Close a task: it takes no more pledges.
    Close { task: String },
}

#[derive(Debug, Args)]
pub struct TaskAddArgs {
    #[arg(long)]
    pub community: Option<String>,
    #[arg(long)]
    pub title: String,
    #[arg(long, value_parser = parse_sector)]
    pub sector: SectorId,
    /// The guild, by name or id.
    #[arg(long)]
    pub guild: Option<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// A skill the task wants (repeat for more).
    #[arg(long = "skill", value_parser = parse_skill, value_name = "SKILL")]
    pub skills: Vec<SkillId>,
    /// Hours each person gives, e.g. 2 or 1.5.
    #[arg(long, default_value = "2", value_parser = parse_hours, allow_hyphen_values = true)]
    pub hours: Minutes,
    /// How many people are needed.
    #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
    pub slots: u32,
    #[arg(long, default_value = "normal", value_parser = parse_urgency)]
    pub urgency: Urgency,
    /// YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    pub deadline: Option<Date>,
    #[arg(long)]
    pub location: Option<String>,
    /// Neighbouring communities may help with it.
    #[arg(long)]
    pub open_to_neighbours: bool,
    /// Make it recurring: weekly, every-N-weeks (e.g. every-2-weeks), monthly (the same
    /// weekday of the month as --starts, e.g. the second Tuesday) or monthly-last.
    #[arg(long, value_parser = parse_repeat)]
    pub repeat: Option<RepeatInput>,
    /// A recurring task's first day (default today); its weekday is the one it comes round on.
    #[arg(long, value_parser = parse_date, requires = "repeat")]
    pub starts: Option<Date>,
    /// A recurring task's last day.
    #[arg(long, value_parser = parse_date, requires = "repeat")]
    pub until: Option<Date>,
}

#[derive(Debug, Args)]
pub struct TaskEditArgs {
    pub task: String,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long, value_parser = parse_hours)]
    pub hours: Option<Minutes>,
    #[arg(long)]
    pub slots: Option<u32>,
    #[arg(long, value_parser = parse_urgency)]
    pub urgency: Option<Urgency>,
    #[arg(long, value_parser = parse_date, conflicts_with = "no_deadline")]
    pub deadline: Option<Date>,
    #[arg(long)]
    pub no_deadline: bool,
    #[arg(long)]
    pub location: Option<String>,
    #[arg(long = "open-to-neighbours", value_parser = parse_yes_no, value_name = "yes|no")]
    pub open_to_neighbours: Option<bool>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Hours given, e.g. 2, 1.5 or 1h30.
    #[arg(long, value_parser = parse_hours, allow_hyphen_values = true)]
    pub hours: Minutes,
    /// The task the hours were for.
    #[arg(long, conflicts_with = "sector")]
    pub task: Option<String>,
    #[arg(long)]
    pub community: Option<String>,
    /// The sector, for hours not tied to a posted task.
    #[arg(long, value_parser = parse_sector, required_unless_present = "task")]
    pub sector: Option<SectorId>,
    /// The day of the work, YYYY-MM-DD (default: today).
    #[arg(long, value_parser = parse_date)]
    pub date: Option<Date>,
    #[arg(long, default_value = "")]
    pub note: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub community: Option<String>,
    /// csv, valueflows or automerge.
    #[arg(long, value_parser = parse_format)]
    pub format: ExportFormatInput,
    /// For csv: people (members), board (tasks) or ledger/YYYY (hours; default this year's
    /// ledger). For automerge: which document.
    #[arg(long, value_parser = parse_doc)]
    pub doc: Option<DocNameArg>,
    /// The file to write ("-" for standard output).
    #[arg(long)]
    pub out: PathBuf,
}

/// `--doc ledger` means this year's ledger, resolved by the node's clock.
#[derive(Debug, Clone, Copy)]
pub enum DocNameArg {
    Named(DocName),
    CurrentLedger,
}

fn parse_hours(s: &str) -> Result<Minutes, String> {
    Minutes::parse_hours(s).map_err(|e| e.to_string())
}
fn parse_date(s: &str) -> Result<Date, String> {
    s.parse().map_err(|e: weft_core::time::ParseTimeError| e.to_string())
}
fn parse_multiaddr(s: &str) -> Result<weft_net::Multiaddr, String> {
    s.parse().map_err(|_| format!("'{s}' is not a network address: use e.g. /ip4/192.168.1.20/tcp/4001"))
}

/// `7d`, `12h` or a bare number of days, as hours.
fn parse_expiry(s: &str) -> Result<u32, String> {
    let bad = || format!("'{s}' is not a duration: use e.g. 7d or 12h (from 1h to 365d)");
    let s = s.trim();
    let (n, unit) = match s.char_indices().last() {
        Some((i, 'd')) => (&s[..i], 24),
        Some((i, 'h')) => (&s[..i], 1),
        _ => (s, 24),
    };
    let n: u32 = n.parse().map_err(|_| bad())?;
    let hours = n.checked_mul(unit).ok_or_else(bad)?;
    if (1..=24 * 365).contains(&hours) { Ok(hours) } else { Err(bad()) }
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse().map_err(|e: weft_core::time::ParseTimeError| e.to_string())
}
fn parse_sector(s: &str) -> Result<SectorId, String> {
    s.parse().map_err(|_| format!("'{s}' is not a sector name: use lowercase letters, digits and '-', e.g. food"))
}
fn parse_skill(s: &str) -> Result<SkillId, String> {
    SkillId::slugify(s)
        .map_err(|_| format!("'{s}' is not a skill: use letters and digits, e.g. gardening or first-aid"))
}
/// A pledge's day, or none ("any").
#[derive(Debug, Clone, Copy)]
pub struct PledgeDayArg(Option<Date>);

fn parse_day_or_any(s: &str) -> Result<PledgeDayArg, String> {
    if s.trim().eq_ignore_ascii_case("any") {
        Ok(PledgeDayArg(None))
    } else {
        parse_date(s).map(|d| PledgeDayArg(Some(d)))
    }
}
fn parse_repeat(s: &str) -> Result<RepeatInput, String> {
    let s = s.trim().to_lowercase();
    let weekly = |every| RepeatInput { kind: RepeatKind::Weekly, every: Some(every), weekday: None, nth: None };
    let monthly = |nth| RepeatInput { kind: RepeatKind::Monthly, every: None, weekday: None, nth };
    match s.as_str() {
        "weekly" => Ok(weekly(1)),
        "monthly" => Ok(monthly(None)),
        "monthly-last" => Ok(monthly(Some(weft_core::doc::series::LAST))),
        _ => s
            .strip_prefix("every-")
            .and_then(|rest| rest.strip_suffix("-weeks"))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=weft_core::doc::series::EVERY_MAX).contains(n))
            .map(weekly)
            .ok_or_else(|| {
                format!("'{s}' is not a way to repeat: use weekly, every-2-weeks (up to every-8-weeks), monthly or monthly-last")
            }),
    }
}
fn parse_weekday(s: &str) -> Result<u8, String> {
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let s = s.trim().to_lowercase();
    DAYS.iter()
        .position(|d| s.len() >= 3 && d.starts_with(&s))
        .and_then(|i| u8::try_from(i).ok())
        .ok_or_else(|| format!("'{s}' is not a weekday: monday … sunday"))
}
fn parse_time(s: &str) -> Result<u32, String> {
    let bad = || format!("'{s}' is not a time of day: use HH:MM, e.g. 19:00");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}
fn parse_kind(s: &str) -> Result<ProposalKind, String> {
    s.parse().map_err(|e: weft_core::model::ParseEnumError| e.to_string())
}
fn parse_stance(s: &str) -> Result<Stance, String> {
    s.parse().map_err(|e: weft_core::model::ParseEnumError| e.to_string())
}
fn parse_urgency(s: &str) -> Result<Urgency, String> {
    s.parse().map_err(|e: weft_core::model::ParseEnumError| e.to_string())
}
fn parse_verdict(s: &str) -> Result<Verdict, String> {
    s.parse().map_err(|e: weft_core::model::ParseEnumError| e.to_string())
}
fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Ok(true),
        "no" | "n" | "false" => Ok(false),
        _ => Err(format!("'{s}' is neither yes nor no")),
    }
}
fn parse_skill_level(s: &str) -> Result<(SkillId, SkillLevel), String> {
    let (skill, level) =
        s.rsplit_once(':').ok_or_else(|| format!("'{s}' needs a level: write SKILL:LEVEL, e.g. gardening:4"))?;
    let level =
        level.trim().parse::<u8>().ok().and_then(SkillLevel::new).ok_or_else(|| {
            format!("the level in '{s}' must be a whole number from 1 (beginner) to 5 (can teach it)")
        })?;
    Ok((parse_skill(skill)?, level))
}
fn parse_interest(s: &str) -> Result<(SectorId, Interest), String> {
    let (sector, level) =
        s.split_once('=').ok_or_else(|| format!("'{s}' needs a level: write SECTOR=LEVEL, e.g. food=5"))?;
    let level = level
        .trim()
        .parse::<u8>()
        .ok()
        .and_then(Interest::new)
        .ok_or_else(|| format!("the interest in '{s}' must be a whole number from 0 (none) to 5 (love it)"))?;
    Ok((parse_sector(sector.trim())?, level))
}
fn parse_format(s: &str) -> Result<ExportFormatInput, String> {
    match s.trim() {
        "csv" => Ok(ExportFormatInput::Csv),
        "valueflows" => Ok(ExportFormatInput::Valueflows),
        "automerge" => Ok(ExportFormatInput::Automerge),
        _ => Err(format!("'{s}' is not an export format: use csv, valueflows or automerge")),
    }
}
fn parse_doc(s: &str) -> Result<DocNameArg, String> {
    if s.trim() == "ledger" {
        return Ok(DocNameArg::CurrentLedger);
    }
    s.parse().map(DocNameArg::Named).map_err(|e: weft_core::doc::ParseDocNameError| e.to_string())
}

/// The request a command makes, and where to write an export.
pub fn to_request(command: &Command) -> anyhow::Result<(Request, Option<PathBuf>)> {
    let request = match command {
        Command::Init { name } => Request::Init { name: name.clone() },
        Command::Whoami => Request::Whoami,
        Command::Community(CommunityCmd::Create { name }) => Request::CommunityCreate { name: name.clone() },
        Command::Community(CommunityCmd::List) => Request::CommunityList,
        Command::Community(CommunityCmd::Rename { community, name }) => {
            Request::CommunityRename { community: community.clone(), name: name.clone() }
        }
        Command::Sector(a) => Request::SectorSet {
            community: a.community.clone(),
            sector: a.sector.clone(),
            name: a.name.clone(),
            essential: a.essential,
            baseline: a.baseline,
            archived: if a.archive {
                Some(true)
            } else if a.restore {
                Some(false)
            } else {
                None
            },
        },
        Command::Profile(ProfileCmd::Set(a)) => {
            let mut skills: BTreeMap<SkillId, Option<SkillLevel>> =
                a.skills.iter().map(|(s, l)| (s.clone(), Some(*l))).collect();
            skills.extend(a.drop_skills.iter().map(|s| (s.clone(), None)));
            let mut learn: BTreeMap<SkillId, bool> = a.learn.iter().map(|s| (s.clone(), true)).collect();
            learn.extend(a.unlearn.iter().map(|s| (s.clone(), false)));
            let update = ProfileUpdate {
                name: a.name.clone(),
                skills,
                interests: a.interests.iter().cloned().collect(),
                hours_per_week: a.hours_per_week,
                willing_to_travel: a.travel,
                wants_to_learn: learn,
            };
            if update == ProfileUpdate::default() {
                anyhow::bail!(weft_node::ApiError::new(
                    weft_node::ErrorCode::Invalid,
                    "nothing to change: pass e.g. --skill gardening:4, --interest food=5, --hours-per-week 3 or --travel yes"
                ));
            }
            Request::ProfileSet { community: a.community.clone(), update }
        }
        Command::Profile(ProfileCmd::Show { community, member }) => {
            Request::ProfileShow { community: community.clone(), member: member.clone() }
        }
        Command::Members(c) => Request::Members { community: c.community.clone() },
        Command::Sectors(c) => Request::Sectors { community: c.community.clone() },
        Command::Guild(GuildCmd::Add { community, sector, description, name }) => Request::GuildAdd {
            community: community.clone(),
            name: name.clone(),
            sector: sector.clone(),
            description: description.clone(),
        },
        Command::Guild(GuildCmd::List(c)) => Request::Guilds { community: c.community.clone() },
        Command::Task(TaskCmd::Add(a)) if a.repeat.is_some() => Request::SeriesAdd {
            community: a.community.clone(),
            series: SeriesInput {
                task: TaskInput {
                    task: NewTask {
                        title: a.title.clone(),
                        description: a.description.clone(),
                        sector: a.sector.clone(),
                        guild: None,
                        skills: a.skills.iter().cloned().collect::<BTreeSet<_>>(),
                        hours: a.hours,
                        slots: a.slots,
                        urgency: a.urgency,
                        deadline: None,
                        location: a.location.clone(),
                        open_to_neighbours: a.open_to_neighbours,
                    },
                    guild_ref: a.guild.clone(),
                },
                repeat: a.repeat.clone().ok_or_else(|| anyhow::anyhow!("--repeat is needed"))?,
                starts: a.starts,
                until: a.until,
                ahead_days: None,
            },
        },
        Command::Series(SeriesCmd::List { community }) => Request::SeriesList { community: community.clone() },
        Command::Crew(cmd) => crew_request(cmd),
        Command::Gathering(cmd) => gathering_request(cmd),
        Command::Series(SeriesCmd::Skip { series, date }) => {
            Request::SeriesSkip { series: series.clone(), date: *date }
        }
        Command::Series(SeriesCmd::Edit { series, title, description, hours, slots, until, no_end }) => {
            Request::SeriesEdit {
                series: series.clone(),
                edit: weft_core::doc::series::SeriesEdit {
                    title: title.clone(),
                    description: description.clone(),
                    hours: *hours,
                    slots: *slots,
                    urgency: None,
                    location: None,
                    until: if *no_end { Some(None) } else { until.map(Some) },
                },
            }
        }
        Command::Task(TaskCmd::Add(a)) => Request::TaskAdd {
            community: a.community.clone(),
            task: TaskInput {
                task: NewTask {
                    title: a.title.clone(),
                    description: a.description.clone(),
                    sector: a.sector.clone(),
                    guild: None,
                    skills: a.skills.iter().cloned().collect::<BTreeSet<_>>(),
                    hours: a.hours,
                    slots: a.slots,
                    urgency: a.urgency,
                    deadline: a.deadline,
                    location: a.location.clone(),
                    open_to_neighbours: a.open_to_neighbours,
                },
                guild_ref: a.guild.clone(),
            },
        },
        Command::Task(TaskCmd::List { community, sector, open }) => {
            Request::TaskList { community: community.clone(), sector: sector.clone(), open_only: *open }
        }
        Command::Task(TaskCmd::Show { task }) => Request::TaskShow { task: task.clone() },
        Command::Task(TaskCmd::Edit(a)) => Request::TaskEdit {
            task: a.task.clone(),
            edit: weft_core::model::TaskEdit {
                title: a.title.clone(),
                description: a.description.clone(),
                hours: a.hours,
                slots: a.slots,
                urgency: a.urgency,
                deadline: if a.no_deadline { Some(None) } else { a.deadline.map(Some) },
                location: a.location.clone().map(|l| Some(l).filter(|l| !l.trim().is_empty())),
                open_to_neighbours: a.open_to_neighbours,
                ..Default::default()
            },
        },
        Command::Task(TaskCmd::Close { task }) => Request::TaskClose { task: task.clone() },
        Command::Pledge { task, stand_in: true, .. } => Request::StandIn { task: task.clone(), looking: true },
        Command::Pledge { task, keep: true, .. } => Request::StandIn { task: task.clone(), looking: false },
        Command::Pledge { task, on: Some(on), .. } => Request::PledgeDay { task: task.clone(), on: on.0 },
        Command::Pledge { task, take_over: Some(from), .. } => {
            Request::TakeOver { task: task.clone(), from: from.clone() }
        }
        Command::Pledge { task, withdraw, done, .. } => Request::Pledge {
            task: task.clone(),
            action: if *withdraw {
                PledgeActionInput::Withdraw
            } else if *done {
                PledgeActionInput::Done
            } else {
                PledgeActionInput::Pledge
            },
        },
        Command::Log(a) => Request::Log {
            community: a.community.clone(),
            task: a.task.clone(),
            sector: a.sector.clone(),
            minutes: a.hours,
            date: a.date,
            note: a.note.clone(),
        },
        Command::Confirm { entry } => Request::Confirm { entry: entry.clone() },
        Command::Retract { entry } => Request::Retract { entry: entry.clone() },
        Command::Pending(c) => Request::Pending { community: c.community.clone() },
        Command::Feedback { task, verdict } => Request::Feedback { task: task.clone(), verdict: *verdict },
        Command::Suggest(a) => match &a.decline {
            Some(task) => Request::Decline { community: a.community.clone(), task: task.clone() },
            None => Request::Suggest { community: a.community.clone(), member: a.member.clone(), limit: a.limit },
        },
        Command::Plan(c) => Request::Plan { community: c.community.clone() },
        Command::Flag { task, community, sector, note } => Request::Flag {
            community: community.clone(),
            task: task.clone(),
            sector: sector.clone(),
            note: note.clone(),
        },
        Command::Proposal(p) => match p {
            ProposalCmd::Open { title, details, kind, closes_in, guild, concern, task, sector, community } => {
                Request::ProposalOpen {
                    community: community.clone(),
                    proposal: ProposalInput {
                        title: title.clone(),
                        details: details.clone(),
                        kind: *kind,
                        round_hours: *closes_in,
                        guild: guild.clone(),
                        concern: concern.clone(),
                        task: task.clone(),
                        sector: sector.clone(),
                    },
                }
            }
            ProposalCmd::List { all, community } => Request::Proposals { community: community.clone(), all: *all },
            ProposalCmd::Show { proposal } => Request::ProposalShow { proposal: proposal.clone() },
            ProposalCmd::Stance { proposal, stance, reason } => {
                Request::Stance { proposal: proposal.clone(), stance: *stance, reason: reason.clone() }
            }
            ProposalCmd::Close { proposal } => Request::ProposalClose { proposal: proposal.clone() },
            ProposalCmd::Withdraw { proposal } => Request::ProposalWithdraw { proposal: proposal.clone() },
            ProposalCmd::Edit { proposal, title, details } => {
                Request::ProposalEdit { proposal: proposal.clone(), title: title.clone(), details: details.clone() }
            }
            ProposalCmd::Outcome { proposal, text, review } => {
                Request::Outcome { proposal: proposal.clone(), text: text.clone(), review: *review }
            }
        },
        Command::Progress { community, month } => Request::Progress { community: community.clone(), month: *month },
        Command::Hours { community, year } => Request::MyHours { community: community.clone(), year: *year },
        Command::Export(a) => {
            let doc = match a.doc {
                Some(DocNameArg::Named(d)) => Some(d),
                // This year's ledger is the node's default for CSV; for Automerge say it.
                Some(DocNameArg::CurrentLedger) => Some(DocName::Ledger(current_year())),
                None => None,
            };
            return Ok((
                Request::Export { community: a.community.clone(), format: a.format, doc },
                Some(a.out.clone()),
            ));
        }
        Command::Calendar { keep: true, .. } => Request::CalendarFile { keep: true },
        Command::Calendar { stop_keeping: true, .. } => Request::CalendarFile { keep: false },
        Command::Calendar { community, out, .. } => {
            return Ok((Request::Calendar { community: community.clone() }, out.clone()));
        }
        Command::Demo { members, seed, name } => Request::Demo { members: *members, seed: *seed, name: name.clone() },
        Command::Status => Request::Status,
        Command::Peers => Request::Peers,
        Command::Invite { community, uses, expires, qr: _ } => {
            Request::Invite { community: community.clone(), uses: *uses, hours: *expires }
        }
        Command::Join { code, name, connect: _ } => Request::Join { code: code.clone(), name: name.clone() },
        Command::Device(DeviceCmd::List) => Request::Devices,
        Command::Device(DeviceCmd::Add { minutes, qr: _ }) => Request::DeviceAdd { minutes: Some(*minutes) },
        Command::Device(DeviceCmd::Confirm { words }) => Request::DeviceConfirm { device: words.join(" ") },
        Command::Device(DeviceCmd::Link { code, label, connect: _ }) => {
            Request::DeviceLink { code: code.clone(), label: label.clone() }
        }
        Command::Device(DeviceCmd::Revoke { device }) => Request::DeviceRevoke { device: device.clone() },
        Command::Device(DeviceCmd::Rename { label, device }) => {
            Request::DeviceRename { device: device.clone(), label: label.clone() }
        }
        Command::Backup { out, passphrase_file, sheet: _ } => {
            return Ok((
                Request::BackupCreate { passphrase: passphrase(passphrase_file.as_deref(), true)? },
                Some(out.clone()),
            ));
        }
        Command::Restore { file, label, revoke, passphrase_file, connect: _ } => {
            let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("could not read {}: {e}", file.display()))?;
            let backup = if bytes.starts_with(weft_core::backup::MAGIC) {
                data_encoding::BASE64.encode(&bytes)
            } else {
                String::from_utf8(bytes).map_err(|_| {
                    anyhow::anyhow!("{} is neither a Weft backup nor a recovery sheet's text", file.display())
                })?
            };
            Request::Restore {
                backup,
                passphrase: passphrase(passphrase_file.as_deref(), false)?,
                label: label.clone(),
                revoke: revoke.clone(),
            }
        }
        Command::Member(MemberCmd::Remove { community, member }) => {
            Request::MemberRemove { community: community.clone(), member: member.clone() }
        }
        Command::Neighbour(NeighbourCmd::Invite { community, expires, qr: _ }) => {
            Request::NeighbourInvite { community: community.clone(), hours: *expires }
        }
        Command::Neighbour(NeighbourCmd::Accept { code, community, connect: _ }) => {
            Request::NeighbourAccept { community: community.clone(), code: code.clone() }
        }
        Command::Neighbour(NeighbourCmd::List(a)) => Request::Neighbours { community: a.community.clone() },
        Command::Neighbour(NeighbourCmd::Describe { community, about, location, languages, hosts, escalate_after }) => {
            Request::DirectorySet {
                community: community.clone(),
                about: about.clone(),
                location: location.clone(),
                languages: languages.clone(),
                hosts: *hosts,
                escalate_after_hours: *escalate_after,
            }
        }
        Command::Neighbour(NeighbourCmd::End { neighbour, community }) => {
            Request::NeighbourEnd { community: community.clone(), neighbour: neighbour.clone() }
        }
        Command::Call(CallCmd::Open { task }) => Request::CallOpen { task: task.clone() },
        Command::Call(CallCmd::Close { task }) => Request::CallClose { task: task.clone() },
        Command::Call(CallCmd::List(a)) => Request::Calls { community: a.community.clone() },
        Command::Call(CallCmd::Pledge { call, community, withdraw }) => {
            Request::CallPledge { community: community.clone(), call: call.clone(), withdraw: *withdraw }
        }
        Command::Call(CallCmd::Log { call, hours, date, community }) => {
            Request::CallLog { community: community.clone(), call: call.clone(), minutes: *hours, date: *date }
        }
        Command::Offer(n) | Command::Need(n) => {
            let kind =
                if matches!(command, Command::Offer(_)) { NoticeKindInput::Offer } else { NoticeKindInput::Need };
            match n {
                NoticeCmd::Post { title, description, sector, community } => Request::NoticePost {
                    community: community.clone(),
                    kind,
                    title: title.clone(),
                    description: description.clone(),
                    sector: sector.clone(),
                },
                NoticeCmd::List(a) => Request::Notices { community: a.community.clone() },
                NoticeCmd::Close { id } => Request::NoticeClose { notice: id.clone() },
                NoticeCmd::Reply { id, text, community } => {
                    Request::NoticeReply { community: community.clone(), notice: id.clone(), text: text.clone() }
                }
            }
        }
        Command::Serve(_) => anyhow::bail!("serve is not a request"),
        Command::Simulate { .. } => anyhow::bail!("simulate is not a request"),
    };
    Ok((request, None))
}

fn current_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

fn crew_request(cmd: &CrewCmd) -> Request {
    use weft_core::doc::crews::NoteKind;
    match cmd {
        CrewCmd::Create { name, community, purpose, open, rhythm, review } => Request::CrewCreate {
            community: community.clone(),
            crew: weft_node::api::CrewInput {
                name: name.clone(),
                purpose: purpose.clone(),
                open: *open,
                rhythm: rhythm.input(),
                review: *review,
            },
        },
        CrewCmd::List(c) => Request::Crews { community: c.community.clone() },
        CrewCmd::Show { crew } => Request::CrewShow { crew: crew.clone() },
        CrewCmd::Join { crew } => Request::CrewJoin { crew: crew.clone() },
        CrewCmd::Leave { crew } => Request::CrewLeave { crew: crew.clone() },
        CrewCmd::Invite { crew, member } => Request::CrewInvite { crew: crew.clone(), member: member.clone() },
        CrewCmd::Checkin { crew, text } => {
            Request::CrewNote { crew: crew.clone(), kind: NoteKind::CheckIn, text: text.clone() }
        }
        CrewCmd::Review { crew, text } => {
            Request::CrewNote { crew: crew.clone(), kind: NoteKind::Review, text: text.clone() }
        }
        CrewCmd::Edit { crew, name, purpose, open, rhythm, no_rhythm, review, end } => Request::CrewEdit {
            crew: crew.clone(),
            edit: weft_node::api::CrewEditInput {
                name: name.clone(),
                purpose: purpose.clone(),
                open: *open,
                rhythm: if *no_rhythm { Some(None) } else { rhythm.input().map(Some) },
                review: review.map(Some),
                ended: end.then_some(true),
            },
        },
        CrewCmd::Pledge { task, crew, mine } => {
            Request::CrewPledge { task: task.clone(), crew: if *mine { None } else { crew.clone() } }
        }
    }
}

fn gathering_request(cmd: &GatheringCmd) -> Request {
    use weft_core::doc::gatherings::{GatheringEdit, NewGathering};
    match cmd {
        GatheringCmd::Add { title, community, starts, ends, place, description } => Request::GatheringAdd {
            community: community.clone(),
            gathering: NewGathering {
                title: title.clone(),
                description: description.clone(),
                starts: *starts,
                ends: *ends,
                place: place.clone(),
            },
        },
        GatheringCmd::List { community, past } => Request::Gatherings { community: community.clone(), past: *past },
        GatheringCmd::Show { gathering } => Request::GatheringShow { gathering: gathering.clone() },
        GatheringCmd::Attend { gathering, no } => Request::Attend { gathering: gathering.clone(), coming: !*no },
        GatheringCmd::Task { gathering, title, sector, description, skills, hours, slots, deadline } => {
            Request::GatheringTask {
                gathering: gathering.clone(),
                task: TaskInput {
                    task: NewTask {
                        title: title.clone(),
                        description: description.clone(),
                        sector: sector.clone(),
                        guild: None,
                        skills: skills.iter().cloned().collect::<BTreeSet<_>>(),
                        hours: *hours,
                        slots: *slots,
                        urgency: Urgency::Normal,
                        deadline: *deadline,
                        location: None,
                        open_to_neighbours: false,
                    },
                    guild_ref: None,
                },
            }
        }
        GatheringCmd::Edit { gathering, title, starts, ends, place, cancel } => Request::GatheringEdit {
            gathering: gathering.clone(),
            edit: GatheringEdit {
                title: title.clone(),
                description: None,
                starts: *starts,
                ends: *ends,
                place: place.clone().map(Some),
                cancelled: cancel.then_some(true),
            },
        },
    }
}

/// A backup's passphrase: from a file, from `WEFT_PASSPHRASE`, or asked on the terminal
/// (twice when it is new).
fn passphrase(file: Option<&std::path::Path>, new: bool) -> anyhow::Result<String> {
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("could not read {}: {e}", path.display()))?;
        return Ok(text.trim_end_matches(['\n', '\r']).to_owned());
    }
    if let Ok(p) = std::env::var("WEFT_PASSPHRASE") {
        return Ok(p);
    }
    let ask = |prompt: &str| -> anyhow::Result<String> {
        eprint!("{prompt}");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    };
    let first = ask("Passphrase (it protects the backup; keep it apart from it): ")?;
    if new && ask("The same passphrase again: ")? != first {
        anyhow::bail!("the two passphrases differ: nothing was written");
    }
    Ok(first)
}
