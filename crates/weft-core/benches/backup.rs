//! What opening a backup costs a member: Argon2id at the setting the app seals with
//! (`Kdf::RECOMMENDED`, 64 MiB and 3 passes), against the cheapest setting Argon2 allows, in
//! the same run. `cargo bench -p weft-core --bench backup`.

use criterion::{Criterion, criterion_group, criterion_main};
use weft_core::backup::{self, Backup, BackupCommunity, Kdf};
use weft_core::crypto::DataKey;
use weft_core::identity::SecretKey;
use weft_core::{CommunityId, DeviceId, MemberId, Timestamp};

const PASS: &str = "correct horse battery staple";

fn sample() -> Backup {
    let member_key = SecretKey::generate();
    let recovery_key = SecretKey::generate();
    let laptop = SecretKey::generate();
    Backup {
        member: MemberId::from_bytes(member_key.public()),
        member_key,
        name: "Ana Lima".to_owned(),
        devices: vec![
            (DeviceId::from_bytes(laptop.public()), "Ana's laptop".to_owned()),
            (DeviceId::from_bytes(recovery_key.public()), "Backup".to_owned()),
        ],
        recovery_key,
        communities: vec![BackupCommunity {
            id: CommunityId::from_bytes([1; 16]),
            name: "Riverside".to_owned(),
            addresses: vec!["/ip4/192.168.1.20/tcp/4001".to_owned()],
            keys: vec![DataKey::generate()],
        }],
        made_at: Timestamp(1_773_489_600_000),
    }
}

fn open(c: &mut Criterion) {
    let backup = sample();
    let mut group = c.benchmark_group("open a backup");
    group.sample_size(10);
    for (name, kdf) in [("recommended (64 MiB, 3 passes)", Kdf::RECOMMENDED), ("least (8 KiB, 1 pass)", Kdf::TEST)] {
        let Ok(bytes) = backup::seal(&backup, PASS, kdf) else { panic!("the backup seals") };
        group.bench_function(name, |b| b.iter(|| backup::open(&bytes, PASS).is_ok()));
    }
    group.finish();
}

criterion_group!(benches, open);
criterion_main!(benches);
