//! Streaming inference with nnd: networks whose SVDF and LSTM layers remember earlier frames.
//!
//! A generated module of a network with state has, besides `Arena`, `Input` and `Output`, a
//! `State` struct: the memory of every stateful layer. `run(&input, &mut output, &mut state,
//! &mut arena)` is one step of the stream: it reads the frame, updates the state and writes
//! the output. One `State` per stream; `State::new()` (a `const fn`, so it can be a `static`)
//! or `state.reset()` starts a stream; the arena is scratch and may be shared by all streams.
//!
//! The modules here are the repository's stateful oracle networks, compiled in `build.rs` for
//! three targets; `tests/tflm.rs` checks every step of every recorded sequence against TFLM.
#![no_std]

/// The keyword-spotting network (two SVDF layers, a dense layer and softmax), `generic` target.
pub use generic::svdf_kws as kws;

/// The gesture classifier (two LSTM layers over windows of 8 sensor readings), `generic` target.
pub use generic::lstm_classifier as gesture;

/// The generated modules, per target.
pub mod generic {
    /// Two SVDF layers, dense, softmax.
    pub mod svdf_kws {
        include!(concat!(env!("OUT_DIR"), "/generic/svdf_kws.rs"));
    }
    /// One SVDF, rank 3.
    pub mod svdf_rank3 {
        include!(concat!(env!("OUT_DIR"), "/generic/svdf_rank3.rs"));
    }
    /// One SVDF with an int8 state.
    pub mod svdf_int8_state {
        include!(concat!(env!("OUT_DIR"), "/generic/svdf_int8_state.rs"));
    }
    /// Two stacked LSTM layers, the last step, dense, softmax (8 time steps per call).
    pub mod lstm_classifier {
        include!(concat!(env!("OUT_DIR"), "/generic/lstm_classifier.rs"));
    }
    /// One LSTM with a cell clip (3 time steps per call, every step's output).
    pub mod lstm_clip {
        include!(concat!(env!("OUT_DIR"), "/generic/lstm_clip.rs"));
    }
}

/// As [`generic`], for the Cortex-M4 target (built for the host here).
pub mod cortex_m4 {
    /// Two SVDF layers, dense, softmax.
    pub mod svdf_kws {
        include!(concat!(env!("OUT_DIR"), "/cortex-m4/svdf_kws.rs"));
    }
    /// One SVDF, rank 3.
    pub mod svdf_rank3 {
        include!(concat!(env!("OUT_DIR"), "/cortex-m4/svdf_rank3.rs"));
    }
    /// One SVDF with an int8 state.
    pub mod svdf_int8_state {
        include!(concat!(env!("OUT_DIR"), "/cortex-m4/svdf_int8_state.rs"));
    }
    /// Two stacked LSTM layers, the last step, dense, softmax (8 time steps per call).
    pub mod lstm_classifier {
        include!(concat!(env!("OUT_DIR"), "/cortex-m4/lstm_classifier.rs"));
    }
    /// One LSTM with a cell clip (3 time steps per call, every step's output).
    pub mod lstm_clip {
        include!(concat!(env!("OUT_DIR"), "/cortex-m4/lstm_clip.rs"));
    }
}

/// As [`generic`], for the K210 target (built for the host here).
pub mod k210 {
    /// Two SVDF layers, dense, softmax.
    pub mod svdf_kws {
        include!(concat!(env!("OUT_DIR"), "/k210/svdf_kws.rs"));
    }
    /// One SVDF, rank 3.
    pub mod svdf_rank3 {
        include!(concat!(env!("OUT_DIR"), "/k210/svdf_rank3.rs"));
    }
    /// One SVDF with an int8 state.
    pub mod svdf_int8_state {
        include!(concat!(env!("OUT_DIR"), "/k210/svdf_int8_state.rs"));
    }
    /// Two stacked LSTM layers, the last step, dense, softmax (8 time steps per call).
    pub mod lstm_classifier {
        include!(concat!(env!("OUT_DIR"), "/k210/lstm_classifier.rs"));
    }
    /// One LSTM with a cell clip (3 time steps per call, every step's output).
    pub mod lstm_clip {
        include!(concat!(env!("OUT_DIR"), "/k210/lstm_clip.rs"));
    }
}

/// Runs `frames` through the keyword network as one stream from a fresh state and returns the
/// class scores after each frame.
///
/// # Errors
/// A kernel error, which the compiler's checks rule out.
pub fn classify_stream<const N: usize>(
    frames: &[kws::Input; N],
) -> Result<[kws::Output; N], nn_kernels::KernelError> {
    let mut state = kws::State::new();
    let mut arena: kws::Arena = [0; kws::ARENA_BYTES];
    let mut scores = [[0i8; 4]; N];
    for (frame, out) in frames.iter().zip(scores.iter_mut()) {
        kws::SvdfKws::run(frame, out, &mut state, &mut arena)?;
    }
    Ok(scores)
}
