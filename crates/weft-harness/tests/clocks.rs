//! A computer whose clock is days off: its changes are verified and taken like any other, the
//! others name it and flag its dates, and urgency holds for everyone — an urgent task it posts
//! is escalated after the community's 12 hours, not at once (a clock behind) nor days late (ahead), and
//! it does not escalate the others' tasks early itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Duration;

use weft_core::model::Urgency;
use weft_core::{Minutes, TaskId};
use weft_harness::workload::{self, sees_call};
use weft_harness::{Sim, SimConfig};
use weft_node::{Request, Response};

const DAY_MS: i64 = 86_400_000;

/// An urgent task with no deadline, open to neighbours: escalated once it has waited 12 hours
/// (the default).
fn urgent_task(sim: &mut Sim, peer: usize, title: &str) -> TaskId {
    let Request::TaskAdd { community, mut task } = workload::task(title.into()).unwrap() else { unreachable!() };
    task.task.urgency = Urgency::Urgent;
    task.task.open_to_neighbours = true;
    match sim.write(peer, Request::TaskAdd { community, task }, None).unwrap() {
        Response::Task(t) => t.summary.task.id,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_computer_days_off_is_named_its_dates_flagged_and_urgency_holds_for_the_others() {
    if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let mut sim = Sim::new(SimConfig { seed: 91, ..SimConfig::default() });
    // Escalation calls the neighbours: two linked communities, five computers in the first.
    let hood = workload::neighbourhood(&mut sim, 2, 5, &[(0, 1)], 1).unwrap();
    let community = hood.communities[0];
    let a = hood.peers[0].clone();
    let (right, ahead, behind) = (a[0], a[1], a[2]);
    sim.skew_clock(ahead, 3 * DAY_MS).unwrap();
    sim.skew_clock(behind, -3 * DAY_MS).unwrap();
    // A few days of hours logged on every computer, "today" as each one's clock reads it.
    for _ in 0..5 {
        for &p in &a {
            workload::log_hour(&mut sim, p).unwrap();
        }
        sim.run_for(Duration::from_secs(20));
    }
    sim.run_until_converged_among(community, &a, Duration::from_secs(600)).unwrap();
    // Every change was verified and taken: nobody was penalised for its dates.
    assert!(sim.incidents().is_empty(), "{:?}", sim.incidents());

    // The right computers name both; the one ahead knows it is its own clock.
    let words = sim.peers[right].core.clocks();
    println!("{words:#?}");
    assert_eq!(words.len(), 2, "{words:?}");
    assert!(words.iter().any(|w| w.starts_with("C0 member 1's computer's clock is about 3 days ahead")), "{words:?}");
    assert!(words.iter().any(|w| w.starts_with("C0 member 2's computer's clock is about 3 days behind")), "{words:?}");
    let own = sim.peers[ahead].core.clocks();
    assert!(own.iter().any(|w| w.starts_with("This computer's clock seems about 3 days ahead")), "{own:?}");
    assert!(!own.iter().any(|w| w.starts_with("C0 member 0")), "the right clocks look right to it too: {own:?}");

    // Their entries are flagged where others confirm them; the right ones are not.
    let pending = match sim.peers[a[3]].core.execute(Request::Pending { community: None }).unwrap() {
        Response::Pending(p) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(pending.to_confirm.len(), 20, "{pending:?}");
    for e in &pending.to_confirm {
        let off = e.member_name == "C0 member 1" || e.member_name == "C0 member 2";
        assert_eq!(e.clock.is_some(), off, "{e:?}");
    }
    // The month's progress counts every hour, the flagged ones too.
    match sim.peers[right].core.execute(Request::Progress { community: None, month: None }).unwrap() {
        Response::Progress(p) => assert_eq!(p.done, Minutes::from_hours(25), "{p:?}"),
        other => panic!("{other:?}"),
    }

    // Urgent tasks posted by the computers behind and ahead, and by a right one: none is
    // escalated in the first ten hours, by anyone.
    let tasks = [
        urgent_task(&mut sim, behind, "Fix the roof"),
        urgent_task(&mut sim, ahead, "Mend the fence"),
        urgent_task(&mut sim, right, "Dig the well"),
    ];
    sim.run_for(Duration::from_secs(3_600));
    for &p in &a {
        for t in tasks {
            assert!(!sees_call(&mut sim.peers[p].core, t), "{} sees {t} escalated early", sim.peers[p].name);
        }
    }
    sim.skip(Duration::from_secs(9 * 3_600));
    sim.run_for(Duration::from_secs(1_200));
    for &p in &a {
        for t in tasks {
            assert!(!sees_call(&mut sim.peers[p].core, t), "{} sees {t} escalated early", sim.peers[p].name);
        }
    }
    // Past the 12 hours (laptops asleep meanwhile), all three are called, on every computer.
    sim.skip(Duration::from_secs(2 * 3_600));
    let when = sim.run_watching(&a, Duration::from_secs(3_600), |core| tasks.iter().all(|t| sees_call(core, *t)));
    assert!(when.values().all(Option::is_some), "not every computer sees the three calls: {when:?}");
}
