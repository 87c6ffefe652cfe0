//! Calendar dates, months, instants and durations as Weft stores them.
//!
//! Durations are whole minutes (`Minutes`): integer arithmetic everywhere, so every device
//! computes the same sums. Dates are calendar dates without a zone (the member's own day).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a date, month or duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseTimeError {
    #[error("'{0}' is not a date: write it as YYYY-MM-DD, e.g. 2026-03-14")]
    Date(String),
    #[error("'{0}' is not a month: write it as YYYY-MM, e.g. 2026-03")]
    Month(String),
    #[error("'{0}' is not a number of hours: write e.g. 2, 1.5 or 1h30")]
    Hours(String),
}

/// The Julian day number of 1970-01-01.
const EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// A calendar date (the day the work was done). In JSON: `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
#[ts(type = "string", rename = "DateStr")]
pub struct Date(time::Date);

impl Date {
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day).ok().map(Self)
    }
    pub fn year(self) -> i32 {
        self.0.year()
    }
    pub fn month(self) -> Month {
        Month { year: self.0.year(), month: u8::from(self.0.month()) }
    }
    pub fn day(self) -> u8 {
        self.0.day()
    }
    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        i64::from(self.0.to_julian_day() - EPOCH_JULIAN_DAY)
    }
    pub fn from_days_since_epoch(days: i64) -> Option<Self> {
        let jd = i64::from(EPOCH_JULIAN_DAY).checked_add(days)?;
        time::Date::from_julian_day(i32::try_from(jd).ok()?).ok().map(Self)
    }
    pub fn add_days(self, days: i64) -> Option<Self> {
        Self::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }
    /// Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> u8 {
        self.0.weekday().number_days_from_monday()
    }
    /// Day of the year, 1-based.
    pub fn ordinal(self) -> u16 {
        self.0.ordinal()
    }
    pub fn days_in_year(year: i32) -> u16 {
        time::util::days_in_year(year)
    }
    /// The UTC calendar date of an instant.
    pub fn of_timestamp(ts: Timestamp) -> Self {
        Self::from_days_since_epoch(ts.0.div_euclid(86_400_000)).unwrap_or(Self(time::macros::date!(1970 - 01 - 01)))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), u8::from(self.0.month()), self.0.day())
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Date {
    type Err = ParseTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseTimeError::Date(s.to_owned());
        let t = s.trim();
        let mut parts = t.splitn(3, '-');
        let (y, m, d) = (parts.next(), parts.next(), parts.next());
        let (Some(y), Some(m), Some(d)) = (y, m, d) else { return Err(err()) };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let y: i32 = y.parse().map_err(|_| err())?;
        let m: u8 = m.parse().map_err(|_| err())?;
        let d: u8 = d.parse().map_err(|_| err())?;
        Self::from_ymd(y, m, d).ok_or_else(err)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A calendar month, e.g. 2026-03. In JSON: `YYYY-MM`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
#[ts(type = "string", rename = "MonthStr")]
pub struct Month {
    year: i32,
    month: u8,
}

impl Month {
    pub fn new(year: i32, month: u8) -> Option<Self> {
        (1..=12).contains(&month).then_some(Self { year, month })
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn number(self) -> u8 {
        self.month
    }
    pub fn first_day(self) -> Date {
        #[allow(clippy::expect_used)]
        Date::from_ymd(self.year, self.month, 1).expect("the first of a valid month exists")
    }
    pub fn days(self) -> u8 {
        time::util::days_in_month(time::Month::try_from(self.month).unwrap_or(time::Month::January), self.year)
    }
    pub fn last_day(self) -> Date {
        #[allow(clippy::expect_used)]
        Date::from_ymd(self.year, self.month, self.days()).expect("the last of a valid month exists")
    }
    pub fn contains(self, date: Date) -> bool {
        date.month() == self
    }
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }
    pub fn prev(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { year: self.year, month: self.month - 1 }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Month {
    type Err = ParseTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseTimeError::Month(s.to_owned());
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        Self::new(y.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?).ok_or_else(err)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// An instant: milliseconds since the Unix epoch, UTC. Stored as an Automerge timestamp.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, ts_rs::TS)]
#[serde(transparent)]
#[ts(type = "number")]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }
    /// The instant at midday UTC of a date (used by generators that only know the day).
    pub fn midday(date: Date) -> Self {
        Self(date.days_since_epoch() * 86_400_000 + 12 * 3_600_000)
    }
    pub fn date(self) -> Date {
        Date::of_timestamp(self)
    }
}

/// A duration in whole minutes. Hours are shown and typed as decimals ("1.5") or "1h30".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(transparent)]
#[ts(type = "number")]
pub struct Minutes(pub u32);

impl Minutes {
    pub const ZERO: Self = Self(0);
    pub const fn from_hours(h: u32) -> Self {
        Self(h * 60)
    }
    pub fn get(self) -> u32 {
        self.0
    }
    /// Hours as a float, for display only: nothing that decides order or fairness uses it.
    pub fn as_hours_f64(self) -> f64 {
        f64::from(self.0) / 60.0
    }
    pub fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// Reads "2", "1.5", "0.25", "1h30", "1h", "90m", "2 h". At most two decimals.
    pub fn parse_hours(s: &str) -> Result<Self, ParseTimeError> {
        let err = || ParseTimeError::Hours(s.to_owned());
        let t = s.trim().to_ascii_lowercase();
        let t = t.trim_end_matches("hours").trim_end_matches("hour").trim_end();
        if let Some((h, m)) = t.split_once('h') {
            let h: u32 = h.trim().parse().map_err(|_| err())?;
            let m = m.trim().trim_end_matches("min").trim_end_matches('m').trim();
            let m: u32 = if m.is_empty() { 0 } else { m.parse().map_err(|_| err())? };
            if m >= 60 {
                return Err(err());
            }
            return h.checked_mul(60).and_then(|x| x.checked_add(m)).map(Self).ok_or_else(err);
        }
        if let Some(m) = t.strip_suffix("min").or_else(|| t.strip_suffix('m')) {
            let m: u32 = m.trim().parse().map_err(|_| err())?;
            return Ok(Self(m));
        }
        // Decimal hours, read as fixed point so "0.1" is exactly 6 minutes.
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty() && frac.is_empty() || frac.len() > 2 || int.starts_with('-') {
            return Err(err());
        }
        let int: u32 = if int.is_empty() { 0 } else { int.parse().map_err(|_| err())? };
        let hundredths: u32 = match frac.len() {
            0 => 0,
            1 => frac.parse::<u32>().map_err(|_| err())? * 10,
            _ => frac.parse().map_err(|_| err())?,
        };
        if !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        let minutes = int.checked_mul(60).ok_or_else(err)?.checked_add((hundredths * 60 + 50) / 100).ok_or_else(err)?;
        Ok(Self(minutes))
    }
}

impl std::ops::Add for Minutes {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        self.saturating_add(rhs)
    }
}

impl std::ops::AddAssign for Minutes {
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

impl std::iter::Sum for Minutes {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Minutes {
    /// "2 h", "1.5 h", "0.25 h", "1 h 10 min".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m) = (self.0 / 60, self.0 % 60);
        match m {
            0 => write!(f, "{h} h"),
            15 => write!(f, "{h}.25 h"),
            30 => write!(f, "{h}.5 h"),
            45 => write!(f, "{h}.75 h"),
            _ if h == 0 => write!(f, "{m} min"),
            _ => write!(f, "{h} h {m} min"),
        }
    }
}

impl fmt::Debug for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}min", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_parse_in_the_ways_people_type_them() {
        for (input, minutes) in [
            ("2", 120),
            ("1.5", 90),
            ("0.25", 15),
            (".5", 30),
            ("1h30", 90),
            ("1h", 60),
            ("1h 30m", 90),
            ("90m", 90),
            ("2 h", 120),
            ("3 hours", 180),
            ("0.1", 6),
        ] {
            assert_eq!(Minutes::parse_hours(input).unwrap(), Minutes(minutes), "{input}");
        }
        for bad in ["", "abc", "-1", "1.234", "1h75", "1,5", "."] {
            assert!(Minutes::parse_hours(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_and_months_round_trip() {
        let d: Date = "2026-02-28".parse().unwrap();
        assert_eq!(d.to_string(), "2026-02-28");
        assert_eq!(d.add_days(1).unwrap().to_string(), "2026-03-01");
        assert_eq!(d.month().to_string(), "2026-02");
        assert!("2026-02-30".parse::<Date>().is_err());
        assert!("26-2-3".parse::<Date>().is_err());
        assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()).unwrap(), d);
        let m: Month = "2026-12".parse().unwrap();
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(m.prev().to_string(), "2026-11");
        assert_eq!("2026-02".parse::<Month>().unwrap().days(), 28);
        assert!("2026-13".parse::<Month>().is_err());
        assert_eq!(Timestamp::midday(d).date(), d);
    }

    #[test]
    fn minutes_display_like_a_person_would_write_them() {
        assert_eq!(Minutes(120).to_string(), "2 h");
        assert_eq!(Minutes(90).to_string(), "1.5 h");
        assert_eq!(Minutes(20).to_string(), "20 min");
        assert_eq!(Minutes(70).to_string(), "1 h 10 min");
    }
}
