//! The planner on the whole-network oracle models (`tests/vectors/models/*.tflite`, imported):
//! every invariant holds, and the arena is at most the arena TFLM itself reported for the same
//! model (`tflm_arena_bytes`, which also holds TFLM's bookkeeping).

#![allow(clippy::unwrap_used)]

mod plan_common;

use nn_dsl::plan::{plan, PlanOptions};

/// `(model, arena with I/O in the caller's buffers, arena with I/O in the arena, lower bound of
/// the latter)`, as computed by the planner; docs/memory.md quotes them.
const EXPECTED: [(&str, usize, usize, usize); 6] = [
    ("ds_cnn_kws", 16000, 16000, 16000),
    ("mobilenet_v1_025_vww", 55296, 55296, 55296),
    ("resnet8_cifar", 49152, 49152, 49152),
    ("fc_autoencoder", 256, 768, 768),
    ("concat_mul", 2064, 2064, 2064),
    ("flatten_cnn", 768, 1040, 1040),
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
