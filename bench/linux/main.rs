//! Benchmark binary of `bench/aarch64` and `bench/riscv64` (static, for
//! `aarch64-unknown-linux-gnu` or `riscv64gc-unknown-linux-gnu`): one inference of the network
//! compiled by `build.rs`, between `bench_start` and `bench_end` (counted under qemu-aarch64 or
//! qemu-riscv64 by the region plugin of ../shared/tools/qemu-icount), with int8 noise as input
//! (fixed seed), the stack painted before and scanned after for its peak. Prints `ok`, the stack
//! peak, `ARENA_BYTES` and the output bytes; exits with status 1 when `run` fails.
#![allow(clippy::print_stdout)]

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
        // SAFETY: no-op instructions; the body keeps the symbol distinct from the others.
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
const PATTERN: u64 = 0xA5C3_5AC3_3CA5_C35A;

fn main() {
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
    let sp = stack_pointer();
    let bottom = (sp - PAINT) & !7;
    // SAFETY: the words between `bottom` and 256 bytes below the current stack pointer are free
    // stack (the main thread's stack under qemu-user is 8 MiB, mapped in full); nothing else
    // uses them while painting (one thread, no signal handlers).
    unsafe {
        let mut p = bottom as *mut u64;
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
        let mut p = bottom as *const u64;
        while (p as usize) < sp - 256 {
            if p.read_volatile() != PATTERN {
                low = p as usize;
                break;
            }
            p = p.add(1);
        }
    }
    println!(
        "result: {}\nstack_bytes: {}\narena_bytes: {}\noutput: {:?}",
        if r.is_ok() { "ok" } else { "error" },
        sp - low,
        net::ARENA_BYTES,
        flat(output)
    );
    if r.is_err() {
        std::process::exit(1);
    }
}

/// The stack pointer.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: copies the stack pointer into a register.
    unsafe { core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack)) };
    sp
}

/// The stack pointer.
#[cfg(target_arch = "riscv64")]
#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: copies the stack pointer into a register.
    unsafe { core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack)) };
    sp
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
