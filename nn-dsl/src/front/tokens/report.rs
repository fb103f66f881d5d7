//! Diagnostics as `syn::Error`s at the tokens they are about.
//!
//! A stable proc macro can report nothing but errors, each at one span range and with one
//! message. So a [`Diagnostic`] becomes one [`syn::Error`] whose span runs from the first to the
//! last token of its primary label, and whose message holds everything else:
//!
//! ```text
//! `conv2d` has no attribute `strides` [E0101]
//! unknown attribute
//! = note: valid attributes of `conv2d` are: ...
//! = help: did you mean `stride`?
//! ```
//!
//! Secondary labels are written as notes that quote their tokens (``= note: first given here:
//! `stride = 1` ``).

use proc_macro2::{Ident, TokenStream, TokenTree};

use super::SpanTable;
use crate::diag::{Diagnostic, Severity};

/// The message of `d` without its primary span: the code, the primary label's message, secondary
/// labels, notes and help. `table` is used to quote the secondary labels' tokens; pass `None`
/// when the spans are byte offsets of text that is rendered elsewhere.
pub fn message(d: &Diagnostic, table: Option<&SpanTable>) -> String {
    let mut out = format!("{} [{}]", d.message, d.code);
    if let Some(primary) = d.labels.iter().find(|l| l.primary) {
        if !primary.message.is_empty() {
            out.push('\n');
            out.push_str(&primary.message);
        }
    }
    for l in d.labels.iter().filter(|l| !l.primary) {
        let mut quoted = table.map(|t| t.text(l.span)).unwrap_or_default();
        // "`a` defined here" needs no quote of `a`.
        if l.message.contains(&format!("`{quoted}`")) {
            quoted.clear();
        }
        match (l.message.is_empty(), quoted.is_empty()) {
            (false, false) => out.push_str(&format!("\n= note: {}: `{quoted}`", l.message)),
            (false, true) => out.push_str(&format!("\n= note: {}", l.message)),
            (true, false) => out.push_str(&format!("\n= note: see `{quoted}`")),
            (true, true) => {}
        }
    }
    for n in &d.notes {
        out.push_str("\n= note: ");
        out.push_str(n);
    }
    if let Some(h) = &d.help {
        out.push_str("\n= help: ");
        out.push_str(h);
    }
    out
}

/// `d` as a [`syn::Error`] spanning the tokens of its primary label (the first label if none is
/// primary; `fallback` when it has no label or its span is not in `table`).
pub fn to_syn_error(d: &Diagnostic, table: &SpanTable, fallback: proc_macro2::Span) -> syn::Error {
    let label = d
        .labels
        .iter()
        .find(|l| l.primary)
        .or_else(|| d.labels.first());
    let range = label.and_then(|l| table.range(l.span));
    let text = message(d, Some(table));
    match range {
        Some((first, last)) => syn::Error::new_spanned(span_pair(first, last), text),
        None => syn::Error::new(fallback, text),
    }
}

/// Every error of `diagnostics` (warnings are dropped: stable Rust cannot emit them), combined
/// into one [`syn::Error`]; `None` when there is no error.
pub fn to_syn_errors(
    diagnostics: &[Diagnostic],
    table: &SpanTable,
    fallback: proc_macro2::Span,
) -> Option<syn::Error> {
    let mut all: Option<syn::Error> = None;
    for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
        let e = to_syn_error(d, table, fallback);
        match &mut all {
            Some(a) => a.combine(e),
            None => all = Some(e),
        }
    }
    all
}

/// Two tokens carrying `first` and `last`: `syn::Error::new_spanned` takes its start from the
/// first token and its end from the last, which is how an error covers a range on stable Rust.
fn span_pair(first: proc_macro2::Span, last: proc_macro2::Span) -> TokenStream {
    [
        TokenTree::Ident(Ident::new("start", first)),
        TokenTree::Ident(Ident::new("end", last)),
    ]
    .into_iter()
    .collect()
}
