//! Snapshot tests of the rendered syntax diagnostics, one per `parse/errors/*.nnd` fixture.
//!
//! Every fixture must fail to parse; its rendered diagnostics (codespan-reporting, no colour) are
//! compared with `parse/snapshots/`. Review a changed snapshot by reading it, then commit it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::diag::render;
use nn_dsl::front::nnd::parse_str;

/// Grammar rule names that are not plain English, and so must never appear in a message.
const RULE_NAMES: &[&str] = &[
    "expr",
    "ident",
    "attr",
    "dtype",
    "input_stmt",
    "weights_stmt",
    "let_stmt",
    "output_stmt",
    "kw_network",
    "kw_input",
    "kw_weights",
    "kw_let",
    "kw_output",
    "lbrace",
    "rbrace",
    "lparen",
    "rparen",
    "lbrack",
    "rbrack",
    "eq",
    "semi",
    "string_body",
    "name_chars",
    "ident_char",
    "EOI",
    "SOI",
    "WHITESPACE",
    "COMMENT",
    "Rule",
];

#[test]
fn syntax_error_snapshots() {
    insta::with_settings!({
        snapshot_path => "parse/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::glob!("parse/errors/*.nnd", |path| {
            let source = std::fs::read_to_string(path).expect("fixture is readable UTF-8");
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            let diags = match parse_str(&source) {
                Ok(net) => panic!("{name} parsed but must fail: {net:?}"),
                Err(d) => d,
            };
            assert!(!diags.is_empty(), "{name}: Err with no diagnostics");
            for d in &diags {
                assert!(d.code.starts_with("E00"), "{name}: code {} is not a syntax code", d.code);
                assert!(d.primary_span().is_some() || d.code == "E0013", "{name}: no primary label");
            }
            // Raw pest rule names must never reach the user.
            for d in &diags {
                let mut text = d.message.clone();
                for l in &d.labels {
                    text.push_str(&l.message);
                }
                text.extend(d.notes.iter().map(String::as_str));
                text.push_str(d.help.as_deref().unwrap_or(""));
                let words: Vec<&str> = text
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .collect();
                for raw in RULE_NAMES {
                    assert!(!words.contains(raw), "{name}: a diagnostic mentions `{raw}`: {text}");
                }
            }
            let rendered = render::to_string(&format!("errors/{name}"), &source, &diags);
            insta::assert_snapshot!(rendered);
        });
    });
}
