//! The `.nnd` parser on valid sources: AST shape, values and byte spans (checked by slicing the
//! source), plus the errors found after a successful pest parse.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::front::ast::{Attr, Call, DType, Expr, Item, Network, Value};
use nn_dsl::front::nnd::{parse, parse_str, ParseError, MAX_DEPTH};
use nn_dsl::span::Span;

fn ok(src: &str) -> Network {
    match parse_str(src) {
        Ok(n) => n,
        Err(d) => panic!(
            "parse failed:\n{}",
            nn_dsl::diag::render::to_string("test.nnd", src, &d)
        ),
    }
}

fn errs(src: &str) -> Vec<ParseError> {
    match parse(src) {
        Ok(n) => panic!("parsed but must fail: {n:?}"),
        Err(e) => e,
    }
}

fn text(src: &str, span: Span) -> &str {
    &src[span.range()]
}

fn call(e: &Expr) -> &Call {
    match e {
        Expr::Call(c) => c,
        Expr::Ref(r) => panic!("expected a call, found the name {}", r.node),
    }
}

fn attr<'a>(c: &'a Call, name: &str) -> &'a Attr {
    c.attrs
        .iter()
        .find(|a| a.name.node == name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

const KWS: &str = r#"// line comments and /* block comments */
network Kws {
    input x: i8[49, 10, 1];          // dtype i8 or f32
    weights "kws.safetensors";       /* optional */
    let c1 = conv2d(x, filters = 64, kernel = [10, 4], stride = 2, padding = same, activation = relu);
    let g  = avg_pool2d(c1, size = [25, 5]);
    let y  = dense(flatten(g), units = 12);     // calls nest
    let r  = add(c1, c1);
    let p  = pad(x, paddings = [[1, 1], [2, 2], [0, 0]]);
    output softmax(y);
    output y;
    output probs = softmax(y);
}
"#;

#[test]
fn brief_example_shape_and_spans() {
    let src = KWS;
    let net = ok(src);
    assert_eq!(net.name.node, "Kws");
    assert_eq!(text(src, net.name.span), "Kws");
    assert!(text(src, net.span).starts_with("network Kws {"));
    assert!(text(src, net.span).ends_with("output probs = softmax(y);\n}"));
    assert_eq!(net.items.len(), 10);

    let Item::Input {
        name,
        dtype,
        dims,
        span,
    } = &net.items[0]
    else {
        panic!("item 0 is not an input: {:?}", net.items[0]);
    };
    assert_eq!(name.node, "x");
    assert_eq!(text(src, name.span), "x");
    assert_eq!(dtype.node, DType::I8);
    assert_eq!(text(src, dtype.span), "i8");
    assert_eq!(dims.iter().map(|d| d.node).collect::<Vec<_>>(), [49, 10, 1]);
    assert_eq!(
        dims.iter().map(|d| text(src, d.span)).collect::<Vec<_>>(),
        ["49", "10", "1"]
    );
    assert_eq!(text(src, *span), "input x: i8[49, 10, 1];");

    let Item::Weights { path, span } = &net.items[1] else {
        panic!("item 1 is not weights");
    };
    assert_eq!(path.node, "kws.safetensors");
    assert_eq!(text(src, path.span), "\"kws.safetensors\"");
    assert_eq!(text(src, *span), "weights \"kws.safetensors\";");

    let Item::Let { name, value, span } = &net.items[2] else {
        panic!("item 2 is not a let");
    };
    assert_eq!(name.node, "c1");
    assert!(text(src, *span).starts_with("let c1 = conv2d(x,"));
    assert!(text(src, *span).ends_with("activation = relu);"));
    let c = call(value);
    assert_eq!(c.op.node, "conv2d");
    assert!(text(src, c.span).starts_with("conv2d(x,"));
    assert!(text(src, c.span).ends_with("activation = relu)"));
    assert_eq!(value.span(), c.span);
    assert_eq!(c.inputs.len(), 1);
    assert!(matches!(&c.inputs[0], Expr::Ref(r) if r.node == "x" && text(src, r.span) == "x"));
    let names: Vec<&str> = c.attrs.iter().map(|a| a.name.node.as_str()).collect();
    assert_eq!(
        names,
        ["filters", "kernel", "stride", "padding", "activation"]
    );
    let filters = attr(c, "filters");
    assert_eq!(text(src, filters.span), "filters = 64");
    assert!(matches!(&filters.value, Value::Int(v) if v.node == 64 && text(src, v.span) == "64"));
    let kernel = attr(c, "kernel");
    assert_eq!(text(src, kernel.span), "kernel = [10, 4]");
    let Value::List(list) = &kernel.value else {
        panic!("kernel is not a list");
    };
    assert_eq!(text(src, list.span), "[10, 4]");
    assert!(
        matches!(list.node.as_slice(), [Value::Int(a), Value::Int(b)] if a.node == 10 && b.node == 4)
    );
    assert!(
        matches!(&attr(c, "padding").value, Value::Word(w) if w.node == "same" && text(src, w.span) == "same")
    );

    // Nested calls.
    let Item::Let { value, .. } = &net.items[4] else {
        panic!("item 4 is not a let");
    };
    let dense = call(value);
    assert_eq!(text(src, dense.span), "dense(flatten(g), units = 12)");
    let flatten = call(&dense.inputs[0]);
    assert_eq!(flatten.op.node, "flatten");
    assert_eq!(text(src, flatten.span), "flatten(g)");

    // Two positional inputs.
    let Item::Let { value, .. } = &net.items[5] else {
        panic!("item 5 is not a let");
    };
    let add = call(value);
    assert_eq!(add.inputs.len(), 2);
    assert!(add.attrs.is_empty());

    // Nested lists.
    let Item::Let { value, .. } = &net.items[6] else {
        panic!("item 6 is not a let");
    };
    let pads = &attr(call(value), "paddings").value;
    assert_eq!(text(src, pads.span()), "[[1, 1], [2, 2], [0, 0]]");
    let Value::List(rows) = pads else {
        panic!("paddings is not a list");
    };
    assert_eq!(rows.node.len(), 3);
    assert!(rows
        .node
        .iter()
        .all(|r| matches!(r, Value::List(l) if l.node.len() == 2)));
    assert_eq!(text(src, rows.node[1].span()), "[2, 2]");

    // The three output forms.
    let Item::Output { name, value, span } = &net.items[7] else {
        panic!("item 7 is not an output");
    };
    assert!(name.is_none());
    assert_eq!(text(src, value.span()), "softmax(y)");
    assert_eq!(text(src, *span), "output softmax(y);");
    let Item::Output { name, value, span } = &net.items[8] else {
        panic!("item 8 is not an output");
    };
    assert!(name.is_none());
    assert!(matches!(value, Expr::Ref(r) if r.node == "y"));
    assert_eq!(text(src, *span), "output y;");
    let Item::Output { name, value, span } = &net.items[9] else {
        panic!("item 9 is not an output");
    };
    let name = name.as_ref().expect("named output");
    assert_eq!(name.node, "probs");
    assert_eq!(text(src, name.span), "probs");
    assert_eq!(call(value).op.node, "softmax");
    assert_eq!(text(src, *span), "output probs = softmax(y);");
}

#[test]
fn values() {
    let src = r#"network V { input x: f32[1]; output f(x,
        a = 3, b = -1, c = 0.5, d = -1e-3, e = 1.0e6, f = 2E+2, g = true, h = "q\"uo\\te",
        i = [], j = [[], [1, [2.5, "s", w]]], k = 9223372036854775807, l = -9223372036854775808,
        m = _under_score9, n = "", o = "ünï",
    ); }"#;
    let net = ok(src);
    let Item::Input { dtype, .. } = &net.items[0] else {
        panic!("item 0 is not an input");
    };
    assert_eq!(dtype.node, DType::F32);
    let Item::Output { value, .. } = &net.items[1] else {
        panic!("item 1 is not an output");
    };
    let c = call(value);
    let int = |n: &str| match &attr(c, n).value {
        Value::Int(v) => v.node,
        other => panic!("{n} is not an int: {other:?}"),
    };
    let float = |n: &str| match &attr(c, n).value {
        Value::Float(v) => v.node,
        other => panic!("{n} is not a float: {other:?}"),
    };
    let string = |n: &str| match &attr(c, n).value {
        Value::Str(v) => v.node.clone(),
        other => panic!("{n} is not a string: {other:?}"),
    };
    assert_eq!(int("a"), 3);
    assert_eq!(int("b"), -1);
    assert_eq!(text(src, attr(c, "b").value.span()), "-1");
    assert_eq!(float("c"), 0.5);
    assert_eq!(float("d"), -1e-3);
    assert_eq!(text(src, attr(c, "d").value.span()), "-1e-3");
    assert_eq!(float("e"), 1.0e6);
    assert_eq!(float("f"), 200.0);
    assert!(matches!(&attr(c, "g").value, Value::Word(w) if w.node == "true"));
    assert_eq!(string("h"), "q\"uo\\te");
    assert_eq!(text(src, attr(c, "h").value.span()), r#""q\"uo\\te""#);
    assert!(
        matches!(&attr(c, "i").value, Value::List(l) if l.node.is_empty() && text(src, l.span) == "[]")
    );
    let Value::List(j) = &attr(c, "j").value else {
        panic!("j is not a list");
    };
    let Value::List(inner) = &j.node[1] else {
        panic!("j[1] is not a list");
    };
    assert_eq!(text(src, inner.span), r#"[1, [2.5, "s", w]]"#);
    let Value::List(deepest) = &inner.node[1] else {
        panic!("j[1][1] is not a list");
    };
    assert!(matches!(
        deepest.node.as_slice(),
        [Value::Float(f), Value::Str(s), Value::Word(w)] if f.node == 2.5 && s.node == "s" && w.node == "w"
    ));
    assert_eq!(int("k"), i64::MAX);
    assert_eq!(int("l"), i64::MIN);
    assert!(matches!(&attr(c, "m").value, Value::Word(w) if w.node == "_under_score9"));
    assert_eq!(string("n"), "");
    assert_eq!(string("o"), "ünï");
    assert_eq!(c.attrs.len(), 15);
}

#[test]
fn layout_freedom() {
    // No whitespace where none is needed, comments between any two tokens, trailing commas,
    // empty calls and empty dims, names that start with a keyword.
    let src = "network/*a*/N{input/*b*/inputs:i8[1,2,];let letter=f();output//c\n  output_1=g(letter,inputs,k=[1,],);}";
    let net = ok(src);
    assert_eq!(net.items.len(), 3);
    let Item::Input { name, dims, .. } = &net.items[0] else {
        panic!("item 0 is not an input");
    };
    assert_eq!(name.node, "inputs");
    assert_eq!(dims.len(), 2);
    let Item::Let { name, value, span } = &net.items[1] else {
        panic!("item 1 is not a let");
    };
    assert_eq!(name.node, "letter");
    assert_eq!(text(src, *span), "let letter=f();");
    assert!(call(value).inputs.is_empty() && call(value).attrs.is_empty());
    let Item::Output { name, value, span } = &net.items[2] else {
        panic!("item 2 is not an output");
    };
    assert_eq!(name.as_ref().map(|n| n.node.as_str()), Some("output_1"));
    assert_eq!(call(value).inputs.len(), 2);
    assert_eq!(
        text(src, *span),
        "output//c\n  output_1=g(letter,inputs,k=[1,],);"
    );
    assert_eq!(text(src, net.span), src);

    // An empty network body and an input without dimensions parse; checks come later.
    assert!(ok("network E {}").items.is_empty());
    let net = ok("network S { input s: i8[]; }");
    assert!(matches!(&net.items[0], Item::Input { dims, .. } if dims.is_empty()));
    // Non-ASCII text in comments and strings, CRLF line ends.
    let net = ok("// é\r\nnetwork U { weights \"ü/ß.safetensors\"; /* ✓ */ }\r\n");
    assert!(matches!(&net.items[0], Item::Weights { path, .. } if path.node == "ü/ß.safetensors"));
}

#[test]
fn mlperf_examples_parse() {
    for (name, src) in [
        ("kws", include_str!("../../examples/mlperf/kws.nnd")),
        ("vww", include_str!("../../examples/mlperf/vww.nnd")),
        ("resnet8", include_str!("../../examples/mlperf/resnet8.nnd")),
        ("ad", include_str!("../../examples/mlperf/ad.nnd")),
    ] {
        let net = ok(src);
        assert!(!net.items.is_empty(), "{name}: no statements");
        // Every statement's span ends with `;` and every call's span with `)`.
        for item in &net.items {
            let (span, value) = match item {
                Item::Input { span, .. } | Item::Weights { span, .. } => (*span, None),
                Item::Let { span, value, .. } | Item::Output { span, value, .. } => {
                    (*span, Some(value))
                }
            };
            assert!(
                text(src, span).ends_with(';'),
                "{name}: {:?}",
                text(src, span)
            );
            if let Some(Expr::Call(c)) = value {
                assert!(text(src, c.span).starts_with(&c.op.node));
                assert!(text(src, c.span).ends_with(')'));
                for a in &c.attrs {
                    let t = text(src, a.span);
                    assert!(t.starts_with(&a.name.node) && t.ends_with(text(src, a.value.span())));
                }
            }
        }
    }
}

#[test]
fn post_parse_errors_are_all_reported() {
    let src = "network A { input x: i8[99999999999999999999]; \
               let y = f(k = 1, x, z = 1e400, w = [1, -99999999999999999999]); output y; }\n\
               network B { } network C { }";
    let e = errs(src);
    let codes: Vec<&str> = e.iter().map(ParseError::code).collect();
    assert_eq!(
        codes,
        ["E0007", "E0009", "E0008", "E0007", "E0010", "E0010"],
        "{e:#?}"
    );
    match &e[1] {
        ParseError::PositionalAfterNamed {
            op,
            positional,
            first_named,
        } => {
            assert_eq!(op, "f");
            assert_eq!(text(src, *positional), "x");
            assert_eq!(text(src, *first_named), "k = 1");
        }
        other => panic!("not positional-after-named: {other:?}"),
    }
    match &e[4] {
        ParseError::SeveralNetworks { name, span, first } => {
            assert_eq!(name, "B");
            assert_eq!(text(src, *span), "network B");
            assert_eq!(text(src, *first), "network A");
        }
        other => panic!("not several networks: {other:?}"),
    }
}

#[test]
fn syntax_error_kinds() {
    let first = |src: &str| errs(src).into_iter().next().expect("at least one error");
    assert!(matches!(
        first("network A { ouput x; }"),
        ParseError::UnknownStatement { word, suggestion: Some("output"), .. } if word == "ouput"
    ));
    assert!(matches!(
        first("network A { inpt x: i8[1]; }"),
        ParseError::UnknownStatement {
            suggestion: Some("input"),
            ..
        }
    ));
    assert!(matches!(
        first("network A { conv2d x; }"),
        ParseError::UnknownStatement {
            suggestion: None,
            ..
        }
    ));
    assert!(matches!(
        first("network A { let output = x; }"),
        ParseError::KeywordAsName { word: "output", .. }
    ));
    assert!(matches!(
        first("network A { output f(x, let = 1); }"),
        ParseError::KeywordAsName { word: "let", .. }
    ));
    let src = "network A { let y = x let z = y; }";
    match first(src) {
        ParseError::Unexpected {
            expected,
            span,
            help,
            ..
        } => {
            assert!(expected.contains(&nn_dsl::front::nnd::Expected::Semicolon));
            assert_eq!(text(src, span), "let");
            assert_eq!(span.start, 22);
            assert!(help.is_some_and(|h| h.contains("`;`")));
        }
        other => panic!("{other:?}"),
    }
    let src = "network A { let y = f(x, k = [1, 2; }";
    match first(src) {
        ParseError::Unexpected {
            unclosed: Some(('[', open)),
            span,
            ..
        } => {
            assert_eq!(text(src, span), ";");
            assert_eq!(open.start, 29);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        first("network A { weights \"a\\tb\"; }"),
        ParseError::InvalidEscape { ch: 't', .. }
    ));
    assert!(matches!(
        first("network A { weights \"ab; }"),
        ParseError::UnterminatedString { .. }
    ));
    assert!(matches!(
        first("network A { /* }"),
        ParseError::UnterminatedComment { .. }
    ));
}

#[test]
fn nesting_limit_is_exact() {
    // The network's `{` and the call's `(` are two levels; lists fill the rest.
    let nest = |lists: usize| {
        format!(
            "network A {{ output f(x, v = {}1{}); }}",
            "[".repeat(lists),
            "]".repeat(lists)
        )
    };
    let net = ok(&nest(MAX_DEPTH - 2));
    let Item::Output { value, .. } = &net.items[0] else {
        panic!("not an output");
    };
    let mut v = &call(value).attrs[0].value;
    let mut depth = 0;
    while let Value::List(l) = v {
        depth += 1;
        v = &l.node[0];
    }
    assert_eq!(depth, MAX_DEPTH - 2);
    let e = errs(&nest(MAX_DEPTH - 1));
    assert!(
        matches!(e.as_slice(), [ParseError::TooDeep { span }] if span.start as usize == 28 + MAX_DEPTH - 2),
        "{e:?}"
    );
    // Nested calls count too.
    let calls = format!(
        "network A {{ output {}x{}; }}",
        "f(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert!(matches!(
        errs(&calls).as_slice(),
        [ParseError::TooDeep { .. }]
    ));
}
