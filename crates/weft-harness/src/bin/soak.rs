//! `soak [--hours H] [--months M] [--seed S] [--days D]`: months of a community's work on the
//! deterministic network, peers killed and started again, partitioned and healed, over lossy
//! links, one month after another (a new seed each) until the hours or months are spent.
//! Prints each month's figures and the totals; exits non-zero at the first change lost or
//! peer diverged, naming the seed that reproduces it. (`scripts/soak.sh` runs it.)
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use weft_harness::soak::{self, SoakConfig};

struct Args {
    hours: Option<f64>,
    months: Option<u64>,
    seed: u64,
    days: u32,
}

fn args() -> Result<Args, String> {
    let mut out = Args { hours: None, months: None, seed: 1, days: 30 };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--hours" => out.hours = Some(value("--hours")?.parse().map_err(|e| format!("--hours: {e}"))?),
            "--months" => out.months = Some(value("--months")?.parse().map_err(|e| format!("--months: {e}"))?),
            "--seed" => out.seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--days" => out.days = value("--days")?.parse().map_err(|e| format!("--days: {e}"))?,
            "-h" | "--help" => {
                return Err("usage: soak [--hours H] [--months M] [--seed S] [--days D (per month, 30)]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if out.hours.is_none() && out.months.is_none() {
        out.months = Some(1);
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let budget = args.hours.map(|h| Duration::from_secs_f64(h * 3_600.0));
    let started = Instant::now();
    let (mut months, mut days, mut writes, mut kills, mut healed, mut checkpoints) =
        (0u64, 0u64, 0usize, 0u64, 0u64, 0u32);
    let mut converged: Vec<Duration> = Vec::new();
    loop {
        if args.months.is_some_and(|m| months >= m) {
            break;
        }
        // A month takes minutes: start another only if the budget likely holds it.
        if let Some(b) = budget {
            let per_month = if months == 0 { Duration::ZERO } else { started.elapsed() / months as u32 };
            if started.elapsed() + per_month > b {
                break;
            }
        }
        let seed = args.seed + months;
        let config = SoakConfig { days: args.days, ..SoakConfig::month(seed) };
        match soak::run(&config) {
            Ok(r) => {
                months += 1;
                days += u64::from(r.days);
                writes += r.writes;
                kills += r.kills;
                healed += r.partitions_healed;
                checkpoints += r.checkpoints;
                converged.extend(&r.converged_after);
                let slowest = r.converged_after.iter().max().copied().unwrap_or_default();
                println!(
                    "month {months} (seed {seed}): {} days, {} writes, {} kills, {} partitions healed, {} checkpoints \
                     converged (slowest {slowest:.1?} simulated), 0 lost, 0 divergent; {} messages lost on the way; \
                     {:.1?} real",
                    r.days, r.writes, r.kills, r.partitions_healed, r.checkpoints, r.stats.lost, r.real
                );
            }
            Err(e) => {
                eprintln!("FAILED at seed {seed}: {e}");
                eprintln!(
                    "  lost {}, divergent {}; reproduce: cargo run --release -p weft-harness --bin soak -- --seed {seed} --months 1 --days {}",
                    e.report.lost, e.report.divergent, args.days
                );
                return ExitCode::FAILURE;
            }
        }
    }
    converged.sort();
    let median = converged.get(converged.len() / 2).copied().unwrap_or_default();
    let max = converged.last().copied().unwrap_or_default();
    println!(
        "soak: {months} months ({days} simulated days) of 20 peers carrying a 120-member community: {writes} changes \
         reported done, {kills} kill/restart cycles, {healed} partitions healed, {checkpoints} checkpoints; 0 changes \
         lost, 0 divergent peers; convergence after healing median {median:.1?}, max {max:.1?} (simulated); {:.0?} real",
        started.elapsed()
    );
    ExitCode::SUCCESS
}
