//! The Rust-token front end: `network! { ... }` bodies parsed with syn into the shared AST.
