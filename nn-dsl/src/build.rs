//! The build.rs driver (prost-build style): compile .nnd / .tflite networks into OUT_DIR.
