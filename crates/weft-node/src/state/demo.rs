//! The demo handler: a realistic community with a year of history, generated and stored.

use tracing::info;
use weft_core::doc::DocName;
use weft_core::doc::people::PeopleView;
use weft_store::Batch;

use super::{State, count};
use crate::api::{DEMO_MEMBERS_MAX, DEMO_MEMBERS_MIN, DemoInfo, Response};
use crate::error::{NodeError, Refusal};

impl State {
    pub(super) fn demo(&mut self, members: u32, seed: u64, name: Option<String>) -> Result<Response, NodeError> {
        if !(DEMO_MEMBERS_MIN..=DEMO_MEMBERS_MAX).contains(&members) {
            return Err(Refusal::DemoMembers { members, min: DEMO_MEMBERS_MIN, max: DEMO_MEMBERS_MAX }.into());
        }
        if self.identity.is_none() {
            self.identity = Some(self.store.create_identity("You")?);
        }
        let stored = self.identity.as_ref().ok_or(NodeError::NotInitialised)?;
        let opts = weft_demo::DemoOptions { members, seed, today: self.clock.today(), name };
        let demo = weft_demo::generate(&stored.identity, &stored.name, &opts)
            .map_err(|e| NodeError::Write(format!("the demo could not be generated: {e}")))?;
        let id = demo.community;
        if self.communities.contains_key(&id) {
            return Err(Refusal::DemoExists.into());
        }
        let community_name = demo
            .documents
            .iter()
            .find(|d| d.id().name == DocName::People)
            .map(|d| PeopleView::read(d.automerge()).name)
            .unwrap_or_default();
        let batch = Batch { communities: vec![(id, community_name)], changes: demo.changes.clone() };
        self.store.commit(&batch)?;
        for doc in &demo.documents {
            self.store.compact(doc)?;
        }
        self.load_community(id)?;
        self.ensure_epoch(id)?;
        self.community_added(id);
        let s = &demo.summary;
        let info = self.community(id)?.info();
        info!(community = %id.short(), changes = demo.changes.len(), "demo community generated");
        Ok(Response::Demo(DemoInfo {
            community: info,
            members: s.members,
            guilds: s.guilds,
            tasks: s.tasks,
            open_tasks: s.open_tasks,
            urgent_open: s.urgent_open,
            pledges: s.pledges,
            entries: s.entries,
            hours: s.hours,
            changes: count(demo.changes.len()),
        }))
    }
}
