//! The RISC-V 64 oracle runner: every TFLM oracle case compiled for a target (see `build.rs`),
//! run under qemu-riscv64 (`tools/riscv64-test.sh`). Prints one line per failing case and
//! `N passed, M failed`; exits with success only when every case equals TFLM.
#![allow(clippy::print_stdout)]

use nn_kernels::KernelError;

include!("../../runner_common.rs");

include!(concat!(env!("OUT_DIR"), "/cases.rs"));

include!("../../runner_hosted.rs");
