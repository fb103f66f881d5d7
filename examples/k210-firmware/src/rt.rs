//! Start-up and the memory map: the M-mode entry (`_start`), the trap handler, and the addresses
//! the linker script (`k210.x`) defines.
//!
//! `_start` runs in M-mode, as both QEMU's `virt` machine with `-bios none` and the K210's boot
//! ROM enter it. Hart 0 sets `gp`, `sp` and `mtvec`, enables the FPU (the `riscv64gc` target's
//! code may use the F/D registers), zeroes `.bss` (the arena included), paints the stack with
//! [`STACK_PAINT`] and calls `main`. Any other hart parks in `wfi`. `.data` needs no copy: the
//! image is loaded where it runs (0x8000_0000), by QEMU's ELF loader or the K210's boot ROM.

use core::arch::{asm, global_asm};
use core::ptr::addr_of;

use crate::board::{self, Exit};

/// The word the stack is painted with before `main`; the first word (from the bottom) that
/// differs marks the deepest the stack has reached.
pub const STACK_PAINT: u64 = 0x5a5a_5a5a_5a5a_5a5a;

// `_start` and `_trap_entry` touch no stack and no Rust object before `main`: registers only,
// and the linker script's symbols for the regions they fill.
global_asm!(
    ".pushsection .text.entry, \"ax\", @progbits",
    ".globl _start",
    "_start:",
    "    csrw mie, zero",
    "    csrr t0, mhartid",
    "    bnez t0, 9f",
    "    .option push",
    "    .option norelax",
    "    la gp, __global_pointer$",
    "    .option pop",
    "    la sp, _stack_top",
    "    la t0, _trap_entry",
    "    csrw mtvec, t0",
    // mstatus.FS = dirty (bits 14:13): F/D instructions allowed.
    "    li t0, 0x6000",
    "    csrs mstatus, t0",
    "    fscsr zero",
    // Zero [_bss_start, _bss_end): the arena and .bss, 16-byte aligned by the linker script.
    "    la t0, _bss_start",
    "    la t1, _bss_end",
    "1:  bgeu t0, t1, 2f",
    "    sd zero, 0(t0)",
    "    addi t0, t0, 8",
    "    j 1b",
    // Paint [_stack_bottom, _stack_top).
    "2:  la t0, _stack_bottom",
    "    la t1, _stack_top",
    "    li t2, {paint}",
    "3:  bgeu t0, t1, 4f",
    "    sd t2, 0(t0)",
    "    addi t0, t0, 8",
    "    j 3b",
    "4:  call {main}",
    // Other harts (and a `main` that returned, which it cannot) park here.
    "9:  wfi",
    "    j 9b",
    "",
    // Traps: a fresh stack (the old one may be what failed), then report and end the run.
    ".balign 4",
    ".globl _trap_entry",
    "_trap_entry:",
    "    la sp, _stack_top",
    "    call {trap}",
    "    j 9b",
    ".popsection",
    paint = const STACK_PAINT,
    main = sym crate::main,
    trap = sym trap,
);

/// Reports a trap's cause and address, then ends the run with [`Exit::Trap`].
extern "C" fn trap() -> ! {
    let (cause, epc, tval): (usize, usize, usize);
    // SAFETY: reads three M-mode CSRs (this code runs in M-mode); no memory is touched.
    unsafe {
        asm!(
            "csrr {0}, mcause",
            "csrr {1}, mepc",
            "csrr {2}, mtval",
            out(reg) cause,
            out(reg) epc,
            out(reg) tval,
            options(nomem, nostack),
        );
    }
    let mut out = board::console();
    let _ = core::fmt::Write::write_fmt(
        &mut out,
        format_args!("FAIL: trap: mcause {cause:#x}, mepc {epc:#x}, mtval {tval:#x}\n"),
    );
    board::exit(Exit::Trap)
}

/// Stops this hart for good.
pub fn park() -> ! {
    loop {
        // SAFETY: `wfi` only waits; interrupts are disabled (`mie` = 0), so it may return at
        // any time and the loop waits again.
        unsafe { asm!("wfi", options(nomem, nostack)) };
    }
}

extern "C" {
    static _image_start: u8;
    static _loaded_end: u8;
    static _image_end: u8;
    static _arena_start: u8;
    static _arena_end: u8;
    static _stack_bottom: u8;
    static _stack_top: u8;
}

/// Address ranges from the linker script.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The whole image: code, constants, data, .bss (the arena included) and the stack.
    pub image: (usize, usize),
    /// The part loaded from the ELF or flat image: code, constants, initialised data.
    pub loaded: (usize, usize),
    /// The arena's output section.
    pub arena: (usize, usize),
    /// The stack reserved for hart 0.
    pub stack: (usize, usize),
}

/// The linker script's addresses.
pub fn layout() -> Layout {
    // Only the addresses of the linker-defined symbols are taken; nothing is read through them.
    Layout {
        image: (
            addr_of!(_image_start) as usize,
            addr_of!(_image_end) as usize,
        ),
        loaded: (
            addr_of!(_image_start) as usize,
            addr_of!(_loaded_end) as usize,
        ),
        arena: (
            addr_of!(_arena_start) as usize,
            addr_of!(_arena_end) as usize,
        ),
        stack: (
            addr_of!(_stack_bottom) as usize,
            addr_of!(_stack_top) as usize,
        ),
    }
}

/// The deepest the stack has reached since `_start` painted it, in bytes below its top (a
/// multiple of 8). Equal to the reserved size when even the lowest word was overwritten, which
/// means the stack may have overflowed.
pub fn stack_peak(stack: (usize, usize)) -> usize {
    let (bottom, top) = stack;
    let mut p = bottom;
    while p < top {
        // SAFETY: [bottom, top) is the stack region of the linker script, 16-byte aligned, and
        // every word in it was written by `_start`; the words below the current stack pointer
        // belong to no live Rust object, and a volatile read of them has no side effect.
        let word = unsafe { core::ptr::read_volatile(p as *const u64) };
        if word != STACK_PAINT {
            break;
        }
        p += 8;
    }
    top - p
}
