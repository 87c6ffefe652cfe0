//! The engine's rules, one at a time, against a stand-in for the documents: resends, the
//! answer cache, the round cap, one session per (peer, document), strangers, bans. (The
//! `weft-harness` crate runs the same engine over real documents and a lossy network.)

use std::collections::BTreeSet;
use std::time::Duration;

use automerge::sync::{ChunkList, Message, MessageVersion};
use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, DeviceId};
use weft_net::wire::{
    DeviceLinkRequest, DocSummary, GossipFrame, JoinRequest, LinkRequest, Manifest, Refusal, RefusalCode, Request,
    Response, RestoreRequest, SyncFrame, WireChange,
};

use super::*;
use crate::api::SyncStatus;

const C: CommunityId = CommunityId::from_bytes([7; 16]);

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

/// The documents, as far as the engine can tell: one community, whose members are `members`;
/// each sync session has something to say for `talk` frames.
#[derive(Default)]
struct Fake {
    members: BTreeSet<DeviceId>,
    talk: u32,
    said: u32,
    received: u32,
    /// What taking in a frame or gossip reports.
    report: Ingested,
    /// What a gossip frame opens to.
    opens: Option<Opened>,
    /// Whether our frames carry changes (a signature stands for them).
    sends: bool,
}

fn empty_message() -> Vec<u8> {
    Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::empty(),
        flags: None,
        version: MessageVersion::V1,
    }
    .encode()
}

fn frame(doc: DocName, message: bool) -> SyncFrame {
    SyncFrame {
        community: C,
        doc,
        session: 0,
        round: 0,
        message: message.then(empty_message),
        bundle: None,
        signatures: Vec::new(),
        changes: 1,
    }
}

impl Replica for Fake {
    fn communities(&self) -> Vec<CommunityId> {
        vec![C]
    }
    fn communities_of(&mut self, device: &DeviceId) -> Vec<CommunityId> {
        if self.members.contains(device) { vec![C] } else { Vec::new() }
    }
    fn may_sync(&mut self, _: CommunityId, device: &DeviceId) -> bool {
        self.members.contains(device)
    }
    fn member_name(&mut self, _: CommunityId, _: &DeviceId) -> Option<String> {
        Some("Bea".into())
    }
    fn member_devices(&mut self) -> BTreeSet<DeviceId> {
        self.members.clone()
    }
    fn manifest(&mut self, community: CommunityId, _: &DeviceId) -> Result<Manifest, Refusal> {
        let doc = |name| DocSummary { name, heads: Vec::new(), changes: 1 };
        Ok(Manifest { community, docs: vec![doc(DocName::People), doc(DocName::Board)] })
    }
    fn generate(&mut self, _: DeviceId, doc: DocId, _: Role, _: bool) -> Result<SyncFrame, Refusal> {
        let talk = self.said < self.talk;
        self.said += 1;
        let signatures = if self.sends { vec![(ChangeHash([3; 32]), [0; 64])] } else { Vec::new() };
        Ok(SyncFrame { signatures, ..frame(doc.name, talk) })
    }
    fn receive(&mut self, _: DeviceId, _: ReadFrame, _: Role) -> Result<Ingested, Refusal> {
        self.received += 1;
        Ok(self.report.clone())
    }
    fn forget(&mut self, _: DeviceId) {}
    fn seal(&mut self, _: CommunityId, _: DocName, _: &[u8]) -> Result<GossipFrame, String> {
        Err("no key".into())
    }
    fn open(&mut self, _: &GossipFrame) -> Result<Option<Opened>, String> {
        Ok(self.opens.clone())
    }
    fn ingest(&mut self, _: CommunityId, _: DocName, _: Vec<WireChange>) -> Result<Ingested, String> {
        Ok(self.report.clone())
    }
    fn admit(&mut self, _: DeviceId, _: JoinRequest) -> Result<CommunityId, Refusal> {
        Err(Refusal { code: RefusalCode::BadInvite, reason: "no".into() })
    }
    fn begin_join(&mut self, _: CommunityId, _: DeviceId) -> Result<(), NodeError> {
        Ok(())
    }
    fn is_joined(&mut self, _: CommunityId) -> bool {
        true
    }
    fn link(&mut self, _: DeviceId, _: LinkRequest) -> Result<(CommunityId, Vec<WireChange>), Refusal> {
        Err(Refusal { code: RefusalCode::BadInvite, reason: "no".into() })
    }
    fn begin_link(&mut self, _: CommunityId, _: CommunityId, _: DeviceId, _: Vec<WireChange>) -> Result<(), NodeError> {
        Ok(())
    }
    fn link_device(&mut self, _: DeviceId, _: DeviceLinkRequest) -> Result<LinkedDevice, Refusal> {
        Err(Refusal { code: RefusalCode::BadInvite, reason: "no".into() })
    }
    fn restore_device(&mut self, _: DeviceId, _: RestoreRequest) -> Result<Vec<CommunityId>, Refusal> {
        Err(Refusal { code: RefusalCode::NotAMember, reason: "no".into() })
    }
    fn wants_rebuild(&mut self) -> bool {
        false
    }
    fn member_communities_of(&mut self, _: &DeviceId) -> Vec<CommunityId> {
        Vec::new()
    }
    fn adopt_identity(&mut self, _: weft_core::MemberId, _: [u8; 32], _: &str) -> Result<(), NodeError> {
        Ok(())
    }
    fn is_linked(&mut self, _: CommunityId) -> bool {
        true
    }
}

fn config() -> SyncConfig {
    // Fewer rounds than a session may chatter without changes, so the cap is what ends it.
    SyncConfig { request_timeout: Duration::from_secs(5), resends: 2, max_rounds: 3, ..SyncConfig::default() }
}

fn at(s: u64) -> Mono {
    Mono::from_millis(s * 1000)
}

/// The requests among outputs, with their ids.
fn requests(out: &[Output]) -> Vec<(RequestId, Request)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Request { id, request, .. } => Some((*id, request.clone())),
            _ => None,
        })
        .collect()
}

/// An engine for device 1 that has just met member device 2 (device 1 starts the sessions).
fn met(fake: &mut Fake) -> Engine {
    fake.members.insert(device(2));
    let mut e = Engine::new(config(), device(1), &[C], &[], at(0));
    e.handle(at(0), Input::Connected { peer: device(2), how: Discovery::Address, address: "x".into() }, fake);
    e
}

/// Answers the engine's manifest with one whose board differs: a board session starts.
fn board_session(e: &mut Engine, fake: &mut Fake) -> Vec<Output> {
    let out = e.take_outputs();
    let (id, _) = requests(&out).into_iter().next().expect("a manifest request");
    let theirs = Manifest {
        community: C,
        docs: vec![
            DocSummary { name: DocName::People, heads: Vec::new(), changes: 1 },
            DocSummary { name: DocName::Board, heads: vec![ChangeHash([1; 32])], changes: 2 },
        ],
    };
    e.handle(at(0), Input::Answer { id, answer: Ok(Answer::Manifest(theirs)) }, fake);
    e.take_outputs()
}

fn status(e: &Engine, name: DocName) -> Option<SyncStatus> {
    let doc = DocId { community: C, name };
    e.snapshot().peers.first()?.docs.iter().find(|(d, _)| *d == doc).map(|(_, s)| s.clone())
}

#[test]
fn an_unanswered_frame_is_sent_again_as_it_was_then_its_session_fails_in_words() {
    let mut fake = Fake { talk: 10, ..Fake::default() };
    let mut e = met(&mut fake);
    let sent = requests(&board_session(&mut e, &mut fake));
    let [(first_id, Request::Sync(first))] = &sent[..] else { panic!("{sent:?}") };
    assert_eq!(e.next_timer(), Some(at(5)), "the timer is the request's timeout");
    for t in [5, 10] {
        e.handle(at(t), Input::Tick, &mut fake);
        let again = requests(&e.take_outputs());
        let [(id, Request::Sync(f))] = &again[..] else { panic!("{again:?}") };
        assert_ne!(id, first_id, "sent under a new id");
        assert_eq!(f, first, "the same frame: same session, same round, same bytes");
    }
    e.handle(at(15), Input::Tick, &mut fake);
    assert!(requests(&e.take_outputs()).is_empty());
    assert_eq!(status(&e, DocName::Board), Some(SyncStatus::Failed { reason: "no answer after 3 tries".into() }));
    // A late answer to any of those tries is not waited for any more.
    let late = Answer::Sync(read_frame(frame(DocName::Board, true)));
    e.handle(at(16), Input::Answer { id: *first_id, answer: Ok(late) }, &mut fake);
    assert!(e.take_outputs().is_empty());
}

#[test]
fn a_frame_sent_twice_is_answered_twice_alike_and_taken_in_once() {
    let mut fake = Fake { talk: 10, ..Fake::default() };
    fake.members.insert(device(2));
    let mut e = Engine::new(config(), device(1), &[C], &[], at(0));
    e.take_outputs();
    let mut theirs = frame(DocName::Board, true);
    (theirs.session, theirs.round) = (42, 3);
    let mut answers = Vec::new();
    for id in [InboundId(1), InboundId(2)] {
        let request = Inbound::Sync(read_frame(theirs.clone()));
        e.handle(at(1), Input::Request { peer: device(2), id, request }, &mut fake);
        answers.extend(e.take_outputs().into_iter().filter_map(|o| match o {
            Output::Respond { response, .. } => Some(response),
            _ => None,
        }));
    }
    assert_eq!(fake.received, 1, "taken in once");
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0], answers[1]);
    let Response::Sync(reply) = &answers[0] else { panic!("{:?}", answers[0]) };
    assert_eq!((reply.session, reply.round), (42, 3), "an answer names the frame it answers");
    // A copy of an earlier round, arriving late, is refused, not taken in.
    theirs.round = 2;
    e.handle(
        at(2),
        Input::Request { peer: device(2), id: InboundId(3), request: Inbound::Sync(read_frame(theirs)) },
        &mut fake,
    );
    assert_eq!(fake.received, 1);
}

#[test]
fn rounds_are_capped() {
    let mut fake = Fake { talk: u32::MAX, ..Fake::default() };
    let mut e = met(&mut fake);
    let mut out = board_session(&mut e, &mut fake);
    for round in 0.. {
        let sent = requests(&out);
        let Some((id, Request::Sync(f))) = sent.into_iter().next() else { break };
        assert_eq!(f.round, round);
        let answer =
            Answer::Sync(read_frame(SyncFrame { session: f.session, round: f.round, ..frame(DocName::Board, true) }));
        e.handle(at(1), Input::Answer { id, answer: Ok(answer) }, &mut fake);
        out = e.take_outputs();
    }
    assert_eq!(status(&e, DocName::Board), Some(SyncStatus::Failed { reason: "gave up after 3 rounds".into() }));
}

#[test]
fn rounds_that_carry_no_change_either_way_end_the_session() {
    let mut fake = Fake { talk: u32::MAX, ..Fake::default() };
    fake.members.insert(device(2));
    let config = SyncConfig { max_rounds: 100, ..config() };
    let mut e = Engine::new(config, device(1), &[C], &[], at(0));
    e.handle(at(0), Input::Connected { peer: device(2), how: Discovery::Address, address: "x".into() }, &mut fake);
    let mut out = board_session(&mut e, &mut fake);
    let mut rounds = 0;
    while let Some((id, Request::Sync(f))) = requests(&out).into_iter().next() {
        rounds += 1;
        let answer =
            Answer::Sync(read_frame(SyncFrame { session: f.session, round: f.round, ..frame(DocName::Board, true) }));
        e.handle(at(1), Input::Answer { id, answer: Ok(answer) }, &mut fake);
        out = e.take_outputs();
        assert!(rounds < 100, "the session never ends");
    }
    assert_eq!(rounds, 4, "four idle rounds, then the end");
    assert_eq!(status(&e, DocName::Board), Some(SyncStatus::InSync));
}

#[test]
fn asking_for_a_document_while_its_session_runs_makes_it_go_round_once_more() {
    let mut fake = Fake { talk: 1, ..Fake::default() };
    let mut e = met(&mut fake);
    let sent = requests(&board_session(&mut e, &mut fake));
    let [(id, Request::Sync(f))] = &sent[..] else { panic!("{sent:?}") };
    // New local changes too large for gossip (sealing fails here): the board again.
    e.handle(at(1), Input::LocalChanges { community: C, doc: DocName::Board, changes: Vec::new() }, &mut fake);
    assert!(requests(&e.take_outputs()).is_empty(), "no second session beside the first");
    // The first run ends (neither side has more to say)…
    let answer = Answer::Sync(read_frame(SyncFrame { session: f.session, round: 0, ..frame(DocName::Board, false) }));
    e.handle(at(1), Input::Answer { id: *id, answer: Ok(answer) }, &mut fake);
    // …and the session goes round once more, as a new session from its first frame.
    let again = requests(&e.take_outputs());
    let [(_, Request::Sync(g))] = &again[..] else { panic!("{again:?}") };
    assert_ne!(g.session, f.session);
    assert_eq!(g.round, 0);
}

#[test]
fn a_stranger_is_pulled_from_then_let_go_after_its_grace() {
    let mut fake = Fake::default();
    let mut e = Engine::new(config(), device(1), &[C], &[], at(0));
    e.handle(at(0), Input::Connected { peer: device(9), how: Discovery::Mdns, address: "x".into() }, &mut fake);
    let sent = requests(&e.take_outputs());
    // We send a stranger nothing of ours, but take its people document (it may hold its admission).
    let [(id, Request::Sync(f))] = &sent[..] else { panic!("{sent:?}") };
    assert_eq!(f.doc, DocName::People);
    let answer = Answer::Sync(read_frame(SyncFrame { session: f.session, round: 0, ..frame(DocName::People, false) }));
    e.handle(at(1), Input::Answer { id: *id, answer: Ok(answer) }, &mut fake);
    e.take_outputs();
    let grace = config().stranger_grace;
    let let_go = |out: Vec<Output>| out.iter().any(|o| matches!(o, Output::Disconnect(d) if *d == device(9)));
    e.handle(at(0) + grace, Input::Tick, &mut fake);
    assert!(!let_go(e.take_outputs()), "still within its grace");
    e.handle(at(1) + grace, Input::Tick, &mut fake);
    assert!(let_go(e.take_outputs()));
}

#[test]
fn a_peer_that_sends_garbage_is_banned_for_a_while_on_the_clock() {
    let mut fake = Fake::default();
    let mut e = met(&mut fake);
    e.take_outputs();
    e.handle(at(1), Input::Gossip { source: device(2), id: GossipId(1), data: vec![1, 2, 3] }, &mut fake);
    let out = e.take_outputs();
    assert!(out.iter().any(|o| matches!(o, Output::Judge { verdict: Verdict::Reject, .. })), "{out:?}");
    assert!(out.iter().any(|o| matches!(o, Output::Ban(d) if *d == device(2))), "{out:?}");
    assert!(e.snapshot().incidents[0].contains("an unreadable gossip frame"), "{:?}", e.snapshot());
    // Back before the ban is over: let go at once.
    e.handle(at(2), Input::Disconnected { peer: device(2) }, &mut fake);
    e.handle(at(3), Input::Connected { peer: device(2), how: Discovery::Mdns, address: "x".into() }, &mut fake);
    assert!(e.take_outputs().iter().any(|o| matches!(o, Output::Disconnect(_))));
    e.handle(at(1) + config().ban_for, Input::Tick, &mut fake);
    assert!(e.take_outputs().iter().any(|o| matches!(o, Output::Unban(d) if *d == device(2))));
}

/// A frame of the board whose message carries `changes` (bytes of real changes).
fn frame_with(session: u64, round: u32, changes: Vec<Vec<u8>>) -> SyncFrame {
    let message = Message {
        heads: vec![ChangeHash([0xEE; 32])],
        need: vec![ChangeHash([0xDD; 32])],
        have: Vec::new(),
        changes: ChunkList::from(changes),
        flags: None,
        version: MessageVersion::V1,
    };
    SyncFrame { session, round, message: Some(message.encode()), ..frame(DocName::Board, true) }
}

/// A change every peer holds: the board's deterministic genesis.
fn known_change() -> Vec<u8> {
    weft_core::doc::deterministic_genesis(&C, DocName::Board).unwrap().raw_bytes().to_vec()
}

#[test]
fn a_peer_that_answers_with_changes_we_hold_every_round_cannot_keep_our_session_going() {
    // Each answer carries a change we hold already (and heads that never meet ours): nothing
    // new either way, so four rounds end it, far below the cap.
    let mut fake = Fake { talk: u32::MAX, report: Ingested { already: 1, ..Ingested::default() }, ..Fake::default() };
    fake.members.insert(device(2));
    let config = SyncConfig { max_rounds: 100, ..config() };
    let mut e = Engine::new(config, device(1), &[C], &[], at(0));
    e.handle(at(0), Input::Connected { peer: device(2), how: Discovery::Address, address: "x".into() }, &mut fake);
    let mut out = board_session(&mut e, &mut fake);
    let mut rounds = 0;
    while let Some((id, Request::Sync(f))) = requests(&out).into_iter().next() {
        rounds += 1;
        let answer = Answer::Sync(read_frame(frame_with(f.session, f.round, vec![known_change()])));
        e.handle(at(1), Input::Answer { id, answer: Ok(answer) }, &mut fake);
        out = e.take_outputs();
        assert!(rounds < 100, "the session never ends");
    }
    assert_eq!(rounds, 4);
    assert!(e.snapshot().incidents.is_empty(), "a copy is no crime");
}

/// A peer that asks for our changes by hash round after round (one at a time, say) and sends
/// nothing new: our sending is progress for a while, then the session ends, far below the cap.
#[test]
fn a_peer_that_only_ever_asks_by_hash_cannot_keep_our_session_going() {
    let mut fake = Fake { talk: u32::MAX, sends: true, ..Fake::default() };
    fake.members.insert(device(2));
    let mut e = Engine::new(SyncConfig { max_rounds: 100, ..config() }, device(1), &[C], &[], at(0));
    e.handle(at(0), Input::Connected { peer: device(2), how: Discovery::Address, address: "x".into() }, &mut fake);
    let mut out = board_session(&mut e, &mut fake);
    let mut rounds = 0;
    while let Some((id, Request::Sync(f))) = requests(&out).into_iter().next() {
        rounds += 1;
        let answer = Answer::Sync(read_frame(frame_with(f.session, f.round, Vec::new())));
        e.handle(at(1), Input::Answer { id, answer: Ok(answer) }, &mut fake);
        out = e.take_outputs();
        assert!(rounds < 100, "the session never ends");
    }
    assert_eq!(rounds, 17);
    let Some(SyncStatus::Failed { reason }) = status(&e, DocName::Board) else { panic!("{:?}", e.snapshot()) };
    assert!(reason.contains("asked for changes by hash for 17 rounds"), "{reason}");
}

/// A peer's session that brings nothing new either way is refused after a while, in words;
/// the peer is noted, not banned.
#[test]
fn a_peers_session_that_goes_nowhere_is_refused_in_words() {
    let mut fake = Fake { report: Ingested { already: 1, ..Ingested::default() }, ..Fake::default() };
    fake.members.insert(device(2));
    let mut e = Engine::new(SyncConfig { max_rounds: 100, ..config() }, device(1), &[C], &[], at(0));
    e.take_outputs();
    let mut refused = None;
    for round in 0..100 {
        let request = Inbound::Sync(read_frame(frame_with(9, round, vec![known_change()])));
        e.handle(at(1), Input::Request { peer: device(2), id: InboundId(u64::from(round)), request }, &mut fake);
        let answer = e.take_outputs().into_iter().find_map(|o| match o {
            Output::Respond { response, .. } => Some(response),
            _ => None,
        });
        if let Some(Response::Refused(r)) = answer {
            refused = Some((round, r));
            break;
        }
    }
    let (round, r) = refused.expect("refused at some round");
    assert_eq!(r.code, RefusalCode::Busy);
    assert_eq!(round, 16, "{r:?}");
    assert!(r.reason.contains("nothing new either way for 16 rounds"), "{r:?}");
    assert!(e.snapshot().incidents[0].contains("refused to go on"), "{:?}", e.snapshot());
    // A new session starts afresh.
    let request = Inbound::Sync(read_frame(frame_with(10, 0, Vec::new())));
    e.handle(at(2), Input::Request { peer: device(2), id: InboundId(1000), request }, &mut fake);
    assert!(e.take_outputs().iter().any(|o| matches!(o, Output::Respond { response: Response::Sync(_), .. })));
}

/// Automerge trusts a Bloom filter's own numbers: no bits for an entry is a division by zero
/// on the thread that holds the documents, four billion probes a loop (and an allocation) per
/// change. Such a message is refused before Automerge reads it.
#[test]
fn bloom_filters_that_lie_about_themselves_are_refused_before_automerge_reads_them() {
    use automerge::sync::{BloomFilter, Have};
    let bloom = |bytes: &[u8]| BloomFilter::try_from(bytes).unwrap();
    let liars = [
        bloom(&[1, 0, 7]),
        bloom(&[1, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0xFF]),
        bloom(&[3, 1, 0, 0xFF]),
        // 200 bits per entry (LEB128), 7 probes, 25 bytes of bits.
        bloom(&[[1, 0xC8, 0x01, 7].as_slice(), &[0xFF; 25]].concat()),
    ];
    for bloom in liars {
        let message = Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: vec![Have { last_sync: Vec::new(), bloom }],
            changes: ChunkList::empty(),
            flags: None,
            version: MessageVersion::V1,
        };
        let frame = SyncFrame { message: Some(message.encode()), ..frame(DocName::Board, true) };
        let refusal = read_frame(frame).expect_err("refused");
        assert_eq!(refusal.code, RefusalCode::Invalid);
        assert!(refusal.reason.contains("Bloom filter"), "{refusal:?}");
    }
    // Automerge's own filters pass.
    let honest = BloomFilter::from_hashes([ChangeHash([1; 32]), ChangeHash([2; 32])].iter());
    let message = Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: vec![Have { last_sync: Vec::new(), bloom: honest }],
        changes: ChunkList::empty(),
        flags: None,
        version: MessageVersion::V1,
    };
    assert!(read_frame(SyncFrame { message: Some(message.encode()), ..frame(DocName::Board, true) }).is_ok());
}

/// A frame that cannot be read is noted (it may be a bug); the third within `ban_for` costs
/// the peer its connection for a while.
#[test]
fn unreadable_frames_are_noted_and_the_third_bans() {
    let mut fake = Fake::default();
    let mut e = met(&mut fake);
    e.take_outputs();
    for n in 1..=3u64 {
        e.handle(at(n), Input::Malformed { peer: device(2), why: "unknown request tag 138".into() }, &mut fake);
        let banned = e.take_outputs().iter().any(|o| matches!(o, Output::Ban(d) if *d == device(2)));
        assert_eq!(banned, n == 3, "frame {n}");
    }
    let incidents = e.snapshot().incidents;
    assert_eq!(incidents.len(), 2, "two frames noted on one line, then the ban: {incidents:?}");
    assert!(incidents[0].ends_with("(2 times)"), "{incidents:?}");
    assert!(incidents[1].contains("3 frames that could not be read"), "{incidents:?}");
    // Strikes are forgotten after `ban_for`: one more, much later, is only noted.
    e.handle(at(10) + config().ban_for * 2, Input::Tick, &mut fake);
    e.take_outputs();
    e.handle(at(11) + config().ban_for * 2, Input::Malformed { peer: device(2), why: "x".into() }, &mut fake);
    assert!(!e.take_outputs().iter().any(|o| matches!(o, Output::Ban(_))));
}

/// Changes over their author's quota: a sync frame is refused as busy with the words, gossip
/// ignored (not forwarded, not penalised); the sender is noted, never banned.
#[test]
fn changes_over_quota_are_refused_as_busy_in_words_and_nobody_is_banned() {
    let words = "Mallory's computers sent 40 MB of new changes in the last hour, more than the 16 MB one member may; \
                 the rest will be taken later";
    let report = Ingested { applied: 3, deferred: 7, quota: Some(words.into()), ..Ingested::default() };
    let payload = weft_net::wire::GossipPayload { community: C, doc: DocName::Board, changes: Vec::new() }.encode();
    let mut fake = Fake { report, opens: Some((C, None, payload)), ..Fake::default() };
    let mut e = met(&mut fake);
    e.take_outputs();
    let request = Inbound::Sync(read_frame(frame_with(5, 0, Vec::new())));
    e.handle(at(1), Input::Request { peer: device(2), id: InboundId(1), request }, &mut fake);
    let out = e.take_outputs();
    let answer = out.iter().find_map(|o| match o {
        Output::Respond { response: Response::Refused(r), .. } => Some(r.clone()),
        _ => None,
    });
    assert_eq!(answer, Some(Refusal { code: RefusalCode::Busy, reason: words.into() }));
    assert!(!out.iter().any(|o| matches!(o, Output::Ban(_))));
    let gossip = GossipFrame { key_id: [1; 8], nonce: [0; 24], sealed: vec![0; 40] }.encode();
    e.handle(at(2), Input::Gossip { source: device(2), id: GossipId(1), data: gossip }, &mut fake);
    let out = e.take_outputs();
    assert!(out.iter().any(|o| matches!(o, Output::Judge { verdict: Verdict::Ignore, .. })), "{out:?}");
    assert!(!out.iter().any(|o| matches!(o, Output::Ban(_))));
    let snapshot = e.snapshot();
    assert_eq!(snapshot.incidents, vec![format!("Bea: {words} (2 times)")]);
}

/// A peer the network saw flooding gossip (it dropped what went over the rate) is let go for
/// a while, in words.
#[test]
fn a_peer_flooding_gossip_is_let_go() {
    let mut fake = Fake::default();
    let mut e = met(&mut fake);
    e.take_outputs();
    e.handle(at(2), Input::GossipFlood { peer: device(2), dropped: 1000 }, &mut fake);
    assert!(e.take_outputs().iter().any(|o| matches!(o, Output::Ban(d) if *d == device(2))));
    assert!(e.snapshot().incidents[0].contains("gossip without pause"), "{:?}", e.snapshot());
}
