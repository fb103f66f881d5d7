//! Rendering diagnostics as text with codespan-reporting.
//!
//! Bounded output whatever the input: at most [`MAX_SHOWN`] diagnostics are shown (then one line
//! says how many were left out), and a diagnostic on a source line longer than [`MAX_LINE`]
//! bytes gives its labels as `line:column` notes instead of reprinting the line.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, LabelStyle};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use super::{Diagnostic, Severity};

/// The most diagnostics rendered for one file; the rest are counted.
pub const MAX_SHOWN: usize = 50;

/// The longest source line (in bytes) a diagnostic reprints.
pub const MAX_LINE: usize = 240;

/// The line of byte offset `at` in `source`: its 1-based number, its start and end offsets.
fn line_of(source: &str, at: usize) -> (usize, usize, usize) {
    let at = at.min(source.len());
    let bytes = source.as_bytes();
    let start = bytes
        .get(..at)
        .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
        .map_or(0, |p| p + 1);
    let end = bytes
        .get(at..)
        .and_then(|b| b.iter().position(|&c| c == b'\n'))
        .map_or(source.len(), |p| at + p);
    let number = bytes
        .get(..start)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1;
    (number, start, end)
}

/// `d` with labels on over-long lines turned into `line:column` notes.
fn shorten(d: &Diagnostic, source: &str) -> Option<Diagnostic> {
    let long = |at: u32| {
        let (_, start, end) = line_of(source, at as usize);
        end - start > MAX_LINE
    };
    if !d.labels.iter().any(|l| long(l.span.start)) {
        return None;
    }
    let mut short = d.clone();
    short.labels.clear();
    let mut notes = Vec::new();
    for l in &d.labels {
        let (line, start, _) = line_of(source, l.span.start as usize);
        let column = source
            .get(start..(l.span.start as usize).min(source.len()))
            .map_or(1, |s| s.chars().count() + 1);
        notes.push(format!(
            "at {line}:{column} (a line of more than {MAX_LINE} bytes, not shown): {}",
            l.message
        ));
    }
    notes.extend(short.notes);
    short.notes = notes;
    Some(short)
}

/// The line that says how many diagnostics were not shown, if any.
fn left_out(diagnostics: &[Diagnostic]) -> Option<String> {
    let n = diagnostics
        .len()
        .checked_sub(MAX_SHOWN)
        .filter(|&n| n > 0)?;
    let errors = diagnostics
        .iter()
        .skip(MAX_SHOWN)
        .filter(|d| d.is_error())
        .count();
    Some(format!(
        "note: {n} more diagnostic(s) not shown ({errors} error(s)); the first {MAX_SHOWN} are \
         above: fix them and check again\n"
    ))
}

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
    for d in diagnostics.iter().take(MAX_SHOWN) {
        let short = shorten(d, source);
        let d = short.as_ref().unwrap_or(d);
        // Writing into an in-memory buffer fails only if the labels are out of range, which
        // `to_codespan` prevents by clamping; fall back to the bare message if it ever happens.
        if term::emit(&mut buffer, &config, &file, &to_codespan(d, source.len())).is_err() {
            buffer_push(
                &mut buffer,
                &format!("{}[{}]: {}\n", sev(d), d.code, d.message),
            );
        }
    }
    if let Some(line) = left_out(diagnostics) {
        buffer_push(&mut buffer, &line);
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
    for d in diagnostics.iter().take(MAX_SHOWN) {
        let short = shorten(d, source);
        let d = short.as_ref().unwrap_or(d);
        term::emit(out, &config, &file, &to_codespan(d, source.len()))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    if let Some(line) = left_out(diagnostics) {
        out.write_all(line.as_bytes())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    /// Issue 16, item 1: one 8 KB line with 4,000 bad escapes printed 48 MB (every diagnostic
    /// reprinted the line, none was left out). Now 50 are shown, each without the line.
    #[test]
    fn output_is_bounded_by_count_and_line_length() {
        let line = "\\q".repeat(4000);
        let source = format!("network N {{\n  weights \"{line}\";\n}}\n");
        let at = source.find('\\').unwrap();
        let diags: Vec<Diagnostic> = (0..4000)
            .map(|i| {
                Diagnostic::error("E0001", "unknown escape")
                    .with_primary(Span::new(at + 2 * i, at + 2 * i + 2), "here")
            })
            .collect();
        let text = to_string("big.nnd", &source, &diags);
        assert!(text.len() < 20_000, "{} bytes", text.len());
        assert_eq!(text.matches("error[E0001]").count(), MAX_SHOWN);
        assert!(
            text.contains("note: 3950 more diagnostic(s) not shown (3950 error(s))"),
            "{text}"
        );
        assert!(text.contains("at 2:12 (a line of more than 240 bytes, not shown): here"));
        let mut buf = termcolor::Buffer::no_color();
        to_writer(&mut buf, "big.nnd", &source, &diags).unwrap();
        assert_eq!(String::from_utf8_lossy(buf.as_slice()), text);
        // Short lines are still shown with their snippet, and nothing is said when all fit.
        let small = "network N {\n  input x: i8[4];\n}\n";
        let d = [Diagnostic::error("E0002", "bad").with_primary(Span::new(14, 19), "this")];
        let text = to_string("small.nnd", small, &d);
        assert!(text.contains("input x"), "{text}");
        assert!(!text.contains("not shown"), "{text}");
    }
}
