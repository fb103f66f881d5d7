use super::*;
use crate::ir::Quant;
use crate::lower::Lowered;

fn quantised(src: &str) -> Module {
    let (mut module, _) = crate::check::check_source(src).unwrap();
    for h in module.tensors.handles().collect::<Vec<_>>() {
        module.tensors[h].quant = Some(Quant {
            scale: vec![0.5],
            zero_point: vec![-3],
            axis: None,
        });
    }
    module
}

fn generate(module: &Module, options: &Options) -> Result<String, Error> {
    let lowered = crate::lower::lower(module, &Default::default()).unwrap();
    let plan = crate::plan::plan(module, &Default::default()).unwrap();
    write_string(module, &lowered, &plan, options)
}

#[test]
fn relu_chain_module() {
    let m = quantised(
        "network Chain { input x: i8[2, 3]; let a = relu(x); let b = flatten(a); \
         let c = relu6(b); output c; }",
    );
    let code = generate(&m, &Options::default()).unwrap();
    assert!(code.contains("pub type Input = [[i8; 3]; 2];"));
    assert!(code.contains("pub type Output = [i8; 6];"));
    assert!(code.contains("pub const INPUT_SHAPE: [usize; 2] = [2, 3];"));
    assert!(code.contains("pub const OUTPUT_ZERO_POINT: i32 = -3;"));
    assert!(code.contains("pub const ARENA_BYTES: usize = 16;"));
    assert!(code.contains("::nn_kernels::typed::relu6("));
    // The flatten is an alias: no copy.
    assert!(!code.contains("typed::copy("));
}

fn parts(module: &Module) -> (Lowered, ArenaPlan) {
    (
        crate::lower::lower(module, &Default::default()).unwrap(),
        crate::plan::plan(module, &Default::default()).unwrap(),
    )
}

#[test]
fn layer_marks_wrap_each_node_block() {
    let m = quantised("network N { input x: i8[4]; let y = relu(x); let z = relu(y); output z; }");
    let (l, p) = parts(&m);
    let plain = write_string(&m, &l, &p, &Options::default()).unwrap();
    assert!(!plain.contains("layer_begin"));
    let marked = Options {
        layer_marks: Some("crate::marks".into()),
        ..Options::default()
    };
    let code = write_string(&m, &l, &p, &marked).unwrap();
    assert_eq!(code.matches("crate::marks::layer_begin();").count(), 2);
    assert_eq!(code.matches("crate::marks::layer_end();").count(), 2);
    let bad = Options {
        layer_marks: Some("not a path".into()),
        ..Options::default()
    };
    assert_eq!(
        write_tokens(&m, &l, &p, &bad).unwrap_err(),
        Error::MarksPath("not a path".into())
    );
}

#[test]
fn layer_marks_skip_reshape_aliases() {
    // relu -> flatten (an alias: no code) -> relu6: two marked blocks, not three.
    let m = quantised(
        "network Chain { input x: i8[2, 3]; let a = relu(x); let b = flatten(a); \
         let c = relu6(b); output c; }",
    );
    let marked = Options {
        layer_marks: Some("crate::marks".into()),
        ..Options::default()
    };
    let code = generate(&m, &marked).unwrap();
    assert_eq!(code.matches("crate::marks::layer_begin();").count(), 2);
    assert_eq!(code.matches("crate::marks::layer_end();").count(), 2);
    let plain = generate(&m, &Options::default()).unwrap();
    assert_eq!(
        code.replace("crate::marks::layer_begin();", "")
            .replace("crate::marks::layer_end();", "")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>(),
        plain
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
    );
}

#[test]
fn options_are_checked() {
    let m = quantised("network N { input x: i8[4]; let y = relu(x); output y; }");
    let (l, p) = parts(&m);
    let bad_path = Options {
        kernels_path: "not a path".into(),
        ..Options::default()
    };
    assert_eq!(
        write_tokens(&m, &l, &p, &bad_path).unwrap_err(),
        Error::KernelsPath("not a path".into())
    );
    for name in ["fn", "1a", "a-b", "Self"] {
        let o = Options {
            type_name: Some(name.into()),
            ..Options::default()
        };
        assert!(
            matches!(write_tokens(&m, &l, &p, &o), Err(Error::Name { .. })),
            "{name}"
        );
    }
    let custom = Options {
        kernels_path: "crate::k".into(),
        type_name: Some("Net".into()),
        ..Options::default()
    };
    let code = write_string(&m, &l, &p, &custom).unwrap();
    assert!(code.contains("pub struct Net;"));
    assert!(code.contains("crate::k::typed::relu("));
    assert!(!code.contains("nn_kernels"));
}

#[test]
fn foreign_lowering_or_plan_is_rejected() {
    let m = quantised("network N { input x: i8[4]; let y = relu(x); output y; }");
    let other =
        quantised("network O { input x: i8[4]; let y = relu(x); let z = relu6(y); output z; }");
    let (l, p) = parts(&m);
    let (lo, po) = parts(&other);
    let o = Options::default();
    assert!(matches!(
        write_tokens(&m, &lo, &p, &o),
        Err(Error::Mismatch(_))
    ));
    assert!(matches!(
        write_tokens(&m, &l, &po, &o),
        Err(Error::Mismatch(_))
    ));
    // A plan whose buffers overlap fails its own verification.
    let m2 = quantised(
        "network P { input x: i8[32]; let a = relu(x); let b = relu6(a); let c = relu(b); output c; }",
    );
    let (l2, mut p2) = parts(&m2);
    for t in &mut p2.tensors {
        t.offset = 0;
    }
    assert!(matches!(
        write_tokens(&m2, &l2, &p2, &o),
        Err(Error::Plan(_))
    ));
}

#[test]
fn float_tensors_must_be_graph_inputs_or_outputs() {
    // A dequantize in the middle of the network would put f32 data in the int8 arena.
    let m = quantised(
        "network F { input x: i8[4]; let f = dequantize(x); let q = quantize(f); output q; }",
    );
    let (l, p) = parts(&m);
    let e = write_tokens(&m, &l, &p, &Options::default()).unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { node, .. } if node == "f"),
        "{e}"
    );
    assert!(e.to_string().contains("only int8 activations"), "{e}");
}

#[test]
fn token_output_has_no_block_docs_and_string_output_has_comments() {
    let m = quantised("network N { input x: i8[4]; let y = relu(x); let z = relu6(y); output z; }");
    let (l, p) = parts(&m);
    let tokens = write_tokens(&m, &l, &p, &Options::default())
        .unwrap()
        .to_string();
    assert!(!tokens.contains("(relu)"));
    let text = write_string(&m, &l, &p, &Options::default()).unwrap();
    assert!(text.contains("        // `y` (relu)\n        {\n"));
    assert!(!text.contains("/// `y`"));
    // Deterministic.
    assert_eq!(text, write_string(&m, &l, &p, &Options::default()).unwrap());
}

#[test]
fn files_are_rewritten_only_on_change() {
    let dir = std::env::temp_dir().join(format!("nnd-back-rust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("m.rs");
    let _ = std::fs::remove_file(&f);
    assert!(write_if_changed(&f, "a").unwrap());
    assert!(!write_if_changed(&f, "a").unwrap());
    assert!(write_if_changed(&f, "b").unwrap());
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "b");
    std::fs::remove_dir_all(&dir).unwrap();
}
