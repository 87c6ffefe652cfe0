// TypeScript mirrors of the node's serde shapes (crates/weft-node/src/api.rs and the
// weft-core / weft-match types it references). Keep them in step with the Rust side:
// every id, date and month is a string; every duration is a whole number of minutes.

/** Lowercase base32 ids (member, device, task, entry, guild, flag, community). */
export type MemberId = string;
export type DeviceId = string;
export type TaskId = string;
export type EntryId = string;
export type GuildId = string;
export type FlagId = string;
export type CommunityId = string;
/** A slug: `food`, `first-aid`. */
export type SectorId = string;
export type SkillId = string;
/** `YYYY-MM-DD`, the member's own calendar day. */
export type DateStr = string;
/** `YYYY-MM`. */
export type MonthStr = string;
/** Milliseconds since the Unix epoch, UTC. */
export type Timestamp = number;
/** Whole minutes. */
export type Minutes = number;
/** `people`, `board`, `ledger/2026`, `commons/...`. */
export type DocName = string;

export type Urgency = 'normal' | 'soon' | 'urgent';
export type TaskStatus = 'open' | 'closed';
export type PledgeState = 'pledged' | 'withdrawn' | 'done';
export type Verdict = 'enjoyed' | 'too-hard' | 'not-again' | 'more';

export interface Sector {
  id: SectorId;
  name: string;
  essential: boolean;
  baseline: Minutes;
  order: number;
  archived: boolean;
}

export interface Guild {
  id: GuildId;
  name: string;
  sector: SectorId;
  description: string;
  archived: boolean;
}

export interface Task {
  id: TaskId;
  title: string;
  description: string;
  sector: SectorId;
  guild: GuildId | null;
  skills: SkillId[];
  hours: Minutes;
  slots: number;
  urgency: Urgency;
  deadline: DateStr | null;
  location: string | null;
  open_to_neighbours: boolean;
  status: TaskStatus;
  created_by: MemberId;
  created_at: Timestamp;
}

export interface TaskSummary extends Task {
  taken: number;
  free: number;
}

export interface Profile {
  skills: Record<SkillId, number>;
  interests: Record<SectorId, number>;
  hours_per_week: Minutes;
  willing_to_travel: boolean;
  wants_to_learn: SkillId[];
}

export interface ProfileUpdate {
  name?: string | null;
  /** A level of null removes the skill. */
  skills?: Record<SkillId, number | null>;
  interests?: Record<SectorId, number>;
  hours_per_week?: Minutes | null;
  willing_to_travel?: boolean | null;
  /** true adds to what the member wants to learn, false removes. */
  wants_to_learn?: Record<SkillId, boolean>;
}

export interface NewTask {
  title: string;
  description: string;
  sector: SectorId;
  guild: GuildId | null;
  skills: SkillId[];
  hours: Minutes;
  slots: number;
  urgency: Urgency;
  deadline: DateStr | null;
  location: string | null;
  open_to_neighbours: boolean;
}

/** `TaskInput`: a NewTask (flattened) with the guild by name or id. */
export interface TaskInput extends NewTask {
  guild_ref: string | null;
}

/** Only the fields present change. (A null on guild or deadline means "no change" in serde.) */
export interface TaskEdit {
  title?: string;
  description?: string;
  sector?: SectorId;
  guild?: GuildId;
  skills?: SkillId[];
  hours?: Minutes;
  slots?: number;
  urgency?: Urgency;
  deadline?: DateStr;
  /** An empty string clears the location. */
  location?: string;
  open_to_neighbours?: boolean;
  status?: TaskStatus;
}

export interface SectorHours {
  sector: SectorId;
  name: string;
  hours: Minutes;
  baseline: Minutes;
  expected_by_now: Minutes;
}

export interface MemberYear {
  member: MemberId;
  year: number;
  as_of: DateStr;
  sectors: SectorHours[];
  total: Minutes;
  total_baseline: Minutes;
  other: Minutes;
}

export interface SectorProgress {
  sector: SectorId;
  name: string;
  essential: boolean;
  done: Minutes;
  goal: Minutes;
  percent: number;
  contributors: number;
  open_tasks: number;
  urgent_open: number;
}

export interface Progress {
  month: MonthStr;
  members: number;
  sectors: SectorProgress[];
  done: Minutes;
  goal: Minutes;
  percent: number;
}

// ---- matcher ----

export type Term = 'plan' | 'skill' | 'interest' | 'rotation' | 'sector' | 'urgency' | 'load' | 'learned' | 'travel';

export type Facts =
  | { kind: 'plan' }
  | { kind: 'skill'; known: [SkillId, number][]; learning: SkillId[]; missing: SkillId[] }
  | { kind: 'interest'; sector: string; level: number | null }
  | {
      kind: 'rotation';
      sector: string;
      done: number;
      baseline: number;
      expected: number;
      total: number;
      total_expected: number;
    }
  | { kind: 'sector'; sector: string; percent: number; month_percent: number }
  | {
      kind: 'urgency';
      urgency: Urgency;
      free: number;
      slots: number;
      waiting_days: number;
      deadline_days: number | null;
    }
  | {
      kind: 'load';
      after: number;
      week: number;
      heavy_sector: string | null;
      heavy_minutes: number;
      same_sector: boolean;
    }
  | { kind: 'learned'; feature: string; liked: number; disliked: number }
  | { kind: 'travel'; community: string };

export interface Reason {
  term: Term;
  points: number;
  facts: Facts;
  /** The English sentence; the UI words `facts` itself instead. */
  text: string;
}

export interface Suggestion {
  task: TaskId;
  title: string;
  sector: SectorId;
  minutes: number;
  urgency: Urgency;
  neighbour: string | null;
  score: number;
  planned: boolean;
  reasons: Reason[];
}

export interface Week {
  available: number;
  logged: number;
  committed: number;
}

export type Resting = { why: 'no_hours' } | { why: 'week_full'; load: number; week: number };

export interface SuggestionsInfo {
  community: CommunityId;
  member_name: string;
  is_me: boolean;
  member: MemberId;
  week: Week;
  resting: Resting | null;
  items: Suggestion[];
}

// ---- node API ----

export interface IdentityInfo {
  name: string;
  member: MemberId;
  device: DeviceId;
  data_dir: string;
}

export interface CommunityInfo {
  id: CommunityId;
  name: string;
  members: number;
  open_tasks: number;
  urgent_open: number;
  baseline: Minutes;
}

export interface MemberInfo {
  id: MemberId;
  name: string;
  admitted_at: Timestamp;
  devices: number;
  profile: Profile;
  is_me: boolean;
}

export interface PledgeView {
  member: MemberId;
  name: string;
  state: PledgeState;
  at: Timestamp;
}

export interface TaskDetail extends TaskSummary {
  community: CommunityId;
  guild_name: string | null;
  sector_name: string;
  created_by_name: string;
  pledges: PledgeView[];
  my_pledge: PledgeState | null;
  hours_logged: Minutes;
  open_flags: number;
}

export interface PledgeInfo {
  task: TaskId;
  title: string;
  state: PledgeState;
  taken: number;
  slots: number;
}

export interface EntryInfo {
  id: EntryId;
  community: CommunityId;
  member: MemberId;
  member_name: string;
  task: TaskId | null;
  task_title: string | null;
  sector: SectorId;
  minutes: Minutes;
  date: DateStr;
  note: string;
  confirmed_by: string[];
  retracted: boolean;
}

export interface PendingInfo {
  to_confirm: EntryInfo[];
  mine_unconfirmed: EntryInfo[];
}

export interface FeedbackInfo {
  task: TaskId;
  title: string;
  verdict: Verdict;
}

export type ExportFormat = 'csv' | 'valueflows' | 'automerge';

export interface ExportData {
  format: ExportFormat;
  suggested_name: string;
  base64: string;
}

export interface DemoInfo {
  community: CommunityInfo;
  members: number;
  guilds: number;
  tasks: number;
  open_tasks: number;
  urgent_open: number;
  pledges: number;
  entries: number;
  hours: Minutes;
  changes: number;
}

export interface DocStatus {
  community: CommunityId;
  name: DocName;
  changes: number;
  logged_since_snapshot: number;
  in_memory: boolean;
}

export interface StatusInfo {
  data_dir: string;
  disk_bytes: number;
  identity: IdentityInfo | null;
  documents: DocStatus[];
}

export type SyncStatus =
  | { state: 'in_sync' }
  | { state: 'syncing' }
  | { state: 'behind'; changes: number }
  | { state: 'failed'; reason: string };

export interface DocSyncStatus {
  community: CommunityId;
  doc: DocName;
  state: SyncStatus;
}

export interface PeerStatus {
  peer_id: string;
  device: DeviceId | null;
  member: string | null;
  /** mdns, address, relay or inbound. */
  found_by: string;
  address: string;
  rtt_ms: number | null;
  docs: DocSyncStatus[];
  problem: string | null;
}

export interface PeersInfo {
  online: boolean;
  peer_id: string | null;
  listening: string[];
  peers: PeerStatus[];
  incidents: string[];
}

export interface InviteInfo {
  community: CommunityId;
  community_name: string;
  code: string;
  link: string;
  addresses: string[];
  expires: Timestamp;
  uses: number;
}

export interface PlanPartInfo {
  member: MemberId;
  member_name: string;
  task: TaskId;
  title: string;
  neighbour: string | null;
  minutes: number;
  urgent: boolean;
  fit: number;
}

export interface UncoveredTask {
  task: TaskId;
  title: string;
  neighbour: string | null;
  places: number;
}

export interface PlanInfo {
  community: CommunityId;
  community_name: string;
  parts: PlanPartInfo[];
  places_open: number;
  places_covered: number;
  urgent_open: number;
  urgent_covered: number;
  members_available: number;
  members_with_part: number;
  trimmed: number;
  urgent_uncovered: UncoveredTask[];
}

/** `Request`: `{ op: "...", ...fields }`. */
export type Request =
  | { op: 'init'; name: string }
  | { op: 'whoami' }
  | { op: 'community_create'; name: string }
  | { op: 'community_list' }
  | { op: 'peers' }
  | { op: 'invite'; community: string | null; uses: number; hours: number }
  | { op: 'join'; code: string; name: string | null }
  | { op: 'member_remove'; community: string | null; member: string }
  | { op: 'community_rename'; community: string | null; name: string }
  | { op: 'profile_set'; community: string | null; update: ProfileUpdate }
  | { op: 'profile_show'; community: string | null; member: string | null }
  | { op: 'members'; community: string | null }
  | { op: 'sectors'; community: string | null }
  | {
      op: 'sector_set';
      community: string | null;
      sector: SectorId;
      name: string | null;
      essential: boolean | null;
      baseline: Minutes | null;
      archived: boolean | null;
    }
  | { op: 'guild_add'; community: string | null; name: string; sector: SectorId; description: string }
  | { op: 'guilds'; community: string | null }
  | { op: 'task_add'; community: string | null; task: TaskInput }
  | { op: 'task_list'; community: string | null; sector: SectorId | null; open_only: boolean }
  | { op: 'task_show'; task: string }
  | { op: 'task_edit'; task: string; edit: TaskEdit }
  | { op: 'task_close'; task: string }
  | { op: 'pledge'; task: string; action: 'pledge' | 'withdraw' | 'done' }
  | {
      op: 'log';
      community: string | null;
      task: string | null;
      sector: SectorId | null;
      minutes: Minutes;
      date: DateStr | null;
      note: string;
    }
  | { op: 'confirm'; entry: string }
  | { op: 'retract'; entry: string }
  | { op: 'pending'; community: string | null }
  | { op: 'feedback'; task: string; verdict: Verdict }
  | { op: 'flag'; community: string | null; task: string | null; sector: SectorId | null; note: string }
  | { op: 'progress'; community: string | null; month: MonthStr | null }
  | { op: 'my_hours'; community: string | null; year: number | null }
  | { op: 'export'; community: string | null; format: ExportFormat; doc: DocName | null }
  | { op: 'suggest'; community: string | null; member: string | null; limit: number }
  | { op: 'plan'; community: string | null }
  | { op: 'decline'; community: string | null; task: string }
  | { op: 'demo'; members: number; seed: number; name: string | null }
  | { op: 'status' };

/** `Response`: `{ kind: "...", data: ... }`. */
export type Response =
  | { kind: 'identity'; data: IdentityInfo }
  | { kind: 'community'; data: CommunityInfo }
  | { kind: 'communities'; data: CommunityInfo[] }
  | { kind: 'member'; data: MemberInfo }
  | { kind: 'members'; data: MemberInfo[] }
  | { kind: 'sectors'; data: Sector[] }
  | { kind: 'guild'; data: Guild }
  | { kind: 'guilds'; data: Guild[] }
  | { kind: 'task'; data: TaskDetail }
  | { kind: 'tasks'; data: TaskSummary[] }
  | { kind: 'pledge'; data: PledgeInfo }
  | { kind: 'entry'; data: EntryInfo }
  | { kind: 'pending'; data: PendingInfo }
  | { kind: 'feedback'; data: FeedbackInfo }
  | { kind: 'flag'; data: { id: FlagId } }
  | { kind: 'progress'; data: Progress }
  | { kind: 'hours'; data: MemberYear }
  | { kind: 'export'; data: ExportData }
  | { kind: 'demo'; data: DemoInfo }
  | { kind: 'status'; data: StatusInfo }
  | { kind: 'peers'; data: PeersInfo }
  | { kind: 'invite'; data: InviteInfo }
  | { kind: 'suggestions'; data: SuggestionsInfo }
  | { kind: 'plan'; data: PlanInfo }
  | { kind: 'declined'; data: { task: TaskId; title: string } };

export type ResponseKind = Response['kind'];
/** The data of the response of a given kind. */
export type DataOf<K extends ResponseKind> = Extract<Response, { kind: K }>['data'];

/** `Event`: `{ event: "...", ...fields }`. */
export type NodeEvent =
  | { event: 'document_changed'; community: CommunityId; doc: DocName }
  | { event: 'community_added'; community: CommunityId }
  | { event: 'peer_incident'; peer: string; what: string }
  | { event: 'network_changed' };

export type ErrorCode =
  | 'not_initialised'
  | 'already_initialised'
  | 'not_found'
  | 'ambiguous'
  | 'invalid'
  | 'busy'
  | 'storage'
  | 'network'
  | 'internal';

/** `ApiError`, as the shell rejects `execute` with it. */
export interface ApiError {
  code: ErrorCode;
  message: string;
}

/** What the shell's `app_info` command answers. */
export interface AppInfo {
  dataDir: string;
  version: string;
  online: boolean;
  pendingLink: string | null;
}
