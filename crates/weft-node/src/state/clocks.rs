//! Other computers' clocks, as their changes show them.
//!
//! Every change carries its writer's wall clock, and a member's dates (a task posted, hours
//! logged "today") come from it. A computer whose clock is days off still writes valid,
//! verified changes: nothing is refused for its dates. But others would read them wrong — an
//! urgent task from a clock three days behind looks three days old on arrival and is escalated
//! at once; one from a clock ahead waits days too long; its hours land in a later week.
//!
//! Gossip arrives within seconds of the write, so a gossiped change's time minus the time it
//! arrives here is its writer's clock offset, give or take the network. The median of a
//! device's last few offsets is taken as its clock's; once it is off by more than
//! [`OFF_AFTER`], the device's member is named in `weft peers`, the dates it writes are
//! flagged where they are shown, and urgency (escalation, and the matcher's "waiting for")
//! counts from the corrected time of its tasks. Sync brings history of any age, so it says
//! nothing about clocks (a change synced late is old, not off).

use std::collections::{BTreeMap, HashMap, VecDeque};

use weft_core::DeviceId;
use weft_core::id::MemberId;
use weft_core::model::Task;

/// A clock off by less than this is taken as right (networks, and clocks set by hand).
pub(crate) const OFF_AFTER: i64 = 3_600_000;
/// How many of a device's latest offsets the estimate weighs.
const SAMPLES: usize = 9;
/// Devices watched at most (the least recently heard go first).
const DEVICES_MAX: usize = 4_096;

#[derive(Debug, Default)]
pub(crate) struct Clocks {
    devices: HashMap<DeviceId, Watch>,
    heard: u64,
}

#[derive(Debug)]
struct Watch {
    member: Option<MemberId>,
    name: String,
    recent: VecDeque<i64>,
    heard: u64,
}

impl Clocks {
    /// A change of `device`'s (its member's `name`) written at `written` arrived by gossip
    /// at `now`, both in milliseconds.
    pub(crate) fn observe(&mut self, device: DeviceId, member: Option<MemberId>, name: &str, written: i64, now: i64) {
        self.heard += 1;
        if !self.devices.contains_key(&device) && self.devices.len() >= DEVICES_MAX {
            let oldest = self.devices.iter().min_by_key(|(_, w)| w.heard).map(|(d, _)| *d);
            if let Some(d) = oldest {
                self.devices.remove(&d);
            }
        }
        let w = self.devices.entry(device).or_insert_with(|| Watch {
            member,
            name: name.to_owned(),
            recent: VecDeque::with_capacity(SAMPLES),
            heard: 0,
        });
        if w.recent.len() == SAMPLES {
            w.recent.pop_front();
        }
        w.recent.push_back(written.saturating_sub(now));
        w.heard = self.heard;
        if member.is_some() {
            w.member = member;
        }
        if !name.is_empty() {
            w.name = name.to_owned();
        }
    }

    /// How far each device's clock is from the others', and this computer's own: each
    /// device's median offset taken against the median of them all (this computer's own, 0,
    /// among them). When one computer's clock is wrong, every other looks off to it by the
    /// same amount, so it is its own clock that is off.
    fn estimates(&self) -> (i64, HashMap<DeviceId, i64>) {
        let medians: HashMap<DeviceId, i64> =
            self.devices.iter().filter_map(|(d, w)| Some((*d, w.median()?))).collect();
        let mut all: Vec<i64> = medians.values().copied().chain(std::iter::once(0)).collect();
        all.sort_unstable();
        let consensus = if all.len() >= 3 { all[all.len() / 2] } else { 0 };
        (consensus.saturating_neg(), medians.into_iter().map(|(d, m)| (d, m.saturating_sub(consensus))).collect())
    }

    /// How far this computer's own clock seems off from the others', if by more than
    /// [`OFF_AFTER`] (at least two others heard).
    pub(crate) fn own_off(&self) -> Option<i64> {
        let (own, _) = self.estimates();
        (own.abs() >= OFF_AFTER).then_some(own)
    }

    /// How far `device`'s clock is off, if it is off by more than [`OFF_AFTER`].
    #[cfg(test)]
    pub(crate) fn off(&self, device: &DeviceId) -> Option<i64> {
        self.estimates().1.get(device).copied().filter(|o| o.abs() >= OFF_AFTER)
    }

    /// The members whose computer's clock is off, by how much (the most recently heard of
    /// their computers).
    pub(crate) fn members_off(&self) -> HashMap<MemberId, i64> {
        let (_, offsets) = self.estimates();
        let mut latest: HashMap<MemberId, (u64, i64)> = HashMap::new();
        for (d, w) in &self.devices {
            if let (Some(m), Some(o)) = (w.member, offsets.get(d)) {
                let e = latest.entry(m).or_insert((0, 0));
                if w.heard >= e.0 {
                    *e = (w.heard, *o);
                }
            }
        }
        latest.into_iter().filter(|(_, (_, o))| o.abs() >= OFF_AFTER).map(|(m, (_, o))| (m, o)).collect()
    }

    /// Each computer whose clock is off, in words, by member name; this one's first.
    pub(crate) fn words(&self) -> Vec<String> {
        let (own, offsets) = self.estimates();
        let way = |o: i64| if o > 0 { "ahead" } else { "behind" };
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        if own.abs() >= OFF_AFTER {
            out.insert(
                String::new(),
                format!(
                    "This computer's clock seems about {} {} of the others': set it right. Until then the \
                     dates it writes are flagged on their computers",
                    about(own.unsigned_abs()),
                    way(own)
                ),
            );
        }
        for (device, w) in &self.devices {
            let Some(off) = offsets.get(device).copied().filter(|o| o.abs() >= OFF_AFTER) else { continue };
            let who = if w.name.is_empty() {
                format!("Computer {}", device.short())
            } else {
                format!("{}'s computer", w.name)
            };
            out.insert(
                format!("{}{}", w.name, device.short()),
                format!(
                    "{who}'s clock is about {} {}: the dates it writes are flagged, and its tasks' urgency \
                     counts from when they were really posted",
                    about(off.unsigned_abs()),
                    way(off)
                ),
            );
        }
        out.into_values().collect()
    }
}

impl Watch {
    fn median(&self) -> Option<i64> {
        let mut sorted: Vec<i64> = self.recent.iter().copied().collect();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied()
    }
}

/// A duration in words, roughly: "3 days", "5 hours".
pub(crate) fn about(ms: u64) -> String {
    const HOUR: u64 = 3_600_000;
    const DAY: u64 = 24 * HOUR;
    match ms {
        ms if ms >= 2 * DAY => format!("{} days", (ms + DAY / 2) / DAY),
        ms if ms >= DAY => "a day".to_owned(),
        ms if ms >= 2 * HOUR => format!("{} hours", (ms + HOUR / 2) / HOUR),
        _ => "an hour".to_owned(),
    }
}

/// A task's posting time as a right clock would have read it: its writer's offset taken off.
pub(crate) fn corrected(task: &Task, off: &HashMap<MemberId, i64>) -> Option<weft_core::Timestamp> {
    off.get(&task.created_by).map(|o| weft_core::Timestamp(task.created_at.millis().saturating_sub(*o)))
}

impl crate::state::State {
    /// Gossiped changes of `community` arrived now, written at these times by these devices.
    pub(crate) fn note_clocks(&mut self, community: weft_core::CommunityId, written: &[(Option<DeviceId>, i64)]) {
        let now = self.clock.now().millis();
        let Some(com) = self.communities.get_mut(&community) else { return };
        let people = com.people();
        for (device, at) in written {
            let Some(device) = device else { continue };
            let member = people.member_of_device(device);
            let name = member.map(|m| m.name.as_str()).unwrap_or_default();
            self.clocks.observe(*device, member.map(|m| m.id), name, *at, now);
        }
    }

    /// Computers whose clocks are off, in words (`weft peers`).
    pub(crate) fn clock_words(&self) -> Vec<String> {
        self.clocks.words()
    }

    /// The members whose computer's clock is off, by how much: this computer's own member
    /// too, if its clock seems off (what it wrote is off alike).
    pub(crate) fn members_clock_off(&self) -> HashMap<MemberId, i64> {
        let mut off = self.clocks.members_off();
        if let (Some(own), Some(me)) = (self.clocks.own_off(), self.me_if_any()) {
            off.insert(me, own);
        }
        off
    }

    /// The time now as the others' clocks read it: this computer's own, unless it seems off.
    pub(crate) fn agreed_now(&self) -> (weft_core::Timestamp, weft_core::Date) {
        let (now, today) = (self.clock.now(), self.clock.today());
        match self.clocks.own_off() {
            None => (now, today),
            Some(off) => {
                let days = (off + off.signum() * 43_200_000) / 86_400_000;
                (weft_core::Timestamp(now.millis().saturating_sub(off)), today.add_days(-days).unwrap_or(today))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_clock_days_off_is_named_and_a_few_stray_samples_are_not() {
        let mut clocks = Clocks::default();
        let (ahead, right, also) =
            (DeviceId::from_bytes([1; 32]), DeviceId::from_bytes([2; 32]), DeviceId::from_bytes([4; 32]));
        let ana = MemberId::from_bytes([3; 32]);
        let now = 1_786_000_000_000;
        for i in 0..5 {
            clocks.observe(ahead, Some(ana), "Ana", now + 3 * DAY + i * 40, now + i * 1_000);
            // Right clocks, and a network that once held a message for two hours.
            let delay = if i == 2 { 2 * 3_600_000 } else { 150 };
            clocks.observe(right, None, "Bea", now - delay, now);
            clocks.observe(also, None, "Cai", now - 90, now);
        }
        assert_eq!(clocks.off(&right), None);
        assert_eq!(clocks.own_off(), None);
        let off = clocks.off(&ahead).unwrap();
        assert!((off - 3 * DAY).abs() < 10_000, "{off}");
        assert_eq!(clocks.members_off().get(&ana).copied(), Some(off));
        let words = clocks.words();
        assert_eq!(words.len(), 1);
        assert!(words[0].starts_with("Ana's computer's clock is about 3 days ahead"), "{words:?}");
    }

    #[test]
    fn when_every_other_clock_looks_off_alike_it_is_this_one() {
        let mut clocks = Clocks::default();
        let now = 1_786_000_000_000;
        for (n, name) in ["Bea", "Cai", "Dan"].iter().enumerate() {
            let device = DeviceId::from_bytes([n as u8 + 1; 32]);
            // This computer is three days ahead: the others' changes look three days old.
            clocks.observe(device, None, name, now - 3 * DAY - 200, now);
        }
        let own = clocks.own_off().unwrap();
        assert!((own - 3 * DAY).abs() < 1_000, "{own}");
        assert!(clocks.members_off().is_empty());
        let words = clocks.words();
        assert_eq!(words.len(), 1, "{words:?}");
        assert!(words[0].starts_with("This computer's clock seems about 3 days ahead"), "{words:?}");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(about(3 * 86_400_000 + 7_000), "3 days");
        assert_eq!(about(30 * 3_600_000), "a day");
        assert_eq!(about(5 * 3_600_000), "5 hours");
    }
}
