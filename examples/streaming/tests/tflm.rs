//! Every recorded sequence of `tests/vectors/stateful` through the generated modules of every
//! target: each step's output must equal TFLM's, with the state carried from step to step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nnd_tests::{load_stateful, StatefulFile};

/// Runs every sequence of `file` through `step` (one frame, returns the output) after `reset`;
/// returns the number of steps checked.
fn check(
    name: &str,
    file: &StatefulFile,
    mut reset: impl FnMut(),
    mut step: impl FnMut(&[i8]) -> Vec<i8>,
) -> usize {
    let mut steps = 0;
    for (c, seq) in file.cases.iter().enumerate() {
        reset();
        for (k, s) in seq.steps.iter().enumerate() {
            let got = step(&s.input[0].i8_data().unwrap());
            let want = s.output[0].i8_data().unwrap();
            assert_eq!(got, want, "{name}: sequence {c} step {k} differs from TFLM");
            steps += 1;
        }
    }
    steps
}

macro_rules! check_module {
    ($m:path, $net:ident, $stem:literal) => {{
        use $m as m;
        let file = load_stateful($stem).unwrap();
        let state = core::cell::RefCell::new(m::State::new());
        let mut arena: Box<m::Arena> = Box::new([0; m::ARENA_BYTES]);
        check(
            concat!(stringify!($m)),
            &file,
            || state.borrow_mut().reset(),
            |x| {
                let mut input: m::Input = [0; m::INPUT_SHAPE[0]];
                input.copy_from_slice(x);
                let mut out: m::Output = Default::default();
                m::$net::run(&input, &mut out, &mut state.borrow_mut(), &mut arena).unwrap();
                out.to_vec()
            },
        )
    }};
}

#[test]
fn every_target_equals_tflm_over_every_sequence() {
    let mut steps = 0;
    steps += check_module!(streaming::generic::svdf_kws, SvdfKws, "svdf_kws");
    steps += check_module!(streaming::generic::svdf_rank3, SvdfRank3, "svdf_rank3");
    steps += check_module!(
        streaming::generic::svdf_int8_state,
        SvdfInt8State,
        "svdf_int8_state"
    );
    steps += check_module!(streaming::cortex_m4::svdf_kws, SvdfKws, "svdf_kws");
    steps += check_module!(streaming::cortex_m4::svdf_rank3, SvdfRank3, "svdf_rank3");
    steps += check_module!(
        streaming::cortex_m4::svdf_int8_state,
        SvdfInt8State,
        "svdf_int8_state"
    );
    steps += check_module!(streaming::k210::svdf_kws, SvdfKws, "svdf_kws");
    steps += check_module!(streaming::k210::svdf_rank3, SvdfRank3, "svdf_rank3");
    steps += check_module!(
        streaming::k210::svdf_int8_state,
        SvdfInt8State,
        "svdf_int8_state"
    );
    assert_eq!(steps, 9 * 6 * 12);
}

#[test]
fn interleaved_streams_keep_separate_states() {
    // Two streams advanced alternately, each with its own State and one shared arena, give
    // each stream's recorded outputs.
    use streaming::kws::{Arena, Input, Output, State, SvdfKws, ARENA_BYTES};
    let file = load_stateful("svdf_kws").unwrap();
    let (a, b) = (&file.cases[0], &file.cases[1]);
    let (mut sa, mut sb) = (State::new(), State::new());
    let mut arena: Arena = [0; ARENA_BYTES];
    for (k, (x, y)) in a.steps.iter().zip(&b.steps).enumerate() {
        for (s, st) in [(x, &mut sa), (y, &mut sb)] {
            let input: Input = s.input[0].i8_data().unwrap().try_into().unwrap();
            let mut out: Output = [0; 4];
            SvdfKws::run(&input, &mut out, st, &mut arena).unwrap();
            assert_eq!(out.to_vec(), s.output[0].i8_data().unwrap(), "step {k}");
        }
    }
}

#[test]
fn classify_stream_is_one_stream_from_reset() {
    let file = load_stateful("svdf_kws").unwrap();
    let seq = &file.cases[2];
    let frames: [streaming::kws::Input; 12] =
        core::array::from_fn(|k| seq.steps[k].input[0].i8_data().unwrap().try_into().unwrap());
    let scores = streaming::classify_stream(&frames).unwrap();
    for (k, s) in scores.iter().enumerate() {
        assert_eq!(
            s.to_vec(),
            seq.steps[k].output[0].i8_data().unwrap(),
            "step {k}"
        );
    }
}
