//! Back ends: each writes a module out in one form (.nnd text here; Rust code per target later).

pub mod nnd;
