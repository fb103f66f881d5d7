//! Lowering: per-node kernel parameters (every host-computed constant), shared by the executor and the code generators.
