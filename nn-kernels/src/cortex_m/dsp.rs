//! The Armv7E-M DSP instructions the Cortex-M kernels use, as functions.
//!
//! With `cfg(nnd_dsp)` (set by the build script on `thumbv7em-*` and `thumbv8m.main-*`) the
//! extraction and SIMD functions (`sxtb16`, `smax8`, `sadd16`, ...) are one instruction through
//! stable `core::arch::asm!`, and the kernels' inner loops (`dot_2x2`, `dot_1x4`,
//! `dw_tap4_w`) are assembly blocks; elsewhere each is plain Rust with the instructions'
//! exact semantics, so the same kernels run (and are tested, also under Miri) on any host.
//! `smlad`, `smlabb`, `smlatt` and the register blocks built from them are those plain Rust
//! semantics (the Armv7-M Architecture Reference Manual's definitions), used by the portable
//! paths. The assembly paths are tested on an emulated Cortex-M4 (`tools/cortex-m-test.sh`).
#![allow(unsafe_code)]

#[cfg(nnd_dsp)]
use core::arch::asm;

/// `SMLAD`: `acc + lo16(a) * lo16(b) + hi16(a) * hi16(b)`, signed 16-bit halves, wrapping
/// 32-bit accumulate (the instruction only sets the sticky Q flag on overflow).
#[inline(always)]
#[must_use]
pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    let lo = i32::from(a as i16) * i32::from(b as i16);
    let hi = i32::from((a >> 16) as i16) * i32::from((b >> 16) as i16);
    acc.wrapping_add(lo).wrapping_add(hi)
}

/// `SMLABB`: `acc + lo16(a) * lo16(b)` (signed halves, wrapping accumulate).
#[inline(always)]
#[must_use]
pub fn smlabb(a: u32, b: u32, acc: i32) -> i32 {
    acc.wrapping_add(i32::from(a as i16) * i32::from(b as i16))
}

/// `SMLATT`: `acc + hi16(a) * hi16(b)` (signed halves, wrapping accumulate).
#[inline(always)]
#[must_use]
pub fn smlatt(a: u32, b: u32, acc: i32) -> i32 {
    acc.wrapping_add(i32::from((a >> 16) as i16) * i32::from((b >> 16) as i16))
}

/// `SXTB16`: bytes 0 and 2 of `x`, sign-extended into the low and high halfwords.
#[inline(always)]
#[must_use]
pub fn sxtb16(x: u32) -> u32 {
    #[cfg(nnd_dsp)]
    {
        let r: u32;
        // SAFETY: register-only instruction, no flags.
        unsafe {
            asm!("sxtb16 {r}, {x}", r = lateout(reg) r, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }
    #[cfg(not(nnd_dsp))]
    {
        let lo = u32::from((x as i8) as i16 as u16);
        let hi = u32::from(((x >> 16) as i8) as i16 as u16);
        lo | (hi << 16)
    }
}

/// `SXTB16 ..., ROR #8`: bytes 1 and 3 of `x`, sign-extended into the low and high halfwords.
#[inline(always)]
#[must_use]
pub fn sxtb16_ror8(x: u32) -> u32 {
    #[cfg(nnd_dsp)]
    {
        let r: u32;
        // SAFETY: register-only instruction, no flags.
        unsafe {
            asm!("sxtb16 {r}, {x}, ror #8", r = lateout(reg) r, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }
    #[cfg(not(nnd_dsp))]
    {
        sxtb16(x.rotate_right(8))
    }
}

/// `PKHBT r, a, b, LSL #16`: low halfword of `a`, low halfword of `b` on top.
#[inline(always)]
#[must_use]
pub fn pkhbt16(a: u32, b: u32) -> u32 {
    (a & 0xFFFF) | (b << 16)
}

/// `PKHTB r, b, a, ASR #16`: high halfword of `a` at the bottom, high halfword of `b` on top.
#[inline(always)]
#[must_use]
pub fn pkhtb16(a: u32, b: u32) -> u32 {
    (a >> 16) | (b & 0xFFFF_0000)
}

/// Four `SMLAD`s of a 2x2 register block: `acc[0] += x0.k0`, `acc[1] += x0.k1`,
/// `acc[2] += x1.k0`, `acc[3] += x1.k1` (each a pair of int16 products). One assembly block, so
/// the compiler keeps the four accumulators in registers and streams the operands instead of
/// reordering the multiplies into long chains that spill.
#[inline(always)]
pub fn smlad_2x2(acc: &mut [i32; 4], x0: u32, x1: u32, k0: u32, k1: u32) {
    acc[0] = smlad(x0, k0, acc[0]);
    acc[1] = smlad(x0, k1, acc[1]);
    acc[2] = smlad(x1, k0, acc[2]);
    acc[3] = smlad(x1, k1, acc[3]);
}

/// Four `SMLAD`s of one input word against four filter words: `acc[i] += x.k[i]`.
#[inline(always)]
pub fn smlad_1x4(acc: &mut [i32; 4], x: u32, k0: u32, k1: u32, k2: u32, k3: u32) {
    acc[0] = smlad(x, k0, acc[0]);
    acc[1] = smlad(x, k1, acc[1]);
    acc[2] = smlad(x, k2, acc[2]);
    acc[3] = smlad(x, k3, acc[3]);
}

/// One depthwise tap for four channels: `x` holds the four input bytes (channels 0..4),
/// `w02`/`w13` the int16 weights of channels 0, 2 and 1, 3. `acc[c] += x[c] * w[c]`.
#[inline(always)]
pub fn dw_tap4(acc: &mut [i32; 4], x: u32, w02: u32, w13: u32) {
    let (e, o) = (sxtb16(x), sxtb16_ror8(x));
    acc[0] = smlabb(e, w02, acc[0]);
    acc[2] = smlatt(e, w02, acc[2]);
    acc[1] = smlabb(o, w13, acc[1]);
    acc[3] = smlatt(o, w13, acc[3]);
}

/// The 2x2 register block of the convolution over whole operands: `x[j] = [column 0 word j,
/// column 1 word j]`, `k[j] = [filter 0 word j, filter 1 word j]` (both interleaved by the
/// caller and the compiler so that one `LDRD` brings each pair), and
/// `acc += [x0.k0, x0.k1, x1.k0, x1.k1]`. An assembly loop, two words per iteration: per word two `LDRD`s and four `SMLAD`s.
#[inline(always)]
#[must_use]
pub fn dot_2x2<const W: usize>(acc: [i32; 4], x: &[[u32; 2]; W], k: &[[u32; 2]; W]) -> [i32; 4] {
    #[cfg(nnd_dsp)]
    {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        let (mut xp, mut kp) = (x.as_ptr(), k.as_ptr());
        let pairs = W / 2;
        if pairs > 0 {
            let mut n = pairs;
            // SAFETY: `2 * pairs <= W` iterations of two words each read `x[0..2 * pairs]` and
            // `k[0..2 * pairs]` through post-incremented pointers (8-byte aligned reads of
            // `[u32; 2]`, 4-byte alignment suffices for LDRD); nothing is written to memory.
            unsafe {
                asm!(
                    "2:",
                    "ldrd {x0}, {x1}, [{xp}], #8",
                    "ldrd {k0}, {k1}, [{kp}], #8",
                    "smlad {a0}, {x0}, {k0}, {a0}",
                    "smlad {a1}, {x0}, {k1}, {a1}",
                    "smlad {a2}, {x1}, {k0}, {a2}",
                    "smlad {a3}, {x1}, {k1}, {a3}",
                    "ldrd {x0}, {x1}, [{xp}], #8",
                    "ldrd {k0}, {k1}, [{kp}], #8",
                    "smlad {a0}, {x0}, {k0}, {a0}",
                    "smlad {a1}, {x0}, {k1}, {a1}",
                    "smlad {a2}, {x1}, {k0}, {a2}",
                    "smlad {a3}, {x1}, {k1}, {a3}",
                    "subs {n}, {n}, #1",
                    "bne 2b",
                    a0 = inout(reg) a0, a1 = inout(reg) a1, a2 = inout(reg) a2,
                    a3 = inout(reg) a3, xp = inout(reg) xp, kp = inout(reg) kp,
                    n = inout(reg) n, x0 = out(reg) _, x1 = out(reg) _, k0 = out(reg) _,
                    k1 = out(reg) _,
                    // Not `readonly`: the block then orders the loads around it, so the
                    // compiler loads the requantisation constants after the loop instead of
                    // hoisting them above it and spilling them.
                    options(nostack),
                );
            }
            let _ = n;
        }
        if W % 2 == 1 {
            // SAFETY: the loop stopped after `2 * pairs = W - 1` words, so `xp`/`kp` point at
            // the last element of `x`/`k`; one more pair of words is read.
            unsafe {
                asm!(
                    "ldrd {x0}, {x1}, [{xp}]",
                    "ldrd {k0}, {k1}, [{kp}]",
                    "smlad {a0}, {x0}, {k0}, {a0}",
                    "smlad {a1}, {x0}, {k1}, {a1}",
                    "smlad {a2}, {x1}, {k0}, {a2}",
                    "smlad {a3}, {x1}, {k1}, {a3}",
                    a0 = inout(reg) a0, a1 = inout(reg) a1, a2 = inout(reg) a2,
                    a3 = inout(reg) a3, xp = in(reg) xp, kp = in(reg) kp,
                    x0 = out(reg) _, x1 = out(reg) _, k0 = out(reg) _, k1 = out(reg) _,
                    options(pure, readonly, nostack),
                );
            }
        }
        let _ = (&mut xp, &mut kp);
        [a0, a1, a2, a3]
    }
    #[cfg(not(nnd_dsp))]
    {
        let mut acc = acc;
        for (&[x0, x1], &[k0, k1]) in x.iter().zip(k) {
            smlad_2x2(&mut acc, x0, x1, k0, k1);
        }
        acc
    }
}

/// One depthwise tap for four channels ([`dw_tap4`]) as one assembly block that loads the weight
/// pair itself (`LDRD` from `w`) and is ordered with the surrounding loads (no `nomem`), so the
/// compiler neither hoists later taps' loads above it nor holds weights across taps.
///
/// # Safety
/// `w` must be valid for reading two `u32` (4-byte aligned).
#[inline(always)]
#[must_use]
pub unsafe fn dw_tap4_w(acc: [i32; 4], x: u32, w: *const [u32; 2]) -> [i32; 4] {
    #[cfg(nnd_dsp)]
    {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        // SAFETY: the caller guarantees the 8-byte read at `w`; registers otherwise.
        unsafe {
            asm!(
                "ldrd {w02}, {w13}, [{w}]",
                "sxtb16 {e}, {x}",
                "sxtb16 {o}, {x}, ror #8",
                "smlabb {a0}, {e}, {w02}, {a0}",
                "smlatt {a2}, {e}, {w02}, {a2}",
                "smlabb {a1}, {o}, {w13}, {a1}",
                "smlatt {a3}, {o}, {w13}, {a3}",
                a0 = inout(reg) a0, a1 = inout(reg) a1, a2 = inout(reg) a2,
                a3 = inout(reg) a3, x = in(reg) x, w = in(reg) w, w02 = out(reg) _,
                w13 = out(reg) _, e = out(reg) _, o = out(reg) _, options(nostack),
            );
        }
        [a0, a1, a2, a3]
    }
    #[cfg(not(nnd_dsp))]
    {
        // SAFETY: as the caller guarantees.
        let [w02, w13] = unsafe { w.read() };
        let mut acc = acc;
        dw_tap4(&mut acc, x, w02, w13);
        acc
    }
}

/// Four dot products of one column with four filters: `x[j]` is word `j` of the column,
/// `k[j] = [filter 0 word j, .., filter 3 word j]` (interleaved by the compiler), and
/// `acc[i] += x.k_i`. An assembly loop, two words per iteration: one `LDRD` of the column, four
/// `LDRD`s of the filters and eight `SMLAD`s.
#[inline(always)]
#[must_use]
pub fn dot_1x4<const W: usize>(acc: [i32; 4], x: &[u32; W], k: &[[u32; 4]; W]) -> [i32; 4] {
    #[cfg(nnd_dsp)]
    {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        let (mut xp, mut kp) = (x.as_ptr(), k.as_ptr());
        let pairs = W / 2;
        if pairs > 0 {
            let mut n = pairs;
            // SAFETY: `pairs` iterations read `x[0..2 * pairs]` and `k[0..2 * pairs]` through
            // post-incremented pointers (4-byte aligned, as LDRD needs); no memory is written.
            unsafe {
                asm!(
                    "2:",
                    "ldrd {x0}, {x1}, [{xp}], #8",
                    "ldrd {k0}, {k1}, [{kp}], #8",
                    "smlad {a0}, {x0}, {k0}, {a0}",
                    "smlad {a1}, {x0}, {k1}, {a1}",
                    "ldrd {k0}, {k1}, [{kp}], #8",
                    "smlad {a2}, {x0}, {k0}, {a2}",
                    "smlad {a3}, {x0}, {k1}, {a3}",
                    "ldrd {k0}, {k1}, [{kp}], #8",
                    "smlad {a0}, {x1}, {k0}, {a0}",
                    "smlad {a1}, {x1}, {k1}, {a1}",
                    "ldrd {k0}, {k1}, [{kp}], #8",
                    "smlad {a2}, {x1}, {k0}, {a2}",
                    "smlad {a3}, {x1}, {k1}, {a3}",
                    "subs {n}, {n}, #1",
                    "bne 2b",
                    a0 = inout(reg) a0, a1 = inout(reg) a1, a2 = inout(reg) a2,
                    a3 = inout(reg) a3, xp = inout(reg) xp, kp = inout(reg) kp,
                    n = inout(reg) n, x0 = out(reg) _, x1 = out(reg) _, k0 = out(reg) _,
                    k1 = out(reg) _,
                    // Not `readonly`: see `dot_2x2`.
                    options(nostack),
                );
            }
            let _ = n;
        }
        if W % 2 == 1 {
            // SAFETY: `xp`/`kp` point at the last element of `x`/`k` (`2 * pairs = W - 1`).
            unsafe {
                asm!(
                    "ldr {x0}, [{xp}]",
                    "ldrd {k0}, {k1}, [{kp}]",
                    "smlad {a0}, {x0}, {k0}, {a0}",
                    "smlad {a1}, {x0}, {k1}, {a1}",
                    "ldrd {k0}, {k1}, [{kp}, #8]",
                    "smlad {a2}, {x0}, {k0}, {a2}",
                    "smlad {a3}, {x0}, {k1}, {a3}",
                    a0 = inout(reg) a0, a1 = inout(reg) a1, a2 = inout(reg) a2,
                    a3 = inout(reg) a3, xp = in(reg) xp, kp = in(reg) kp,
                    x0 = out(reg) _, k0 = out(reg) _, k1 = out(reg) _,
                    options(nostack),
                );
            }
        }
        let _ = (&mut xp, &mut kp);
        [a0, a1, a2, a3]
    }
    #[cfg(not(nnd_dsp))]
    {
        let mut acc = acc;
        for (&x, &[k0, k1, k2, k3]) in x.iter().zip(k) {
            smlad_1x4(&mut acc, x, k0, k1, k2, k3);
        }
        acc
    }
}

/// Per-byte signed maximum of two words (`SSUB8` sets a GE flag per byte where `a >= b`, `SEL`
/// picks those bytes from `a`, the rest from `b`).
#[inline(always)]
#[must_use]
pub fn smax8(a: u32, b: u32) -> u32 {
    #[cfg(nnd_dsp)]
    {
        let r: u32;
        // SAFETY: register-only SSUB8/SEL; the GE flags they use are set and read inside the
        // block. No memory, stack or control flow.
        unsafe {
            asm!("ssub8 {t}, {a}, {b}", "sel {r}, {a}, {b}", a = in(reg) a, b = in(reg) b,
                 t = out(reg) _, r = lateout(reg) r, options(pure, nomem, nostack));
        }
        r
    }
    #[cfg(not(nnd_dsp))]
    {
        let (x, y) = (a.to_le_bytes(), b.to_le_bytes());
        u32::from_le_bytes(core::array::from_fn(|i| (x[i] as i8).max(y[i] as i8) as u8))
    }
}

/// Per-byte signed minimum of two words (`SSUB8`, then `SEL` the other way round).
#[inline(always)]
#[must_use]
pub fn smin8(a: u32, b: u32) -> u32 {
    #[cfg(nnd_dsp)]
    {
        let r: u32;
        // SAFETY: as for `smax8`.
        unsafe {
            asm!("ssub8 {t}, {a}, {b}", "sel {r}, {b}, {a}", a = in(reg) a, b = in(reg) b,
                 t = out(reg) _, r = lateout(reg) r, options(pure, nomem, nostack));
        }
        r
    }
    #[cfg(not(nnd_dsp))]
    {
        let (x, y) = (a.to_le_bytes(), b.to_le_bytes());
        u32::from_le_bytes(core::array::from_fn(|i| (x[i] as i8).min(y[i] as i8) as u8))
    }
}

/// `SADD16`: two signed 16-bit lane additions (wrapping per lane).
#[inline(always)]
#[must_use]
pub fn sadd16(a: u32, b: u32) -> u32 {
    #[cfg(nnd_dsp)]
    {
        let r: u32;
        // SAFETY: register-only SADD16 (it sets GE flags, which nothing here reads).
        unsafe {
            asm!("sadd16 {r}, {a}, {b}", a = in(reg) a, b = in(reg) b, r = lateout(reg) r,
                 options(pure, nomem, nostack));
        }
        r
    }
    #[cfg(not(nnd_dsp))]
    {
        let lo = (a as u16).wrapping_add(b as u16);
        let hi = ((a >> 16) as u16).wrapping_add((b >> 16) as u16);
        u32::from(lo) | (u32::from(hi) << 16)
    }
}

/// Four int8 values as one word, byte 0 first (a little-endian load; LLVM emits one `LDR`).
#[inline(always)]
#[must_use]
pub fn word(b: [i8; 4]) -> u32 {
    u32::from_le_bytes([b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(lo: i16, hi: i16) -> u32 {
        u32::from(lo as u16) | (u32::from(hi as u16) << 16)
    }

    #[test]
    fn instruction_semantics() {
        assert_eq!(smlad(pair(-3, 7), pair(5, -2), 100), 100 - 15 - 14);
        assert_eq!(
            smlad(pair(-32768, -32768), pair(-32768, -32768), i32::MAX),
            i32::MAX.wrapping_add(1 << 30).wrapping_add(1 << 30)
        );
        assert_eq!(smlabb(pair(-3, 7), pair(5, -2), 1), -14);
        assert_eq!(smlatt(pair(-3, 7), pair(5, -2), 1), -13);
        let x = word([-1, 2, -128, 127]);
        assert_eq!(sxtb16(x), pair(-1, -128));
        assert_eq!(sxtb16_ror8(x), pair(2, 127));
        assert_eq!(pkhbt16(pair(1, 2), pair(3, 4)), pair(1, 3));
        assert_eq!(pkhtb16(pair(1, 2), pair(3, 4)), pair(2, 4));
        let (a, b) = (word([-5, 7, 127, -128]), word([3, 7, -1, -127]));
        assert_eq!(smax8(a, b), word([3, 7, 127, -127]));
        assert_eq!(smin8(a, b), word([-5, 7, -1, -128]));
        assert_eq!(sadd16(pair(-3, 32767), pair(5, 1)), pair(2, -32768));
    }
}
