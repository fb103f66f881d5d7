//! Feeds a synthetic stream of 40-value feature frames to the SVDF keyword network, one frame
//! per call, and prints the class scores after each frame; then restarts the stream with
//! `reset` and shows that the first frame gives the first scores again.
#![allow(clippy::print_stdout)]

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
    Ok(())
}
