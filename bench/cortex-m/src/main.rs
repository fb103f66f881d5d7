//! Benchmark firmware: one inference of the network compiled by `build.rs`, between
//! `bench_start` and `bench_end` (counted by the region plugin of ../shared/tools/qemu-icount),
//! with int8 noise as input (fixed seed), the stack painted before and scanned after for its
//! peak. Prints `ok`, the stack peak, `ARENA_BYTES` and the output bytes through semihosting.
#![no_std]
#![no_main]

use core::fmt::Write as _;
use core::panic::PanicInfo;

use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hio};

#[allow(dead_code, clippy::all)]
mod net {
    include!(concat!(env!("OUT_DIR"), "/net.rs"));
}

/// The layer marks of `NND_BENCH_MARKS=1` builds.
#[allow(dead_code)]
mod marks {
    /// Entry of a node block.
    #[inline(never)]
    #[no_mangle]
    pub extern "C" fn layer_begin() {
        // SAFETY: a no-op instruction; its body keeps the symbol distinct from the others.
        unsafe { core::arch::asm!("nop", "nop", "nop", options(nomem, nostack)) }
    }

    /// End of a node block.
    #[inline(never)]
    #[no_mangle]
    pub extern "C" fn layer_end() {
        // SAFETY: as above.
        unsafe { core::arch::asm!("nop", "nop", "nop", "nop", options(nomem, nostack)) }
    }
}

/// Start of the measured region.
#[inline(never)]
#[no_mangle]
pub extern "C" fn bench_start() {
    // SAFETY: a no-op instruction.
    unsafe { core::arch::asm!("nop", options(nomem, nostack)) }
}

/// End of the measured region.
#[inline(never)]
#[no_mangle]
pub extern "C" fn bench_end() {
    // SAFETY: no-op instructions.
    unsafe { core::arch::asm!("nop", "nop", options(nomem, nostack)) }
}

// SAFETY (both): an all-zero bit pattern is a valid nested array of i8.
static mut INPUT: net::Input = unsafe { core::mem::zeroed() };
static mut OUTPUT: net::Output = unsafe { core::mem::zeroed() };
static mut ARENA: net::Arena = [0; net::ARENA_BYTES];

/// Bytes of stack painted below the stack pointer before the inference.
const PAINT: usize = 64 * 1024;
const PATTERN: u32 = 0xA5C3_5AC3;

#[entry]
fn main() -> ! {
    // SAFETY: the statics are used only here, on the single thread.
    let (input, output, arena) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(INPUT),
            &mut *core::ptr::addr_of_mut!(OUTPUT),
            &mut *core::ptr::addr_of_mut!(ARENA),
        )
    };
    let mut x = 0x1234_5678u32;
    for v in flat_mut(input) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *v = (x >> 24) as i8;
    }
    let sp = cortex_m::register::msp::read() as usize;
    let bottom = (sp - PAINT) & !3;
    // SAFETY: the words between `bottom` and 256 bytes below the current stack pointer are free
    // stack (RAM is 4 MiB, the data far below); nothing else uses them while painting.
    unsafe {
        let mut p = bottom as *mut u32;
        while (p as usize) < sp - 256 {
            p.write_volatile(PATTERN);
            p = p.add(1);
        }
    }
    bench_start();
    let r = net::Net::run(input, output, arena);
    bench_end();
    // The lowest word that no longer holds the pattern bounds the stack used by `run`.
    let mut low = sp - 256;
    // SAFETY: reads of the words painted above.
    unsafe {
        let mut p = bottom as *const u32;
        while (p as usize) < sp - 256 {
            if p.read_volatile() != PATTERN {
                low = p as usize;
                break;
            }
            p = p.add(1);
        }
    }
    if let Ok(mut o) = hio::hstdout() {
        let _ = writeln!(
            o,
            "result: {}\nstack_bytes: {}\narena_bytes: {}\nio_bytes: {}\noutput: {:?}",
            if r.is_ok() { "ok" } else { "error" },
            sp - low,
            net::ARENA_BYTES,
            core::mem::size_of::<net::Input>() + core::mem::size_of::<net::Output>(),
            flat(output)
        );
    }
    debug::exit(if r.is_ok() {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::nop();
    }
}

fn flat_mut<A>(a: &mut A) -> &mut [i8] {
    // SAFETY: `A` is a nested array of i8: `size_of::<A>()` contiguous bytes.
    unsafe {
        core::slice::from_raw_parts_mut((a as *mut A).cast::<i8>(), core::mem::size_of::<A>())
    }
}

fn flat<A>(a: &A) -> &[i8] {
    // SAFETY: as for `flat_mut`.
    unsafe { core::slice::from_raw_parts((a as *const A).cast::<i8>(), core::mem::size_of::<A>()) }
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
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
