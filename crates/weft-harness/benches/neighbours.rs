//! The neighbourhood's measure: ten communities of five peers, every pair linked through the
//! engine's protocol, all links healthy, on the deterministic network's ordinary latency (each
//! message 5–80 ms, none lost). An urgent task due today escalates at a member of one community;
//! how long, in simulated time, from the escalated call's write to its arrival at each of the
//! other 49 peers. Reports p50 and p99 over every arrival of every seed, and the real time.
//!
//! `cargo bench -p weft-harness --bench neighbours` (the goal: p99 under 1 s). `cargo test
//! --benches` runs one seed and one call among four communities of three peers, to keep it
//! working. `WEFT_BENCH_SEEDS=N` runs N seeds (default 5), each with a call from each of
//! `WEFT_BENCH_CALLS` communities (default 3). A peer the call did not reach within two
//! simulated minutes counts as two minutes.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use weft_harness::workload;
use weft_harness::{Sim, SimConfig};

/// A peer the call has not reached by then counts as reached then.
const LIMIT: Duration = Duration::from_secs(120);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs one seed, one call.
    let full = std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    let seeds = env("WEFT_BENCH_SEEDS", if full { 5 } else { 1 }) as u64;
    let (communities, peers) = if full { (10, 5) } else { (4, 3) };
    let calls = env("WEFT_BENCH_CALLS", if full { 3 } else { 1 }).clamp(1, communities);
    let mut all = Vec::new();
    let mut missed = 0;
    let mut real = Duration::ZERO;
    for seed in 1..=seeds {
        let started = Instant::now();
        let mut sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
        let links = workload::all_pairs(communities);
        let hood = workload::neighbourhood(&mut sim, communities, peers, &links, 2).unwrap();
        let built = started.elapsed();
        let mut arrivals = Vec::new();
        for k in 0..calls {
            let from = (k * communities / calls + seed as usize) % communities;
            let spread = workload::escalated_call(&mut sim, &hood, from, k % peers, LIMIT).unwrap();
            missed += spread.arrivals.iter().filter(|a| a.is_none()).count();
            arrivals.extend(spread.arrivals.iter().map(|a| a.unwrap_or(LIMIT)));
        }
        let took = started.elapsed();
        real += took;
        arrivals.sort();
        println!(
            "seed {seed}: {} links, {} arrivals: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (simulated); \
             {:.1} s real ({:.1} s building and linking), {} requests, {} gossip messages",
            links.len(),
            arrivals.len(),
            ms(percentile(&arrivals, 50.0)),
            ms(percentile(&arrivals, 99.0)),
            ms(arrivals[arrivals.len() - 1]),
            took.as_secs_f64(),
            built.as_secs_f64(),
            sim.stats.requests,
            sim.stats.gossip,
        );
        all.extend(arrivals);
    }
    all.sort();
    println!(
        "escalated call, {communities} communities × {peers} peers all linked, {seeds} seed(s) × {calls} call(s): \
         {} arrivals, {missed} missed; write → arrival p50 {:.0} ms, p99 {:.0} ms (simulated; goal p99 < 1000 ms); \
         {:.1} s real",
        all.len(),
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 99.0)),
        real.as_secs_f64()
    );
}
