//! The generated Rust module of every whole-network oracle model, run on every recorded case:
//! each output byte must EQUAL TensorFlow Lite Micro's, and equal the host executor's
//! (`nn_dsl::exec`, the reference every target is compared with).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use nn_dsl::exec::TensorData;
use nnd_e2e::MODELS;
use nnd_tests::{compare, DType as VDType, ModelFile, Tensor as VTensor};

fn models_dir() -> PathBuf {
    nnd_tests::vectors_dir().join("models")
}

#[test]
fn every_model_is_compiled() {
    let on_disk = std::fs::read_dir(models_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "tflite")
        })
        .count();
    for target in ["generic", "cortex-m4", "k210"] {
        for in_place in [false, true] {
            let n = MODELS
                .iter()
                .filter(|m| m.target == target && m.in_place == in_place)
                .count();
            assert_eq!(
                n, on_disk,
                "{target} (in place: {in_place}): models compiled by build.rs vs on disk"
            );
        }
    }
    assert!(MODELS.len() >= 36, "only {} models", MODELS.len());
}

/// A recorded int8 or int16 tensor's values, widened to `i32` (the harness's common type).
fn widened(t: &VTensor) -> Vec<i32> {
    match t.dtype {
        VDType::Int16 => t.i16_data().unwrap().into_iter().map(i32::from).collect(),
        _ => t.i8_data().unwrap().into_iter().map(i32::from).collect(),
    }
}

/// A recorded input as the host executor takes it.
fn host_data(t: &VTensor) -> TensorData {
    match t.dtype {
        VDType::Int16 => TensorData::I16(t.i16_data().unwrap()),
        _ => TensorData::I8(t.i8_data().unwrap()),
    }
}

#[test]
fn generated_code_equals_tflm_and_exec() {
    let mut failures = Vec::new();
    let mut cases = 0usize;
    let mut bytes = 0usize;
    for model in MODELS {
        let tflite = models_dir().join(model.source);
        let json = tflite.with_extension("json");
        let file: ModelFile =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let loaded = nn_dsl::front::load::load_tflite(&tflite)
            .unwrap_or_else(|e| panic!("{}: {}", model.name, e.render()));
        let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights).unwrap();
        for (i, case) in file.cases.iter().enumerate() {
            let label = format!("{} case {i}", model.name);
            let inputs: Vec<Vec<i32>> = case.input.iter().map(widened).collect();
            let refs: Vec<&[i32]> = inputs.iter().map(Vec::as_slice).collect();
            // The arena's previous contents must not matter: a different fill per case.
            let fill = (i as i8).wrapping_mul(37);
            let got = (model.run)(&refs, fill).unwrap_or_else(|e| panic!("{label}: {e}"));
            let data: Vec<TensorData> = case.input.iter().map(host_data).collect();
            let host = nn_dsl::exec::run(&loaded.module, &lowered, &data).unwrap();
            assert_eq!(got.len(), case.output.len(), "{label}: output count");
            for (k, ((g, want), h)) in got.iter().zip(&case.output).zip(&host).enumerate() {
                if let Some(d) = compare(&format!("{label} output {k}"), g, &widened(want)) {
                    failures.push(d);
                }
                let h: Vec<i32> = match h {
                    TensorData::I8(v) => v.iter().map(|&x| i32::from(x)).collect(),
                    TensorData::I16(v) => v.iter().map(|&x| i32::from(x)).collect(),
                    TensorData::F32(_) => panic!("{label}: a float output"),
                };
                if *g != h {
                    failures.push(format!("{label} output {k}: differs from nn_dsl::exec"));
                }
                bytes += g.len();
            }
            cases += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} output(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases >= 120, "only {cases} cases ran");
    assert!(bytes > 0);
}

#[test]
fn arena_sizes_are_the_plans() {
    for model in MODELS {
        let loaded = nn_dsl::front::load::load_tflite(&models_dir().join(model.source)).unwrap();
        let options = nn_dsl::plan::PlanOptions::memory(model.in_place, None, false);
        let plan = nn_dsl::plan::plan(&loaded.module, &options).unwrap();
        assert_eq!(model.arena_bytes, plan.arena_bytes, "{}", model.name);
        // The in-place builds write element-wise layers over their inputs where they can.
        let over = plan
            .tensors
            .iter()
            .filter(|t| t.share == nn_dsl::plan::Share::InPlace)
            .count();
        let want = match model.source {
            "concat_mul.tflite" | "sensor_conv1d.tflite" if model.in_place => 2,
            "zero_pad_cnn.tflite" if model.in_place => 1,
            _ => 0,
        };
        assert_eq!(over, want, "{}", model.name);
    }
}

/// Row-by-row in place shrinks the arena of the two MLPerf models whose peak is a chain of
/// convolutions, VWW's further with two fused chains of its first layers (the figures are in
/// docs/memory.md), and never grows any.
#[test]
fn in_place_arenas() {
    let arena = |name: &str, in_place: bool| {
        MODELS
            .iter()
            .find(|m| m.name.starts_with(name) && m.target == "generic" && m.in_place == in_place)
            .map(|m| m.arena_bytes)
            .unwrap()
    };
    for m in MODELS.iter().filter(|m| m.in_place) {
        let plain = MODELS
            .iter()
            .find(|p| !p.in_place && p.source == m.source && p.target == m.target)
            .unwrap();
        assert!(m.arena_bytes <= plain.arena_bytes, "{}", m.name);
    }
    assert_eq!(
        (arena("ds_cnn_kws", false), arena("ds_cnn_kws", true)),
        (16_000, 8_656)
    );
    assert_eq!(
        (
            arena("mobilenet_v1_025_vww", false),
            arena("mobilenet_v1_025_vww", true)
        ),
        (55_296, 22_272)
    );
    // ResNet-8: its three residual blocks fused (x and a few rows of scratch at a time).
    assert_eq!(
        (arena("resnet8_cifar", false), arena("resnet8_cifar", true)),
        (49_152, 19_456)
    );
}

#[path = "../synth.rs"]
mod synth_src;

/// A small deterministic generator (no dependency, same values on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

#[test]
fn synthetic_network_equals_exec() {
    use nn_dsl::exec::TensorData;
    use nnd_e2e::synth::{Synth, ARENA_BYTES};
    let module = synth_src::module().unwrap();
    let lowered = nn_dsl::lower::lower(&module, &Default::default()).unwrap();
    let mut rng = Lcg(7);
    for case in 0..50 {
        let mut a = [[[0f32; 2]; 4]; 4];
        for v in a.as_flattened_mut().as_flattened_mut() {
            *v = (rng.next() % 4001) as f32 / 1000.0 - 2.0;
        }
        let mut b = [[[0i8; 2]; 4]; 4];
        for v in b.as_flattened_mut().as_flattened_mut() {
            *v = rng.next() as i8;
        }
        let mut y = [0f32; 36];
        let mut z = [[[0i8; 2]; 4]; 4];
        let mut fb = [0i8; 32];
        let mut bb = [[[0i8; 2]; 4]; 4];
        let mut arena = [case as i8; ARENA_BYTES];
        Synth::run(&a, &b, &mut y, &mut z, &mut fb, &mut bb, &mut arena).unwrap();

        let host = nn_dsl::exec::run(
            &module,
            &lowered,
            &[
                TensorData::F32(a.as_flattened().as_flattened().to_vec()),
                TensorData::I8(b.as_flattened().as_flattened().to_vec()),
            ],
        )
        .unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&y), bits(host[0].as_f32().unwrap()), "case {case}: y");
        assert_eq!(
            z.as_flattened().as_flattened(),
            host[1].as_i8().unwrap(),
            "case {case}: z"
        );
        assert_eq!(fb.as_slice(), host[2].as_i8().unwrap(), "case {case}: fb");
        assert_eq!(
            bb.as_flattened().as_flattened(),
            host[3].as_i8().unwrap(),
            "case {case}: bb"
        );
        // The copies are the input itself.
        assert_eq!(fb.as_slice(), b.as_flattened().as_flattened());
        assert_eq!(bb, b);
        // Softmax rows of 4 sum to about 1 (256 at scale 1/256): the network computed something.
        let sum: f32 = y[..4].iter().sum();
        assert!(
            (sum - 1.0).abs() < 0.05,
            "case {case}: softmax row sums to {sum}"
        );
    }
}

#[test]
fn io_in_arena_plan_equals_tflm() {
    use nnd_e2e::concat_mul_io_in_arena::{ConcatMulIoInArena, Input, Output, ARENA_BYTES};
    let text = std::fs::read_to_string(models_dir().join("concat_mul.json")).unwrap();
    let file: ModelFile = serde_json::from_str(&text).unwrap();
    // The input is copied into the arena first and the output out of it last.
    let code = include_str!(concat!(env!("OUT_DIR"), "/concat_mul_io_in_arena.rs"));
    assert!(code.contains("// graph input `x0` copied into the arena"));
    assert!(code.contains("// graph output 0 (`output0`) copied from where it lives"));
    for (i, case) in file.cases.iter().enumerate() {
        let mut input: Input = [[[0; 3]; 16]; 16];
        input
            .as_flattened_mut()
            .as_flattened_mut()
            .copy_from_slice(&case.input[0].i8_data().unwrap());
        let mut output: Output = [0; 5];
        let mut arena = [0x55; ARENA_BYTES];
        ConcatMulIoInArena::run(&input, &mut output, &mut arena).unwrap();
        assert_eq!(
            output.to_vec(),
            case.output[0].i8_data().unwrap(),
            "case {i}"
        );
    }
}

/// With the input and output in the arena (`run_in_arena`), in place: every case equals TFLM,
/// and the arena, all the memory an inference needs, is at most half of TFLM + CMSIS-NN's
/// arena_used for KWS, VWW and AD (issue 15's bound; docs/memory.md).
#[test]
fn run_in_arena_equals_tflm() {
    use nnd_e2e::ARENA_MODELS;
    let mut cases = 0;
    for model in ARENA_MODELS {
        let file: ModelFile = serde_json::from_str(
            &std::fs::read_to_string(models_dir().join(model.source).with_extension("json"))
                .unwrap(),
        )
        .unwrap();
        for (i, case) in file.cases.iter().enumerate() {
            let input = case.input[0].i8_data().unwrap();
            let fill = (i as i8).wrapping_mul(53);
            let got = (model.run)(&input, fill).unwrap();
            let want = case.output[0].i8_data().unwrap();
            assert_eq!(got, want, "{} case {i}", model.source);
            cases += 1;
        }
    }
    assert!(cases >= 100, "only {cases} cases");
    let arena = |source: &str| {
        ARENA_MODELS
            .iter()
            .find(|m| m.source == source)
            .map(|m| m.arena_bytes)
            .unwrap()
    };
    // (model, arena, TFLM + CMSIS-NN arena_used on the Cortex-M4 from ../shared/baselines)
    for (source, want, tflm) in [
        ("ds_cnn_kws.tflite", 8_656, 22_820),
        ("mobilenet_v1_025_vww.tflite", 29_952, 100_708),
        ("fc_autoencoder.tflite", 768, 2_580),
    ] {
        assert_eq!(arena(source), want, "{source}");
        assert!(2 * arena(source) <= tflm, "{source}");
    }
}
