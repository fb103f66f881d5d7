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

/// The elements of a generated `Input` / `Output` array (rank 1 or 2), in order.
trait Flat {
    fn zero() -> Self;
    fn flat(&self) -> &[i8];
    fn flat_mut(&mut self) -> &mut [i8];
}

impl<const N: usize> Flat for [i8; N] {
    fn zero() -> Self {
        [0; N]
    }
    fn flat(&self) -> &[i8] {
        self
    }
    fn flat_mut(&mut self) -> &mut [i8] {
        self
    }
}

impl<const N: usize, const M: usize> Flat for [[i8; N]; M] {
    fn zero() -> Self {
        [[0; N]; M]
    }
    fn flat(&self) -> &[i8] {
        self.as_flattened()
    }
    fn flat_mut(&mut self) -> &mut [i8] {
        self.as_flattened_mut()
    }
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
                let mut input = <m::Input as Flat>::zero();
                input.flat_mut().copy_from_slice(x);
                let mut out = <m::Output as Flat>::zero();
                m::$net::run(&input, &mut out, &mut state.borrow_mut(), &mut arena).unwrap();
                out.flat().to_vec()
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
    steps += check_module!(
        streaming::generic::lstm_classifier,
        LstmClassifier,
        "lstm_classifier"
    );
    steps += check_module!(streaming::generic::lstm_clip, LstmClip, "lstm_clip");
    steps += check_module!(
        streaming::cortex_m4::lstm_classifier,
        LstmClassifier,
        "lstm_classifier"
    );
    steps += check_module!(streaming::cortex_m4::lstm_clip, LstmClip, "lstm_clip");
    steps += check_module!(
        streaming::k210::lstm_classifier,
        LstmClassifier,
        "lstm_classifier"
    );
    steps += check_module!(streaming::k210::lstm_clip, LstmClip, "lstm_clip");
    assert_eq!(steps, 15 * 6 * 12);
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
fn lstm_windows_continue_the_stream() {
    // The gesture classifier's state carries across calls: the second window of a sequence run
    // from a fresh state (as if it began the stream) does not give TFLM's recorded output, the
    // same window after the first does.
    use streaming::gesture::{Arena, Input, LstmClassifier, Output, State, ARENA_BYTES};
    let file = load_stateful("lstm_classifier").unwrap();
    let mut arena: Arena = [0; ARENA_BYTES];
    let mut fresh_differs = 0;
    for seq in &file.cases {
        let window = |k: usize| -> Input {
            let mut input = Input::default();
            input
                .as_flattened_mut()
                .copy_from_slice(&seq.steps[k].input[0].i8_data().unwrap());
            input
        };
        let want = seq.steps[1].output[0].i8_data().unwrap();
        let mut state = State::new();
        let mut out: Output = [0; 5];
        LstmClassifier::run(&window(0), &mut out, &mut state, &mut arena).unwrap();
        LstmClassifier::run(&window(1), &mut out, &mut state, &mut arena).unwrap();
        assert_eq!(out.to_vec(), want);
        state.reset();
        LstmClassifier::run(&window(1), &mut out, &mut state, &mut arena).unwrap();
        fresh_differs += usize::from(out.to_vec() != want);
    }
    assert!(
        fresh_differs >= 3,
        "only {fresh_differs} sequences depend on the first window"
    );
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
