//! How much gossip one peer may hand us: a burst, then a steady rate (a token bucket per peer).
//! What goes over is dropped as it arrives, before the node sees it: every message the node
//! takes costs a job on its state thread, in the order they came, so a peer publishing without
//! pause would put everyone else's gossip and requests behind its own. A peer that keeps going
//! over is reported once, for the node to let it go.

use std::collections::HashMap;
use std::time::Instant;

use libp2p::PeerId;

/// The gossip one peer may hand us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GossipRate {
    /// Messages at once.
    pub burst: u64,
    /// Messages per second after that.
    pub per_second: u64,
    /// Messages dropped in one flood after which the peer is reported.
    pub flood: u32,
}

impl Default for GossipRate {
    /// An honest peer sends one message per write it makes or forwards; a community writes a
    /// few a minute, a busy script a few a second.
    fn default() -> Self {
        Self { burst: 200, per_second: 20, flood: 1_000 }
    }
}

/// What to do with a gossip message, by how much its peer sent lately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    Take,
    /// Over the rate: dropped unread (ignored: not forwarded; sync brings anything real).
    Drop,
    /// Over the rate for so long that the peer is flooding (said once per flood).
    Flood(u32),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Thousandths of a message.
    tokens: u64,
    at: Instant,
    dropped: u32,
}

#[derive(Debug, Default)]
pub(crate) struct GossipRates {
    rate: GossipRate,
    buckets: HashMap<PeerId, Bucket>,
}

impl GossipRates {
    pub fn new(rate: GossipRate) -> Self {
        Self { rate, buckets: HashMap::new() }
    }

    pub fn admit(&mut self, peer: PeerId, now: Instant) -> Admit {
        let full = self.rate.burst.saturating_mul(1000);
        let b = self.buckets.entry(peer).or_insert(Bucket { tokens: full, at: now, dropped: 0 });
        let elapsed = u64::try_from(now.saturating_duration_since(b.at).as_millis()).unwrap_or(u64::MAX);
        b.tokens = b.tokens.saturating_add(elapsed.saturating_mul(self.rate.per_second)).min(full);
        b.at = now;
        if b.tokens == full {
            // Caught its breath: a new flood starts from nothing.
            b.dropped = 0;
        }
        if b.tokens >= 1000 {
            b.tokens -= 1000;
            return Admit::Take;
        }
        b.dropped = b.dropped.saturating_add(1);
        if b.dropped == self.rate.flood { Admit::Flood(b.dropped) } else { Admit::Drop }
    }

    /// Forgets a peer that left.
    pub fn forget(&mut self, peer: &PeerId) {
        self.buckets.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// How long after which a bucket is full again.
    fn refill(rate: GossipRate) -> Duration {
        Duration::from_millis(rate.burst * 1000 / rate.per_second.max(1))
    }

    #[test]
    fn a_burst_then_a_steady_rate_then_a_flood_reported_once() {
        let rate = GossipRate::default();
        let mut rates = GossipRates::new(rate);
        let (peer, other) = (PeerId::random(), PeerId::random());
        let t0 = Instant::now();
        for _ in 0..rate.burst {
            assert_eq!(rates.admit(peer, t0), Admit::Take);
        }
        assert_eq!(rates.admit(peer, t0), Admit::Drop);
        assert_eq!(rates.admit(other, t0), Admit::Take, "one peer's flood is its own");
        // A second later, a second's worth more.
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..rate.per_second {
            assert_eq!(rates.admit(peer, t1), Admit::Take);
        }
        let mut flood = None;
        for n in 0..2 * rate.flood {
            if let Admit::Flood(dropped) = rates.admit(peer, t1) {
                assert!(flood.is_none(), "said once");
                flood = Some((n, dropped));
            }
        }
        assert_eq!(flood, Some((rate.flood - 2, rate.flood)));
        // Once it has caught its breath, it starts afresh.
        let later = t1 + refill(rate);
        assert_eq!(rates.admit(peer, later), Admit::Take);
    }
}
