//! `nndc`: the nnd command-line compiler.
fn main() {}
