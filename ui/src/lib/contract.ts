// The contract between the desktop UI and Weft, generated from the Rust types (ts-rs):
// do not edit. After changing a type, a limit or an error the UI sees, write it again with
//   WEFT_UPDATE_CONTRACT=1 cargo test --workspace contract
// (the test in src-tauri/src/contract.rs fails while this file is out of date).
//
// Every id, date and month is a string; every duration is a whole number of minutes.

/**
 * An error as it crosses the API: to the CLI, over the control socket, to the desktop UI.
 */
export type ApiError = { code: ErrorCode, 
/**
 * What went wrong and what to do, in English.
 */
message: string, 
/**
 * Exactly what was refused, with its values, when the node knows it.
 */
detail: ErrorDetail | null, };

/**
 * What `app_info` answers.
 */
export type AppInfo = { dataDir: string, version: string, 
/**
 * Whether the network runs (it starts once the directory has an identity).
 */
online: boolean, 
/**
 * The `weft://` link the app was launched with, if any.
 */
pendingLink: string | null, 
/**
 * Why the data directory could not be opened (then every `execute` fails with it too),
 * e.g. `busy` while `weft serve` holds it.
 */
error: ApiError | null, };

/**
 * A backup, made: the file's bytes and the recovery sheet.
 */
export type BackupInfo = { 
/**
 * The encrypted backup file, base64.
 */
base64: string, 
/**
 * The same bytes as lines to print and type back.
 */
sheet: Array<string>, 
/**
 * A printable page: the lines and a QR code.
 */
html: string, 
/**
 * The backup's own key, registered as one of the member's devices (revoke it to retire
 * the backup).
 */
device: DeviceId, made_at: Timestamp, };

/**
 * The calendar file this device keeps up to date.
 */
export type CalendarFileInfo = { 
/**
 * Where it is (`None`: not kept).
 */
path: string | null, 
/**
 * A `file://` link to it, for calendar programs that subscribe to one.
 */
url: string | null, events: number, };

/**
 * A member's calendar, as iCalendar text.
 */
export type CalendarInfo = { 
/**
 * The community it covers (`None`: every community here).
 */
community: CommunityId | null, 
/**
 * The calendar's name, as calendar programs show it: "Weft — Riverside".
 */
name: string, 
/**
 * A name to save it under, e.g. `riverside-calendar.ics`.
 */
suggested_name: string, 
/**
 * The iCalendar text (RFC 5545: CRLF line ends, UTF-8).
 */
ics: string, 
/**
 * How many events it holds, the cancelled ones (a withdrawn pledge, a task closed before
 * it was done) included.
 */
events: number, cancelled: number, };

/**
 * A task opened to visitors.
 */
export type CallInfo = { community: CommunityId, community_name: string, task: TaskId, title: string, description: string, sector: SectorId, 
/**
 * The skills the task asks for.
 */
skills: Array<SkillId>, hours: Minutes, slots: number, urgency: Urgency, deadline: DateStr | null, location: string | null, 
/**
 * Opened by escalation (an urgent task unfilled), not by hand.
 */
escalated: boolean, open: boolean, 
/**
 * Whether the call is our own community's.
 */
ours: boolean, visitors: Array<VisitorInfo>, 
/**
 * Visitors' minutes logged to it.
 */
visitor_minutes: Minutes, };

/**
 * A community: the first 16 bytes of the hash of its people document's genesis change.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type CommunityId = string;

export type CommunityInfo = { id: CommunityId, name: string, members: number, open_tasks: number, urgent_open: number, 
/**
 * The yearly baseline per member, all sectors together.
 */
baseline: Minutes, };

/**
 * A change to a crew: what is `None` stays as it is; `Some(None)` clears it.
 */
export type CrewEditInput = { name: string | null, purpose: string | null, open: boolean | null, rhythm?: RhythmInput | null, review?: DateStr | null, 
/**
 * End the crew (it meets no more), or start it again.
 */
ended: boolean | null, };

/**
 * A crew: a few members who meet on a rhythm.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type CrewId = string;

/**
 * A crew, with names, its next meeting and what the caller may do.
 */
export type CrewInfo = { community: CommunityId, id: CrewId, name: string, purpose: string, open: boolean, created_at: Timestamp, rhythm: Rhythm | null, 
/**
 * "every 2 weeks on Tuesday at 19:00", in English (front ends word `rhythm` themselves).
 */
when: string | null, next_meeting: DateStr | null, review: DateStr | null, 
/**
 * The review date has come.
 */
review_due: boolean, ended: boolean, members: Array<Named>, waiting: Array<Named>, invited: Array<Named>, 
/**
 * The caller is in it (or waits for a place).
 */
mine: boolean, waiting_for_place: boolean, 
/**
 * The caller may join it now.
 */
may_join: boolean, max: number, 
/**
 * Oldest first.
 */
notes: Array<CrewNoteInfo>, tasks: Array<CrewTaskInfo>, };

/**
 * A new crew.
 */
export type CrewInput = { name: string, purpose: string, 
/**
 * Anyone may join (else only those its members invite).
 */
open: boolean, rhythm: RhythmInput | null, review: DateStr | null, };

/**
 * A note of a crew, with its writer's name.
 */
export type CrewNoteInfo = { name: string, member: MemberId, at: Timestamp, kind: NoteKind, text: string, };

/**
 * A task a crew took, and each member's share of its hours.
 */
export type CrewTaskInfo = { task: TaskId, title: string, state: PledgeState, 
/**
 * Who took it for the crew.
 */
pledged_by: string, hours: Minutes, 
/**
 * The task's hours shared among the crew's members.
 */
share: Minutes, day: DateStr | null, };

/**
 * A calendar date (the day the work was done). In JSON: `YYYY-MM-DD`.
 */
export type DateStr = string;

export type DemoInfo = { community: CommunityInfo, members: number, guilds: number, tasks: number, open_tasks: number, urgent_open: number, pledges: number, entries: number, hours: Minutes, changes: number, };

/**
 * A device: its Ed25519 public key, which is also its Automerge actor id (and, with
 * sync, its libp2p peer id).
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type DeviceId = string;

/**
 * A member's computer or backup, as the people documents record it.
 */
export type DeviceInfo = { id: DeviceId, label: string, kind: DeviceKind, added_at: Timestamp, 
/**
 * The computer this node runs on.
 */
this: boolean, 
/**
 * Restored from a backup: which backup vouched for it.
 */
vouched_by: DeviceId | null, revoked: RevokedInfo | null, };

/**
 * What a device record stands for.
 */
export type DeviceKind = "computer" | "backup";

export type DevicesInfo = { devices: Array<DeviceInfo>, pairing: PairingInfo | null, asking: Array<PendingDevice>, };

/**
 * Which document of a community. In JSON: `people`, `board`, `ledger/2026`.
 */
export type DocName = string;

export type DocStatus = { community: CommunityId, name: DocName, changes: number, logged_since_snapshot: number, 
/**
 * Whether its Automerge document is in memory now; a resting one keeps only its view.
 */
in_memory: boolean, };

export type DocSyncStatus = { community: CommunityId, doc: DocName, state: SyncStatus, };

/**
 * One entry in the hour ledger.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type EntryId = string;

export type EntryInfo = { id: EntryId, community: CommunityId, member: MemberId, member_name: string, task: TaskId | null, task_title: string | null, sector: SectorId, minutes: Minutes, date: DateStr, note: string, confirmed_by: Array<string>, retracted: boolean, 
/**
 * Set when the entry's date may be wrong: written on a computer whose clock is off, or
 * dated after today. In words.
 */
clock: string | null, };

/**
 * What kind of failure, for front ends to branch on.
 */
export type ErrorCode = "not_initialised" | "already_initialised" | "not_found" | "ambiguous" | "invalid" | "busy" | "storage" | "network" | "internal";

/**
 * What exactly was refused. Every kind is a `kind` of its own (`too_long`, `slots`,
 * `suggestion_limit`, `invite_code_checksum`…) with its values; field names are stable
 * identifiers, never words.
 */
export type ErrorDetail = ValidationError | Refusal | InviteError;

export type ExportData = { format: ExportFormatInput, 
/**
 * A name to save it under, e.g. `riverside-hours-2026.csv`.
 */
suggested_name: string, 
/**
 * The exported bytes, base64 (binary for Automerge, UTF-8 text otherwise).
 */
base64: string, };

export type ExportFormatInput = "csv" | "valueflows" | "automerge";

/**
 * The facts a reason is made of.
 */
export type Facts = { "kind": "plan" } | { "kind": "skill", known: Array<[SkillId, number]>, learning: Array<SkillId>, missing: Array<SkillId>, } | { "kind": "interest", sector: string, level: number | null, } | { "kind": "rotation", sector: string, done: number, baseline: number, expected: number, total: number, total_expected: number, } | { "kind": "sector", sector: string, percent: number, month_percent: number, } | { "kind": "urgency", urgency: Urgency, free: number, slots: number, waiting_days: number, deadline_days: number | null, 
/**
 * Of the free places, those whose member looks for a stand-in.
 */
stand_ins: number, } | { "kind": "load", after: number, week: number, heavy_sector: string | null, heavy_minutes: number, same_sector: boolean, } | { "kind": "learned", feature: Feature, liked: number, disliked: number, } | { "kind": "travel", community: string, } | { "kind": "gathering", title: string, };

/**
 * What a learned preference is about: the feature of the task that weighs most in it.
 */
export type Feature = { "kind": "sector", sector: SectorId, name: string, } | { "kind": "guild", guild: GuildId, name: string, } | { "kind": "skills", skills: Array<SkillId>, } | { "kind": "size", size: Size, };

export type FeedbackInfo = { task: TaskId, title: string, verdict: Verdict, };

/**
 * A text field that validation names: a stable identifier in the API (`community_name`),
 * and words in messages ("community name").
 */
export type Field = "title" | "description" | "location" | "note" | "concern" | "name" | "member_name" | "newcomer_name" | "community_name" | "guild_name" | "sector_name" | "details" | "reason" | "outcome" | "crew_name" | "purpose" | "device_label";

/**
 * A concern raised about a task or an imbalance.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type FlagId = string;

/**
 * A change to a gathering (`None`: unchanged; `Some(None)`: cleared).
 */
export type GatheringEdit = { title: string | null, description: string | null, starts: DateStr | null, ends: DateStr | null, place?: string | null, cancelled: boolean | null, };

/**
 * A gathering of the whole community.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type GatheringId = string;

/**
 * A gathering, with names and its tasks.
 */
export type GatheringInfo = { community: CommunityId, id: GatheringId, title: string, description: string, starts: DateStr, ends: DateStr, place: string | null, cancelled: boolean, created_by: string, attending: Array<Named>, 
/**
 * The caller's answer: coming, not coming, or not said.
 */
coming: boolean | null, tasks: Array<TaskSummary>, 
/**
 * Places still open on its tasks.
 */
open_places: number, };

/**
 * A guild: a group within a sector that posts tasks ("community garden" in food).
 */
export type Guild = { id: GuildId, name: string, sector: SectorId, description: string, archived: boolean, };

/**
 * A guild within a sector.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type GuildId = string;

export type IdentityInfo = { name: string, member: MemberId, device: DeviceId, data_dir: string, };

/**
 * Interest in a sector, from 0 (none) to 5 (love it).
 */
export type Interest = number;

/**
 * Why an invitation could not be read. In the API each is a `kind` of its own with its
 * values (`invite_code_length`, …), for front ends that word it in the member's language.
 */
export type InviteError = { "kind": "invite_code_length", len: number, } | { "kind": "invite_code_alphabet" } | { "kind": "invite_code_checksum" } | { "kind": "invite_link_community", community: string, } | { "kind": "invite_link_address", address: string, } | { "kind": "invite_link_too_many_addresses", max: number, } | { "kind": "invite_link_unknown_part", part: string, };

export type InviteInfo = { community: CommunityId, community_name: string, 
/**
 * The short code (enough on the same network).
 */
code: string, 
/**
 * The `weft://` link with the addresses to reach this peer.
 */
link: string, addresses: Array<string>, expires: Timestamp, uses: number, };

/**
 * This computer now acts for the member: linked by another of their computers, or restored.
 */
export type LinkedInfo = { identity: IdentityInfo, communities: Array<CommunityInfo>, 
/**
 * Devices revoked on the way back (a restore that was asked to).
 */
revoked: Array<DeviceId>, };

/**
 * A member: their Ed25519 identity public key.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type MemberId = string;

export type MemberInfo = { id: MemberId, name: string, admitted_at: Timestamp, devices: number, profile: Profile, is_me: boolean, };

/**
 * A member's hours per sector in a year, against the baseline (a guideline, not a quota).
 */
export type MemberYear = { member: MemberId, year: number, as_of: DateStr, sectors: Array<SectorHours>, total: Minutes, total_baseline: Minutes, 
/**
 * Hours in sectors that have since been archived or are unknown.
 */
other: Minutes, };

/**
 * A duration in whole minutes. Hours are shown and typed as decimals ("1.5") or "1h30".
 */
export type Minutes = number;

/**
 * A calendar month, e.g. 2026-03. In JSON: `YYYY-MM`.
 */
export type MonthStr = string;

/**
 * A member, by id and name.
 */
export type Named = { member: MemberId, name: string, };

/**
 * The facts a need's reason is made of.
 */
export type NeedFacts = { "kind": "skill", skills: Array<[SkillId, number]>, } | { "kind": "interest", sector: string, level: number, } | { "kind": "hours", sector: string, minutes: number, } | { "kind": "travel", community: string, willing: boolean, };

/**
 * One reason a need suits (or does not suit) a member.
 */
export type NeedReason = { points: number, 
/**
 * What the reason is made of, typed, for front ends that word it in another language.
 */
facts: NeedFacts, 
/**
 * The reason in English (the CLI prints it).
 */
text: string, };

/**
 * A need one member could help with, with why.
 */
export type NeedSuggestion = { need: NoticeId, title: string, 
/**
 * The community that stated it, by name.
 */
community: string, sector: SectorId | null, 
/**
 * The sum of the reasons' points: the order of the list.
 */
score: number, reasons: Array<NeedReason>, };

/**
 * A neighbouring community, as its commons describes it, and our link with it.
 */
export type NeighbourInfo = { community: CommunityId, name: string, about: string, location: string | null, languages: string, 
/**
 * How many visitors its members can put up at once.
 */
hosts: number, 
/**
 * Its members, as its roster proves them (0 until its commons arrived).
 */
members: number, open_calls: number, 
/**
 * Who of ours linked it, and when.
 */
linked_by: string, linked_at: Timestamp, 
/**
 * Whether our side of the link stands.
 */
live: boolean, 
/**
 * Whether their side stands, as far as their commons here says (`None` before it came).
 */
theirs_live: boolean | null, };

/**
 * Our community's neighbours.
 */
export type NeighboursInfo = { community: CommunityId, community_name: string, neighbours: Array<NeighbourInfo>, };

/**
 * A new gathering.
 */
export type NewGathering = { title: string, description: string, starts: DateStr, 
/**
 * The last day (default: the first).
 */
ends: DateStr | null, place: string | null, };

/**
 * Something changed that a front end may want to show.
 */
export type NodeEvent = { "event": "document_changed", community: CommunityId, doc: DocName, } | { "event": "community_added", community: CommunityId, } | { "event": "peer_incident", peer: string, what: string, } | { "event": "network_changed" } | { "event": "devices_changed" };

/**
 * What a crew's note records.
 */
export type NoteKind = "check-in" | "review";

/**
 * An offer of surplus or a stated need in a community's commons.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type NoticeId = string;

/**
 * An offer of surplus or a stated need.
 */
export type NoticeInfo = { id: NoticeId, kind: NoticeKindInput, community: CommunityId, community_name: string, title: string, description: string, sector: SectorId | null, open: boolean, ours: boolean, created_at: Timestamp, replies: Array<ReplyInfo>, };

/**
 * Offers or needs.
 */
export type NoticeKindInput = "offer" | "need";

/**
 * A task as one occurrence of a recurring series.
 */
export type Occurrence = { series: SeriesId, 
/**
 * Its day (also its deadline).
 */
on: DateStr, 
/**
 * Changed by hand: edits of the series leave it as it is.
 */
detached: boolean, };

/**
 * One made occurrence of a series.
 */
export type OccurrenceInfo = { task: TaskId, on: DateStr, taken: number, slots: number, open: boolean, 
/**
 * Changed by hand: the series' edits leave it.
 */
detached: boolean, };

/**
 * What was decided.
 */
export type OutcomeInfo = { text: string, by: MemberId, by_name: string, at: Timestamp, review: DateStr | null, };

/**
 * A pairing code in progress.
 */
export type PairingInfo = { 
/**
 * The short code (enough on the same network).
 */
code: string, 
/**
 * The `weft://` link with this computer's addresses (for a QR code).
 */
link: string, addresses: Array<string>, expires: Timestamp, 
/**
 * A computer was linked with it (a code links one computer).
 */
used: boolean, };

export type PeerStatus = { peer_id: string, device: DeviceId | null, 
/**
 * The member behind the device, as far as our people documents know.
 */
member: string | null, 
/**
 * mdns, address, relay or inbound.
 */
found_by: string, address: string, rtt_ms: number | null, docs: Array<DocSyncStatus>, 
/**
 * What went wrong with this peer, if anything, in words.
 */
problem: string | null, };

/**
 * The network as this node sees it: who is connected, how they were found, and per
 * document whether we are in sync — failures in words.
 */
export type PeersInfo = { 
/**
 * Whether this node runs the network at all (`weft serve` or the desktop app).
 */
online: boolean, peer_id: string | null, listening: Array<string>, peers: Array<PeerStatus>, 
/**
 * Recent problems with peers that may be gone (e.g. disconnected for invalid changes).
 */
incidents: Array<string>, 
/**
 * Computers whose clocks are off, in words (their dates are flagged).
 */
clocks: Array<string>, };

/**
 * A computer asking to be linked with the pairing code.
 */
export type PendingDevice = { device: DeviceId, label: string, 
/**
 * What its screen shows: the person compares before confirming.
 */
words: Array<string>, asked_at: Timestamp, confirmed: boolean, };

export type PendingInfo = { 
/**
 * Others' entries the caller could confirm (newest first, at most 100).
 */
to_confirm: Array<EntryInfo>, 
/**
 * The caller's entries nobody has confirmed yet.
 */
mine_unconfirmed: Array<EntryInfo>, };

/**
 * The community plan, with names and titles for display. It suggests; it never assigns.
 */
export type PlanInfo = { community: CommunityId, community_name: string, 
/**
 * Every part of the plan, by member name, then as the plan orders a member's parts (the
 * most valuable first).
 */
parts: Array<PlanPartInfo>, 
/**
 * Free places on the open tasks the plan considered (neighbours' calls included).
 */
places_open: number, places_covered: number, urgent_open: number, urgent_covered: number, 
/**
 * Members with time this week, and how many of them have a part.
 */
members_available: number, members_with_part: number, 
/**
 * Parts dropped because a member's parts together did not fit their week.
 */
trimmed: number, 
/**
 * Urgent tasks with places nobody here has the time or the fit for this week (this
 * community's, and neighbours' calls).
 */
urgent_uncovered: Array<UncoveredTask>, };

/**
 * One member's part of the plan.
 */
export type PlanPartInfo = { member: MemberId, member_name: string, task: TaskId, title: string, 
/**
 * The community that posted it, for a neighbour's call.
 */
neighbour: string | null, minutes: number, urgent: boolean, 
/**
 * How well the task suits the member (the matcher's points, every term but urgency).
 */
fit: number, };

export type PledgeActionInput = "pledge" | "withdraw" | "done";

export type PledgeInfo = { task: TaskId, title: string, state: PledgeState, taken: number, slots: number, };

/**
 * Where a member's pledge stands.
 */
export type PledgeState = "pledged" | "withdrawn" | "done";

export type PledgeView = { member: MemberId, name: string, state: PledgeState, at: Timestamp, 
/**
 * The day they mean to do it.
 */
on: DateStr | null, 
/**
 * They look for someone to take their place.
 */
stand_in: boolean, 
/**
 * Whom they stand in for, by name.
 */
stands_in_for: string | null, 
/**
 * Who took their place (their pledge holds no place then), by name.
 */
handed_over_to: string | null, 
/**
 * The crew they took it for (its members share the hours), by name.
 */
crew: string | null, };

/**
 * What a member tells the community about themselves, to get fitting suggestions.
 */
export type Profile = { skills: { [key in SkillId]: SkillLevel }, interests: { [key in SectorId]: Interest }, 
/**
 * Hours a week the member can usually give.
 */
hours_per_week: Minutes, willing_to_travel: boolean, wants_to_learn: Array<SkillId>, };

/**
 * A change to a profile: only the fields that are `Some` (or non-empty) are written.
 */
export type ProfileUpdate = { name?: string | null, 
/**
 * Skill levels to set (a level of `None` removes the skill).
 */
skills?: { [key in SkillId]: SkillLevel | null }, interests?: { [key in SectorId]: Interest }, hours_per_week?: Minutes | null, willing_to_travel?: boolean | null, 
/**
 * Skills to add to (true) or remove from (false) what the member wants to learn.
 */
wants_to_learn?: { [key in SkillId]: boolean }, };

/**
 * The community's progress in a month, sector by sector.
 */
export type Progress = { month: MonthStr, members: number, sectors: Array<SectorProgress>, done: Minutes, goal: Minutes, percent: number, };

/**
 * A proposal for the community (or a guild) to decide.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type ProposalId = string;

/**
 * A proposal, where it stands, and the caller's part in it.
 */
export type ProposalInfo = { community: CommunityId, id: ProposalId, title: string, details: string, kind: ProposalKind, round_hours: number, guild: GuildId | null, guild_name: string | null, 
/**
 * The concern it answers, and its words.
 */
concern: FlagId | null, concern_note: string | null, task: TaskId | null, task_title: string | null, sector: SectorId | null, created_by: MemberId, created_by_name: string, created_at: Timestamp, updated_at: Timestamp | null, status: ProposalStatus, rounds: Array<RoundInfo>, 
/**
 * Every stance ever taken, in time order (a member may change theirs until the round ends).
 */
history: Array<StanceInfo>, 
/**
 * The stances the caller may take on it.
 */
choices: Array<Stance>, 
/**
 * The caller's stance that counts in the open (or last) round.
 */
my_stance: Stance | null, is_mine: boolean, outcome: OutcomeInfo | null, 
/**
 * The outcome's review date has come.
 */
review_due: boolean, };

/**
 * A new proposal, as a member writes it; things it is about are named as people type them.
 */
export type ProposalInput = { title: string, details: string, kind: ProposalKind, 
/**
 * How long each round runs, in hours (default seven days).
 */
round_hours: number | null, 
/**
 * A guild by name or id (the whole community if none).
 */
guild: string | null, 
/**
 * The concern it answers, by id prefix: the proposal is then about its task or sector.
 */
concern: string | null, task: string | null, 
/**
 * A sector it is about (one far behind its goal, say).
 */
sector: SectorId | null, };

/**
 * How a proposal is decided.
 */
export type ProposalKind = "consent" | "advice" | "consensus";

/**
 * Where a proposal stands.
 */
export type ProposalStatus = { "state": "open", round: number, } | { "state": "decided", result: RoundResult, } | { "state": "not_decided", result: RoundResult, } | { "state": "withdrawn" };

/**
 * One term of a suggestion's score, explained.
 */
export type Reason = { term: Term, points: number, 
/**
 * What the reason is made of, typed, for front ends that word it in another language.
 */
facts: Facts, 
/**
 * The reason in English (the CLI prints it).
 */
text: string, };

export type RecoveredCommunity = { community: CommunityId, name: string, };

/**
 * A damaged database found on opening: set aside (never deleted) and replaced by a fresh
 * one, into which what could still be read was taken back, verified as a peer's changes are.
 * What was lost comes back from other members' peers as they sync.
 */
export type RecoveryInfo = { 
/**
 * Where the damaged database is now.
 */
set_aside: string, 
/**
 * What was found wrong with it, as SQLite or the store said it.
 */
damage: string, 
/**
 * The communities taken back.
 */
communities: Array<RecoveredCommunity>, 
/**
 * Changes read from the damaged database, verified and stored again.
 */
changes_saved: number, 
/**
 * What could not be read or taken back, in words.
 */
unreadable: Array<string>, };

/**
 * A request the node refuses as it stands: what it names does not exist or is not unique,
 * or what it asks is outside what the node does.
 */
export type Refusal = { "kind": "no_community_yet" } | { "kind": "which_community", known: Array<string>, } | { "kind": "unknown_community", reference: string, known: Array<string>, } | { "kind": "ambiguous_community", reference: string, } | { "kind": "short_reference", reference: string, thing: Thing, min: number, } | { "kind": "no_such_task", reference: string, } | { "kind": "ambiguous_task", reference: string, matches: number, } | { "kind": "no_such_entry", reference: string, } | { "kind": "ambiguous_entry", reference: string, matches: number, } | { "kind": "no_such_proposal", reference: string, } | { "kind": "ambiguous_proposal", reference: string, matches: number, } | { "kind": "no_such_series", reference: string, } | { "kind": "ambiguous_series", reference: string, matches: number, } | { "kind": "no_such_crew", reference: string, } | { "kind": "ambiguous_crew", reference: string, matches: number, } | { "kind": "no_such_gathering", reference: string, } | { "kind": "ambiguous_gathering", reference: string, matches: number, } | { "kind": "no_such_concern", reference: string, } | { "kind": "ambiguous_concern", reference: string, matches: number, } | { "kind": "no_such_guild", reference: string, known: Array<string>, } | { "kind": "ambiguous_guild", reference: string, } | { "kind": "no_such_member", reference: string, community: string, } | { "kind": "ambiguous_member", reference: string, } | { "kind": "not_yours_to_suggest", community: string, } | { "kind": "not_a_current_member", member: string, community: string, } | { "kind": "suggestion_limit", limit: number, max: number, } | { "kind": "task_in_other_community" } | { "kind": "not_open_to_neighbours", title: string, } | { "kind": "valueflows_whole_community" } | { "kind": "export_doc_needed" } | { "kind": "no_such_document", doc: DocName, } | { "kind": "demo_members", members: number, min: number, max: number, } | { "kind": "demo_exists" } | { "kind": "invite_hours", hours: number, max: number, } | { "kind": "join_name_needed" } | { "kind": "already_joining" } | { "kind": "neighbour_invite_to_join" } | { "kind": "no_such_device", reference: string, } | { "kind": "ambiguous_device", reference: string, matches: number, } | { "kind": "no_pairing" } | { "kind": "pairing_minutes", minutes: number, max: number, } | { "kind": "already_someone", name: string, } | { "kind": "device_code_to_join" } | { "kind": "not_a_pairing_code" } | { "kind": "backup_passphrase" } | { "kind": "backup_unreadable", why: string, } | { "kind": "backup_weak_passphrase", min: number, } | { "kind": "disk_full" };

/**
 * When a series comes round.
 */
export type Repeat = { "repeat": "weekly", every: number, weekday: number, } | { "repeat": "monthly", nth: number, weekday: number, };

/**
 * How a series comes round, as a member says it; what is left out follows from its start
 * (the weekday it starts on; for monthly, which such weekday of the month that is).
 */
export type RepeatInput = { kind: RepeatKind, 
/**
 * Weekly: every so many weeks (default 1).
 */
every: number | null, 
/**
 * 0 = Monday … 6 = Sunday (default: the start's).
 */
weekday: number | null, 
/**
 * Monthly: the first to fourth such weekday, or 5 for the last (default: the start's).
 */
nth: number | null, };

export type RepeatKind = "weekly" | "monthly";

/**
 * An answer to an offer or a need.
 */
export type ReplyInfo = { name: string, community_name: string, text: string, at: Timestamp, };

/**
 * Something a member asks their node to do.
 */
export type Request = { "op": "init", name: string, } | { "op": "whoami" } | { "op": "community_create", name: string, } | { "op": "community_list" } | { "op": "peers" } | { "op": "invite", community: string | null, uses: number, 
/**
 * How long the invitation is valid, in hours.
 */
hours: number, } | { "op": "join", code: string, 
/**
 * The name to go by, if this data directory has no identity yet.
 */
name: string | null, } | { "op": "devices" } | { "op": "device_add", minutes: number | null, } | { "op": "device_confirm", device: string, } | { "op": "device_link_words", code: string, } | { "op": "device_link", code: string, label: string, } | { "op": "device_revoke", device: string, } | { "op": "device_rename", device: string | null, label: string, } | { "op": "backup_create", passphrase: string, } | { "op": "restore", backup: string, passphrase: string, label: string, revoke: Array<string>, } | { "op": "neighbour_invite", community: string | null, 
/**
 * How long the invitation is valid, in hours.
 */
hours: number, } | { "op": "neighbour_accept", community: string | null, code: string, } | { "op": "neighbours", community: string | null, } | { "op": "directory_set", community: string | null, about: string | null, location: string | null, languages: string | null, hosts: number | null, 
/**
 * Hours an urgent task short of people waits before it is offered to the neighbours.
 */
escalate_after_hours: number | null, } | { "op": "neighbour_end", community: string | null, neighbour: string, } | { "op": "call_open", task: string, } | { "op": "call_close", task: string, } | { "op": "calls", community: string | null, } | { "op": "call_pledge", community: string | null, call: string, withdraw: boolean, } | { "op": "call_log", community: string | null, call: string, minutes: Minutes, date: DateStr | null, } | { "op": "notice_post", community: string | null, kind: NoticeKindInput, title: string, description: string, sector: SectorId | null, } | { "op": "notice_close", notice: string, } | { "op": "notices", community: string | null, } | { "op": "notice_reply", community: string | null, notice: string, text: string, } | { "op": "member_remove", community: string | null, member: string, } | { "op": "community_rename", community: string | null, name: string, } | { "op": "profile_set", community: string | null, update: ProfileUpdate, } | { "op": "profile_show", community: string | null, member: string | null, } | { "op": "members", community: string | null, } | { "op": "sectors", community: string | null, } | { "op": "sector_set", community: string | null, sector: SectorId, name: string | null, essential: boolean | null, baseline: Minutes | null, archived: boolean | null, } | { "op": "guild_add", community: string | null, name: string, sector: SectorId, description: string, } | { "op": "guilds", community: string | null, } | { "op": "task_add", community: string | null, task: TaskInput, } | { "op": "task_list", community: string | null, sector: SectorId | null, open_only: boolean, } | { "op": "task_show", task: string, } | { "op": "task_edit", task: string, edit: TaskEdit, } | { "op": "task_close", task: string, } | { "op": "pledge", task: string, action: PledgeActionInput, } | { "op": "log", community: string | null, task: string | null, sector: SectorId | null, minutes: Minutes, date: DateStr | null, note: string, } | { "op": "confirm", entry: string, } | { "op": "retract", entry: string, } | { "op": "pending", community: string | null, } | { "op": "feedback", task: string, verdict: Verdict, } | { "op": "flag", community: string | null, task: string | null, sector: SectorId | null, note: string, } | { "op": "stand_in", task: string, looking: boolean, } | { "op": "take_over", task: string, from: string, } | { "op": "pledge_day", task: string, on: DateStr | null, } | { "op": "series_add", community: string | null, series: SeriesInput, } | { "op": "series_edit", series: string, edit: SeriesEdit, } | { "op": "crew_create", community: string | null, crew: CrewInput, } | { "op": "crew_edit", crew: string, edit: CrewEditInput, } | { "op": "crew_join", crew: string, } | { "op": "crew_leave", crew: string, } | { "op": "crew_invite", crew: string, member: string, } | { "op": "crew_note", crew: string, kind: NoteKind, text: string, } | { "op": "crews", community: string | null, } | { "op": "crew_show", crew: string, } | { "op": "crew_pledge", task: string, crew: string | null, } | { "op": "gathering_add", community: string | null, gathering: NewGathering, } | { "op": "gathering_edit", gathering: string, edit: GatheringEdit, } | { "op": "attend", gathering: string, coming: boolean, } | { "op": "gathering_task", gathering: string, task: TaskInput, } | { "op": "gatherings", community: string | null, past: boolean, } | { "op": "gathering_show", gathering: string, } | { "op": "series_skip", series: string, date: DateStr, } | { "op": "series_list", community: string | null, } | { "op": "proposal_open", community: string | null, proposal: ProposalInput, } | { "op": "proposals", community: string | null, all: boolean, } | { "op": "proposal_show", proposal: string, } | { "op": "stance", proposal: string, stance: Stance, reason: string | null, } | { "op": "proposal_close", proposal: string, } | { "op": "proposal_withdraw", proposal: string, } | { "op": "proposal_edit", proposal: string, title: string | null, details: string | null, } | { "op": "outcome", proposal: string, text: string, review: DateStr | null, } | { "op": "progress", community: string | null, month: MonthStr | null, } | { "op": "my_hours", community: string | null, year: number | null, } | { "op": "export", community: string | null, format: ExportFormatInput, doc: DocName | null, } | { "op": "calendar", community: string | null, } | { "op": "calendar_file", keep: boolean, } | { "op": "suggest", community: string | null, 
/**
 * A member's name or id.
 */
member: string | null, 
/**
 * How many suggestions, from 1 to [`MAX_SUGGESTIONS`].
 */
limit: number, } | { "op": "plan", community: string | null, } | { "op": "decline", community: string | null, task: string, } | { "op": "demo", members: number, seed: number, name: string | null, } | { "op": "status" };

/**
 * What the node answers.
 */
export type Response = { "kind": "identity", "data": IdentityInfo } | { "kind": "devices", "data": DevicesInfo } | { "kind": "pairing", "data": PairingInfo } | { "kind": "link_words", "data": Array<string> } | { "kind": "backup", "data": BackupInfo } | { "kind": "linked", "data": LinkedInfo } | { "kind": "community", "data": CommunityInfo } | { "kind": "communities", "data": Array<CommunityInfo> } | { "kind": "member", "data": MemberInfo } | { "kind": "members", "data": Array<MemberInfo> } | { "kind": "sectors", "data": Array<Sector> } | { "kind": "guild", "data": Guild } | { "kind": "guilds", "data": Array<Guild> } | { "kind": "task", "data": TaskDetail } | { "kind": "tasks", "data": Array<TaskSummary> } | { "kind": "pledge", "data": PledgeInfo } | { "kind": "entry", "data": EntryInfo } | { "kind": "pending", "data": PendingInfo } | { "kind": "feedback", "data": FeedbackInfo } | { "kind": "flag", "data": { id: FlagId, } } | { "kind": "series", "data": SeriesInfo } | { "kind": "series_list", "data": Array<SeriesInfo> } | { "kind": "crew", "data": CrewInfo } | { "kind": "crews", "data": Array<CrewInfo> } | { "kind": "gathering", "data": GatheringInfo } | { "kind": "gatherings", "data": Array<GatheringInfo> } | { "kind": "proposal", "data": ProposalInfo } | { "kind": "proposals", "data": Array<ProposalInfo> } | { "kind": "progress", "data": Progress } | { "kind": "hours", "data": MemberYear } | { "kind": "export", "data": ExportData } | { "kind": "calendar", "data": CalendarInfo } | { "kind": "calendar_file", "data": CalendarFileInfo } | { "kind": "demo", "data": DemoInfo } | { "kind": "status", "data": StatusInfo } | { "kind": "peers", "data": PeersInfo } | { "kind": "invite", "data": InviteInfo } | { "kind": "suggestions", "data": SuggestionsInfo } | { "kind": "plan", "data": PlanInfo } | { "kind": "declined", "data": { task: TaskId, title: string, } } | { "kind": "neighbours", "data": NeighboursInfo } | { "kind": "neighbour", "data": NeighbourInfo } | { "kind": "calls", "data": Array<CallInfo> } | { "kind": "call", "data": CallInfo } | { "kind": "notices", "data": Array<NoticeInfo> } | { "kind": "notice", "data": NoticeInfo };

/**
 * Why a member gets no suggestions right now.
 */
export type Resting = { "why": "no_hours" } | { "why": "week_full", load: number, week: number, };

export type RevokedInfo = { by: MemberId, by_name: string, at: Timestamp, };

/**
 * When a crew meets: a day rhythm as a series has, a time of day and how long.
 */
export type Rhythm = { repeat: Repeat, 
/**
 * The first day it may meet.
 */
starts: DateStr, 
/**
 * Minutes after midnight, local time wherever the crew meets (19:00 = 1140).
 */
time: number, 
/**
 * How long a meeting lasts, in minutes.
 */
minutes: number, place: string | null, };

/**
 * When a crew meets, as a member says it.
 */
export type RhythmInput = { repeat: RepeatInput, 
/**
 * The first day it may meet (default today).
 */
starts: DateStr | null, 
/**
 * Minutes after midnight, local time (19:00 = 1140).
 */
time: number, 
/**
 * How long a meeting lasts (default 90 minutes).
 */
minutes: number | null, place: string | null, };

/**
 * One round of a proposal.
 */
export type RoundInfo = { n: number, opened: Timestamp, closes: Timestamp, closed_early: boolean, 
/**
 * `None` while open (or if the proposal was withdrawn during it).
 */
result: RoundResult | null, 
/**
 * Each member's stance that counts in it.
 */
stances: Array<StanceInfo>, 
/**
 * How many took each stance.
 */
tally: Array<[Stance, number]>, };

/**
 * What a round ended with.
 */
export type RoundResult = "consented" | "objected" | "advised" | "agreed" | "not-agreed" | "blocked" | "lapsed";

/**
 * A sector of the community's work and its yearly baseline per member.
 */
export type Sector = { id: SectorId, name: string, 
/**
 * Essential sectors (food, healthcare, …) versus arts, culture and innovation.
 */
essential: boolean, 
/**
 * The yearly guideline per member (never a quota).
 */
baseline: Minutes, 
/**
 * Position in lists.
 */
order: number, archived: boolean, };

/**
 * One sector's line in a member's year.
 */
export type SectorHours = { sector: SectorId, name: string, hours: Minutes, 
/**
 * The yearly guideline.
 */
baseline: Minutes, 
/**
 * The share of the guideline a steady pace would have reached by `as_of`.
 */
expected_by_now: Minutes, };

/**
 * A sector of the community's work, e.g. `food` or `healthcare`.
 *
 * In JSON (and TypeScript): the slug itself.
 */
export type SectorId = string;

/**
 * One sector's collective progress in a month.
 */
export type SectorProgress = { sector: SectorId, name: string, essential: boolean, done: Minutes, 
/**
 * The month's goal: the yearly baseline × current members ÷ 12.
 */
goal: Minutes, 
/**
 * Whole percent of the goal (may pass 100).
 */
percent: number, 
/**
 * How many members gave hours in this sector this month (a count, never names).
 */
contributors: number, 
/**
 * Open tasks in the sector with free places.
 */
open_tasks: number, urgent_open: number, 
/**
 * Minutes visitors from linked communities gave in this sector this month (they count in
 * their own ledgers; shown here beside the members' hours, not in the percent).
 */
visitors?: Minutes, };

/**
 * A series as the board holds it.
 */
export type Series = { id: SeriesId, 
/**
 * What each occurrence asks (its deadline is its day).
 */
title: string, description: string, sector: SectorId, guild: GuildId | null, skills: Array<SkillId>, hours: Minutes, slots: number, urgency: Urgency, location: string | null, repeat: Repeat, starts: DateStr, until: DateStr | null, ahead_days: number, skipped: Array<DateStr>, created_by: MemberId, created_at: Timestamp, };

/**
 * A change to a series: what its coming occurrences ask (as for a task), or its end.
 */
export type SeriesEdit = { title: string | null, description: string | null, hours: Minutes | null, slots: number | null, urgency: Urgency | null, location?: string | null, 
/**
 * The last day it comes round (`Some(None)`: no end).
 */
until?: DateStr | null, };

/**
 * A series of recurring tasks.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type SeriesId = string;

/**
 * A series, in words, with its coming occurrences.
 */
export type SeriesInfo = { community: CommunityId, series: Series, 
/**
 * "every Tuesday", in English (front ends word `series.repeat` themselves).
 */
when: string, 
/**
 * Made occurrences from today on, by day.
 */
coming: Array<OccurrenceInfo>, };

/**
 * A new series.
 */
export type SeriesInput = { 
/**
 * What each occurrence asks (its deadline is its day).
 */
task: TaskInput, repeat: RepeatInput, 
/**
 * The first day it may come round (default today).
 */
starts: DateStr | null, until: DateStr | null, 
/**
 * How far ahead its occurrences are made (default 28 days).
 */
ahead_days: number | null, };

/**
 * What the shell itself sends on [`NODE_EVENT`], beside the node's own events.
 */
export type ShellEvent = { "event": "lagged", missed: number, };

/**
 * A task's size, as learned preferences bucket it: up to 2 h, up to 5 h, longer.
 */
export type Size = "short" | "half_day" | "long";

/**
 * A skill, e.g. `gardening` or `first-aid`.
 *
 * In JSON (and TypeScript): the slug itself.
 */
export type SkillId = string;

/**
 * A skill level from 1 (beginner) to 5 (can teach it).
 */
export type SkillLevel = number;

/**
 * A member's stance on a proposal.
 */
export type Stance = "consent" | "objection" | "agree" | "abstain" | "disagree" | "block";

/**
 * A stance with who took it.
 */
export type StanceInfo = { member: MemberId, name: string, stance: Stance, reason: string | null, at: Timestamp, round: number, };

export type StatusInfo = { data_dir: string, disk_bytes: number, identity: IdentityInfo | null, documents: Array<DocStatus>, 
/**
 * Set when the database was found damaged as this node opened (until the node stops).
 */
recovered: RecoveryInfo | null, };

export type Suggestion = { task: TaskId, title: string, sector: SectorId, minutes: number, urgency: Urgency, 
/**
 * The community that posted it, for a neighbour's call.
 */
neighbour: string | null, score: number, 
/**
 * This is the member's part of the community plan.
 */
planned: boolean, reasons: Array<Reason>, };

/**
 * A member's suggestions: the matcher's answer, with who and where it is for.
 */
export type SuggestionsInfo = { community: CommunityId, member_name: string, 
/**
 * Whether these are the caller's own suggestions.
 */
is_me: boolean, 
/**
 * Linked neighbours' open needs the member could help with, most suitable first (at most
 * `weft_match::MAX_NEEDS`), each with its reasons; answered in the commons.
 */
needs: Array<NeedSuggestion>, member: MemberId, week: Week, 
/**
 * Why there is nothing to suggest, when the burnout guard says rest.
 */
resting: Resting | null, items: Array<Suggestion>, };

export type SyncStatus = { "state": "in_sync" } | { "state": "syncing" } | { "state": "behind", changes: number, } | { "state": "failed", reason: string, };

export type TaskDetail = { community: CommunityId, guild_name: string | null, sector_name: string, created_by_name: string, 
/**
 * The gathering it is a task of, by title.
 */
gathering_title: string | null, pledges: Array<PledgeView>, my_pledge: PledgeState | null, 
/**
 * Hours logged for this task, by everyone (counted entries).
 */
hours_logged: Minutes, open_flags: number, taken: number, free: number, 
/**
 * Taken places whose member looks for someone to stand in.
 */
stand_ins: number, id: TaskId, title: string, description: string, sector: SectorId, guild: GuildId | null, skills: Array<SkillId>, 
/**
 * Hours each person is asked for.
 */
hours: Minutes, 
/**
 * How many people are needed.
 */
slots: number, urgency: Urgency, deadline: DateStr | null, location: string | null, open_to_neighbours: boolean, status: TaskStatus, created_by: MemberId, created_at: Timestamp, 
/**
 * The series it is one occurrence of, if any.
 */
occurrence: Occurrence | null, 
/**
 * The gathering it is a task of, if any.
 */
gathering: GatheringId | null, };

/**
 * An edit to a task: only the fields that are `Some` change (`Some(None)` clears an
 * optional field). In JSON, a field left out keeps its value and `null` clears it.
 */
export type TaskEdit = { title?: string | null, description?: string | null, sector?: SectorId | null, guild?: GuildId | null, skills?: Array<SkillId> | null, hours?: Minutes | null, slots?: number | null, urgency?: Urgency | null, deadline?: DateStr | null, location?: string | null, open_to_neighbours?: boolean | null, status?: TaskStatus | null, };

/**
 * A task on a community's board.
 *
 * In JSON (and TypeScript): its canonical text, lowercase base32.
 */
export type TaskId = string;

/**
 * A task as a member types it: the guild by name or id.
 */
export type TaskInput = { 
/**
 * Guild name or id; resolved into `task.guild`.
 */
guild_ref: string | null, title: string, description: string, sector: SectorId, guild: GuildId | null, skills: Array<SkillId>, hours: Minutes, slots: number, urgency: Urgency, deadline: DateStr | null, location: string | null, open_to_neighbours: boolean, };

/**
 * Whether a task still takes pledges.
 */
export type TaskStatus = "open" | "closed";

/**
 * A task as the board lists it: with its places taken.
 */
export type TaskSummary = { taken: number, free: number, 
/**
 * Taken places whose member looks for someone to stand in.
 */
stand_ins: number, id: TaskId, title: string, description: string, sector: SectorId, guild: GuildId | null, skills: Array<SkillId>, 
/**
 * Hours each person is asked for.
 */
hours: Minutes, 
/**
 * How many people are needed.
 */
slots: number, urgency: Urgency, deadline: DateStr | null, location: string | null, open_to_neighbours: boolean, status: TaskStatus, created_by: MemberId, created_at: Timestamp, 
/**
 * The series it is one occurrence of, if any.
 */
occurrence: Occurrence | null, 
/**
 * The gathering it is a task of, if any.
 */
gathering: GatheringId | null, };

/**
 * The terms of a score; every one is shown to the member as a reason.
 */
export type Term = "plan" | "skill" | "interest" | "rotation" | "sector" | "urgency" | "load" | "learned" | "travel" | "gathering";

/**
 * Something that a reference names (for references too short to look up).
 */
export type Thing = "task" | "entry" | "proposal" | "concern" | "series" | "crew" | "gathering";

/**
 * An instant: milliseconds since the Unix epoch, UTC. Stored as an Automerge timestamp.
 */
export type Timestamp = number;

/**
 * An urgent task the plan leaves places open on.
 */
export type UncoveredTask = { task: TaskId, title: string, 
/**
 * The community that posted it, for a neighbour's call.
 */
neighbour: string | null, 
/**
 * Its free places nobody in the plan takes.
 */
places: number, };

/**
 * How soon a task needs people.
 */
export type Urgency = "normal" | "soon" | "urgent";

/**
 * Why a request cannot be carried out as asked. Nothing was written.
 *
 * In the API (and so to the desktop UI) each refusal is its own `kind` with its values, so a
 * front end words it in the member's language; the English message is the `Display`.
 */
export type ValidationError = { "kind": "empty", field: Field, } | { "kind": "too_long", field: Field, len: number, max: number, } | { "kind": "unknown_sector", sector: SectorId, known: Array<SectorId>, } | { "kind": "unknown_guild", guild: GuildId, } | { "kind": "guild_in_other_sector", guild: string, guild_sector: SectorId, sector: SectorId, } | { "kind": "entry_hours", minutes: Minutes, max: Minutes, } | { "kind": "task_hours", minutes: Minutes, max: Minutes, } | { "kind": "slots", slots: number, max: number, } | { "kind": "week_hours", hours: Minutes, max: Minutes, } | { "kind": "date_in_future", date: DateStr, today: DateStr, } | { "kind": "date_too_old", date: DateStr, max_days: number, } | { "kind": "deadline_in_past", date: DateStr, today: DateStr, } | { "kind": "deadline_too_far", date: DateStr, } | { "kind": "unknown_task", task: TaskId, } | { "kind": "task_closed", title: string, } | { "kind": "task_full", title: string, slots: number, } | { "kind": "already_pledged", title: string, } | { "kind": "not_pledged", title: string, } | { "kind": "unknown_entry", entry: EntryId, } | { "kind": "own_entry" } | { "kind": "already_confirmed" } | { "kind": "retracted" } | { "kind": "not_your_entry" } | { "kind": "not_a_member" } | { "kind": "already_member", name: string, } | { "kind": "invite_unknown" } | { "kind": "invite_expired" } | { "kind": "invite_used_up" } | { "kind": "invite_mismatch" } | { "kind": "already_removed", name: string, } | { "kind": "not_a_member_named", name: string, } | { "kind": "unknown_device", device: string, } | { "kind": "device_revoked", device: string, } | { "kind": "device_known", device: string, } | { "kind": "device_cert_mismatch" } | { "kind": "revoke_this_device" } | { "kind": "no_sector_or_task" } | { "kind": "archived_sector", sector: SectorId, } | { "kind": "baseline", baseline: Minutes, max: Minutes, } | { "kind": "duplicate_guild", name: string, } | { "kind": "unknown_proposal", proposal: ProposalId, } | { "kind": "unknown_flag", flag: FlagId, } | { "kind": "proposal_not_open", title: string, } | { "kind": "stance_not_for_kind", stance: string, proposal_kind: string, choices: Array<string>, } | { "kind": "reason_needed", stance: string, } | { "kind": "not_proposal_author", title: string, } | { "kind": "not_decided", title: string, } | { "kind": "outcome_written", title: string, } | { "kind": "round_length", hours: number, min: number, max: number, } | { "kind": "review_in_past", date: DateStr, today: DateStr, } | { "kind": "unknown_series", series: SeriesId, } | { "kind": "repeat", repeat: string, } | { "kind": "ahead_days", days: number, min: number, max: number, } | { "kind": "starts_in_past", date: DateStr, today: DateStr, } | { "kind": "ends_before_start", until: DateStr, starts: DateStr, } | { "kind": "not_an_occurrence", date: DateStr, repeat: string, } | { "kind": "no_stand_in_wanted", title: string, } | { "kind": "handed_over", by: string, } | { "kind": "pledge_day_past", date: DateStr, today: DateStr, } | { "kind": "meeting_time", time: number, } | { "kind": "meeting_length", minutes: number, min: number, max: number, } | { "kind": "unknown_crew", crew: CrewId, } | { "kind": "not_in_crew", name: string, } | { "kind": "crew_ended", name: string, } | { "kind": "already_in_crew", name: string, } | { "kind": "crew_by_invitation", name: string, } | { "kind": "crew_full", name: string, max: number, } | { "kind": "unknown_gathering", gathering: GatheringId, } | { "kind": "gathering_cancelled", title: string, } | { "kind": "gathering_too_long", days: number, max: number, };

/**
 * What a member says about a task afterwards; the matcher learns from it.
 */
export type Verdict = "enjoyed" | "too-hard" | "not-again" | "more";

/**
 * A visitor's pledge to a call, with names.
 */
export type VisitorInfo = { member: MemberId, name: string, community: CommunityId, community_name: string, state: PledgeState, };

/**
 * A member's week: stated availability, and what is logged or promised already.
 */
export type Week = { available: number, logged: number, committed: number, };

/** Every error code, in the order the node declares them. */
export const ERROR_CODES = ["not_initialised", "already_initialised", "not_found", "ambiguous", "invalid", "busy", "storage", "network", "internal"] as const satisfies readonly ErrorCode[];

/** Every kind of error detail (`ApiError.detail.kind`): the UI has words for each. */
export const ERROR_DETAIL_KINDS = ["empty", "too_long", "unknown_sector", "unknown_guild", "guild_in_other_sector", "entry_hours", "task_hours", "slots", "week_hours", "date_in_future", "date_too_old", "deadline_in_past", "deadline_too_far", "unknown_task", "task_closed", "task_full", "already_pledged", "not_pledged", "unknown_entry", "own_entry", "already_confirmed", "retracted", "not_your_entry", "not_a_member", "already_member", "invite_unknown", "invite_expired", "invite_used_up", "invite_mismatch", "already_removed", "not_a_member_named", "unknown_device", "device_revoked", "device_known", "device_cert_mismatch", "revoke_this_device", "no_sector_or_task", "archived_sector", "baseline", "duplicate_guild", "unknown_proposal", "unknown_flag", "proposal_not_open", "stance_not_for_kind", "reason_needed", "not_proposal_author", "not_decided", "outcome_written", "round_length", "review_in_past", "unknown_series", "repeat", "ahead_days", "starts_in_past", "ends_before_start", "not_an_occurrence", "no_stand_in_wanted", "handed_over", "pledge_day_past", "meeting_time", "meeting_length", "unknown_crew", "not_in_crew", "crew_ended", "already_in_crew", "crew_by_invitation", "crew_full", "unknown_gathering", "gathering_cancelled", "gathering_too_long", "no_community_yet", "which_community", "unknown_community", "ambiguous_community", "short_reference", "no_such_task", "ambiguous_task", "no_such_entry", "ambiguous_entry", "no_such_proposal", "ambiguous_proposal", "no_such_series", "ambiguous_series", "no_such_crew", "ambiguous_crew", "no_such_gathering", "ambiguous_gathering", "no_such_concern", "ambiguous_concern", "no_such_guild", "ambiguous_guild", "no_such_member", "ambiguous_member", "not_yours_to_suggest", "not_a_current_member", "suggestion_limit", "task_in_other_community", "not_open_to_neighbours", "valueflows_whole_community", "export_doc_needed", "no_such_document", "demo_members", "demo_exists", "invite_hours", "join_name_needed", "already_joining", "neighbour_invite_to_join", "no_such_device", "ambiguous_device", "no_pairing", "pairing_minutes", "already_someone", "device_code_to_join", "not_a_pairing_code", "backup_passphrase", "backup_unreadable", "backup_weak_passphrase", "disk_full", "invite_code_length", "invite_code_alphabet", "invite_code_checksum", "invite_link_community", "invite_link_address", "invite_link_too_many_addresses", "invite_link_unknown_part"] as const satisfies readonly ErrorDetail['kind'][];

/** Every field an error detail names. */
export const FIELDS = ["title", "description", "location", "note", "concern", "name", "member_name", "newcomer_name", "community_name", "guild_name", "sector_name", "details", "reason", "outcome", "crew_name", "purpose", "device_label"] as const satisfies readonly Field[];

/** Every thing an error detail names. */
export const THINGS = ["task", "entry", "proposal", "concern", "series", "crew", "gathering"] as const satisfies readonly Thing[];

/** The limits the node enforces, which the UI's forms check before sending anything. */
export const LIMITS = {
  /** Characters in a task's title. */
  title: 120,
  /** Characters in a task's description. */
  description: 4000,
  /** Characters in a guild's description. */
  guildDescription: 1000,
  /** Characters in a task's location. */
  location: 200,
  /** Characters in an hour entry's note. */
  note: 1000,
  /** Characters in a concern. */
  concern: 2000,
  /** Characters in a member's, a community's or a guild's name. */
  name: 80,
  /** Characters in a sector's name. */
  sectorName: 60,
  /** The most a task asks of each person, in minutes. */
  taskMinutesMax: 12000,
  /** The most one hour entry holds, in minutes. */
  entryMinutesMax: 1440,
  /** The most hours a week holds, in minutes. */
  weekMinutesMax: 10080,
  /** The largest yearly baseline of a sector, in minutes. */
  baselineMinutesMax: 60000,
  /** The most people one task asks for. */
  slotsMax: 1000,
  /** How many days back hours may be logged. */
  entryMaxAgeDays: 400,
  /** How many days ahead hours may be logged (time zones). */
  entryDaysAhead: 1,
  /** How many days ahead a deadline may be. */
  deadlineMaxDays: 1830,
  /** The highest skill level (the lowest is 1). */
  skillLevelMax: 5,
  /** The highest interest in a sector (the lowest is 0). */
  interestMax: 5,
  /** The most times one invitation can be used. */
  inviteUsesMax: 10000,
  /** The longest an invitation is valid, in hours. */
  inviteHoursMax: 8760,
  /** The most suggestions one `suggest` request returns. */
  suggestionsMax: 100,
  /** The fewest members of a demo community. */
  demoMembersMin: 2,
  /** The most members of a demo community. */
  demoMembersMax: 500,
  /** The fewest characters of an id a reference gives. */
  idPrefixMin: 4,
  /** Characters in a proposal's details. */
  proposalDetails: 4000,
  /** Characters in the reason given with a stance. */
  stanceReason: 2000,
  /** Characters in a decision's outcome. */
  outcome: 4000,
  /** The shortest round of a proposal, in hours. */
  roundHoursMin: 1,
  /** The longest round of a proposal, in hours. */
  roundHoursMax: 1440,
  /** A proposal's round unless it says, in hours. */
  roundHoursDefault: 168,
  /** A weekly series comes round every 1 to this many weeks. */
  seriesEveryMax: 8,
  /** The fewest days ahead a series makes occurrences. */
  seriesAheadDaysMin: 7,
  /** The most days ahead a series makes occurrences. */
  seriesAheadDaysMax: 90,
  /** How far ahead a series makes occurrences unless it says, in days. */
  seriesAheadDaysDefault: 28,
  /** A crew is at most this many people. */
  crewMax: 7,
  /** The longest a crew's purpose may be, in characters. */
  crewPurposeMax: 1000,
  /** The longest a crew's check-in or review may be, in characters. */
  crewNoteMax: 2000,
  /** The shortest a crew's meeting may be, in minutes. */
  meetingMinutesMin: 15,
  /** The longest a crew's meeting may be, in minutes. */
  meetingMinutesMax: 480,
  /** A gathering lasts at most this many days. */
  gatheringDaysMax: 14,
  /** The longest task the matcher calls short, in minutes. */
  shortTaskMinutes: 120,
  /** The longest task the matcher calls half a day, in minutes. */
  halfDayTaskMinutes: 300,
} as const;
