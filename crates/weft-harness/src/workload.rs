//! A community at work, for the network to carry: members join, post tasks, pledge, log hours
//! and change their profiles — writes to all three kinds of document.

use weft_core::doc::DocName;
use weft_core::model::{NewTask, ProfileUpdate, Urgency};
use weft_core::{CommunityId, Minutes};
use weft_node::api::{PledgeActionInput, TaskInput};
use weft_node::{Request, Response};

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
