//! Errors of the node, and their form at the API boundary: a stable code and a message a
//! person can act on. Front ends branch on the code, show the message, and never parse it.

use std::fmt;

use serde::{Deserialize, Serialize};
use weft_core::ValidationError;
use weft_core::doc::WriteError;
use weft_store::StoreError;

/// What kind of failure, for front ends to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// Everything that can go wrong in the node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("this data directory has no identity yet: run `weft init --name \"Your name\"` first")]
    NotInitialised,
    #[error("this data directory already belongs to {name}")]
    AlreadyInitialised { name: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Ambiguous(String),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    BadRequest(String),
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
            Self::Ambiguous(_) => ErrorCode::Ambiguous,
            Self::Invalid(_) | Self::BadRequest(_) => ErrorCode::Invalid,
            Self::Busy => ErrorCode::Busy,
            Self::Store(StoreError::Busy { .. }) => ErrorCode::Busy,
            Self::Store(_) | Self::Control(_) => ErrorCode::Storage,
            Self::Write(_) | Self::Stopped => ErrorCode::Internal,
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        Self { code: e.code(), message: e.to_string() }
    }
}
