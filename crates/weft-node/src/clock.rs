//! The node's sense of time, injected everywhere it decides something.
//!
//! Two readings: the wall clock (`now`, UTC, and `today` in the member's own time zone, fixed
//! at start-up because reading the local offset later is not thread-safe on Unix), which is
//! written into documents; and a monotonic reading ([`Mono`]) that every timer of the node
//! runs on — documents resting, compaction, sync resends, grace periods, bans. A manual clock
//! moves both only when a test says so ([`TimeHand::advance`]), so tests advance time instead
//! of waiting for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use weft_core::{Date, Timestamp};

/// A reading of a monotonic clock: how long after the clock's start. Only differences and
/// order mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mono(Duration);

impl Mono {
    pub const ZERO: Self = Self(Duration::ZERO);

    pub fn from_millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }

    /// How long from `earlier` to this reading (zero if `earlier` is later).
    pub fn since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// How long from this reading until `later` (zero if it has passed).
    pub fn until(self, later: Self) -> Duration {
        later.0.saturating_sub(self.0)
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }
}

impl std::ops::Add<Duration> for Mono {
    type Output = Self;
    fn add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d))
    }
}

#[derive(Debug, Clone)]
enum Source {
    /// The system's clocks.
    System,
    /// The wall clock stopped at one instant; timers run on the system's monotonic clock.
    Fixed(Timestamp),
    /// Both readings move only when the hand moves them.
    Manual(Arc<AtomicU64>, Timestamp),
}

#[derive(Debug, Clone)]
pub struct Clock {
    source: Source,
    utc_offset_seconds: i32,
    /// How far the wall clock is off (a computer whose clock was set wrong), in milliseconds.
    skew_ms: i64,
}

/// Moves a manual clock (see [`Clock::manual`]). It counts nanoseconds, so many small steps
/// add up exactly.
#[derive(Debug, Clone)]
pub struct TimeHand(Arc<AtomicU64>);

impl TimeHand {
    /// Moves the clock forward (wall and monotonic readings alike).
    pub fn advance(&self, by: Duration) {
        let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(ns, Ordering::SeqCst);
    }
}

/// The system's monotonic clock, counted from the first time any clock read it.
fn system_mono() -> Mono {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    Mono(START.get_or_init(std::time::Instant::now).elapsed())
}

impl Clock {
    /// The system clock, with the local UTC offset the caller read at start-up.
    pub fn system(utc_offset_seconds: i32) -> Self {
        Self { source: Source::System, utc_offset_seconds, skew_ms: 0 }
    }

    /// A wall clock stopped at one instant (tests, benchmarks, reproducible demos); timers
    /// still run in real time.
    pub fn fixed(at: Timestamp) -> Self {
        Self { source: Source::Fixed(at), utc_offset_seconds: 0, skew_ms: 0 }
    }

    /// A clock that starts at `at` and moves only when its hand moves it: tests advance time
    /// instead of waiting for it.
    pub fn manual(at: Timestamp) -> (Self, TimeHand) {
        let hand = Arc::new(AtomicU64::new(0));
        (Self { source: Source::Manual(hand.clone(), at), utc_offset_seconds: 0, skew_ms: 0 }, TimeHand(hand))
    }

    /// The same clock with its wall reading off by `ms` milliseconds (ahead if positive): a
    /// computer whose clock is wrong, in tests of what its dates do to others. Timers, on the
    /// monotonic reading, are unaffected.
    pub fn skewed(&self, ms: i64) -> Self {
        Self { skew_ms: ms, ..self.clone() }
    }

    pub fn now(&self) -> Timestamp {
        let Timestamp(ms) = self.true_now();
        Timestamp(ms.saturating_add(self.skew_ms))
    }

    fn true_now(&self) -> Timestamp {
        match &self.source {
            Source::System => {
                let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
                Timestamp(i64::try_from(ms).unwrap_or(i64::MAX))
            }
            Source::Fixed(at) => *at,
            Source::Manual(hand, at) => {
                let ms = i64::try_from(hand.load(Ordering::SeqCst) / 1_000_000).unwrap_or(i64::MAX);
                Timestamp(at.millis().saturating_add(ms))
            }
        }
    }

    /// The member's calendar date now.
    pub fn today(&self) -> Date {
        Timestamp(self.now().millis() + i64::from(self.utc_offset_seconds) * 1000).date()
    }

    /// The monotonic reading every timer of the node runs on.
    pub fn mono(&self) -> Mono {
        match &self.source {
            Source::System | Source::Fixed(_) => system_mono(),
            Source::Manual(hand, _) => Mono(Duration::from_nanos(hand.load(Ordering::SeqCst))),
        }
    }

    /// Whether time moves by itself (a manual clock moves only by its hand).
    pub fn is_manual(&self) -> bool {
        matches!(self.source, Source::Manual(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_by_its_hand() {
        let (clock, hand) = Clock::manual(Timestamp(1_000));
        let (t0, m0) = (clock.now(), clock.mono());
        assert_eq!(clock.now(), t0);
        hand.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), Timestamp(t0.millis() + 90_000));
        assert_eq!(clock.mono().since(m0), Duration::from_secs(90));
        // Clones share the hand.
        assert_eq!(clock.clone().mono(), clock.mono());
        // Small steps add up exactly.
        for _ in 0..1000 {
            hand.advance(Duration::from_micros(1_500));
        }
        assert_eq!(clock.mono().since(m0), Duration::from_millis(91_500));
    }

    #[test]
    fn monotonic_readings_compare_and_add() {
        let a = Mono::from_millis(1_000);
        let b = a + Duration::from_millis(500);
        assert!(b > a);
        assert_eq!(b.since(a), Duration::from_millis(500));
        assert_eq!(a.since(b), Duration::ZERO);
        assert_eq!(a.until(b), Duration::from_millis(500));
    }
}
