//! # nn-dsl: the nnd compiler library
//!
//! Pipeline: a front end ([`front::nnd`] for `.nnd` text) produces an [`front::ast::Network`];
//! [`ir`] resolves names and builds the IR graph; [`check`] infers every shape following
//! TensorFlow Lite's rules and reports every problem at once as [`diag::Diagnostic`]s; [`quant`]
//! holds the host-side quantisation arithmetic (Q31 multipliers and shifts) that back ends bake into
//! generated code. Library code never panics and never prints; the `nndc` binary (feature `cli`)
//! renders diagnostics and reports.

pub mod back;
pub mod build;
pub mod check;
pub mod diag;
pub mod exec;
pub mod files;
pub mod front;
pub mod ir;
pub mod lower;
pub mod plan;
pub mod quant;
pub mod shape;
pub mod span;
pub mod weights;

pub use diag::{Diagnostic, Severity};
pub use span::{Span, Spanned};
