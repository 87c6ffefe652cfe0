//! What people type (names, id prefixes) resolved to ids, with errors that say what exists.

use weft_core::{CommunityId, EntryId, GuildId, MemberId, TaskId};

use super::{State, count};
use crate::error::{MIN_ID_PREFIX, NodeError, Refusal, Thing};

impl State {
    /// A community by id, id prefix or name; or the only one, when none is given.
    pub(super) fn resolve_community(&mut self, reference: Option<&str>) -> Result<CommunityId, NodeError> {
        let Some(r) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
            return match self.communities.len() {
                0 => Err(Refusal::NoCommunityYet.into()),
                _ if self.communities.len() == 1 => {
                    self.communities.keys().next().copied().ok_or_else(|| NodeError::NotFound("no community".into()))
                }
                _ => Err(Refusal::WhichCommunity { known: self.community_names() }.into()),
            };
        };
        let lower = r.to_lowercase();
        let mut by_name = Vec::new();
        let mut by_id = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            if c.people().name.to_lowercase() == lower {
                by_name.push(id);
            }
            if lower.len() >= 4 && id.to_string().starts_with(&lower) {
                by_id.push(id);
            }
        }
        let found = if by_name.is_empty() { by_id } else { by_name };
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Refusal::UnknownCommunity { reference: r.to_owned(), known: self.community_names() }.into()),
            _ => Err(Refusal::AmbiguousCommunity { reference: r.to_owned() }.into()),
        }
    }

    fn community_names(&mut self) -> Vec<String> {
        self.communities.values_mut().map(|c| c.people().name.clone()).collect()
    }

    fn check_prefix(reference: &str, thing: Thing) -> Result<String, NodeError> {
        let r = reference.trim().to_lowercase();
        if r.len() < MIN_ID_PREFIX as usize {
            return Err(Refusal::ShortReference { reference: reference.to_owned(), thing, min: MIN_ID_PREFIX }.into());
        }
        Ok(r)
    }

    /// A task by id or unique id prefix, in any community.
    pub(super) fn resolve_task(&mut self, reference: &str) -> Result<(CommunityId, TaskId), NodeError> {
        let r = Self::check_prefix(reference, Thing::Task)?;
        let mut found = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            found.extend(c.board().tasks.keys().filter(|t| t.to_string().starts_with(&r)).map(|t| (id, *t)));
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Refusal::NoSuchTask { reference: reference.to_owned() }.into()),
            _ => Err(Refusal::AmbiguousTask { reference: reference.to_owned(), matches: count(found.len()) }.into()),
        }
    }

    /// An hour entry by id or unique id prefix, in any community and year.
    pub(super) fn resolve_entry(&mut self, reference: &str) -> Result<(CommunityId, i32, EntryId), NodeError> {
        let r = Self::check_prefix(reference, Thing::Entry)?;
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        for c in &ids {
            self.read_all_ledgers(*c)?;
        }
        let mut found = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            for (year, l) in c.views().ledgers {
                found.extend(l.entries.keys().filter(|e| e.to_string().starts_with(&r)).map(|e| (id, *year, *e)));
            }
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Refusal::NoSuchEntry { reference: reference.to_owned() }.into()),
            _ => Err(Refusal::AmbiguousEntry { reference: reference.to_owned(), matches: count(found.len()) }.into()),
        }
    }

    pub(super) fn resolve_guild(&mut self, community: CommunityId, reference: &str) -> Result<GuildId, NodeError> {
        let people = self.community(community)?.people();
        let lower = reference.trim().to_lowercase();
        let matches: Vec<GuildId> = people
            .guilds
            .values()
            .filter(|g| {
                !g.archived
                    && (g.name.to_lowercase() == lower || (lower.len() >= 4 && g.id.to_string().starts_with(&lower)))
            })
            .map(|g| g.id)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(Refusal::NoSuchGuild {
                reference: reference.to_owned(),
                known: people.guilds.values().filter(|g| !g.archived).map(|g| g.name.clone()).collect(),
            }
            .into()),
            _ => Err(Refusal::AmbiguousGuild { reference: reference.to_owned() }.into()),
        }
    }

    pub(super) fn resolve_member(&mut self, community: CommunityId, reference: &str) -> Result<MemberId, NodeError> {
        let people = self.community(community)?.people();
        let lower = reference.trim().to_lowercase();
        let by_name: Vec<MemberId> =
            people.current_members().filter(|m| m.name.to_lowercase() == lower).map(|m| m.id).collect();
        let found = if by_name.is_empty() && lower.len() >= 4 {
            people.members.keys().filter(|m| m.to_string().starts_with(&lower)).copied().collect()
        } else {
            by_name
        };
        match found.as_slice() {
            [one] => Ok(*one),
            [] => match people.members.values().find(|m| m.removed && m.name.to_lowercase() == lower) {
                Some(m) => Err(NodeError::Invalid(weft_core::validate::ValidationError::AlreadyRemoved {
                    name: m.name.clone(),
                })),
                None => {
                    Err(Refusal::NoSuchMember { reference: reference.to_owned(), community: people.name.clone() }
                        .into())
                }
            },
            _ => Err(Refusal::AmbiguousMember { reference: reference.to_owned() }.into()),
        }
    }
}
