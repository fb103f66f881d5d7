//! Procedural macros of nnd (`network!`, `include_nnd!`): a thin shim over nn-dsl.
//!
//! Not implemented yet: see the open issue on the macro front end.
