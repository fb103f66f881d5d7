//! Feeds a synthetic stream of 40-value feature frames to the SVDF keyword network, one frame
//! per call, and prints the class scores after each frame; then restarts the stream with
//! `reset` and shows that the first frame gives the first scores again. Then streams windows of
//! 8 six-axis sensor readings to the LSTM gesture classifier, whose hidden and cell states carry
//! from one window to the next.
#![allow(clippy::print_stdout)]

use streaming::gesture::{self, LstmClassifier};
use streaming::kws::{Arena, Input, Output, State, SvdfKws, ARENA_BYTES};

/// A frame of int8 features: a slow ramp with a ripple, standing in for an MFCC front end.
fn frame(t: usize) -> Input {
    let mut x = [0i8; 40];
    for (i, v) in x.iter_mut().enumerate() {
        let r = ((i * 7 + t * 13) % 64) as i32 - 32;
        *v = (r + (t as i32 % 16) * 4 - 30).clamp(-128, 127) as i8;
    }
    x
}

fn main() -> Result<(), nn_kernels::KernelError> {
    let mut state = State::new();
    let mut arena: Arena = [0; ARENA_BYTES];
    let mut scores: Output = [0; 4];
    let mut first = scores;
    for t in 0..12 {
        SvdfKws::run(&frame(t), &mut scores, &mut state, &mut arena)?;
        if t == 0 {
            first = scores;
        }
        println!("frame {t:2}: scores {scores:?}");
    }
    state.reset();
    SvdfKws::run(&frame(0), &mut scores, &mut state, &mut arena)?;
    println!(
        "after reset, frame 0 again: {scores:?} ({})",
        if scores == first {
            "same as the first frame of the stream"
        } else {
            "DIFFERENT from the first frame: the state was not reset"
        }
    );
    gestures()
}

/// Six windows of a synthetic sensor stream through the LSTM classifier, one call per window.
fn gestures() -> Result<(), nn_kernels::KernelError> {
    let mut state = gesture::State::new();
    let mut arena: gesture::Arena = [0; gesture::ARENA_BYTES];
    let mut scores: gesture::Output = [0; 5];
    for w in 0..6usize {
        let mut window: gesture::Input = [[0; 6]; 8];
        for (t, reading) in window.iter_mut().enumerate() {
            for (axis, v) in reading.iter_mut().enumerate() {
                let phase = ((w * 8 + t) * (axis + 1) * 5 % 48) as i32 - 24;
                *v = (phase * 4).clamp(-128, 127) as i8;
            }
        }
        LstmClassifier::run(&window, &mut scores, &mut state, &mut arena)?;
        println!("window {w}: gesture scores {scores:?}");
    }
    println!(
        "({} bytes of LSTM state carried between windows, {} arena bytes)",
        gesture::STATE_BYTES,
        gesture::ARENA_BYTES
    );
    Ok(())
}
