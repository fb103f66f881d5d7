// Issue 16, item 6: `include_nnd!` reads only `.nnd` files, so an error never echoes the first
// line of another file (`include_nnd!("../../etc/passwd")` used to print it in the parse error).
nn_macros::include_nnd!("Cargo.toml");

fn main() {}
