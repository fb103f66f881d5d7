//! Back ends: each writes a module out in one form (.nnd text here; Rust code per target later).

pub mod nnd;
pub mod rust;

pub use rust::{Target, UnknownTarget};
