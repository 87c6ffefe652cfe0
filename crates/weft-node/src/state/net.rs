//! The sync engine on the state thread. Inputs — from the network, and new local changes from
//! writes — are taken in order; an input that arrives while the engine handles another (a
//! write it caused) waits in the queue. Outputs wait in an outbox for the driver, which is
//! woken when a job it did not post left some there; events go straight to the node's stream.

use std::collections::VecDeque;

use tracing::warn;
use weft_core::{CommunityId, DeviceId};

use super::State;
use crate::api::Event;
use crate::clock::Mono;
use crate::error::NodeError;
use crate::sync::{BookSnapshot, Engine, Input, Output, SyncConfig};

/// Wakes the driver: there are outputs to take.
pub(crate) type Wake = Box<dyn Fn() + Send>;

pub(super) struct NetSide {
    /// `None` while it handles an input.
    engine: Option<Box<Engine>>,
    queue: VecDeque<Input>,
    outbox: Vec<Output>,
    wake: Wake,
    /// The driver takes the outbox at the end of the current job: no need to wake it.
    driving: bool,
}

impl State {
    /// Starts the sync engine (the network is up): every community gets its data key if it
    /// has none yet. Returns this device's id.
    pub(crate) fn start_sync(&mut self, config: SyncConfig, wake: Wake) -> Result<DeviceId, NodeError> {
        // A computer waiting to be linked to a member syncs as the device it will be.
        let me = DeviceId::from_bytes(weft_core::identity::SecretKey::from_bytes(self.device_key()?).public());
        let ids = self.community_ids();
        for c in &ids {
            if let Err(e) = self.ensure_epoch(*c) {
                warn!(%e, community = %c.short(), "could not start the community's data key");
            }
        }
        let commons = self.commons_ids();
        self.sync.quotas = crate::sync::Quotas::new(config.quota);
        let engine = Engine::new(config, me, &ids, &commons, self.clock.mono());
        self.net = Some(NetSide {
            engine: Some(Box::new(engine)),
            queue: VecDeque::new(),
            outbox: Vec::new(),
            wake,
            driving: false,
        });
        self.pump();
        self.tend_all_commons();
        self.escalate_all();
        Ok(me)
    }

    pub(crate) fn stop_sync(&mut self) {
        self.net = None;
    }

    /// Hands the engine an input (dropped if the network is not running).
    pub(crate) fn net_input(&mut self, input: Input) {
        let Some(net) = self.net.as_mut() else { return };
        net.queue.push_back(input);
        self.pump();
    }

    /// One input from the driver, and what the engine asks of it: its outputs in order and
    /// when it next needs a tick.
    pub(crate) fn net_job(&mut self, input: Option<Input>) -> (Vec<Output>, Option<Mono>) {
        if let Some(net) = self.net.as_mut() {
            net.driving = true;
        }
        if let Some(input) = input {
            self.net_input(input);
        }
        let Some(net) = self.net.as_mut() else { return (Vec::new(), None) };
        net.driving = false;
        let timer = net.engine.as_ref().and_then(|e| e.next_timer());
        (std::mem::take(&mut net.outbox), timer)
    }

    /// When the engine next needs a tick.
    pub(crate) fn net_timer(&self) -> Option<Mono> {
        self.net.as_ref().and_then(|n| n.engine.as_ref()).and_then(|e| e.next_timer())
    }

    /// What `weft peers` shows of the engine's book.
    pub(crate) fn net_snapshot(&self) -> Option<BookSnapshot> {
        self.net.as_ref().and_then(|n| n.engine.as_ref()).map(|e| e.snapshot())
    }

    /// Announces a community created, joined or generated here (front ends, and the network).
    pub(super) fn community_added(&mut self, c: CommunityId) {
        let _ = self.events.send(Event::CommunityAdded { community: c });
        if let Err(e) = self.ensure_commons(c) {
            warn!(%e, community = %c.short(), "could not start the community's commons");
        }
        self.net_input(Input::CommunityAdded(c));
        self.commons_due(c);
    }

    /// Lets the engine take the queued inputs, one at a time, unless it is already doing so
    /// further up this call stack (then it takes them when it returns there).
    fn pump(&mut self) {
        loop {
            let Some(net) = self.net.as_mut() else { return };
            let Some(mut engine) = net.engine.take() else { return };
            let Some(input) = net.queue.pop_front() else {
                net.engine = Some(engine);
                break;
            };
            let now = self.clock.mono();
            engine.handle(now, input, self);
            let outputs = engine.take_outputs();
            let Some(net) = self.net.as_mut() else { return };
            net.engine = Some(engine);
            for output in outputs {
                match output {
                    Output::Event(e) => {
                        let _ = self.events.send(e);
                    }
                    other => net.outbox.push(other),
                }
            }
        }
        if let Some(net) = &self.net
            && !net.driving
            && !net.outbox.is_empty()
        {
            (net.wake)();
        }
    }
}

#[cfg(test)]
mod tests {
    use automerge::Change;
    use tokio::sync::broadcast;
    use weft_core::doc::DocName;
    use weft_net::wire::{GossipFrame, GossipPayload};

    use super::*;
    use crate::api::{Request, Response};
    use crate::clock::Clock;

    /// Two writes, one right after the other: each leaves the state thread as a sealed gossip
    /// frame, in the order they were written (the second change builds on the first).
    #[test]
    fn writes_leave_sealed_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let data = weft_store::DataDir::open(dir.path().to_path_buf()).unwrap();
        let lock = data.lock().unwrap();
        let (events, _) = broadcast::channel(16);
        let mut state = State::open(data, lock, Clock::system(0), events).unwrap();
        state.execute(Request::Init { name: "Ana".into() }).unwrap();
        let Response::Community(c) = state.execute(Request::CommunityCreate { name: "Riverside".into() }).unwrap()
        else {
            panic!()
        };
        state.start_sync(SyncConfig::default(), Box::new(|| {})).unwrap();
        state.net_job(None);
        for title in ["first", "second"] {
            state
                .execute(Request::GuildAdd {
                    community: None,
                    name: title.into(),
                    sector: "food".parse().unwrap(),
                    description: String::new(),
                })
                .unwrap();
        }
        let (outputs, _) = state.net_job(None);
        let changes: Vec<Change> = outputs
            .iter()
            .filter_map(|o| match o {
                Output::Publish { community, doc: DocName::People, data } if *community == c.id => Some(data),
                _ => None,
            })
            .map(|data| {
                let frame = GossipFrame::decode(data).unwrap();
                let (_, _, payload) = state.open_gossip(&frame).unwrap().expect("sealed with our key");
                let payload = GossipPayload::decode(&payload).unwrap();
                Change::from_bytes(payload.changes[0].bytes.clone()).unwrap()
            })
            .collect();
        assert_eq!(changes.len(), 2, "{outputs:?}");
        assert!(changes[1].deps().contains(&changes[0].hash()), "gossip left in write order");
    }
}
