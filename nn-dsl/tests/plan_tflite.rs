//! The planner on the whole-network oracle models (`tests/vectors/models/*.tflite`, imported):
//! every invariant holds, and the arena is at most the arena TFLM itself reported for the same
//! model (`tflm_arena_bytes`, which also holds TFLM's bookkeeping).

#![allow(clippy::unwrap_used)]

mod plan_common;

use nn_dsl::plan::{plan, PlanOptions};

/// `(model, arena with I/O in the caller's buffers, arena with I/O in the arena, lower bound of
/// the latter)`, as computed by the planner; docs/memory.md quotes them.
const EXPECTED: [(&str, usize, usize, usize); 7] = [
    ("ds_cnn_kws", 16000, 16000, 16000),
    ("mobilenet_v1_025_vww", 55296, 55296, 55296),
    ("resnet8_cifar", 49152, 49152, 49152),
    ("fc_autoencoder", 256, 768, 768),
    ("concat_mul", 2064, 2064, 2064),
    ("flatten_cnn", 768, 1040, 1040),
    ("zero_pad_cnn", 2592, 2592, 2592),
];

#[test]
fn oracle_models_plan_within_tflm_arena() {
    let dir = format!("{}/../tests/vectors/models", env!("CARGO_MANIFEST_DIR"));
    for (name, caller_io, arena_io, lower_io) in EXPECTED {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}.json")).unwrap())
                .unwrap();
        let tflm = json["tflm_arena_bytes"].as_u64().unwrap() as usize;
        let bytes = std::fs::read(format!("{dir}/{name}.tflite")).unwrap();
        let model = nn_dsl::front::tflite::read(&bytes).unwrap();
        let (module, _weights) = nn_dsl::front::tflite::import(&model).unwrap();
        let a = plan(&module, &PlanOptions::default()).unwrap();
        plan_common::check_invariants(&module, &a);
        let io = PlanOptions {
            io_in_arena: true,
            ..PlanOptions::default()
        };
        let b = plan(&module, &io).unwrap();
        plan_common::check_invariants(&module, &b);
        assert!(b.arena_bytes <= tflm, "{name}: {} > {tflm}", b.arena_bytes);
        assert_eq!(
            (a.arena_bytes, b.arena_bytes, b.lower_bound_bytes),
            (caller_io, arena_io, lower_io),
            "{name}"
        );
    }
}

/// Issue 15: ResNet-8's three residual blocks are found and fused (`fuse_blocks`): the inner
/// tensors take no memory, each block's output starts at its input's bytes, and the arena with
/// I/O in it drops from 49,152 to 19,456 bytes (the input and `x` at the first layer, then `x`
/// and 3 KiB of block scratch). Without residual blocks (KWS) the option changes nothing.
/// An oracle model, imported.
fn load(name: &str) -> nn_dsl::ir::Module {
    let dir = format!("{}/../tests/vectors/models", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(format!("{dir}/{name}.tflite")).unwrap();
    let model = nn_dsl::front::tflite::read(&bytes).unwrap();
    nn_dsl::front::tflite::import(&model).unwrap().0
}

/// `plan` edited to put its first fused group's output one alignment step late fails `verify`.
fn late_output_is_rejected(module: &nn_dsl::ir::Module, plan: &nn_dsl::plan::ArenaPlan) {
    let mut broken = plan.clone();
    let out = broken
        .tensors
        .iter()
        .position(|t| t.share == nn_dsl::plan::Share::Block)
        .unwrap();
    broken.tensors[out].offset += 16;
    assert!(broken.verify(module).is_err());
}

#[test]
fn resnet8_blocks_fuse() {
    let module = load("resnet8_cifar");
    let blocks = nn_dsl::plan::fuse::find(&module);
    assert_eq!(blocks.len(), 3);
    assert_eq!(
        blocks
            .iter()
            .map(|b| b.shortcut.is_some())
            .collect::<Vec<_>>(),
        [false, true, true]
    );
    let options = PlanOptions {
        io_in_arena: true,
        fuse_blocks: true,
        ..PlanOptions::default()
    };
    let p = plan(&module, &options).unwrap();
    plan_common::check_invariants(&module, &p);
    assert_eq!((p.arena_bytes, p.blocks.len()), (19_456, 3));
    let fused = p
        .tensors
        .iter()
        .filter(|t| t.memory == nn_dsl::plan::Memory::Fused)
        .count();
    assert_eq!(fused, 8);
    // Row by row as well: fusion is what ResNet-8 needs.
    let rows = plan(
        &module,
        &PlanOptions {
            in_place_rows: true,
            ..options
        },
    )
    .unwrap();
    plan_common::check_invariants(&module, &rows);
    assert_eq!(rows.arena_bytes, 19_456);
    // Breaking a block's safety (a plan edited to put the block output one row late) is caught
    // by verify.
    late_output_is_rejected(&module, &p);
    // KWS has no residual block; fusion gives it chains instead (below).
    let kws = load("ds_cnn_kws");
    assert!(nn_dsl::plan::fuse::find(&kws).is_empty());
}

/// Chains (issue 15 item 3): consecutive windowed layers computed one output row at a time, the
/// tensors between them in rings of a few rows. In VWW the planner fuses the first convolution
/// with the depthwise layer after it (the 96x96x3 image becomes the 48x48x8 map in place, the
/// map between them never stored), then the first pointwise layer with the stride-2 depthwise
/// one (its 48x48x16 output, the largest tensor of the network, never stored).
#[test]
fn chains_fuse_the_first_stages() {
    use nn_dsl::plan::fuse::Fused;
    let vww = load("mobilenet_v1_025_vww");
    let names = |module: &nn_dsl::ir::Module, p: &nn_dsl::plan::ArenaPlan| -> Vec<Vec<String>> {
        p.blocks
            .iter()
            .map(|g| {
                assert!(matches!(g, Fused::Chain(_)));
                g.nodes()
                    .iter()
                    .map(|&h| module.nodes.get(h).unwrap().name.clone())
                    .collect()
            })
            .collect()
    };
    let memory = PlanOptions::memory(true, None, true);
    let p = plan(&vww, &memory).unwrap();
    plan_common::check_invariants(&vww, &p);
    assert_eq!(p.arena_bytes, 29_952);
    assert_eq!(
        names(&vww, &p),
        [
            ["conv2d_14_1", "depthwise_conv2d_13_1"],
            ["conv2d_15_1", "depthwise_conv2d_14_1"]
        ]
    );
    // `nndc info` says what each chain holds and costs.
    let table = nn_dsl::plan::chart::tensor_table(&vww, &p);
    assert!(
        table.contains(
            "fused chain: `conv2d_15_1`, `depthwise_conv2d_14_1` one output row at a time \
             (24 rows), 2304 bytes of rows in scratch, 23 row copies, 0 MACs recomputed"
        ),
        "{table}"
    );
    // Without chains the same options give 38,032 bytes.
    let rows_only = plan(
        &vww,
        &PlanOptions {
            fuse_blocks: false,
            ..memory
        },
    )
    .unwrap();
    assert_eq!(rows_only.arena_bytes, 38_032);
    // A chain's output one alignment step late overwrites input rows still to be read: verify
    // says so.
    late_output_is_rejected(&vww, &p);
    // KWS with fusion alone (no row-by-row layers): chains take it from 16,000 to 12,160 bytes.
    let kws = load("ds_cnn_kws");
    let fuse_only = PlanOptions {
        io_in_arena: true,
        fuse_blocks: true,
        ..PlanOptions::default()
    };
    let k = plan(&kws, &fuse_only).unwrap();
    plan_common::check_invariants(&kws, &k);
    assert_eq!(k.arena_bytes, 12_160);
    assert!(!k.blocks.is_empty());
    // With a budget the plain plan fits, chains are not tried (they cost calls and copies).
    let budget = plan(&vww, &PlanOptions::memory(false, Some(60_000), true)).unwrap();
    assert!(budget.blocks.is_empty());
}

/// Keras ZeroPadding2D layers before convolutions become the convolutions' padding on import
/// (`nn_dsl::ir::fold`); the pads a convolution cannot take stay (two readers, a pool, a 1x1
/// kernel). The outputs are checked equal to TFLM by models_oracle and tests/e2e; swapping a
/// folded pad's top and bottom makes 18 of the 20 cases differ.
#[test]
fn zero_padding_folds_into_convolutions() {
    use nn_dsl::ir::{Op, PaddingScheme, Producer};
    let dir = format!("{}/../tests/vectors/models", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(format!("{dir}/zero_pad_cnn.tflite")).unwrap();
    let model = nn_dsl::front::tflite::read(&bytes).unwrap();
    let (module, weights) = nn_dsl::front::tflite::import(&model).unwrap();
    let pads = module
        .nodes
        .iter()
        .filter(|(_, n)| matches!(n.op, Op::Pad { .. }))
        .count();
    // Five PAD operators in the model: two folded, three kept.
    assert_eq!(pads, 3);
    let window = |name: &str| {
        let n = module
            .nodes
            .get(module.node_by_name(name).unwrap())
            .unwrap();
        let w = match &n.op {
            Op::Conv2d(c) => c.window,
            Op::DepthwiseConv2d(c) => c.window,
            other => panic!("{name}: {other:?}"),
        };
        let input = module.tensors.get(n.inputs[0]).unwrap();
        let p = w.padding;
        (p.scheme, [p.top, p.bottom, p.left, p.right], input.producer)
    };
    // The first convolution reads the graph input itself, padded below and on the right.
    assert_eq!(
        window("conv2d_4_1"),
        (PaddingScheme::Explicit, [0, 1, 0, 1], Producer::Input(0))
    );
    let (scheme, amounts, _) = window("depthwise_conv2d_1_1");
    assert_eq!((scheme, amounts), (PaddingScheme::Explicit, [1, 0, 2, 1]));
    // The layer's source comment names the folded operator too.
    let first = module
        .nodes
        .get(module.node_by_name("conv2d_4_1").unwrap())
        .unwrap();
    let source = first.source.as_deref().unwrap();
    assert!(
        source.starts_with("tflite operator 1 (CONV_2D)"),
        "{source}"
    );
    assert!(
        source.ends_with("; padding of tflite operator 0 (PAD)"),
        "{source}"
    );
    // The folded pads' quantisation entries left with them: only the kept pads' remain.
    let pad_keys: Vec<&str> = weights
        .tensors
        .keys()
        .map(String::as_str)
        .filter(|k| k.starts_with("zero_padding2d"))
        .collect();
    assert_eq!(
        pad_keys,
        [
            "zero_padding2d_7_1.scale",
            "zero_padding2d_7_1.zero_point",
            "zero_padding2d_8_1.scale",
            "zero_padding2d_8_1.zero_point",
            "zero_padding2d_9_1.scale",
            "zero_padding2d_9_1.zero_point",
        ]
    );
    assert!(module.validate().is_ok());
}
