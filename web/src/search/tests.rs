//! Search behaviour tests (being written).
