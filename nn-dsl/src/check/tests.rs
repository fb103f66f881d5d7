//! Unit tests of the checker on hand-built ASTs.

#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;

use super::*;
use crate::front::ast::{Attr, Call, DType as AstDType, Expr, Item, Network, Value};
use crate::ir::{report, Activation, DType, Module, Op, PaddingScheme, Producer};
use crate::span::{Span, Spanned};

// ----- a tiny AST builder ------------------------------------------------------------------------

/// Distinct fake spans so that labels can be told apart.
fn sp(n: u32) -> Span {
    Span {
        start: n,
        end: n + 1,
    }
}

/// A span derived from the name, so that labels on different names differ.
fn name_span(name: &str) -> Span {
    sp(name.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    }) % 100_000)
}

fn id(name: &str) -> Spanned<String> {
    Spanned::new(name.to_string(), name_span(name))
}

fn input(name: &str, dims: &[i64]) -> Item {
    typed_input(name, AstDType::I8, dims)
}

fn typed_input(name: &str, dtype: AstDType, dims: &[i64]) -> Item {
    Item::Input {
        name: id(name),
        dtype: Spanned::new(dtype, Span::UNDEFINED),
        dims: dims
            .iter()
            .map(|&d| Spanned::new(d, Span::UNDEFINED))
            .collect(),
        span: Span::UNDEFINED,
    }
}

fn let_(name: &str, value: Expr) -> Item {
    Item::Let {
        name: id(name),
        value,
        span: Span::UNDEFINED,
    }
}

fn output(value: Expr) -> Item {
    Item::Output {
        name: None,
        value,
        span: Span::UNDEFINED,
    }
}

fn r(name: &str) -> Expr {
    Expr::Ref(id(name))
}

fn call(op: &str, inputs: Vec<Expr>, attrs: Vec<(&str, Value)>) -> Expr {
    Expr::Call(Call {
        op: id(op),
        inputs,
        attrs: attrs
            .into_iter()
            .map(|(n, value)| Attr {
                name: id(n),
                value,
                span: Span::UNDEFINED,
            })
            .collect(),
        span: Span::UNDEFINED,
    })
}

fn int(v: i64) -> Value {
    Value::Int(Spanned::new(v, Span::UNDEFINED))
}

fn float(v: f64) -> Value {
    Value::Float(Spanned::new(v, Span::UNDEFINED))
}

fn word(w: &str) -> Value {
    Value::Word(Spanned::new(w.to_string(), Span::UNDEFINED))
}

fn list(values: Vec<Value>) -> Value {
    Value::List(Spanned::new(values, Span::UNDEFINED))
}

fn ints(values: &[i64]) -> Value {
    list(values.iter().map(|&v| int(v)).collect())
}

fn net(items: Vec<Item>) -> Network {
    Network {
        name: id("Test"),
        items,
        span: Span::UNDEFINED,
    }
}

/// Checks and expects success without warnings.
fn ok(items: Vec<Item>) -> Module {
    let (module, errors) = check_errors(&net(items));
    assert!(errors.is_empty(), "{errors:#?}");
    module.validate().unwrap();
    module
}

fn errors(items: Vec<Item>) -> Vec<CheckError> {
    check_errors(&net(items)).1
}

fn codes(items: Vec<Item>) -> Vec<&'static str> {
    errors(items).iter().map(CheckError::code).collect()
}

fn shape_of(m: &Module, name: &str) -> Vec<usize> {
    m.tensors[m.tensor_by_name(name).unwrap()].shape.clone()
}

fn op_of<'m>(m: &'m Module, name: &str) -> &'m Op {
    &m.nodes[m.node_by_name(name).unwrap()].op
}

/// `let y = <expr>; output y;` after `input x: i8[dims];`.
fn single(dims: &[i64], expr: Expr) -> Module {
    ok(vec![input("x", dims), let_("y", expr), output(r("y"))])
}

// ----- windows -----------------------------------------------------------------------------------

#[test]
fn same_padding_follows_tflite_split() {
    // KWS first layer: 49x10, kernel 10x4, stride 2 -> 25x5; 4 rows before, 5 after; 1 and 1.
    let m = single(
        &[49, 10, 1],
        call(
            "conv2d",
            vec![r("x")],
            vec![
                ("filters", int(64)),
                ("kernel", ints(&[10, 4])),
                ("stride", int(2)),
                ("padding", word("same")),
                ("activation", word("relu")),
            ],
        ),
    );
    assert_eq!(shape_of(&m, "y"), vec![25, 5, 64]);
    let Op::Conv2d(c) = op_of(&m, "y") else {
        panic!("not a conv")
    };
    let p = c.window.padding;
    assert_eq!(p.scheme, PaddingScheme::Same);
    assert_eq!((p.top, p.bottom, p.left, p.right), (4, 5, 1, 1));
    assert_eq!(c.window.stride, [2, 2]);
    assert_eq!(c.window.dilation, [1, 1]);
    assert_eq!(c.activation, Activation::Relu);
    assert!(c.bias);
    assert_eq!(c.groups, 1);
}

#[test]
fn same_stride_two_on_even_size_pads_after_only() {
    let m = single(
        &[96, 96, 3],
        call(
            "depthwise_conv2d",
            vec![r("x")],
            vec![
                ("kernel", int(3)),
                ("stride", int(2)),
                ("padding", word("same")),
                ("depth_multiplier", int(2)),
            ],
        ),
    );
    assert_eq!(shape_of(&m, "y"), vec![48, 48, 6]);
    let w = op_of(&m, "y").window().unwrap();
    assert_eq!((w.padding.top, w.padding.bottom), (0, 1));
}

#[test]
fn valid_dilated_and_explicit_windows() {
    let m = single(
        &[10, 9, 2],
        call(
            "conv2d",
            vec![r("x")],
            vec![
                ("filters", int(4)),
                ("kernel", int(3)),
                ("dilation", ints(&[2, 1])),
            ],
        ),
    );
    // Effective kernel 5x3 VALID: 6x7.
    assert_eq!(shape_of(&m, "y"), vec![6, 7, 4]);
    let m = single(
        &[5, 5, 1],
        call(
            "conv2d",
            vec![r("x")],
            vec![
                ("filters", int(1)),
                ("kernel", int(3)),
                ("stride", int(2)),
                ("padding", list(vec![ints(&[1, 0]), ints(&[2, 2])])),
                ("bias", word("false")),
            ],
        ),
    );
    // (5 + 1 + 0 - 3) / 2 + 1 = 2 and (5 + 4 - 3) / 2 + 1 = 4.
    assert_eq!(shape_of(&m, "y"), vec![2, 4, 1]);
    let Op::Conv2d(c) = op_of(&m, "y") else {
        panic!()
    };
    assert!(!c.bias);
    let p = c.window.padding;
    assert_eq!(p.scheme, PaddingScheme::Explicit);
    assert_eq!((p.top, p.bottom, p.left, p.right), (1, 0, 2, 2));
}

#[test]
fn pool_stride_defaults_to_size() {
    let m = single(
        &[25, 5, 64],
        call("avg_pool2d", vec![r("x")], vec![("size", ints(&[24, 5]))]),
    );
    assert_eq!(shape_of(&m, "y"), vec![1, 1, 64]);
    assert_eq!(op_of(&m, "y").window().unwrap().stride, [24, 5]);
    let m = single(
        &[7, 7, 8],
        call(
            "max_pool2d",
            vec![r("x")],
            vec![("size", int(2)), ("padding", word("same"))],
        ),
    );
    assert_eq!(shape_of(&m, "y"), vec![4, 4, 8]);
}

#[test]
fn kernel_larger_than_input_is_reported_once_for_both_axes() {
    let errs = errors(vec![
        input("x", &[4, 4, 1]),
        let_(
            "y",
            call(
                "conv2d",
                vec![r("x")],
                vec![("filters", int(1)), ("kernel", int(5))],
            ),
        ),
        output(r("y")),
    ]);
    assert!(
        matches!(
            errs.as_slice(),
            [CheckError::KernelTooLarge {
                axes: [true, true],
                ..
            }]
        ),
        "{errs:?}"
    );
}

// ----- element-wise, reductions, layout ----------------------------------------------------------

fn binary(a: &[i64], b: &[i64]) -> Result<Vec<usize>, Vec<&'static str>> {
    let items = vec![
        input("a", a),
        input("b", b),
        let_("y", call("add", vec![r("a"), r("b")], vec![])),
        output(r("y")),
    ];
    let (m, errs) = check_errors(&net(items));
    if errs.is_empty() {
        Ok(shape_of(&m, "y"))
    } else {
        Err(errs.iter().map(CheckError::code).collect())
    }
}

#[test]
fn broadcasting_aligns_from_the_right() {
    assert_eq!(binary(&[8, 8, 16], &[8, 8, 16]), Ok(vec![8, 8, 16]));
    assert_eq!(binary(&[8, 8, 16], &[16]), Ok(vec![8, 8, 16]));
    assert_eq!(binary(&[4], &[8, 8, 4]), Ok(vec![8, 8, 4]));
    assert_eq!(binary(&[8, 1, 16], &[1, 8, 1]), Ok(vec![8, 8, 16]));
    assert_eq!(binary(&[8, 8, 16], &[8, 8, 32]), Err(vec!["E0117"]));
    assert_eq!(binary(&[8, 8, 16], &[4, 8, 16]), Err(vec!["E0118"]));
    assert_eq!(binary(&[8, 16], &[3, 4, 16]), Err(vec!["E0118"]));
    assert_eq!(binary(&[8, 16], &[3, 1, 8]), Err(vec!["E0117"]));
}

#[test]
fn broadcast_error_names_both_tensors_and_shapes() {
    let errs = errors(vec![
        input("a", &[8, 8, 16]),
        input("b", &[8, 8, 32]),
        let_("y", call("add", vec![r("a"), r("b")], vec![])),
        output(r("y")),
    ]);
    let d = errs[0].to_diagnostic();
    assert_eq!(
        d.message,
        "`add` needs matching shapes but `a` is [8, 8, 16] and `b` is [8, 8, 32]"
    );
    assert!(d.labels[0].primary);
    assert_eq!(
        d.labels[0].span,
        name_span("b"),
        "primary label on the `b` argument"
    );
    assert_eq!(
        d.labels[1].span,
        name_span("a"),
        "secondary label on `a`'s definition"
    );
}

#[test]
fn reshape_infers_minus_one_and_checks_counts() {
    let m = single(
        &[4, 4, 8],
        call("reshape", vec![r("x")], vec![("shape", ints(&[-1, 16]))]),
    );
    assert_eq!(shape_of(&m, "y"), vec![8, 16]);
    assert_eq!(op_of(&m, "y"), &Op::Reshape { shape: vec![8, 16] });
    let c = |shape: &[i64]| {
        codes(vec![
            input("x", &[4, 4, 8]),
            let_(
                "y",
                call("reshape", vec![r("x")], vec![("shape", ints(shape))]),
            ),
            output(r("y")),
        ])
    };
    assert_eq!(c(&[3, 4]), vec!["E0119"]);
    assert_eq!(c(&[5, -1]), vec!["E0119"]);
    assert_eq!(c(&[-1, -1]), vec!["E0104"]);
    assert_eq!(c(&[0, 128]), vec!["E0121"]);
    assert_eq!(c(&[-2, 64]), vec!["E0121"]);
    assert_eq!(c(&[128]), Vec::<&str>::new());
}

#[test]
fn mean_normalises_axes() {
    let m = single(
        &[8, 6, 16],
        call(
            "mean",
            vec![r("x")],
            vec![("axis", ints(&[-2, 0])), ("keep_dims", word("true"))],
        ),
    );
    assert_eq!(shape_of(&m, "y"), vec![1, 1, 16]);
    assert_eq!(
        op_of(&m, "y"),
        &Op::Mean {
            axes: vec![0, 1],
            keep_dims: true
        }
    );
    let m = single(
        &[8, 6, 16],
        call("mean", vec![r("x")], vec![("axis", int(1))]),
    );
    assert_eq!(shape_of(&m, "y"), vec![8, 16]);
    let c = |axes: Value| {
        codes(vec![
            input("x", &[8, 6, 16]),
            let_("y", call("mean", vec![r("x")], vec![("axis", axes)])),
            output(r("y")),
        ])
    };
    assert_eq!(c(ints(&[0, -3])), vec!["E0123"]);
    assert_eq!(c(int(3)), vec!["E0122"]);
    assert_eq!(c(int(-4)), vec!["E0122"]);
}

#[test]
fn concat_sums_the_axis() {
    let m = ok(vec![
        input("a", &[8, 8, 16]),
        input("b", &[8, 8, 8]),
        let_("y", call("concat", vec![r("a"), r("b"), r("a")], vec![])),
        output(r("y")),
    ]);
    assert_eq!(shape_of(&m, "y"), vec![8, 8, 40]);
    assert_eq!(op_of(&m, "y"), &Op::Concat { axis: 2 });
    let errs = codes(vec![
        input("a", &[8, 8, 16]),
        input("b", &[8, 8, 8]),
        let_(
            "y",
            call("concat", vec![r("a"), r("b")], vec![("axis", int(0))]),
        ),
        output(r("y")),
    ]);
    assert_eq!(errs, vec!["E0117"]);
}

#[test]
fn layout_ops_and_activations() {
    let m = single(&[2, 3, 4], call("flatten", vec![r("x")], vec![]));
    assert_eq!(shape_of(&m, "y"), vec![24]);
    let m = single(
        &[2, 3, 4],
        call(
            "pad",
            vec![r("x")],
            vec![(
                "paddings",
                list(vec![ints(&[1, 1]), ints(&[0, 2]), ints(&[0, 0])]),
            )],
        ),
    );
    assert_eq!(shape_of(&m, "y"), vec![4, 5, 4]);
    let m = single(
        &[5, 5, 7],
        call(
            "global_avg_pool",
            vec![r("x")],
            vec![("keep_dims", word("true"))],
        ),
    );
    assert_eq!(shape_of(&m, "y"), vec![1, 1, 7]);
    let m = single(&[5, 5, 7], call("global_avg_pool", vec![r("x")], vec![]));
    assert_eq!(shape_of(&m, "y"), vec![7]);
    let m = single(
        &[10],
        call(
            "softmax",
            vec![r("x")],
            vec![("beta", Value::Float(Spanned::new(0.5, Span::UNDEFINED)))],
        ),
    );
    assert_eq!(op_of(&m, "y"), &Op::Softmax { beta: 0.5 });
}

#[test]
fn quantize_and_dequantize_change_dtypes() {
    let m = ok(vec![
        typed_input("x", AstDType::F32, &[4, 4, 1]),
        let_("q", call("quantize", vec![r("x")], vec![])),
        let_("y", call("dequantize", vec![r("q")], vec![])),
        output(r("y")),
    ]);
    let dtype = |n: &str| m.tensors[m.tensor_by_name(n).unwrap()].dtype;
    assert_eq!(
        (dtype("x"), dtype("q"), dtype("y")),
        (DType::F32, DType::I8, DType::F32)
    );
}

// ----- graph ---------------------------------------------------------------------------------------

#[test]
fn use_before_definition_is_scheduled_topologically() {
    let m = ok(vec![
        let_("b", call("relu", vec![r("a")], vec![])),
        input("x", &[4]),
        let_("a", call("relu6", vec![r("x")], vec![])),
        output(r("b")),
    ]);
    let names: Vec<&str> = m.nodes.iter().map(|(_, n)| n.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(m.outputs.len(), 1);
    assert_eq!(m.outputs[0].0, "b");
}

#[test]
fn nested_calls_become_named_nodes() {
    let m = ok(vec![
        input("x", &[2, 2, 4]),
        let_(
            "y",
            call(
                "dense",
                vec![call("flatten", vec![r("x")], vec![])],
                vec![("units", int(3))],
            ),
        ),
        output(call(
            "softmax",
            vec![call("relu", vec![r("y")], vec![])],
            vec![],
        )),
    ]);
    let names: Vec<&str> = m.nodes.iter().map(|(_, n)| n.name.as_str()).collect();
    assert_eq!(names, vec!["y.flatten", "y", "output0.relu", "output0"]);
    assert_eq!(m.outputs[0].0, "output0");
    let y = m.node_by_name("y").unwrap();
    let flat = m.tensor_by_name("y.flatten").unwrap();
    assert_eq!(m.nodes[y].inputs, vec![flat]);
    assert_eq!(
        m.tensors[flat].producer,
        Producer::Node(m.node_by_name("y.flatten").unwrap())
    );
}

#[test]
fn anonymous_names_do_not_collide_with_bindings() {
    let m = ok(vec![
        input("x", &[4]),
        let_("y.relu", call("relu6", vec![r("x")], vec![])),
        let_(
            "y",
            call(
                "add",
                vec![call("relu", vec![r("x")], vec![]), r("y.relu")],
                vec![],
            ),
        ),
        output(r("y")),
    ]);
    assert!(m.node_by_name("y.relu_1").is_some());
}

#[test]
fn cycles_are_reported_once_with_the_chain() {
    let errs = errors(vec![
        input("x", &[4]),
        let_("a", call("add", vec![r("x"), r("c")], vec![])),
        let_("b", call("relu", vec![r("a")], vec![])),
        let_("c", call("relu6", vec![r("b")], vec![])),
        output(r("c")),
    ]);
    let [CheckError::Cycle { chain }] = errs.as_slice() else {
        panic!("{errs:?}")
    };
    let names: Vec<&str> = chain.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["a", "c", "b", "a"]);
    assert_eq!(
        codes(vec![
            input("x", &[4]),
            let_("y", call("add", vec![r("x"), r("y")], vec![])),
            output(r("y")),
        ]),
        vec!["E0108"]
    );
}

#[test]
fn poisoned_tensors_do_not_cascade() {
    let errs = codes(vec![
        input("x", &[8, 8, 16]),
        let_("a", call("conv2d", vec![r("x")], vec![("filters", int(8))])),
        let_("b", call("relu", vec![r("a")], vec![])),
        let_("c", call("add", vec![r("b"), r("x")], vec![])),
        let_(
            "y",
            call(
                "dense",
                vec![call("flatten", vec![r("c")], vec![])],
                vec![("units", int(2))],
            ),
        ),
        output(r("y")),
    ]);
    assert_eq!(errs, vec!["E0103"]);
}

#[test]
fn every_error_of_a_file_is_reported() {
    let errs = codes(vec![
        input("x", &[8, 8, 3]),
        input("f", &[0]),
        let_("a", call("conv3d", vec![r("x")], vec![])),
        let_(
            "b",
            call(
                "conv2d",
                vec![r("x")],
                vec![
                    ("filters", int(4)),
                    ("kernel", int(3)),
                    ("stride", word("same")),
                ],
            ),
        ),
        let_("c", call("relu", vec![r("nope")], vec![])),
        let_("c", call("relu", vec![r("x")], vec![])),
        let_("d", call("dense", vec![r("x")], vec![("units", int(2))])),
        output(r("a")),
        output(r("b")),
        output(r("c")),
        output(r("d")),
    ]);
    assert_eq!(
        errs,
        vec!["E0107", "E0106", "E0112", "E0100", "E0104", "E0116"],
    );
}

#[test]
fn unused_bindings_warn_but_check_passes() {
    let result = check(&net(vec![
        input("x", &[4]),
        input("z", &[4]),
        let_("dead", call("relu", vec![r("x")], vec![])),
        output(r("x")),
    ]));
    let (_, warnings) = result.unwrap();
    let msgs: Vec<&str> = warnings.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        vec![
            "input `z` is never used by an output",
            "tensor `dead` is never used by an output"
        ]
    );
    assert!(warnings.iter().all(|d| !d.is_error() && d.code == "W0101"));
}

#[test]
fn network_level_errors() {
    assert_eq!(codes(vec![]), vec!["E0109", "E0110"]);
    let weights = |p: &str| Item::Weights {
        path: Spanned::new(p.to_string(), Span::UNDEFINED),
        span: Span::UNDEFINED,
    };
    let (m, errs) = check_errors(&net(vec![
        input("x", &[4]),
        weights("a"),
        weights("b"),
        output(r("x")),
    ]));
    assert_eq!(
        errs.iter().map(CheckError::code).collect::<Vec<_>>(),
        vec!["E0111"]
    );
    assert_eq!(m.weights.unwrap().node, "a");
}

#[test]
fn sizes_are_bounded_by_int32() {
    assert_eq!(
        codes(vec![input("x", &[i64::MAX]), output(r("x"))]),
        vec!["E0124"]
    );
    assert_eq!(
        codes(vec![input("x", &[65536, 65536]), output(r("x"))]),
        vec!["E0124"]
    );
    // Weights of 65536 * 1 * 1 * 65536 elements.
    let errs = codes(vec![
        input("x", &[1, 1, 65536]),
        let_(
            "y",
            call(
                "conv2d",
                vec![r("x")],
                vec![("filters", int(65536)), ("kernel", int(1))],
            ),
        ),
        output(r("y")),
    ]);
    assert_eq!(errs, vec!["E0124"]);
}

/// Issue 16, item 3: every tensor fits int32, but the arena (or a caller's float array) is more
/// than any target can hold; the checker reports E0126 with the size, at the layer at the peak.
#[test]
fn memory_beyond_a_32_bit_target_is_e0126() {
    let pad = |after: i64| {
        vec![
            input("x", &[1]),
            let_(
                "p",
                call(
                    "pad",
                    vec![r("x")],
                    vec![("paddings", list(vec![ints(&[0, after])]))],
                ),
            ),
            output(call("relu", vec![r("p")], vec![])),
        ]
    };
    // 2^31 - 1 bytes of `p`, rounded up to the 16-byte alignment: 2^31.
    let errs = errors(pad(2_147_483_646));
    assert_eq!(errs.len(), 1, "{errs:?}");
    let CheckError::ArenaTooLarge { bytes, peak, .. } = &errs[0] else {
        panic!("{errs:?}");
    };
    assert_eq!(*bytes, 1 << 31);
    assert_eq!(peak.as_ref().map(|(l, _)| l.as_str()), Some("p"));
    let d = errs[0].to_diagnostic();
    assert_eq!(d.code, "E0126");
    assert!(d.message.contains("2147483648 bytes"), "{}", d.message);
    assert!(d.message.contains("2147483647"), "{}", d.message);
    // The largest arena that fits: 2^31 - 16 bytes.
    assert!(errors(pad(2_147_483_630)).is_empty());
    // A float input of 2^29 elements is 2^31 bytes: within int32 elements, beyond the bytes.
    let errs = errors(vec![
        typed_input("f", AstDType::F32, &[536_870_912]),
        output(call("quantize", vec![r("f")], vec![])),
    ]);
    assert_eq!(
        errs.iter().map(CheckError::code).collect::<Vec<_>>(),
        vec!["E0126"]
    );
    let CheckError::BufferTooLarge {
        role, tensor, span, ..
    } = &errs[0]
    else {
        panic!("{errs:?}");
    };
    assert_eq!(
        (*role, tensor.as_str(), *span),
        ("input", "f", name_span("f"))
    );
}

#[test]
fn report_counts_macs_and_params() {
    let m = ok(vec![
        input("x", &[8, 8, 3]),
        let_(
            "c",
            call(
                "conv2d",
                vec![r("x")],
                vec![
                    ("filters", int(4)),
                    ("kernel", int(3)),
                    ("padding", word("same")),
                ],
            ),
        ),
        let_(
            "d",
            call(
                "depthwise_conv2d",
                vec![r("c")],
                vec![("kernel", int(3)), ("bias", word("false"))],
            ),
        ),
        let_(
            "y",
            call(
                "dense",
                vec![call("flatten", vec![r("d")], vec![])],
                vec![("units", int(10))],
            ),
        ),
        output(r("y")),
    ]);
    let rep = report::report(&m);
    let row = |n: &str| {
        let l = rep.layers.iter().find(|l| l.name == n).unwrap();
        (l.macs, l.params)
    };
    assert_eq!(row("c"), (8 * 8 * 4 * 3 * 3 * 3, 4 * 3 * 3 * 3 + 4));
    assert_eq!(row("d"), (6 * 6 * 4 * 3 * 3, 3 * 3 * 4));
    assert_eq!(row("y.flatten"), (0, 0));
    assert_eq!(row("y"), (144 * 10, 144 * 10 + 10));
    assert_eq!(rep.total.macs, 6912 + 1296 + 1440);
    assert_eq!(rep.layers.len(), 4);
}

// ----- robustness ----------------------------------------------------------------------------------

fn arb_int() -> impl Strategy<Value = i64> {
    prop_oneof![
        -3i64..20,
        Just(0),
        Just(-1),
        Just(i64::MAX),
        Just(i64::MIN),
        Just(i64::from(i32::MAX)),
        Just(1 << 32),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        arb_int().prop_map(int),
        prop_oneof![
            Just("same"),
            Just("valid"),
            Just("relu"),
            Just("true"),
            Just("x")
        ]
        .prop_map(word),
        prop_oneof![Just(f64::NAN), Just(-1.0), Just(0.5), Just(f64::INFINITY)]
            .prop_map(|f| Value::Float(Spanned::new(f, Span::UNDEFINED))),
        Just(Value::Str(Spanned::new("s".into(), Span::UNDEFINED))),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(list)
    })
}

const NAMES: &[&str] = &["x", "y", "a", "b", "c"];

fn arb_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop::sample::select(NAMES).prop_map(r);
    leaf.prop_recursive(4, 16, 3, |inner| {
        let ops: Vec<&'static str> = ops::OPS.iter().map(|o| o.name).chain(["nope"]).collect();
        let attr_names: Vec<&'static str> = ops::OPS
            .iter()
            .flat_map(|o| o.attrs.iter().map(|a| a.name))
            .chain(["bogus"])
            .collect();
        (
            prop::sample::select(ops),
            prop::collection::vec(inner, 0..3),
            prop::collection::vec((prop::sample::select(attr_names), arb_value()), 0..4),
        )
            .prop_map(|(op, inputs, attrs)| call(op, inputs, attrs))
    })
}

fn arb_item() -> impl Strategy<Value = Item> {
    prop_oneof![
        (
            prop::sample::select(NAMES),
            prop::bool::ANY,
            prop::collection::vec(arb_int(), 0..4)
        )
            .prop_map(|(n, f, dims)| typed_input(
                n,
                if f { AstDType::F32 } else { AstDType::I8 },
                &dims
            )),
        (prop::sample::select(NAMES), arb_expr()).prop_map(|(n, e)| let_(n, e)),
        arb_expr().prop_map(output),
        (prop::sample::select(NAMES), arb_expr()).prop_map(|(n, e)| Item::Output {
            name: Some(id(n)),
            value: e,
            span: Span::UNDEFINED,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the AST, the checker returns diagnostics; a module it accepts satisfies the IR
    /// invariants and can be reported on.
    #[test]
    fn checker_never_panics(items in prop::collection::vec(arb_item(), 0..8)) {
        let network = net(items);
        match check(&network) {
            Ok((module, warnings)) => {
                prop_assert!(warnings.iter().all(|d| !d.is_error()));
                prop_assert_eq!(module.validate(), Ok(()));
                for (_, t) in module.tensors.iter() {
                    prop_assert!(t.elements() <= i32::MAX as usize);
                }
                let _ = report::report(&module);
            }
            Err(diagnostics) => {
                prop_assert!(diagnostics.iter().any(|d| d.is_error()));
                for d in &diagnostics {
                    prop_assert!(!d.message.is_empty());
                    prop_assert!(!d.message.ends_with('.'));
                }
            }
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut e = r("x");
    for _ in 0..5000 {
        e = call("relu", vec![e], vec![]);
    }
    let errs = codes(vec![input("x", &[4]), let_("y", e), output(r("y"))]);
    assert_eq!(errs, vec!["E0125"]);
}

/// One layer applied to the previous tensor `p`, with attributes in small valid ranges (a VALID
/// window may still not fit: both outcomes are exercised).
fn arb_layer() -> impl Strategy<Value = Expr> {
    let pad = prop_oneof![Just("same"), Just("valid")].prop_map(word);
    prop_oneof![
        (1i64..6, 1i64..4, 1i64..3, pad.clone()).prop_map(|(f, k, s, p)| call(
            "conv2d",
            vec![r("p")],
            vec![
                ("filters", int(f)),
                ("kernel", int(k)),
                ("stride", int(s)),
                ("padding", p)
            ]
        )),
        (1i64..4, 1i64..3, 1i64..3, pad.clone()).prop_map(|(k, d, m, p)| call(
            "depthwise_conv2d",
            vec![r("p")],
            vec![
                ("kernel", int(k)),
                ("dilation", int(d)),
                ("depth_multiplier", int(m)),
                ("padding", p)
            ]
        )),
        (1i64..3, pad).prop_map(|(s, p)| call(
            "max_pool2d",
            vec![r("p")],
            vec![("size", int(s)), ("padding", p)]
        )),
        Just(call("relu", vec![r("p")], vec![])),
        Just(call("add", vec![r("p"), r("p")], vec![])),
        Just(call("concat", vec![r("p"), r("p")], vec![])),
        Just(call(
            "pad",
            vec![r("p")],
            vec![(
                "paddings",
                list(vec![ints(&[1, 0]), ints(&[0, 1]), ints(&[0, 0])])
            )]
        )),
        Just(call(
            "global_avg_pool",
            vec![r("p")],
            vec![("keep_dims", word("true"))]
        )),
        Just(call(
            "reshape",
            vec![r("p")],
            vec![("shape", list(vec![int(1), int(-1), int(1)]))]
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Chains of plausible layers: most are accepted, and every accepted module satisfies the IR
    /// invariants, has one node per layer and a positive MAC count for its convolutions.
    #[test]
    fn accepted_chains_satisfy_invariants(
        dims in (1i64..12, 1i64..12, 1i64..6),
        layers in prop::collection::vec(arb_layer(), 1..6),
    ) {
        let n = layers.len();
        let items = chain(dims, layers);
        if let Ok((module, warnings)) = check(&net(items)) {
            prop_assert!(warnings.is_empty());
            prop_assert_eq!(module.validate(), Ok(()));
            prop_assert_eq!(module.nodes.len(), n);
            let rep = report::report(&module);
            for (layer, (_, node)) in rep.layers.iter().zip(module.nodes.iter()) {
                let convolves = matches!(node.op, Op::Conv2d(_) | Op::DepthwiseConv2d(_));
                prop_assert_eq!(layer.macs > 0, convolves);
                prop_assert_eq!(&layer.output_shape, &module.tensors[node.output].shape);
            }
        }
    }
}

/// `input x: i8[dims]; let l0 = layer0(x); let l1 = layer1(l0); ...; output l{n-1};`
fn chain(dims: (i64, i64, i64), layers: Vec<Expr>) -> Vec<Item> {
    let mut items = vec![input("x", &[dims.0, dims.1, dims.2])];
    let mut prev = "x".to_string();
    for (i, layer) in layers.into_iter().enumerate() {
        let name = format!("l{i}");
        items.push(let_(&name, rename_p(layer, &prev)));
        prev = name;
    }
    items.push(output(r(&prev)));
    items
}

/// Replaces references to `p` by `to`.
fn rename_p(e: Expr, to: &str) -> Expr {
    match e {
        Expr::Ref(id) if id.node == "p" => r(to),
        Expr::Ref(id) => Expr::Ref(id),
        Expr::Call(mut c) => {
            c.inputs = c.inputs.into_iter().map(|i| rename_p(i, to)).collect();
            Expr::Call(c)
        }
    }
}

#[test]
fn layer_chains_are_mostly_accepted() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (
        (1i64..12, 1i64..12, 1i64..6),
        prop::collection::vec(arb_layer(), 1..6),
    );
    let mut accepted = 0;
    for _ in 0..200 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (dims, layers) = tree.current();
        let items = chain(dims, layers);
        accepted += usize::from(check(&net(items)).is_ok());
    }
    // The generator is only useful if the invariant branch above runs often.
    assert!(accepted > 60, "only {accepted} of 200 chains accepted");
}

// ----- svdf ----------------------------------------------------------------------------------------

#[test]
fn svdf_resolves_its_attributes_and_defaults() {
    let m = single(
        &[40],
        call(
            "svdf",
            vec![r("x")],
            vec![("units", int(24)), ("memory", int(8)), ("rank", int(2))],
        ),
    );
    assert_eq!(shape_of(&m, "y"), vec![24]);
    let Op::Svdf(s) = op_of(&m, "y") else {
        panic!("not an svdf")
    };
    assert_eq!((s.units, s.rank, s.memory, s.bias), (24, 2, 8, true));
    assert_eq!(s.state, DType::I16);
    assert_eq!((s.filters(), s.state_len()), (48, 384));
    assert_eq!(m.state_bytes(), 768);
    let m = single(
        &[9],
        call(
            "svdf",
            vec![r("x")],
            vec![
                ("units", int(7)),
                ("memory", int(1)),
                ("bias", word("false")),
                ("state", word("i8")),
            ],
        ),
    );
    let Op::Svdf(s) = op_of(&m, "y") else {
        panic!("not an svdf")
    };
    assert_eq!((s.rank, s.bias, s.state), (1, false, DType::I8));
    assert_eq!(m.state_bytes(), 7);
}

#[test]
fn svdf_refuses_a_frame_of_rank_two_a_bad_state_and_missing_sizes() {
    let y = |dims: &[i64], attrs: Vec<(&str, Value)>| {
        codes(vec![
            input("x", dims),
            let_("y", call("svdf", vec![r("x")], attrs)),
            output(r("y")),
        ])
    };
    let sizes = || vec![("units", int(4)), ("memory", int(3))];
    assert_eq!(y(&[4, 10], sizes()), vec!["E0116"]);
    let mut bad = sizes();
    bad.push(("state", word("i32")));
    assert_eq!(y(&[10], bad), vec!["E0104"]);
    assert_eq!(y(&[10], vec![("units", int(4))]), vec!["E0103"]);
    let mut zero = sizes();
    zero.push(("rank", int(0)));
    assert!(!y(&[10], zero).is_empty());
}

// ----- lstm ----------------------------------------------------------------------------------------

#[test]
fn lstm_resolves_its_attributes_and_defaults() {
    let m = single(
        &[8, 6],
        call("lstm", vec![r("x")], vec![("units", int(20))]),
    );
    assert_eq!(shape_of(&m, "y"), vec![8, 20]);
    let Op::Lstm(l) = op_of(&m, "y") else {
        panic!("not an lstm")
    };
    assert_eq!((l.units, l.cell_clip), (20, 0.0));
    // int8 hidden state and int16 cell state.
    assert_eq!(m.state_bytes(), 60);
    let m = single(
        &[3, 7],
        call(
            "lstm",
            vec![r("x")],
            vec![("units", int(5)), ("cell_clip", float(1.5))],
        ),
    );
    let Op::Lstm(l) = op_of(&m, "y") else {
        panic!("not an lstm")
    };
    assert_eq!((l.units, l.cell_clip), (5, 1.5));
}

#[test]
fn lstm_refuses_a_rank_one_input_a_negative_clip_and_no_units() {
    let y = |dims: &[i64], attrs: Vec<(&str, Value)>| {
        codes(vec![
            input("x", dims),
            let_("y", call("lstm", vec![r("x")], attrs)),
            output(r("y")),
        ])
    };
    assert_eq!(y(&[10], vec![("units", int(4))]), vec!["E0116"]);
    assert_eq!(y(&[2, 10], vec![]), vec!["E0103"]);
    assert!(!y(
        &[2, 10],
        vec![("units", int(4)), ("cell_clip", float(-1.0))]
    )
    .is_empty());
    assert!(y(&[2, 10], vec![("units", int(4))]).is_empty());
}
