//! The node's sense of time: now (UTC) and today (in the member's own time zone, fixed at
//! start-up, because reading the local offset later is not thread-safe on Unix).

use std::time::{SystemTime, UNIX_EPOCH};

use weft_core::{Date, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<Timestamp>,
    utc_offset_seconds: i32,
}

impl Clock {
    /// The system clock, with the local UTC offset the caller read at start-up.
    pub fn system(utc_offset_seconds: i32) -> Self {
        Self { fixed: None, utc_offset_seconds }
    }

    /// A clock stopped at one instant (tests, benchmarks, reproducible demos).
    pub fn fixed(at: Timestamp) -> Self {
        Self { fixed: Some(at), utc_offset_seconds: 0 }
    }

    pub fn now(&self) -> Timestamp {
        self.fixed.unwrap_or_else(|| {
            let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
            Timestamp(i64::try_from(ms).unwrap_or(i64::MAX))
        })
    }

    /// The member's calendar date now.
    pub fn today(&self) -> Date {
        Timestamp(self.now().millis() + i64::from(self.utc_offset_seconds) * 1000).date()
    }
}
