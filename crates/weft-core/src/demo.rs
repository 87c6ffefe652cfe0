//! The demo community generator (being written).
