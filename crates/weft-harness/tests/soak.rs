//! The soak, short: twenty peers (two with clocks days off) carry a week of a 120-member
//! community's work while they are killed and started again, partitioned and healed, over
//! lossy links. At the week's end every peer holds the same documents and every change
//! reported done. (`scripts/soak.sh --hours N`
//! runs months of it.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use weft_harness::soak::{self, SoakConfig};

#[test]
fn a_week_of_kills_partitions_and_loss_loses_nothing_and_converges() {
    if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let days = std::env::var("WEFT_SOAK_DAYS").ok().and_then(|d| d.parse().ok()).unwrap_or(7);
    let config = SoakConfig { days, ..SoakConfig::month(7) };
    let report = soak::run(&config).unwrap_or_else(|e| panic!("{e}"));
    println!("{report:?}");
    assert_eq!((report.lost, report.divergent), (0, 0));
    assert!(report.kills >= u64::from(days) * 20, "{} kills", report.kills);
    assert!(report.partitions_healed >= u64::from(days), "{} partitions healed", report.partitions_healed);
    assert!(report.writes >= days as usize * 40, "{} writes", report.writes);
}
