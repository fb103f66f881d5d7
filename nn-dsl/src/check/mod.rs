//! Shape inference and checks over a parsed network; every problem becomes a diagnostic.
//!
//! [`check`] resolves names, orders the graph, infers every tensor's shape and dtype with
//! TensorFlow Lite's rules and builds the [`ir::Module`]. It reports **every** problem of a network
//! at once: a tensor whose shape cannot be inferred is *poisoned* and its users do not report
//! follow-up errors.
//!
//! ```
//! let (module, warnings) = nn_dsl::check::check_source(
//!     "network Tiny { input x: i8[8, 8, 3]; let c = conv2d(x, filters = 4, kernel = 3); output c; }",
//! )
//! .map_err(|d| d.len())?;
//! assert!(warnings.is_empty());
//! let c = module.tensor_by_name("c").ok_or(0usize)?;
//! assert_eq!(module.tensors[c].shape, vec![6, 6, 4]);
//! # Ok::<(), usize>(())
//! ```
//!
//! Codes E0100..E0199 (and W0101 for warnings) are documented with examples in
//! `docs/diagnostics.md`.

mod attrs;
pub mod error;
mod infer;
pub mod names;
mod ops;
mod q7;
mod resolve;

pub use error::{CheckError, TensorRef, TooLargeWhat};
pub use ops::Arity;

use crate::diag::Diagnostic;
use crate::front::ast;
use crate::ir;

/// Checks `network` and builds its IR.
///
/// `Ok` carries the module and the warnings; `Err` carries every error and warning, in source
/// order of discovery (errors of one binding before the next).
pub fn check(network: &ast::Network) -> Result<(ir::Module, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (module, errors) = check_errors(network);
    let diagnostics: Vec<Diagnostic> = errors.iter().map(CheckError::to_diagnostic).collect();
    if errors.iter().all(CheckError::is_warning) {
        Ok((module, diagnostics))
    } else {
        Err(diagnostics)
    }
}

/// Like [`check`], returning the module as far as it was built and the problems as
/// [`CheckError`] values (for tests and tools that match on the kind). The module is only
/// meaningful when no error (as opposed to warning) was found.
pub fn check_errors(network: &ast::Network) -> (ir::Module, Vec<CheckError>) {
    let mut checker = resolve::Checker::new(network);
    checker.run();
    (checker.module, checker.errors)
}

/// Parses `.nnd` source text with [`crate::front::nnd::parse_str`] and checks it.
pub fn check_source(source: &str) -> Result<(ir::Module, Vec<Diagnostic>), Vec<Diagnostic>> {
    let network = crate::front::nnd::parse_str(source)?;
    check(&network)
}

#[cfg(test)]
mod tests;
