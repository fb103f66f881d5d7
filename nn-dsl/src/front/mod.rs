//! Front ends: each turns one input form into the shared [`ast`] (text forms) or directly into the
//! IR (binary model files).

pub mod ast;
pub mod load;
pub mod nnd;
pub mod tflite;
pub mod tokens;
