nn_macros::include_nnd!("tests/ui/data/missing.nnd");

fn main() {}
