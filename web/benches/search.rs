//! Search benchmarks (being written).

fn main() {}
