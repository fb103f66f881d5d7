//! # nn-kernels
//!
//! `no_std`, allocation-free int8 kernels with TensorFlow Lite's int8 semantics.
#![cfg_attr(not(test), no_std)]
