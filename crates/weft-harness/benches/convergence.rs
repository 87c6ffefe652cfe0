//! The deterministic network's measure: fifty peers, three documents, a tenth of all messages
//! lost, two partitions healed (`weft_harness::workload::fifty_peers`). For each seed, how much
//! simulated time the whole scenario spans, how long after the last heal every peer held the
//! same documents, and the real time it took to run; then the medians.
//!
//! `cargo bench --workspace --bench convergence` (also run once, as a test, by the test
//! command's benchmark step). `WEFT_BENCH_SEEDS=N` runs N seeds (default 5).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs one seed, to keep it working.
    let full = std::env::args().any(|a| a == "--bench");
    let seeds: u64 =
        std::env::var("WEFT_BENCH_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(if full { 5 } else { 1 });
    let (mut real, mut simulated, mut after_heal) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=seeds {
        let started = Instant::now();
        let r = weft_harness::workload::fifty_peers(seed).unwrap();
        let took = started.elapsed();
        println!(
            "seed {seed}: {} writes, {} requests, {} gossip messages, {} lost, {} cut by partitions; \
             converged {:.1} s after the last heal, {:.1} s simulated in all, {:.2} s real",
            r.writes,
            r.stats.requests,
            r.stats.gossip,
            r.stats.lost,
            r.stats.cut,
            r.after_heal.as_secs_f64(),
            r.simulated.as_secs_f64(),
            took.as_secs_f64()
        );
        real.push(took);
        simulated.push(r.simulated);
        after_heal.push(r.after_heal);
    }
    println!(
        "fifty_peers (50 peers × 3 documents, 10% loss, two partitions healed), median of {seeds}: \
         {:.1} s simulated in all, converged {:.1} s after the last heal, {:.2} s real",
        median(simulated).as_secs_f64(),
        median(after_heal).as_secs_f64(),
        median(real).as_secs_f64()
    );
}
