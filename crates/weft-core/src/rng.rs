//! A small deterministic random number generator (being written).
