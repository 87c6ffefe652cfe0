//! A member's several computers on the deterministic network: two computers of one member
//! and another member's peer write at once and converge, everything attributed to the one
//! member; a revoked computer is refused everywhere and reads no new gossip; a computer
//! restored from a backup gets the community back from any member's peer, and the peer
//! revokes the lost laptop as it adds the new one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use weft_core::{CommunityId, DocName, MemberId, Minutes, TaskId};
use weft_harness::{Sim, SimConfig, workload};
use weft_node::api::{DevicesInfo, PledgeActionInput};
use weft_node::{Request, Response};

fn task(sim: &mut Sim, peer: usize, title: &str) -> TaskId {
    match sim.write(peer, workload::task(title.to_owned()).unwrap(), Some(DocName::Board)).unwrap() {
        Response::Task(t) => t.summary.task.id,
        other => panic!("{other:?}"),
    }
}

fn pledgers(sim: &mut Sim, peer: usize, task: TaskId) -> Vec<MemberId> {
    match sim.peers[peer].core.execute(Request::TaskShow { task: task.to_string() }).unwrap() {
        Response::Task(t) => t.pledges.iter().map(|p| p.member).collect(),
        other => panic!("{other:?}"),
    }
}

fn titles(sim: &mut Sim, peer: usize) -> Vec<String> {
    match sim.peers[peer].core.execute(Request::TaskList { community: None, sector: None, open_only: false }).unwrap() {
        Response::Tasks(t) => t.into_iter().map(|t| t.task.title).collect(),
        other => panic!("{other:?}"),
    }
}

fn devices(sim: &mut Sim, peer: usize) -> DevicesInfo {
    match sim.peers[peer].core.execute(Request::Devices).unwrap() {
        Response::Devices(d) => d,
        other => panic!("{other:?}"),
    }
}

fn member(sim: &mut Sim, peer: usize) -> MemberId {
    match sim.peers[peer].core.execute(Request::Whoami).unwrap() {
        Response::Identity(i) => i.member,
        other => panic!("{other:?}"),
    }
}

/// Ana (two computers soon) and Bob, in one community.
fn world(seed: u64) -> (Sim, CommunityId, usize, usize) {
    let mut sim = Sim::new(SimConfig { seed, loss: 20, ..SimConfig::default() });
    let ana = sim.add_peer("Ana").unwrap();
    let community = sim.found(ana, "Riverside").unwrap();
    let bob = sim.add_peer("Bob").unwrap();
    sim.join(bob, ana, community).unwrap();
    (sim, community, ana, bob)
}

#[test]
fn two_computers_of_one_member_write_at_once_and_a_revoked_one_is_shut_out() {
    let (mut sim, community, ana, bob) = world(18);
    let soup = task(&mut sim, bob, "Soup kitchen");
    let beds = task(&mut sim, bob, "Raised beds");
    let laptop = sim.add_blank_peer("Ana's laptop").unwrap();
    assert_eq!(sim.link_device(laptop, ana, "Laptop").unwrap(), vec![community]);
    sim.connect(laptop, bob);
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    let ana_id = member(&mut sim, ana);
    assert_eq!(member(&mut sim, laptop), ana_id, "the laptop acts for Ana");
    assert_eq!(devices(&mut sim, ana).devices.len(), 2);

    // Both of Ana's computers pledge and log at once; Bob logs too.
    let log = |task: TaskId| Request::Log {
        community: None,
        task: Some(task.to_string()),
        sector: None,
        minutes: Minutes(60),
        date: None,
        note: String::new(),
    };
    sim.write(ana, Request::Pledge { task: soup.to_string(), action: PledgeActionInput::Pledge }, None).unwrap();
    sim.write(laptop, Request::Pledge { task: beds.to_string(), action: PledgeActionInput::Pledge }, None).unwrap();
    sim.write(ana, log(soup), None).unwrap();
    sim.write(laptop, log(beds), None).unwrap();
    sim.write(bob, log(beds), None).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    for peer in [ana, laptop, bob] {
        assert_eq!(pledgers(&mut sim, peer, soup), vec![ana_id]);
        assert_eq!(pledgers(&mut sim, peer, beds), vec![ana_id]);
    }
    match sim.peers[bob].core.execute(Request::Pending { community: None }).unwrap() {
        Response::Pending(p) => {
            let anas: Vec<_> = p.to_confirm.iter().filter(|e| e.member == ana_id).collect();
            assert_eq!(anas.len(), 2, "both computers' hours are Ana's: {:?}", p.to_confirm);
        }
        other => panic!("{other:?}"),
    }

    // The laptop is lost: Ana revokes it from her first computer.
    let lost = sim.peers[laptop].device;
    sim.write(ana, Request::DeviceRevoke { device: lost.to_string() }, Some(DocName::People)).unwrap();
    sim.run_for(Duration::from_secs(120));
    let seen_by_bob = sim.peers[bob].core.devices_of(community, ana_id);
    assert!(seen_by_bob.iter().any(|(d, revoked)| *d == lost && *revoked), "Bob knows: {seen_by_bob:?}");

    // What the laptop writes now reaches nobody; what Ana writes now the laptop cannot read.
    sim.write(laptop, Request::Pledge { task: soup.to_string(), action: PledgeActionInput::Withdraw }, None).unwrap();
    task(&mut sim, laptop, "Written after the revocation");
    task(&mut sim, ana, "Written after Ana revoked it");
    sim.run_for(Duration::from_secs(300));
    assert!(!titles(&mut sim, bob).contains(&"Written after the revocation".to_owned()));
    assert_eq!(pledgers(&mut sim, bob, soup), vec![ana_id], "the lost laptop's withdrawal is refused");
    assert!(titles(&mut sim, bob).contains(&"Written after Ana revoked it".to_owned()));
    assert!(!titles(&mut sim, laptop).contains(&"Written after Ana revoked it".to_owned()));
    // Ana and Bob agree on everything.
    let (a, b) = (sim.peers[ana].core.manifest(community).unwrap(), sim.peers[bob].core.manifest(community).unwrap());
    assert_eq!(a.docs, b.docs);
}

#[test]
fn a_restored_computer_gets_the_community_back_and_the_lost_laptop_is_revoked() {
    let (mut sim, community, ana, bob) = world(19);
    let soup = task(&mut sim, ana, "Soup kitchen");
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    let ana_id = member(&mut sim, ana);
    let backup = sim.peers[ana].core.backup("correct horse battery staple", Vec::new()).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();

    // The laptop is gone: cut off from everyone.
    let lost = sim.peers[ana].device;
    sim.partition(&[vec![ana], vec![bob]], true);
    let new = sim.add_blank_peer("Ana's new laptop").unwrap();
    sim.connect(new, bob);

    // A wrong passphrase, and a changed backup, are refused before anything is written.
    let e = sim.peers[new].core.restore_request(&backup.base64, "wrong horse battery staple", vec![], vec![]);
    assert!(e.unwrap_err().message.contains("passphrase is wrong"));
    let mut bytes = data_encoding::BASE64.decode(backup.base64.as_bytes()).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 1;
    let tampered = data_encoding::BASE64.encode(&bytes);
    assert!(sim.peers[new].core.restore_request(&tampered, "correct horse battery staple", vec![], vec![]).is_err());
    assert!(sim.peers[new].core.execute(Request::Whoami).is_err(), "nothing was taken on");

    // From the recovery sheet's lines, typed back.
    let sheet = backup.sheet.join("\n");
    let back = sim.restore(new, &sheet, "correct horse battery staple", bob, vec![lost]).unwrap();
    assert_eq!(back, vec![community]);
    assert_eq!(member(&mut sim, new), ana_id);
    // The lost laptop wrote the task; the revocation cut after it, so it came over too.
    assert!(titles(&mut sim, new).contains(&"Soup kitchen".to_owned()));
    // Ana writes again, from the new computer; Bob takes it.
    sim.write(new, Request::Pledge { task: soup.to_string(), action: PledgeActionInput::Pledge }, None).unwrap();
    sim.run_for(Duration::from_secs(120));
    assert_eq!(pledgers(&mut sim, bob, soup), vec![ana_id]);
    // The lost laptop, found by a thief and reconnected, is refused.
    assert!(sim.peers[bob].core.devices_of(community, ana_id).iter().any(|(d, revoked)| *d == lost && *revoked));
    sim.heal();
    task(&mut sim, ana, "From the thief");
    sim.run_for(Duration::from_secs(300));
    assert!(!titles(&mut sim, bob).contains(&"From the thief".to_owned()));
    assert!(!titles(&mut sim, new).contains(&"From the thief".to_owned()));
}
