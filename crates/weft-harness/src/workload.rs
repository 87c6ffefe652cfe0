//! A community at work, for the network to carry: members join, post tasks, pledge, log hours
//! and change their profiles — writes to all three kinds of document.

use weft_core::doc::DocName;
use weft_core::model::{NewTask, ProfileUpdate, Urgency};
use weft_core::{CommunityId, Minutes, TaskId};
use weft_node::api::{PledgeActionInput, TaskInput};
use weft_node::{Request, Response};

use std::collections::BTreeSet;
use std::time::Duration;

use crate::{Rng, Sim, SimConfig, Stats};

/// `n` peers: the first founds a community and every other joins it with an invitation from
/// the founder, through the network. Then the founder keeps only some of those connections and
/// each peer connects to its ring neighbour and `chords` others at random, so gossip and sync
/// have to travel across several hops.
pub fn community(sim: &mut Sim, n: usize, chords: usize, seed: u64) -> Result<CommunityId, String> {
    let founder = sim.add_peer("Member 0")?;
    let community = sim.found(founder, "Riverside")?;
    for i in 1..n {
        let p = sim.add_peer(&format!("Member {i}"))?;
        sim.join(p, founder, community)?;
    }
    let mut rng = Rng::new(seed);
    for i in 1..n {
        sim.disconnect(founder, i);
    }
    for i in 0..n {
        sim.connect(i, (i + 1) % n);
        for _ in 0..chords {
            let other = usize::try_from(rng.below(n as u64)).unwrap_or(0);
            sim.connect(i, other);
        }
    }
    Ok(community)
}

fn food() -> Result<weft_core::SectorId, String> {
    "food".parse().map_err(|e| format!("{e:?}"))
}

/// A task to post (one hour, three places, in food).
pub fn task(title: String) -> Result<Request, String> {
    Ok(Request::TaskAdd {
        community: None,
        task: TaskInput {
            task: NewTask {
                title,
                description: String::new(),
                sector: food()?,
                guild: None,
                skills: Default::default(),
                hours: Minutes::from_hours(1),
                slots: 3,
                urgency: Urgency::Normal,
                deadline: None,
                location: None,
                open_to_neighbours: false,
            },
            guild_ref: None,
        },
    })
}

/// One member's action, chosen by `rng`: post a task (board), pledge to an open task (board),
/// log an hour (this year's ledger) or change their profile (people). A refused action (a full
/// task, one already pledged) writes nothing and is not counted. Returns whether it wrote.
pub fn act(sim: &mut Sim, peer: usize, rng: &mut Rng) -> Result<bool, String> {
    let written = match rng.below(4) {
        0 => sim.write(peer, task(format!("task {} by {peer}", rng.below(1_000_000)))?, Some(DocName::Board)),
        1 => {
            let open = match sim.peers[peer].core.execute(Request::TaskList {
                community: None,
                sector: None,
                open_only: true,
            }) {
                Ok(Response::Tasks(t)) => t,
                _ => Vec::new(),
            };
            let Some(t) = rng.pick(&open) else { return Ok(false) };
            let request = Request::Pledge { task: t.task.id.to_string(), action: PledgeActionInput::Pledge };
            sim.write(peer, request, Some(DocName::Board))
        }
        2 => return log_hour(sim, peer).map(|()| true),
        _ => {
            let hours = u32::try_from(rng.below(10)).unwrap_or(0) + 1;
            let update = ProfileUpdate { hours_per_week: Some(Minutes::from_hours(hours)), ..ProfileUpdate::default() };
            sim.write(peer, Request::ProfileSet { community: None, update }, Some(DocName::People))
        }
    };
    Ok(written.is_ok())
}

/// A member logs an hour in food, today.
pub fn log_hour(sim: &mut Sim, peer: usize) -> Result<(), String> {
    let year = sim.today().year();
    let request = Request::Log {
        community: None,
        task: None,
        sector: Some(food()?),
        minutes: Minutes::from_hours(1),
        date: None,
        note: String::new(),
    };
    sim.write(peer, request, Some(DocName::Ledger(year))).map(|_| ()).map_err(|e| e.message)
}

/// What the fifty-peer scenario measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Simulated time from the start (joining included) to convergence.
    pub simulated: Duration,
    /// Simulated time from the last heal to convergence.
    pub after_heal: Duration,
    pub writes: usize,
    pub stats: Stats,
}

/// The measured scenario: fifty peers join one community (a ring plus two random links each),
/// with a tenth of all messages lost; members write to the people document, the board and the
/// ledger; the network splits in two (connections close) while both halves write, heals,
/// splits in three without anyone noticing (everything across is lost) while all write, and
/// heals again; then it runs until every peer holds the same three documents and every write
/// reported done. Fails if they do not converge within half an hour of simulated time.
pub fn fifty_peers(seed: u64) -> Result<Report, String> {
    let mut sim = Sim::new(SimConfig { seed, loss: 100, ..SimConfig::default() });
    let community = community(&mut sim, 50, 2, seed)?;
    let mut rng = Rng::new(seed);
    let all: Vec<usize> = (0..50).collect();
    let work = |sim: &mut Sim, rng: &mut Rng, rounds: usize| -> Result<(), String> {
        for _ in 0..rounds {
            for &p in &all {
                if rng.chance(300) {
                    act(sim, p, rng)?;
                }
            }
            sim.run_for(Duration::from_millis(2_000));
        }
        Ok(())
    };
    work(&mut sim, &mut rng, 3)?;
    sim.partition(&[(0..25).collect(), (25..50).collect()], false);
    work(&mut sim, &mut rng, 3)?;
    sim.heal();
    sim.partition(&[(0..17).collect(), (17..34).collect(), (34..50).collect()], true);
    work(&mut sim, &mut rng, 3)?;
    sim.heal();
    let after_heal = sim.run_until_converged(community, Duration::from_secs(1_800))?;
    let missing = sim.missing_writes();
    if !missing.is_empty() {
        return Err(format!(
            "{} writes reported done are missing: {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        ));
    }
    let incidents = sim.incidents();
    if !incidents.is_empty() {
        return Err(format!("honest peers were penalised: {incidents:?}"));
    }
    Ok(Report { simulated: sim.elapsed(), after_heal, writes: sim.writes(), stats: sim.stats.clone() })
}

/// An urgent task due today, open to neighbours and short of people (two places): escalation
/// calls the neighbours for it at once rather than after its 48 hours.
pub fn urgent(title: String, today: weft_core::Date) -> Result<Request, String> {
    let Request::TaskAdd { community, mut task } = task(title)? else {
        return Err("a task is not a TaskAdd".into());
    };
    task.task.urgency = Urgency::Urgent;
    task.task.deadline = Some(today);
    task.task.slots = 2;
    task.task.open_to_neighbours = true;
    Ok(Request::TaskAdd { community, task })
}

/// Communities linked as neighbours, on one network.
#[derive(Debug, Clone)]
pub struct Neighbourhood {
    pub communities: Vec<CommunityId>,
    /// Each community's peers, its founder first.
    pub peers: Vec<Vec<usize>>,
    /// The links, as indexes into `communities` (the first invited, the second accepted).
    pub links: Vec<(usize, usize)>,
}

impl Neighbourhood {
    /// The communities linked to community `i`.
    pub fn neighbours_of(&self, i: usize) -> Vec<usize> {
        self.links
            .iter()
            .filter_map(|&(a, b)| match (a == i, b == i) {
                (true, _) => Some(b),
                (_, true) => Some(a),
                _ => None,
            })
            .collect()
    }

    /// The peers that hold the commons of community `i`: its own and its neighbours'.
    pub fn holders_of(&self, i: usize) -> Vec<usize> {
        let mut out = self.peers[i].clone();
        for n in self.neighbours_of(i) {
            out.extend(&self.peers[n]);
        }
        out
    }

    /// Every commons, with the peers that hold it.
    pub fn holders(&self) -> Vec<(CommunityId, Vec<usize>)> {
        self.communities.iter().enumerate().map(|(i, c)| (*c, self.holders_of(i))).collect()
    }
}

/// Every pair of `n` communities linked (each has `n - 1` neighbours).
pub fn all_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect()
}

/// `n` communities around a ring, each linked to the `k` next ones (so to its `2k` nearest).
pub fn ring(n: usize, k: usize) -> Vec<(usize, usize)> {
    let mut out = BTreeSet::new();
    for a in 0..n {
        for step in 1..=k {
            let b = (a + step) % n;
            if a != b {
                out.insert((a.min(b), a.max(b)));
            }
        }
    }
    out.into_iter().collect()
}

/// `communities` communities of `peers` peers each, every one founded and joined through the
/// network, its peers all connected to each other; then linked pairwise as `links` says, each
/// link made through the engine's protocol (a neighbour invitation by one community's member,
/// accepted by a member of the other: `Link`, `Linked`, each side's commons synced), with
/// `bridges` connections between the two communities' peers (the two who linked first). Runs
/// until every commons is the same on every peer that holds it, and again after ten simulated
/// seconds more (what the first sync brought is tended: rosters copied, commons keys sealed to
/// the neighbours' devices).
pub fn neighbourhood(
    sim: &mut Sim,
    communities: usize,
    peers: usize,
    links: &[(usize, usize)],
    bridges: usize,
) -> Result<Neighbourhood, String> {
    let mut ids = Vec::new();
    let mut all = Vec::new();
    for i in 0..communities {
        let founder = sim.add_peer(&format!("C{i} member 0"))?;
        let community = sim.found(founder, &format!("Community {i}"))?;
        let mut members = vec![founder];
        for m in 1..peers {
            let p = sim.add_peer(&format!("C{i} member {m}"))?;
            sim.join(p, founder, community)?;
            members.push(p);
        }
        for (n, a) in members.iter().enumerate() {
            for b in &members[n + 1..] {
                sim.connect(*a, *b);
            }
        }
        // Its commons tended and the same on every member (the roster evidence a link
        // request carries comes from it) before anyone links.
        sim.run_for(Duration::from_secs(5));
        sim.run_until_commons_converged(&[(community, members.clone())], Duration::from_secs(600))?;
        ids.push(community);
        all.push(members);
    }
    for (n, &(a, b)) in links.iter().enumerate() {
        let (via, who) = (all[a][n % peers], all[b][n % peers]);
        sim.link(who, ids[b], via, ids[a])?;
        for k in 0..bridges.min(peers) {
            sim.connect(all[a][(n + k) % peers], all[b][(n + k) % peers]);
        }
    }
    let hood = Neighbourhood { communities: ids, peers: all, links: links.to_vec() };
    let holders = hood.holders();
    sim.run_until_commons_converged(&holders, Duration::from_secs(600))?;
    sim.run_for(Duration::from_secs(10));
    sim.run_until_commons_converged(&holders, Duration::from_secs(600))?;
    Ok(hood)
}

/// Whether a peer sees an open escalated call for `task` (its own community's or a
/// neighbour's).
pub fn sees_call(core: &mut weft_node::Core, task: TaskId) -> bool {
    match core.execute(Request::Calls { community: None }) {
        Ok(Response::Calls(calls)) => calls.iter().any(|c| c.task == task && c.escalated && c.open),
        _ => false,
    }
}

/// What one escalated call took to reach the peers that hold its commons.
#[derive(Debug, Clone)]
pub struct CallSpread {
    pub task: TaskId,
    /// Simulated time from the task's write to the call's (escalation's jitter and wait).
    pub escalated_after: Duration,
    /// Simulated time from the call's write to its arrival, for every peer but the one that
    /// wrote it; `None` for a peer it did not reach within the limit.
    pub arrivals: Vec<Option<Duration>>,
}

/// A member (`peer` of community `i`) posts an urgent task due today; runs until every peer of
/// the community and of its neighbours sees the escalated call, or `limit` passes.
pub fn escalated_call(
    sim: &mut Sim,
    hood: &Neighbourhood,
    i: usize,
    peer: usize,
    limit: Duration,
) -> Result<CallSpread, String> {
    let posted = sim.elapsed();
    let title = format!("Mend the nets ({i}.{peer})");
    let task = match sim.write(hood.peers[i][peer], urgent(title, sim.today())?, None) {
        Ok(Response::Task(t)) => t.summary.task.id,
        other => return Err(format!("posting the task answered {other:?}")),
    };
    let watched = hood.holders_of(i);
    let when = sim.run_watching(&watched, limit, |core| sees_call(core, task));
    let written = when.values().flatten().min().copied().ok_or("nobody escalated the task")?;
    let mut arrivals: Vec<Option<Duration>> = when.values().map(|w| w.map(|w| w - written)).collect();
    // The writer's own arrival (zero) is no measure of the network.
    if let Some(first) = arrivals.iter().position(|a| *a == Some(Duration::ZERO)) {
        arrivals.remove(first);
    }
    Ok(CallSpread { task, escalated_after: written - posted, arrivals })
}
