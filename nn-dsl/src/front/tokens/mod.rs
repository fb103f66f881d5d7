//! The Rust-token front end: `network! { ... }` bodies parsed from Rust tokens into the shared
//! [`ast`], and checker diagnostics mapped back onto those tokens.
//!
//! The macro body is the `.nnd` language written as Rust tokens:
//!
//! ```
//! use nn_dsl::front::tokens;
//!
//! let body: proc_macro2::TokenStream = quote::quote! {
//!     network Tiny {
//!         input x: i8[8, 8, 3];
//!         let c = conv2d(x, filters = 4, kernel = 3, padding = same);
//!         output c;
//!     }
//! };
//! let parsed = tokens::parse2(body);
//! assert!(parsed.errors.is_empty());
//! let net = parsed.network.ok_or(0usize)?;
//! assert_eq!(net.name.node, "Tiny");
//! // The checker runs unchanged on the token AST.
//! let (module, _) = nn_dsl::check::check(&net).map_err(|d| d.len())?;
//! assert_eq!(module.tensors.len(), 2);
//! # Ok::<(), usize>(())
//! ```
//!
//! # Spans
//!
//! A `.nnd` file's AST carries byte offsets. Rust tokens have no byte offsets that a stable proc
//! macro can read (`Literal::subspan` and `Span::join` are nightly-only), so this front end gives
//! every token it consumes an **index** in a side table, [`SpanTable`], that keeps its
//! [`proc_macro2::Span`] and its text. An AST [`Span`](crate::Span) `{ start, end }` then means
//! "from token `start` to token `end - 1`": `start` is the index of the node's first token and
//! `end` is one past the index of its last token. Indices are handed out in source order, so
//! [`Span::join`](crate::Span::join) (the checker's only span arithmetic) still yields the tokens
//! from the first node to the last. Delimiters count as two tokens, the opening one when the group
//! is entered and the closing one when it is left.
//!
//! [`report::to_syn_error`] turns a [`Diagnostic`] into a [`syn::Error`] that
//! spans the primary label's tokens (rustc underlines from the first token to the last); the
//! label's message, the secondary labels (quoted by their tokens' text), the notes and the help
//! are part of the message, since a stable proc macro can emit nothing but the error itself.
//! Warnings cannot be emitted on stable Rust, so the macro drops them (`nndc check` shows them).
//!
//! # Differences from `.nnd` text
//!
//! The Rust lexer runs first, so comments are Rust comments (nested block comments are fine),
//! strings are Rust string literals (every Rust escape, raw strings), integers and floats are Rust
//! literals without a suffix (`1_000`, `0x10` and `1.` are accepted), and a negative number is
//! `-` followed by a literal. Names are ASCII, as in `.nnd`; a raw identifier `r#type` is the name
//! `type`. Everything else, including the syntax error codes E0001-E0009, is the same.

mod parse;
pub mod report;

use crate::diag::Diagnostic;
use crate::front::ast;

pub use report::{to_syn_error, to_syn_errors};

/// The tokens an AST [`Span`](crate::Span) indexes: span and text of every token the parser
/// consumed, in source order.
#[derive(Clone, Debug, Default)]
pub struct SpanTable {
    tokens: Vec<(proc_macro2::Span, String)>,
}

impl SpanTable {
    /// An empty table.
    pub fn new() -> Self {
        SpanTable::default()
    }

    /// Appends a token; returns its index.
    pub fn push(&mut self, span: proc_macro2::Span, text: impl Into<String>) -> u32 {
        let index = u32::try_from(self.tokens.len()).unwrap_or(u32::MAX);
        self.tokens.push((span, text.into()));
        index
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when no token was recorded.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The spans of the first and the last token of `span`, or `None` for an undefined or
    /// out-of-range span.
    pub fn range(&self, span: crate::Span) -> Option<(proc_macro2::Span, proc_macro2::Span)> {
        if span.end <= span.start {
            return None;
        }
        let first = self.tokens.get(span.start as usize)?.0;
        let last = self.tokens.get(span.end as usize - 1)?.0;
        Some((first, last))
    }

    /// The text of the tokens of `span`, separated the way a person would write them
    /// (`conv2d(x, kernel = 3)`). Empty for an undefined span.
    pub fn text(&self, span: crate::Span) -> String {
        let Some(tokens) = self.tokens.get(span.range()) else {
            return String::new();
        };
        let mut out = String::new();
        let mut prev = "";
        for (_, t) in tokens {
            let glue = prev.is_empty()
                || matches!(prev, "(" | "[" | "-")
                || matches!(t.as_str(), ")" | "]" | "," | ";" | ":" | "(" | "[")
                    && !matches!(prev, "=" | ",");
            if !glue {
                out.push(' ');
            }
            out.push_str(t);
            prev = t;
        }
        out
    }
}

/// The result of [`parse2`]: the network (when the structure could be read), the token table its
/// spans index, and every syntax error found.
#[derive(Debug)]
pub struct Parsed {
    /// The network; `None` when its header (`network Name { ... }`) could not be read. May be
    /// `Some` together with errors (statements with errors are left out), so that a caller can
    /// still name the generated type.
    pub network: Option<ast::Network>,
    /// The tokens the AST spans index.
    pub table: SpanTable,
    /// Syntax errors (codes E0001-E0009), spans into [`Parsed::table`].
    pub errors: Vec<Diagnostic>,
}

/// Parses `network Name { statements }` from Rust tokens.
///
/// Never panics. Syntax errors are collected per statement: a statement with an error is skipped
/// up to its `;` and parsing goes on, so every broken statement is reported.
pub fn parse2(tokens: proc_macro2::TokenStream) -> Parsed {
    parse::parse(tokens)
}

#[cfg(test)]
mod tests;
