//! The board: a console (a UART, one byte at a time) and a way to end the run.
//!
//! Feature `qemu` (the default): QEMU's `virt` machine, its NS16550A UART at 0x1000_0000 and its
//! `sifive_test` device at 0x10_0000, which ends QEMU with an exit status. Without it: the K210's
//! UARTHS at 0x3800_0000 (register layout from the Kendryte SDK, lib/drivers/include/uarths.h),
//! and the firmware parks the hart when it is done (the K210 has nothing that powers it off).
//! The K210 side is untested on silicon (docs/k210-firmware.md).

use core::fmt;

/// How the run ended. Under QEMU the code is the process's exit status (0 for `Pass`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Exit {
    /// The outputs equal TFLM's.
    Pass = 0,
    /// An output differs from TFLM's.
    Mismatch = 1,
    /// The generated network returned a kernel error.
    KernelError = 2,
    /// The stack's lowest word was overwritten: the reserved stack is too small.
    StackOverflow = 3,
    /// A trap (exception or unexpected interrupt).
    Trap = 4,
    /// A panic (none is expected: the generated code and kernels have no panic path).
    Panic = 5,
}

/// A byte sink: a UART's transmitter.
pub trait Console {
    /// Whether a line ends with CR LF (a serial terminal) rather than LF.
    const CRLF: bool;
    /// Sends one byte, waiting while the transmitter is full.
    fn put(&mut self, byte: u8);
}

/// `core::fmt::Write` over a [`Console`].
#[derive(Debug)]
pub struct Writer<C>(pub C);

impl<C: Console> fmt::Write for Writer<C> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if C::CRLF && b == b'\n' {
                self.0.put(b'\r');
            }
            self.0.put(b);
        }
        Ok(())
    }
}

#[cfg(feature = "qemu")]
pub use qemu_virt::{console, exit, NAME};

#[cfg(not(feature = "qemu"))]
pub use k210::{console, exit, NAME};

#[cfg(feature = "qemu")]
mod qemu_virt {
    use super::{Console, Exit, Writer};
    use core::ptr::{read_volatile, write_volatile};

    /// Where the firmware runs.
    pub const NAME: &str = "QEMU virt (NS16550A console at 0x1000_0000, sifive_test exit)";

    /// QEMU virt's UART0 (hw/riscv/virt.c, `VIRT_UART0`): an NS16550A, byte registers.
    const UART0: usize = 0x1000_0000;
    /// Transmit holding register (write).
    const THR: usize = 0;
    /// Interrupt enable, line control, FIFO control, line status registers.
    const IER: usize = 1;
    const FCR: usize = 2;
    const LCR: usize = 3;
    const LSR: usize = 5;
    /// LSR: the transmit holding register is empty.
    const LSR_THRE: u8 = 1 << 5;

    /// QEMU virt's `sifive_test` device (hw/riscv/virt.c, `VIRT_TEST`; hw/misc/sifive_test.c):
    /// writing 0x5555 ends QEMU with status 0, `(code << 16) | 0x3333` with status `code`.
    const TEST: usize = 0x10_0000;
    const TEST_PASS: u32 = 0x5555;
    const TEST_FAIL: u32 = 0x3333;

    /// The NS16550A's transmitter.
    #[derive(Debug)]
    pub struct Ns16550(());

    /// The console, set to 8N1 with FIFOs and no interrupts.
    pub fn console() -> Writer<Ns16550> {
        // SAFETY: UART0 is QEMU virt's NS16550A; IER, LCR and FCR are byte registers at these
        // offsets. No Rust object lives at these addresses.
        unsafe {
            write_volatile((UART0 + IER) as *mut u8, 0);
            write_volatile((UART0 + LCR) as *mut u8, 0x03);
            write_volatile((UART0 + FCR) as *mut u8, 0x01);
        }
        Writer(Ns16550(()))
    }

    impl Console for Ns16550 {
        const CRLF: bool = false;

        fn put(&mut self, byte: u8) {
            // SAFETY: LSR and THR are the NS16550A's byte registers (see `console`).
            unsafe {
                while read_volatile((UART0 + LSR) as *const u8) & LSR_THRE == 0 {}
                write_volatile((UART0 + THR) as *mut u8, byte);
            }
        }
    }

    /// Ends QEMU: status 0 for [`Exit::Pass`], the code otherwise.
    pub fn exit(code: Exit) -> ! {
        let value = match code {
            Exit::Pass => TEST_PASS,
            other => (u32::from(other as u16) << 16) | TEST_FAIL,
        };
        // SAFETY: TEST is QEMU virt's sifive_test register, a 32-bit write-only device.
        unsafe { write_volatile(TEST as *mut u32, value) };
        crate::rt::park()
    }
}

#[cfg(not(feature = "qemu"))]
mod k210 {
    use super::{Console, Exit, Writer};
    use core::ptr::{read_volatile, write_volatile};

    /// Where the firmware runs.
    pub const NAME: &str = "Kendryte K210 (UARTHS console at 0x3800_0000)";

    /// UARTHS (Kendryte SDK lib/bsp/include/platform.h, `UARTHS_BASE_ADDR`) and its 32-bit
    /// registers (lib/drivers/include/uarths.h): txdata (bit 31: FIFO full), txctrl (bit 0:
    /// enable).
    const UARTHS: usize = 0x3800_0000;
    const TXDATA: usize = 0x00;
    const TXCTRL: usize = 0x08;
    const TXDATA_FULL: u32 = 1 << 31;
    const TXCTRL_TXEN: u32 = 1;

    /// The UARTHS transmitter.
    #[derive(Debug)]
    pub struct Uarths(());

    /// The console. Its baud-rate divisor is left as the boot ROM set it (115200 baud at the
    /// boot clock; the SDK's `uarths_init` recomputes it from the CPU clock, which this firmware
    /// does not change); only the transmitter is enabled.
    pub fn console() -> Writer<Uarths> {
        // SAFETY: UARTHS + TXCTRL is the K210's UARTHS txctrl register, 32 bits wide. No Rust
        // object lives at this address.
        unsafe {
            let ctrl = (UARTHS + TXCTRL) as *mut u32;
            write_volatile(ctrl, read_volatile(ctrl) | TXCTRL_TXEN);
        }
        Writer(Uarths(()))
    }

    impl Console for Uarths {
        const CRLF: bool = true;

        fn put(&mut self, byte: u8) {
            let tx = (UARTHS + TXDATA) as *mut u32;
            // SAFETY: txdata is UARTHS's 32-bit transmit register: reading gives the full flag,
            // writing queues the low byte (the SDK's `uarths_putc`).
            unsafe {
                while read_volatile(tx) & TXDATA_FULL != 0 {}
                write_volatile(tx, u32::from(byte));
            }
        }
    }

    /// Nothing powers the K210 off: the report (PASS or FAIL) is on the console, the hart parks.
    pub fn exit(_code: Exit) -> ! {
        crate::rt::park()
    }
}
