//! Errors of the node, and their form at the API boundary: a stable code, a message a person
//! can act on (English, for the CLI and logs), and for most refusals a typed detail that says
//! exactly what was refused, so a front end words it in the member's language. Front ends
//! branch on the code and the detail, and never parse the message.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_core::DocName;
use weft_core::ValidationError;
use weft_core::doc::WriteError;
use weft_net::invite::InviteError;
use weft_store::StoreError;

/// What kind of failure, for front ends to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No identity in this data directory yet (`weft init`).
    NotInitialised,
    /// The data directory already has an identity.
    AlreadyInitialised,
    /// No such community, task, entry, member or guild.
    NotFound,
    /// A short reference matched more than one thing.
    Ambiguous,
    /// The request was refused as it stands: bad value, full task, own entry…
    Invalid,
    /// Another process holds the data directory and could not be reached.
    Busy,
    /// Reading or writing the data directory failed.
    Storage,
    /// The network could not do what was asked (no peer reachable, a peer refused).
    Network,
    /// The node stopped, or something that should not happen happened.
    Internal,
}

/// An error as it crosses the API: to the CLI, over the control socket, to the desktop UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
pub struct ApiError {
    pub code: ErrorCode,
    /// What went wrong and what to do, in English.
    pub message: String,
    /// Exactly what was refused, with its values, when the node knows it.
    #[serde(default)]
    pub detail: Option<ErrorDetail>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), detail: None }
    }
}

/// What exactly was refused. Every kind is a `kind` of its own (`too_long`, `slots`,
/// `suggestion_limit`, `invite_code_checksum`…) with its values; field names are stable
/// identifiers, never words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum ErrorDetail {
    /// A value or an action the domain's rules refuse.
    Invalid(ValidationError),
    /// A request the node refuses as it stands.
    Refused(Refusal),
    /// An invitation code or link that cannot be read.
    Invite(InviteError),
}

/// Something that a reference names (for references too short to look up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Thing {
    Task,
    Entry,
    Proposal,
    Concern,
    Series,
    Crew,
    Gathering,
}

impl fmt::Display for Thing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Task => "task",
            Self::Entry => "entry",
            Self::Proposal => "proposal",
            Self::Concern => "concern",
            Self::Series => "series",
            Self::Crew => "crew",
            Self::Gathering => "gathering",
        })
    }
}

/// The fewest characters of an id that a reference must give.
pub const MIN_ID_PREFIX: u32 = 4;

/// A request the node refuses as it stands: what it names does not exist or is not unique,
/// or what it asks is outside what the node does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    #[error(
        "this data directory has no community yet: create one with `weft community create NAME`, or try `weft demo`"
    )]
    NoCommunityYet,
    #[error("this data directory has {} communities: say which with --community ({})", known.len(), known.join(", "))]
    WhichCommunity { known: Vec<String> },
    #[error("no community called '{reference}' here; communities: {}", if known.is_empty() { "none yet".to_owned() } else { known.join(", ") })]
    UnknownCommunity { reference: String, known: Vec<String> },
    #[error("'{reference}' matches more than one community: use its id")]
    AmbiguousCommunity { reference: String },
    #[error("'{reference}' is too short to find a {thing}: give at least {min} characters of its id")]
    ShortReference { reference: String, thing: Thing, min: u32 },
    #[error("no task {reference}: `weft task list` shows the board")]
    NoSuchTask { reference: String },
    #[error("'{reference}' matches {matches} tasks: give more of the id")]
    AmbiguousTask { reference: String, matches: u32 },
    #[error("no hour entry {reference}: `weft pending` lists entries to confirm")]
    NoSuchEntry { reference: String },
    #[error("'{reference}' matches {matches} entries: give more of the id")]
    AmbiguousEntry { reference: String, matches: u32 },
    #[error("no proposal {reference}: `weft proposal list` shows them")]
    NoSuchProposal { reference: String },
    #[error("'{reference}' matches {matches} proposals: give more of the id")]
    AmbiguousProposal { reference: String, matches: u32 },
    #[error("no series {reference}: `weft series list` shows them")]
    NoSuchSeries { reference: String },
    #[error("'{reference}' matches {matches} series: give more of the id")]
    AmbiguousSeries { reference: String, matches: u32 },
    #[error("no crew '{reference}': `weft crew list` shows them")]
    NoSuchCrew { reference: String },
    #[error("'{reference}' matches {matches} crews: give more of the id")]
    AmbiguousCrew { reference: String, matches: u32 },
    #[error("no gathering '{reference}': `weft gathering list` shows them")]
    NoSuchGathering { reference: String },
    #[error("'{reference}' matches {matches} gatherings: give more of the id")]
    AmbiguousGathering { reference: String, matches: u32 },
    #[error("no concern {reference} on this community's board")]
    NoSuchConcern { reference: String },
    #[error("'{reference}' matches {matches} concerns: give more of the id")]
    AmbiguousConcern { reference: String, matches: u32 },
    #[error("no guild '{reference}'; guilds: {}", known.join(", "))]
    NoSuchGuild { reference: String, known: Vec<String> },
    #[error("'{reference}' matches more than one guild: use its id")]
    AmbiguousGuild { reference: String },
    #[error("no member '{reference}' in {community}")]
    NoSuchMember { reference: String, community: String },
    #[error("more than one member is called '{reference}': use their id")]
    AmbiguousMember { reference: String },
    #[error("you are not a current member of {community}: there is nothing to suggest")]
    NotYoursToSuggest { community: String },
    #[error("{member} is not a current member of {community}")]
    NotACurrentMember { member: String, community: String },
    #[error("ask for 1 to {max} suggestions at a time, not {limit}")]
    SuggestionLimit { limit: u32, max: u32 },
    #[error("that task belongs to another community")]
    TaskInOtherCommunity,
    #[error("'{title}' belongs to another community and is not open to neighbours")]
    NotOpenToNeighbours { title: String },
    #[error("a ValueFlows export holds the whole community: leave out --doc")]
    ValueflowsWholeCommunity,
    #[error("say which document to export: --doc people, board or ledger/YYYY")]
    ExportDocNeeded,
    #[error("this community has no {doc} document")]
    NoSuchDocument { doc: DocName },
    #[error("a demo community has from {min} to {max} members, not {members}")]
    DemoMembers { members: u32, min: u32, max: u32 },
    #[error("this demo community is already here: use another --seed")]
    DemoExists,
    #[error("an invitation is valid from 1 hour to a year, not {hours} hours")]
    InviteHours { hours: u32, max: u32 },
    #[error("say what the community should call you: weft join CODE --name \"Your name\"")]
    JoinNameNeeded,
    #[error("already joining a community: wait until that is done")]
    AlreadyJoining,
    #[error(
        "this is a neighbour invitation, to link one of your communities with theirs: accept it with \
         `weft neighbour accept` (or on the Neighbours screen)"
    )]
    NeighbourInviteToJoin,
    #[error("no device '{reference}': `weft device list` shows them")]
    NoSuchDevice { reference: String },
    #[error("'{reference}' matches {matches} devices: give more of the id")]
    AmbiguousDevice { reference: String, matches: u32 },
    #[error("no pairing code is waiting here: start one with `weft device add` (or Settings → Devices)")]
    NoPairing,
    #[error("a pairing code lasts from 1 to {max} minutes, not {minutes}")]
    PairingMinutes { minutes: u32, max: u32 },
    #[error("this computer already acts for {name}: linking or restoring needs a data directory of its own")]
    AlreadySomeone { name: String },
    #[error(
        "this is a pairing code, to link another computer of yours: use `weft device link` (or \"I already use Weft on another computer\")"
    )]
    DeviceCodeToJoin,
    #[error("this is a code to join a community or link neighbours, not a pairing code from your other computer")]
    NotAPairingCode,
    #[error("the passphrase is wrong, or the backup was changed: try the passphrase again")]
    BackupPassphrase,
    #[error("this backup cannot be used: {why}")]
    BackupUnreadable { why: String },
    #[error("a backup's passphrase needs at least {min} characters (or three words): a short one is guessed quickly")]
    BackupWeakPassphrase { min: u32 },
    /// The disk holding the data directory is full (`weft_store::StoreError::DiskFull`): the
    /// write was rolled back whole, in memory too, and was not sent to peers.
    #[error("the disk is full: this was not saved. Free some space and try again; nothing saved before is lost")]
    DiskFull,
}

impl Refusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NoCommunityYet
            | Self::UnknownCommunity { .. }
            | Self::NoSuchTask { .. }
            | Self::NoSuchEntry { .. }
            | Self::NoSuchProposal { .. }
            | Self::NoSuchConcern { .. }
            | Self::NoSuchSeries { .. }
            | Self::NoSuchCrew { .. }
            | Self::NoSuchDevice { .. }
            | Self::NoPairing
            | Self::NoSuchGathering { .. }
            | Self::NoSuchGuild { .. }
            | Self::NoSuchMember { .. }
            | Self::NotYoursToSuggest { .. }
            | Self::NotACurrentMember { .. }
            | Self::NoSuchDocument { .. } => ErrorCode::NotFound,
            Self::WhichCommunity { .. }
            | Self::AmbiguousCommunity { .. }
            | Self::AmbiguousTask { .. }
            | Self::AmbiguousEntry { .. }
            | Self::AmbiguousProposal { .. }
            | Self::AmbiguousConcern { .. }
            | Self::AmbiguousSeries { .. }
            | Self::AmbiguousCrew { .. }
            | Self::AmbiguousDevice { .. }
            | Self::AmbiguousGathering { .. }
            | Self::AmbiguousGuild { .. }
            | Self::AmbiguousMember { .. } => ErrorCode::Ambiguous,
            Self::DiskFull => ErrorCode::Storage,
            _ => ErrorCode::Invalid,
        }
    }
}

/// Everything that can go wrong in the node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("this data directory has no identity yet: run `weft init --name \"Your name\"` first")]
    NotInitialised,
    #[error("this data directory already belongs to {name}")]
    AlreadyInitialised { name: String },
    /// Something looked up by id that is not there (a front end gets ids from the node, so
    /// this is rare and has no detail).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Invite(#[from] InviteError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the document could not be changed: {0}")]
    Write(String),
    #[error("the data directory is used by another Weft process that does not answer; close it and try again")]
    Busy,
    #[error("the control socket failed: {0}")]
    Control(#[from] std::io::Error),
    #[error("the node has stopped")]
    Stopped,
    #[error("{0}")]
    Network(String),
    /// Something that should not happen happened.
    #[error("{0}")]
    Internal(String),
}

impl From<WriteError> for NodeError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Validation(v) => Self::Invalid(v),
            other => Self::Write(other.to_string()),
        }
    }
}

impl From<weft_match::MatchError> for NodeError {
    fn from(e: weft_match::MatchError) -> Self {
        match e {
            weft_match::MatchError::UnknownMember(m) => Self::NotFound(format!(
                "member {} is not a current member of this community: there is nothing to suggest to them",
                m.short()
            )),
        }
    }
}

impl NodeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotInitialised => ErrorCode::NotInitialised,
            Self::AlreadyInitialised { .. } => ErrorCode::AlreadyInitialised,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Network(_) => ErrorCode::Network,
            Self::Invalid(_) | Self::Invite(_) => ErrorCode::Invalid,
            Self::Refused(r) => r.code(),
            Self::Busy => ErrorCode::Busy,
            Self::Store(StoreError::Busy { .. }) => ErrorCode::Busy,
            Self::Store(_) | Self::Control(_) => ErrorCode::Storage,
            Self::Write(_) | Self::Stopped | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Exactly what was refused, for front ends that word it themselves.
    pub fn detail(&self) -> Option<ErrorDetail> {
        match self {
            Self::Invalid(v) => Some(ErrorDetail::Invalid(v.clone())),
            Self::Refused(r) => Some(ErrorDetail::Refused(r.clone())),
            Self::Invite(i) => Some(ErrorDetail::Invite(i.clone())),
            Self::Store(StoreError::DiskFull) => Some(ErrorDetail::Refused(Refusal::DiskFull)),
            _ => None,
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        Self { code: e.code(), message: e.to_string(), detail: e.detail() }
    }
}

#[cfg(test)]
mod tests {
    use weft_core::Minutes;
    use weft_core::validate::Field;

    use super::*;

    #[test]
    fn a_detail_is_flat_json_with_its_kind_and_reads_back() {
        let cases = [
            (
                NodeError::Invalid(ValidationError::TooLong { field: Field::Title, len: 130, max: 120 }),
                serde_json::json!({ "kind": "too_long", "field": "title", "len": 130, "max": 120 }),
            ),
            (
                NodeError::Refused(Refusal::SuggestionLimit { limit: 0, max: 100 }),
                serde_json::json!({ "kind": "suggestion_limit", "limit": 0, "max": 100 }),
            ),
            (NodeError::Invite(InviteError::Checksum), serde_json::json!({ "kind": "invite_code_checksum" })),
            (
                NodeError::Invalid(ValidationError::EntryHours { minutes: Minutes(1500), max: Minutes(1440) }),
                serde_json::json!({ "kind": "entry_hours", "minutes": 1500, "max": 1440 }),
            ),
        ];
        for (error, detail) in cases {
            let message = error.to_string();
            let api = ApiError::from(error);
            assert_eq!(api.message, message, "the English message is the error's own");
            let json = serde_json::to_value(&api).unwrap();
            assert_eq!(json["detail"], detail);
            let back: ApiError = serde_json::from_value(json).unwrap();
            assert_eq!(back, api);
        }
        // Errors without a detail say so, and an older answer without the field still reads.
        let json = serde_json::to_value(ApiError::new(ErrorCode::Busy, "busy")).unwrap();
        assert_eq!(json["detail"], serde_json::Value::Null);
        let old: ApiError = serde_json::from_str(r#"{"code":"busy","message":"busy"}"#).unwrap();
        assert_eq!(old.detail, None);
    }

    #[test]
    fn a_full_disk_is_a_storage_error_with_its_own_detail_and_words() {
        let api = ApiError::from(NodeError::Store(StoreError::DiskFull));
        assert_eq!(api.code, ErrorCode::Storage);
        assert_eq!(api.detail, Some(ErrorDetail::Refused(Refusal::DiskFull)));
        assert_eq!(serde_json::to_value(&api.detail).unwrap(), serde_json::json!({ "kind": "disk_full" }));
        assert_eq!(
            api.message,
            "the disk is full: this was not saved. Free some space and try again; nothing saved before is lost"
        );
        assert_eq!(api.message, Refusal::DiskFull.to_string(), "the store's words and the refusal's are one");
        assert_eq!(Refusal::DiskFull.code(), ErrorCode::Storage);
    }

    #[test]
    fn messages_stay_as_the_cli_prints_them() {
        let said = |e: NodeError| e.to_string();
        assert_eq!(
            said(ValidationError::TooLong { field: Field::Title, len: 130, max: 120 }.into()),
            "the title is too long: 130 characters, at most 120"
        );
        assert_eq!(
            said(ValidationError::Empty { field: Field::Concern }.into()),
            "the concern is empty: say what the concern is"
        );
        assert_eq!(
            said(ValidationError::EntryHours { minutes: Minutes(1500), max: weft_core::validate::ENTRY_MAX }.into()),
            "25 h is not a possible entry: log more than 0 and at most 24 h for one day"
        );
        assert_eq!(
            said(Refusal::UnknownCommunity { reference: "x".into(), known: vec![] }.into()),
            "no community called 'x' here; communities: none yet"
        );
        assert_eq!(
            said(Refusal::WhichCommunity { known: vec!["A".into(), "B".into()] }.into()),
            "this data directory has 2 communities: say which with --community (A, B)"
        );
        assert_eq!(
            said(Refusal::ShortReference { reference: "ab".into(), thing: Thing::Task, min: MIN_ID_PREFIX }.into()),
            "'ab' is too short to find a task: give at least 4 characters of its id"
        );
        assert_eq!(
            said(InviteError::Length { len: 3 }.into()),
            "an invitation code has 48 letters and digits (dashes optional); this one has 3"
        );
    }
}
