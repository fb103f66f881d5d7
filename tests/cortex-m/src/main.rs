//! The Cortex-M oracle runner: every TFLM oracle case compiled for a Cortex-M target (see
//! `build.rs`), run on the emulated core (`tools/cortex-m-test.sh`). Prints one line per failing
//! case and `N passed, M failed`; exits with success only when every case equals TFLM.
#![no_std]
#![no_main]

use core::fmt::Write as _;
use core::panic::PanicInfo;

use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hio};
use nn_kernels::KernelError;

include!("../../runner_common.rs");

include!(concat!(env!("OUT_DIR"), "/cases.rs"));

/// One arena, as large as the largest case's.
static mut ARENA: [i8; MAX_ARENA] = [0; MAX_ARENA];

#[entry]
fn main() -> ! {
    let mut out = hio::hstdout().ok();
    let mut say = |args: core::fmt::Arguments<'_>| {
        if let Some(o) = out.as_mut() {
            let _ = o.write_fmt(args);
        }
    };
    // SAFETY: the only reference to ARENA, taken once on the single thread before any interrupt
    // could use it (none does).
    let arena: &mut [i8] = unsafe { &mut *core::ptr::addr_of_mut!(ARENA) };
    say(format_args!(
        "nnd oracle runner: target `{TARGET}`, {OP_CASES} single-op cases, {MODEL_CASES} whole-network cases ({IN_PLACE_CASES} of them in place), {SEQUENCES} sequences of stateful networks\n"
    ));
    let (mut passed, mut failed) = (0usize, 0usize);
    for (name, run) in CASES {
        arena.fill(0x5a);
        match run(arena) {
            Ok(()) => passed += 1,
            Err(f) => {
                failed += 1;
                match f {
                    Failure::Differ(k, (i, got, want)) => say(format_args!(
                        "FAIL {name}: output {k} differs from TFLM at index {i}: got {got}, want {want}\n"
                    )),
                    other => say(format_args!("FAIL {name}: {other:?}\n")),
                }
            }
        }
    }
    say(format_args!("{passed} passed, {failed} failed\n"));
    if passed + failed != EXPECTED_CASES {
        say(format_args!(
            "error: {} cases ran, the vectors' manifests list {EXPECTED_CASES}\n",
            passed + failed
        ));
    }
    if failed == 0 && passed == EXPECTED_CASES && passed == OP_CASES + MODEL_CASES + SEQUENCES {
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        cortex_m::asm::nop();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    if let Ok(mut o) = hio::hstdout() {
        let _ = writeln!(o, "panic: {info}");
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::nop();
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    if let Ok(mut o) = hio::hstdout() {
        let _ = writeln!(o, "HardFault at pc {:#010x}", frame.pc());
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::nop();
    }
}
