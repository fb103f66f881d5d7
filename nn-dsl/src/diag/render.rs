//! Rendering diagnostics as text with codespan-reporting.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, LabelStyle};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use super::{Diagnostic, Severity};

fn to_codespan(d: &Diagnostic, source_len: usize) -> CsDiagnostic<()> {
    let severity = match d.severity {
        Severity::Error => codespan_reporting::diagnostic::Severity::Error,
        Severity::Warning => codespan_reporting::diagnostic::Severity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary {
                LabelStyle::Primary
            } else {
                LabelStyle::Secondary
            };
            let start = (l.span.start as usize).min(source_len);
            let end = (l.span.end as usize).clamp(start, source_len);
            CsLabel::new(style, (), start..end).with_message(l.message.clone())
        })
        .collect();
    let mut notes = d.notes.clone();
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    CsDiagnostic::new(severity)
        .with_code(d.code)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders `diagnostics` against `source` (named `path`) as plain text, without colour.
pub fn to_string(path: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let file = SimpleFile::new(path, source);
    let mut buffer = termcolor::Buffer::no_color();
    let config = term::Config::default();
    for d in diagnostics {
        // Writing into an in-memory buffer fails only if the labels are out of range, which
        // `to_codespan` prevents by clamping; fall back to the bare message if it ever happens.
        if term::emit(&mut buffer, &config, &file, &to_codespan(d, source.len())).is_err() {
            buffer_push(
                &mut buffer,
                &format!("{}[{}]: {}\n", sev(d), d.code, d.message),
            );
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Renders `diagnostics` to a terminal-like writer, with colour when `color` is set.
pub fn to_writer(
    out: &mut dyn termcolor::WriteColor,
    path: &str,
    source: &str,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    let file = SimpleFile::new(path, source);
    let config = term::Config::default();
    for d in diagnostics {
        term::emit(out, &config, &file, &to_codespan(d, source.len()))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(())
}

fn sev(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn buffer_push(buffer: &mut termcolor::Buffer, text: &str) {
    use std::io::Write;
    // An in-memory buffer cannot fail to grow except on OOM.
    let _ = buffer.write_all(text.as_bytes());
}
