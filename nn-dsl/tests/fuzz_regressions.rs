//! Inputs the fuzzing harness (`fuzz/`, docs/fuzzing.md) found problems with, kept as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "tflite/writer.rs"]
mod writer;

use nn_dsl::front::tflite::{read, ReadErrorKind};

/// `nnd-fuzz tflite`: a model whose main subgraph lists no outputs (or no inputs) was read and
/// imported as a network without `input` or `output`; `nndc build` generated an empty module and
/// `nndc import` wrote a `.nnd` that does not load back (E0109 / E0110, "internal error"). The
/// reader now refuses it.
#[test]
fn a_main_subgraph_without_inputs_or_outputs_is_refused() {
    for (clear_inputs, role) in [(false, "outputs"), (true, "inputs")] {
        let mut m = writer::conv_softmax();
        if clear_inputs {
            // The former input stays readable without a producer (a variable), so that only the
            // missing graph input is wrong.
            let sg = &mut m.subgraphs.as_mut().unwrap()[0];
            let input = usize::try_from(sg.inputs[0]).unwrap();
            sg.tensors[input].is_variable = true;
            sg.inputs.clear();
        } else {
            m.subgraphs.as_mut().unwrap()[0].outputs.clear();
        }
        let err = read(&m.build()).expect_err(role);
        assert_eq!(err.kind(), ReadErrorKind::Graph, "{err}");
        assert!(err.to_string().contains(&format!("no {role}")), "{err}");
    }
    // The unedited model still reads.
    read(&writer::conv_softmax().build()).unwrap();
}
