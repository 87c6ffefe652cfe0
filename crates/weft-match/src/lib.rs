//! Weft's matcher: what to suggest to each member, and a plan for the community's open work.
//!
//! Pure and deterministic: it reads an [`Input`] (built from the merged documents by
//! [`Input::from_views`], or by weft-sim's simulation) and computes with integers only, in id
//! order, so every device that holds the same documents shows the same suggestions and the same
//! plan. It suggests; it never assigns.
//!
//! - [`suggest`]: a member's ranked suggestions, each with its reasons (skill fit, interest,
//!   rotation against the baseline, the sector's month, urgency, the burnout guard, learned
//!   preferences, travel).
//! - [`suggest_needs`]: linked neighbours' needs a member could help with (a skill the need
//!   names, interest in its sector, hours given to it; travel), ranked, with reasons.
//! - [`plan`]: a min-cost flow over members' weeks and tasks' open places that covers urgent
//!   places first and spreads hours with a convex cost per member.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod flow;
pub mod input;
mod learn;
pub mod needs;
pub mod plan;
pub mod score;
pub mod suggest;

pub use input::{
    CommonsCalls, GatheringTag, Input, MemberInput, Neighbour, SectorInput, Signal, SignalKind, TaskInput,
};
pub use learn::{HALF_DAY_TASK, SHORT_TASK, Size};
pub use needs::{MAX_NEEDS, NeedFacts, NeedInput, NeedReason, NeedSuggestion, suggest_needs};
pub use plan::{Part, Plan, plan, plan_network};
pub use score::{Resting, Term, Terms, Week};
pub use suggest::{Facts, Feature, MatchError, Reason, Suggestion, Suggestions, hours, suggest};
