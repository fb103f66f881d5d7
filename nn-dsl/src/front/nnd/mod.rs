//! The `.nnd` text front end: a pest grammar (`grammar.pest`) and a builder into the shared
//! [`ast`].
//!
//! ```
//! let net = nn_dsl::front::nnd::parse_str(
//!     "network Tiny { input x: i8[4]; output dense(x, units = 2); }",
//! )
//! .map_err(|d| d.len())?;
//! assert_eq!(net.name.node, "Tiny");
//! assert_eq!(net.items.len(), 2);
//! # Ok::<(), usize>(())
//! ```
//!
//! Parsing runs in three steps: a byte-level pre-scan (`lex`) rejects unterminated strings and
//! comments, unknown escapes and nesting deeper than [`MAX_DEPTH`]; pest parses the text; the
//! builder produces the AST and reports what only shows after parsing (integer overflow, a
//! positional argument after a named one, a second network). A pest failure stops parsing at the
//! first syntax error; the later checks report every problem they find.

mod error;
mod lex;
mod parser;

pub use error::{Expected, Found, ParseError};
pub use lex::MAX_DEPTH;

use crate::diag::Diagnostic;
use crate::front::ast;

/// Parses one `.nnd` source text into its network.
///
/// On failure, returns every syntax error found as a [`Diagnostic`] (codes E0001..E0099), ready for
/// [`crate::diag::render`]. Never panics, whatever the input.
pub fn parse_str(source: &str) -> Result<ast::Network, Vec<Diagnostic>> {
    parse(source).map_err(|errors| errors.iter().map(ParseError::to_diagnostic).collect())
}

/// Like [`parse_str`], with the errors as [`ParseError`] values (for tests and tools that match
/// on the kind of error).
pub fn parse(source: &str) -> Result<ast::Network, Vec<ParseError>> {
    parser::parse(source)
}
