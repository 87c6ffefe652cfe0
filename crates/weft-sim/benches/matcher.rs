//! The matcher's speed: suggestions for one member and the whole plan in a 200-member
//! community with 2,000 open tasks, and plans for a network of 10,000 members and 50,000 open
//! tasks (50 communities of 200, each offered its two neighbours' calls).
//!
//! `cargo bench --workspace --bench matcher`. Under `cargo test --benches` each runs once.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use weft_match::{plan, plan_network, suggest};
use weft_sim::synth;

fn community(c: &mut Criterion) {
    let input = synth::community(42, 200, 2000);
    let p = plan(&input);
    let member = *input.members.keys().nth(17).expect("a member");
    let mut g = c.benchmark_group("community 200 x 2000");
    g.bench_function("suggest one member (plan given)", |b| {
        b.iter(|| suggest(black_box(&input), member, 5, Some(&p)).expect("suggestions"))
    });
    g.bench_function("suggest one member (no plan)", |b| {
        b.iter(|| suggest(black_box(&input), member, 5, None).expect("suggestions"))
    });
    g.bench_function("plan", |b| b.iter(|| plan(black_box(&input))));
    g.finish();
}

fn network(c: &mut Criterion) {
    let inputs = synth::network(7, 50, 10_000, 50_000);
    let mut g = c.benchmark_group("network 10000 x 50000");
    g.sample_size(10);
    g.bench_function("plan every community", |b| b.iter(|| plan_network(black_box(&inputs))));
    g.finish();
}

criterion_group!(benches, community, network);
criterion_main!(benches);
