//! Export: CSV and ValueFlows JSON-LD (being written).
