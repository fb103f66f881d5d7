//! Diagnostics: plain data shared by every stage, rendered in one place.
//!
//! Every stage keeps its own error enum (with spans) and converts it into [`Diagnostic`]s. A
//! diagnostic has one primary label (the place to fix) and any number of secondary labels ("defined
//! here"), notes and an optional help line. [`render`] turns diagnostics into text with
//! codespan-reporting: `file:line:col`, the snippet and the labels.

pub mod render;

use crate::span::Span;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The network is still valid; something is probably unintended (an unused tensor).
    Warning,
    /// The network is rejected.
    Error,
}

/// A span with a message, pointing into the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What about it (may be empty).
    pub message: String,
    /// The primary label is the place to fix; secondary labels give context.
    pub primary: bool,
}

/// One message for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code such as `E0101`, documented in docs/diagnostics.md.
    pub code: &'static str,
    /// One line, lower case, no trailing period.
    pub message: String,
    /// Primary label first.
    pub labels: Vec<Label>,
    /// Extra facts ("valid names are: ...").
    pub notes: Vec<String>,
    /// How to fix it, when the fix is obvious.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error with no labels yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// A new warning with no labels yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Adds the primary label.
    #[must_use]
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}
