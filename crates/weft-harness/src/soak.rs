//! The soak: a community's month of work carried by peers that are killed and started again,
//! partitioned and healed, over lossy links, in simulated time. At every week's end, and at
//! the end, everything heals and every peer starts: then every peer must hold the same
//! documents, and every change any peer reported done. `tests/soak.rs` runs a short one;
//! `scripts/soak.sh --hours N` runs month after month (a new seed each) for N hours and
//! prints the figures.

use std::time::{Duration, Instant};

use weft_core::CommunityId;
use weft_core::doc::DocName;
use weft_core::model::ProfileUpdate;
use weft_node::api::PledgeActionInput;
use weft_node::{Request, Response};

use crate::{Rng, Sim, SimConfig, Stats, workload};

/// What one soak does.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    pub seed: u64,
    /// Computers running Weft (each a member's).
    pub peers: usize,
    /// The community whose work they carry: its writes per day are those of this many
    /// members (a member gives about three hours a week, in one or two sittings, and pledges,
    /// posts and edits around them).
    pub members: usize,
    pub days: u32,
    /// Per mille of messages lost, and of requests delivered twice.
    pub loss: u32,
    pub duplicate: u32,
    /// Peers killed per simulated day, on average (each stays down from a moment to a few
    /// hours of the day, or overnight).
    pub kills_per_day: u32,
    /// Partitions per simulated day, on average (each heals within the day).
    pub partitions_per_day: u32,
    /// Peers whose clocks are wrong: the last ones, alternately days ahead and behind.
    pub wrong_clocks: usize,
    /// How much simulated time the end of a week may take to converge before it is a failure.
    pub converge_within: Duration,
}

impl SoakConfig {
    /// A month of a 120-member community on 20 peers: about 1,350 changes, 830 kills and 100
    /// partitions healed.
    pub fn month(seed: u64) -> Self {
        Self {
            seed,
            peers: 20,
            members: 120,
            days: 30,
            loss: 50,
            duplicate: 10,
            kills_per_day: 54,
            partitions_per_day: 6,
            wrong_clocks: 2,
            converge_within: Duration::from_secs(3_600),
        }
    }
}

/// What a soak measured.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    pub days: u32,
    pub writes: usize,
    pub kills: u64,
    pub partitions_healed: u64,
    /// Checkpoints (each week's end, and the end) at which every peer was compared.
    pub checkpoints: u32,
    /// Simulated time each checkpoint took to converge once everything healed.
    pub converged_after: Vec<Duration>,
    /// Changes reported done and missing on some peer at the end (0, or the soak failed).
    pub lost: usize,
    /// Peers whose documents differ from the others' at the end (0, or the soak failed).
    pub divergent: usize,
    pub stats: Stats,
    pub real: Duration,
}

/// A soak that failed: what went wrong, and what it had measured until then.
#[derive(Debug)]
pub struct SoakFailure {
    pub why: String,
    pub report: Box<SoakReport>,
}

impl std::fmt::Display for SoakFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (after {} days, {} kills)", self.why, self.report.days, self.report.kills)
    }
}

impl std::error::Error for SoakFailure {}

/// A partition in force: the peers it split, and the step it heals at.
struct Split {
    heals_at: u32,
}

/// The day is cut into this many steps: each a few writes, perhaps a fault, and a minute or
/// two of the network running.
const STEPS_PER_DAY: u32 = 16;

/// Runs one soak. Fails at the first checkpoint where a change reported done is missing, the
/// peers do not converge, or an honest peer was penalised.
pub fn run(config: &SoakConfig) -> Result<SoakReport, SoakFailure> {
    let started = Instant::now();
    let mut report = SoakReport::default();
    let fail = |why: String, report: &SoakReport| SoakFailure { why, report: Box::new(report.clone()) };
    let sim_config =
        SimConfig { seed: config.seed, loss: config.loss, duplicate: config.duplicate, ..SimConfig::default() };
    let mut sim = Sim::new(sim_config);
    let community = workload::community(&mut sim, config.peers, 2, config.seed).map_err(|e| fail(e, &report))?;
    let mut rng = Rng::new(config.seed ^ 0x50a6);
    let n = config.peers;
    for (k, p) in (n.saturating_sub(config.wrong_clocks)..n).enumerate() {
        let days = 2 + i64::try_from(k / 2).unwrap_or(0);
        let ms = days * 86_400_000 * if k % 2 == 0 { 1 } else { -1 };
        sim.skew_clock(p, ms).map_err(|e| fail(e, &report))?;
    }
    // Writes a day: members × (about 0.35 sittings logged, and as many pledges, posts and
    // edits between them).
    let writes_per_day = (config.members * 7).div_ceil(10);
    // Steps until each down peer starts again.
    let mut down_until: Vec<Option<u32>> = vec![None; n];
    let mut split: Option<Split> = None;
    let mut pledged: Vec<Vec<String>> = vec![Vec::new(); n];
    let per_step = |per_day: u32| -> u32 { per_day * 1000 / STEPS_PER_DAY };
    for day in 0..config.days {
        for step in 0..STEPS_PER_DAY {
            // Those whose time down is over start again.
            for (p, until) in down_until.iter_mut().enumerate() {
                if until.is_some_and(|u| u <= step) {
                    sim.restart(p).map_err(|e| fail(e, &report))?;
                    *until = None;
                }
            }
            if split.as_ref().is_some_and(|s| s.heals_at <= step) {
                sim.heal();
                split = None;
                report.partitions_healed += 1;
            }
            // Kills: per mille per step, several possible (at most half the peers down).
            let mut kills = per_step(config.kills_per_day);
            while kills > 0 {
                let chance = kills.min(1000);
                kills -= chance;
                let down = down_until.iter().filter(|d| d.is_some()).count();
                if rng.chance(chance) && down < n / 2 {
                    let p = pick(&mut rng, n);
                    if down_until[p].is_none() {
                        sim.kill(p).map_err(|e| fail(e, &report))?;
                        // Back at once (a crash and a restart), within the day, or tomorrow.
                        let away = match rng.below(4) {
                            0 => 0,
                            1 | 2 => 1 + below(&mut rng, 4),
                            _ => STEPS_PER_DAY,
                        };
                        if away == 0 {
                            sim.restart(p).map_err(|e| fail(e, &report))?;
                        } else {
                            down_until[p] = Some(step + away);
                        }
                    }
                }
            }
            if split.is_none() && step + 4 < STEPS_PER_DAY && rng.chance(per_step(config.partitions_per_day).min(1000))
            {
                let groups = partition(&mut rng, n);
                // A third of them silent: a router that died, nobody told.
                sim.partition(&groups, rng.chance(333));
                split = Some(Split { heals_at: step + 1 + below(&mut rng, 3) });
            }
            // The step's writes, by members whose computers are up.
            let writes = writes_per_day / STEPS_PER_DAY as usize
                + usize::from(rng.below(STEPS_PER_DAY as u64) < (writes_per_day % STEPS_PER_DAY as usize) as u64);
            for _ in 0..writes {
                let p = pick(&mut rng, n);
                if !sim.is_down(p) {
                    act(&mut sim, p, &mut rng, &mut pledged).map_err(|e| fail(e, &report))?;
                }
            }
            sim.run_for(Duration::from_secs(30 + rng.below(90)));
        }
        // Night: the day's partition heals, and the clock moves to the next morning. Peers
        // down overnight stay down until tomorrow's first steps.
        if split.take().is_some() {
            sim.heal();
            report.partitions_healed += 1;
        }
        for until in down_until.iter_mut().flatten() {
            *until = until.saturating_sub(STEPS_PER_DAY);
        }
        sim.run_for(Duration::from_secs(120));
        sim.skip(Duration::from_secs(14 * 3_600));
        report.days = day + 1;
        report.kills = sim.stats.kills;
        report.writes = sim.writes();
        let week_end = (day + 1) % 7 == 0 || day + 1 == config.days;
        if week_end {
            for (p, until) in down_until.iter_mut().enumerate() {
                if until.take().is_some() {
                    sim.restart(p).map_err(|e| fail(e, &report))?;
                }
            }
            checkpoint(&mut sim, community, config, &mut report).map_err(|e| fail(e, &report))?;
        }
    }
    report.stats = sim.stats.clone();
    report.real = started.elapsed();
    Ok(report)
}

/// Every peer up and connected: they converge, and nothing reported done is missing.
fn checkpoint(
    sim: &mut Sim,
    community: CommunityId,
    config: &SoakConfig,
    report: &mut SoakReport,
) -> Result<(), String> {
    sim.heal();
    report.checkpoints += 1;
    match sim.run_until_converged(community, config.converge_within) {
        Ok(took) => report.converged_after.push(took),
        Err(why) => {
            report.divergent = divergent(sim, community);
            return Err(format!("checkpoint {}: {why}", report.checkpoints));
        }
    }
    let missing = sim.missing_writes();
    report.lost = missing.len();
    if !missing.is_empty() {
        return Err(format!(
            "checkpoint {}: {} changes reported done are missing, e.g. {:?}",
            report.checkpoints,
            missing.len(),
            &missing[..missing.len().min(3)]
        ));
    }
    let incidents = sim.incidents();
    if !incidents.is_empty() {
        return Err(format!("checkpoint {}: honest peers were penalised: {incidents:?}", report.checkpoints));
    }
    Ok(())
}

/// How many peers hold something other than what most hold.
fn divergent(sim: &mut Sim, community: CommunityId) -> usize {
    let heads: Vec<_> = sim
        .manifests(community)
        .into_iter()
        .map(|m| m.map(|m| m.docs.into_iter().map(|d| (d.name, d.heads)).collect::<Vec<_>>()))
        .collect();
    let most = heads.iter().map(|h| heads.iter().filter(|o| *o == h).count()).max().unwrap_or(0);
    heads.len() - most
}

fn pick(rng: &mut Rng, n: usize) -> usize {
    usize::try_from(rng.below(n as u64)).unwrap_or(0)
}

fn below(rng: &mut Rng, n: u32) -> u32 {
    u32::try_from(rng.below(u64::from(n))).unwrap_or(0)
}

/// Two halves, three groups, or one peer alone.
fn partition(rng: &mut Rng, n: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, pick(rng, i + 1));
    }
    match rng.below(3) {
        0 => vec![order[..n / 2].to_vec(), order[n / 2..].to_vec()],
        1 => vec![order[..n / 3].to_vec(), order[n / 3..2 * n / 3].to_vec(), order[2 * n / 3..].to_vec()],
        _ => vec![order[..1].to_vec(), order[1..].to_vec()],
    }
}

/// One member's write: hours logged most often, then pledges, tasks posted, pledges kept or
/// withdrawn, and profile edits. A refused write (a task full or gone) is not counted.
fn act(sim: &mut Sim, peer: usize, rng: &mut Rng, pledged: &mut [Vec<String>]) -> Result<(), String> {
    match rng.below(20) {
        0..=7 => workload::log_hour(sim, peer),
        8..=11 => {
            let tasks = match sim.peers[peer].core.execute(Request::TaskList {
                community: None,
                sector: None,
                open_only: true,
            }) {
                Ok(Response::Tasks(t)) => t,
                _ => Vec::new(),
            };
            let Some(task) = rng.pick(&tasks).map(|t| t.task.id.to_string()) else { return Ok(()) };
            if pledged[peer].contains(&task) {
                return Ok(());
            }
            let request = Request::Pledge { task: task.clone(), action: PledgeActionInput::Pledge };
            if sim.write(peer, request, Some(DocName::Board)).is_ok() {
                pledged[peer].push(task);
            }
            Ok(())
        }
        12..=14 => {
            let title = format!("task {} by {peer}", rng.below(1_000_000));
            let _ = sim.write(peer, workload::task(title)?, Some(DocName::Board));
            Ok(())
        }
        15..=17 => {
            if pledged[peer].is_empty() {
                return Ok(());
            }
            let task = pledged[peer].swap_remove(pick(rng, pledged[peer].len()));
            let action = if rng.chance(800) { PledgeActionInput::Done } else { PledgeActionInput::Withdraw };
            let _ = sim.write(peer, Request::Pledge { task, action }, Some(DocName::Board));
            Ok(())
        }
        _ => {
            let hours = u32::try_from(rng.below(10)).unwrap_or(0) + 1;
            let update = ProfileUpdate {
                hours_per_week: Some(weft_core::Minutes::from_hours(hours)),
                ..ProfileUpdate::default()
            };
            let _ = sim.write(peer, Request::ProfileSet { community: None, update }, Some(DocName::People));
            Ok(())
        }
    }
}
