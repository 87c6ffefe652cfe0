//! Handlers for the people document: the identity, founding and naming a community, its
//! sectors and guilds, members' profiles and the members directory.

use std::collections::BTreeSet;

use tracing::info;
use weft_core::doc::people::{self, PeopleView};
use weft_core::doc::{DocId, DocName, Document};
use weft_core::model::{Member, ProfileUpdate, Sector};
use weft_core::{CommunityId, GuildId, MemberId, Minutes, SectorId};

use super::State;
use super::community::{Community, Touched};
use crate::api::{IdentityInfo, MemberInfo, Response};
use crate::error::NodeError;
use weft_core::validate::{Field, NAME_MAX};

/// A change to a sector; fields left `None` keep their value.
pub(super) struct SectorChange {
    pub name: Option<String>,
    pub essential: Option<bool>,
    pub baseline: Option<Minutes>,
    pub archived: Option<bool>,
}

impl State {
    pub(super) fn init(&mut self, name: &str) -> Result<Response, NodeError> {
        if let Some(existing) = &self.identity {
            return Err(NodeError::AlreadyInitialised { name: existing.name.clone() });
        }
        let name = weft_core::validate::text(Field::Name, name, NAME_MAX)?;
        self.identity = Some(self.store.create_identity(&name)?);
        self.whoami().map(Response::Identity)
    }

    pub(crate) fn whoami(&self) -> Result<IdentityInfo, NodeError> {
        let stored = self.identity.as_ref().ok_or(NodeError::NotInitialised)?;
        Ok(IdentityInfo {
            name: stored.name.clone(),
            member: stored.identity.member(),
            device: stored.identity.device(),
            data_dir: self.dir.path().display().to_string(),
        })
    }

    pub(super) fn create_community(&mut self, name: &str) -> Result<Response, NodeError> {
        let stored = self.identity.as_ref().ok_or(NodeError::NotInitialised)?;
        let now = self.clock.now();
        let (id, people, genesis) = people::found(&stored.identity, name, &stored.name, now)?;
        let (board, board_genesis) = Document::from_genesis(DocId { community: id, name: DocName::Board })
            .ok_or_else(|| NodeError::Write("could not start the board".into()))?;
        let community_name = PeopleView::read(people.automerge()).name;
        let mono = self.clock.mono();
        self.communities.insert(id, Community::new(id, people, board, BTreeSet::new(), mono));
        let changes = vec![(DocName::People, genesis), (DocName::Board, board_genesis)];
        if let Err(e) = self.persist(id, changes, &[], Some(community_name)) {
            self.communities.remove(&id);
            return Err(e);
        }
        // The community is founded and stored: a failure now (a full disk) must not say it was
        // not, or the member would found it twice. Its first data key is written later, by
        // the first invitation (`create_invite` ensures it), as for a community founded
        // before epochs existed.
        if let Err(e) = self.ensure_epoch(id) {
            tracing::warn!(%e, community = %id.short(), "the community's first data key is not written yet");
        }
        self.community_added(id);
        info!(community = %id.short(), "community created");
        Ok(Response::Community(self.community(id)?.info()))
    }

    pub(super) fn community_list(&mut self) -> Response {
        Response::Communities(self.communities.values_mut().map(Community::info).collect())
    }

    pub(super) fn rename_community(&mut self, community: Option<&str>, name: &str) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        self.write_people(c, |people, w| Ok((people.rename_community(&w.me, name, w.now)?, [Touched::Settings])))?;
        let info = self.community(c)?.info();
        // The new name is stored (in the people document); the row's copy is a label for a
        // salvage, and a failure to update it (a full disk) must not say the rename was lost.
        if let Err(e) = self.store.rename_community(c, &info.name) {
            tracing::warn!(%e, community = %c.short(), "the community's row keeps its old name for now");
        }
        Ok(Response::Community(info))
    }

    pub(super) fn set_sector(
        &mut self,
        community: Option<&str>,
        sector: SectorId,
        change: SectorChange,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let people = self.community(c)?.people();
        let next_order = people.sectors.values().map(|s| s.order + 1).max().unwrap_or(0);
        let mut s = people.sectors.get(&sector).cloned().unwrap_or(Sector {
            id: sector.clone(),
            name: sector.as_str().to_owned(),
            essential: false,
            baseline: Minutes::from_hours(20),
            order: next_order,
            archived: false,
        });
        if let Some(n) = change.name {
            s.name = n;
        }
        s.essential = change.essential.unwrap_or(s.essential);
        s.baseline = change.baseline.unwrap_or(s.baseline);
        s.archived = change.archived.unwrap_or(s.archived);
        self.write_people(c, |people, w| Ok((people.set_sector(&w.me, &s, w.now)?, [Touched::Settings])))?;
        self.sector_list(c)
    }

    pub(super) fn sectors(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        self.sector_list(c)
    }

    fn sector_list(&mut self, c: CommunityId) -> Result<Response, NodeError> {
        let people = self.community(c)?.people();
        Ok(Response::Sectors(people.active_sectors().into_iter().cloned().collect()))
    }

    pub(super) fn add_guild(
        &mut self,
        community: Option<&str>,
        name: &str,
        sector: &SectorId,
        description: &str,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let id = GuildId::random();
        self.write_people(c, |people, w| {
            Ok((people.add_guild(id, &w.me, name, sector, description, w.now)?, [Touched::Settings]))
        })?;
        let guild = self.communities.get_mut(&c).and_then(|com| com.people().guilds.get(&id).cloned());
        guild.map(Response::Guild).ok_or_else(|| NodeError::Write("the new guild is missing".into()))
    }

    pub(super) fn guilds(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let people = self.community(c)?.people();
        let mut guilds: Vec<_> = people.guilds.values().filter(|g| !g.archived).cloned().collect();
        guilds.sort_by(|a, b| a.sector.cmp(&b.sector).then(a.name.cmp(&b.name)));
        Ok(Response::Guilds(guilds))
    }

    pub(super) fn set_profile(
        &mut self,
        community: Option<&str>,
        update: &ProfileUpdate,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let me = self.me()?;
        self.write_people(c, |people, w| Ok((people.update_profile(&w.me, update, w.now)?, [Touched::Member(me)])))?;
        self.member_info(c, me).map(Response::Member)
    }

    pub(super) fn show_profile(
        &mut self,
        community: Option<&str>,
        member: Option<&str>,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let who = match member {
            Some(m) => self.resolve_member(c, m)?,
            None => self.me()?,
        };
        self.member_info(c, who).map(Response::Member)
    }

    /// The members directory: names and profiles, by name; no hours, no rankings.
    pub(super) fn members(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let me = self.me_if_any();
        let people = self.community(c)?.people();
        let mut members: Vec<MemberInfo> = people.current_members().map(|m| to_member_info(m, me)).collect();
        members.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(Response::Members(members))
    }

    pub(super) fn member_info(&mut self, c: CommunityId, who: MemberId) -> Result<MemberInfo, NodeError> {
        let me = self.me_if_any();
        let people = self.community(c)?.people();
        let m = people.members.get(&who).ok_or_else(|| NodeError::NotFound(format!("no member {}", who.short())))?;
        Ok(to_member_info(m, me))
    }
}

fn to_member_info(m: &Member, me: Option<MemberId>) -> MemberInfo {
    MemberInfo {
        id: m.id,
        name: m.name.clone(),
        admitted_at: m.admitted_at,
        devices: super::count(m.devices.len()),
        profile: m.profile.clone(),
        is_me: me == Some(m.id),
    }
}
