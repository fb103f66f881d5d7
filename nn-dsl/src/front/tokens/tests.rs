//! The token front end against the text front end: same AST (spans aside), same checker
//! diagnostics on the same tokens, over every `.nnd` file of the repository's corpora.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::TokenStream;

use super::{parse2, SpanTable};
use crate::diag::Diagnostic;
use crate::front::ast::{Expr, Item, Network, Value};
use crate::span::Span;

fn strip_value(v: &mut Value) {
    match v {
        Value::Int(x) => x.span = Span::UNDEFINED,
        Value::Float(x) => x.span = Span::UNDEFINED,
        Value::Word(x) => x.span = Span::UNDEFINED,
        Value::Str(x) => x.span = Span::UNDEFINED,
        Value::List(x) => {
            x.span = Span::UNDEFINED;
            x.node.iter_mut().for_each(strip_value);
        }
    }
}

fn strip_expr(e: &mut Expr) {
    match e {
        Expr::Ref(id) => id.span = Span::UNDEFINED,
        Expr::Call(c) => {
            c.span = Span::UNDEFINED;
            c.op.span = Span::UNDEFINED;
            c.inputs.iter_mut().for_each(strip_expr);
            for a in &mut c.attrs {
                a.span = Span::UNDEFINED;
                a.name.span = Span::UNDEFINED;
                strip_value(&mut a.value);
            }
        }
    }
}

fn strip(mut n: Network) -> Network {
    n.span = Span::UNDEFINED;
    n.name.span = Span::UNDEFINED;
    for item in &mut n.items {
        match item {
            Item::Input {
                name,
                dtype,
                dims,
                span,
            } => {
                *span = Span::UNDEFINED;
                name.span = Span::UNDEFINED;
                dtype.span = Span::UNDEFINED;
                dims.iter_mut().for_each(|d| d.span = Span::UNDEFINED);
            }
            Item::Weights { path, span } => {
                *span = Span::UNDEFINED;
                path.span = Span::UNDEFINED;
            }
            Item::Let { name, value, span } => {
                *span = Span::UNDEFINED;
                name.span = Span::UNDEFINED;
                strip_expr(value);
            }
            Item::Output { name, value, span } => {
                *span = Span::UNDEFINED;
                if let Some(n) = name {
                    n.span = Span::UNDEFINED;
                }
                strip_expr(value);
            }
        }
    }
    n
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        "tests/diagnostics",
        "nn-dsl/tests/parse/ok",
        "nn-dsl/tests/cli",
        "nn-dsl/tests/import",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "nnd") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn no_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// What a diagnostic says, with each label's span replaced by the text it covers.
fn described(d: &Diagnostic, text_of: &dyn Fn(Span) -> String) -> String {
    let labels: Vec<String> = d
        .labels
        .iter()
        .map(|l| format!("{}|{}|{}", l.primary, no_ws(&text_of(l.span)), l.message))
        .collect();
    format!(
        "{:?} {} {} {:?} {:?} {:?}",
        d.severity, d.code, d.message, labels, d.notes, d.help
    )
}

#[test]
fn same_ast_and_diagnostics_as_the_text_front_end() {
    let files = corpus();
    assert!(files.len() >= 40, "corpus too small: {}", files.len());
    let mut compared = 0;
    let mut diagnostics = 0;
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let Ok(text_ast) = crate::front::nnd::parse_str(&source) else {
            continue;
        };
        let tokens = TokenStream::from_str(&source).unwrap();
        let parsed = parse2(tokens);
        assert!(
            parsed.errors.is_empty(),
            "{}: {:?}",
            file.display(),
            parsed.errors
        );
        let token_ast = parsed.network.unwrap();
        assert_eq!(
            strip(text_ast.clone()),
            strip(token_ast.clone()),
            "{}",
            file.display()
        );
        let text_diags = match crate::check::check(&text_ast) {
            Ok((_, w)) | Err(w) => w,
        };
        let token_diags = match crate::check::check(&token_ast) {
            Ok((_, w)) | Err(w) => w,
        };
        let by_text = |s: Span| source.get(s.range()).unwrap_or("").to_owned();
        let table: &SpanTable = &parsed.table;
        let by_token = |s: Span| table.text(s);
        let a: Vec<String> = text_diags.iter().map(|d| described(d, &by_text)).collect();
        let b: Vec<String> = token_diags
            .iter()
            .map(|d| described(d, &by_token))
            .collect();
        assert_eq!(a, b, "{}", file.display());
        compared += 1;
        diagnostics += a.len();
    }
    assert!(compared >= 40, "only {compared} files compared");
    assert!(diagnostics >= 40, "only {diagnostics} diagnostics compared");
}

fn errors_of(src: &str) -> Vec<(String, String, String)> {
    let parsed = parse2(TokenStream::from_str(src).unwrap());
    parsed
        .errors
        .iter()
        .map(|d| {
            let at = d
                .primary_span()
                .map(|s| parsed.table.text(s))
                .unwrap_or_default();
            (d.code.to_owned(), d.message.clone(), at)
        })
        .collect()
}

#[test]
fn syntax_errors_point_at_the_token_and_recover_per_statement() {
    let errs = errors_of(
        "network N {
            input x: i8[4];
            let y: dense(x, units = 2);
            ouput y;
            let z = dense(x, units = 2i32);
            let let = x;
            let w = add(x, activation = relu, x);
            output y
        }",
    );
    let codes: Vec<&str> = errs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        codes,
        ["E0001", "E0002", "E0001", "E0003", "E0009", "E0001"],
        "{errs:?}"
    );
    assert_eq!(errs[0].2, ":");
    assert_eq!(errs[0].1, "expected `=`, found `:`");
    assert_eq!(
        errs[1].1,
        "expected a statement, found unknown keyword `ouput`"
    );
    assert_eq!(errs[2].2, "2i32");
    assert_eq!(errs[3].2, "let");
    assert_eq!(errs[4].2, "x");
    // The missing `;` at the end of the body is reported at the closing brace.
    assert_eq!(errs[5].1, "expected `;`, found `}`");
}

#[test]
fn numbers_and_strings_follow_rust_literals() {
    let parsed = parse2(
        TokenStream::from_str(
            r#"network N { input x: i8[1_0, 0x4]; weights r"a\b.safetensors";
               let y = pad(x, paddings = [[-1, 2], [0, 0]], scale = -1.5e-3); output y; }"#,
        )
        .unwrap(),
    );
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let net = parsed.network.unwrap();
    let Item::Input { dims, .. } = &net.items[0] else {
        panic!("{:?}", net.items[0])
    };
    assert_eq!(dims.iter().map(|d| d.node).collect::<Vec<_>>(), [10, 4]);
    let Item::Weights { path, .. } = &net.items[1] else {
        panic!()
    };
    assert_eq!(path.node, "a\\b.safetensors");
    let Item::Let {
        value: Expr::Call(c),
        ..
    } = &net.items[2]
    else {
        panic!()
    };
    assert_eq!(
        parsed.table.text(c.attrs[0].span),
        "paddings = [[-1, 2], [0, 0]]"
    );
    let Value::Float(f) = &c.attrs[1].value else {
        panic!()
    };
    assert_eq!(f.node, -1.5e-3);
    assert_eq!(parsed.table.text(f.span), "-1.5e-3");
    let errs = errors_of("network N { input x: i8[99999999999999999999]; output x; }");
    assert_eq!(errs[0].0, "E0007");
    assert_eq!(errs[0].2, "99999999999999999999");
}

#[test]
fn header_errors() {
    assert_eq!(
        errors_of("netwrk N {}")[0].1,
        "expected `network`, found `netwrk`"
    );
    assert_eq!(
        errors_of("")[0].1,
        "expected `network`, found the end of the macro input"
    );
    assert_eq!(errors_of("network N { } extra")[0].2, "extra");
    assert_eq!(errors_of("network { }")[0].1, "expected a name, found `{`");
}

/// Token trees of `stream`, flattened one level (groups kept whole).
fn trees(stream: TokenStream) -> Vec<proc_macro2::TokenTree> {
    stream.into_iter().collect()
}

#[test]
fn mutated_token_streams_never_panic() {
    // Deterministic mutations of every corpus body: drop, duplicate or swap top-level and
    // in-body token trees; the parser and the checker must return, whatever they report.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let mut runs = 0;
    for file in corpus() {
        let source = std::fs::read_to_string(&file).unwrap();
        let Ok(tokens) = TokenStream::from_str(&source) else {
            continue;
        };
        let top = trees(tokens);
        for _ in 0..40 {
            let mut t = top.clone();
            // Mutate inside the network's body (the brace group) as well as at the top.
            if let Some(pos) = t
                .iter()
                .position(|x| matches!(x, proc_macro2::TokenTree::Group(_)))
            {
                if let proc_macro2::TokenTree::Group(g) = &t[pos] {
                    let mut body = trees(g.stream());
                    for _ in 0..1 + next(3) {
                        if body.is_empty() {
                            break;
                        }
                        let i = next(body.len());
                        match next(3) {
                            0 => {
                                body.remove(i);
                            }
                            1 => {
                                let dup = body[i].clone();
                                body.insert(next(body.len()), dup);
                            }
                            _ => {
                                let j = next(body.len());
                                body.swap(i, j);
                            }
                        }
                    }
                    let mut ng = proc_macro2::Group::new(g.delimiter(), body.into_iter().collect());
                    ng.set_span(g.span());
                    t[pos] = proc_macro2::TokenTree::Group(ng);
                }
            }
            if next(4) == 0 && !t.is_empty() {
                let i = next(t.len());
                t.remove(i);
            }
            let parsed = parse2(t.into_iter().collect());
            if let (Some(net), true) = (&parsed.network, parsed.errors.is_empty()) {
                let diags = match crate::check::check(net) {
                    Ok((_, w)) | Err(w) => w,
                };
                for d in &diags {
                    let _ = super::to_syn_error(d, &parsed.table, proc_macro2::Span::call_site());
                }
            }
            for d in &parsed.errors {
                let span = d.primary_span().unwrap();
                assert!(parsed.table.range(span).is_some(), "{d:?}");
                let _ = super::to_syn_error(d, &parsed.table, proc_macro2::Span::call_site());
            }
            runs += 1;
        }
    }
    assert!(runs >= 1600, "{runs}");
}
