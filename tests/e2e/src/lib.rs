//! Every whole-network oracle model (`tests/vectors/models/*.tflite`), compiled to Rust by
//! `nn_dsl::build::Build` in this crate's build script for the `generic`, `cortex-m4` and `k210` targets
//! (the Cortex-M kernels build as plain Rust on the host): one module per model and target (the generated
//! code, as a user would include it) and [`MODELS`], slice-based entry points for the tests in
//! `tests/equal_tflm.rs`.
#![allow(missing_docs)]

/// One compiled model.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// The module name (the file stem in snake case).
    pub name: &'static str,
    /// The `.tflite` file it was compiled from.
    pub source: &'static str,
    /// The code-generation target (`generic`, `cortex-m4`, `k210`).
    pub target: &'static str,
    /// Whether it was built with row-by-row in-place convolutions (`Build::in_place`).
    pub in_place: bool,
    /// Its `ARENA_BYTES`.
    pub arena_bytes: usize,
    /// Runs it on int8 or int16 inputs (flat, one per graph input, widened to `i32`) with the
    /// arena pre-filled with `arena_fill`; returns the outputs, widened to `i32`.
    pub run: RunFn,
}

/// Runs a model on flat inputs (int8 or int16 values as `i32`) with the arena pre-filled with a
/// value; returns the outputs as `i32`.
pub type RunFn = fn(&[&[i32]], i8) -> Result<Vec<Vec<i32>>, String>;

/// A model built with `Build::in_place` and `Build::io_in_arena`, run through `run_in_arena`.
#[derive(Debug, Clone, Copy)]
pub struct ArenaModel {
    /// The `.tflite` file it was compiled from.
    pub source: &'static str,
    /// Its `ARENA_BYTES`: all the memory one inference uses.
    pub arena_bytes: usize,
    /// Writes the input into a fresh arena filled with `arena_fill`, runs, returns the output.
    pub run: fn(&[i8], i8) -> Result<Vec<i8>, String>,
}

include!(concat!(env!("OUT_DIR"), "/models.rs"));
