//! The generated module against nnd's host executor (`nn_dsl::exec`) on the same `.tflite`.

use std::path::Path;

use digits::{evaluate, Reference, TestSet, PIXELS};

#[test]
fn generated_module_equals_the_host_executor() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("model/digits.tflite");
    let loaded = nn_dsl::front::load::load(&path).unwrap();
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights).unwrap();
    let test = TestSet::load().unwrap();
    let reference = Reference::load(&test).unwrap();
    let eval = evaluate(&test).unwrap();
    for (i, image) in test.images.iter().enumerate() {
        let pixels: Vec<i8> = image.iter().flatten().flatten().copied().collect();
        assert_eq!(pixels.len(), PIXELS);
        let outputs = nn_dsl::exec::run_i8(&loaded.module, &lowered, &[&pixels]).unwrap();
        assert_eq!(outputs.len(), 1);
        assert_eq!(
            outputs[0], eval.outputs[i],
            "sample {i}: generated code != exec"
        );
        assert_eq!(
            outputs[0], reference.tflm_outputs[i],
            "sample {i}: exec != TFLM"
        );
    }
}
