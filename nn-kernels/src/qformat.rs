//! Conversions between Q-format fixed-point numbers and int8 tensors, in integer arithmetic
//! only (for cores without an FPU, fed by fixed-point DSP pipelines such as CMSIS-DSP's MFCC or
//! FFT, which speak Q15 and Q31).
//!
//! A Q-format value with `frac` fractional bits is the integer `x` standing for `x / 2^frac`
//! (Q15: an `i16` and 15, Q31: an `i32` and 31, Q7.8: an `i16` and 8). An int8 tensor with
//! scale `s` and zero point `z` stands for `s (q - z)` (TFLite's affine quantisation).
//!
//! The scale is an `f32`, so it is exactly `m 2^e` with an integer mantissa `m < 2^24`
//! ([`Quant::from_scale_bits`] splits its bits at compile time). Both directions are therefore
//! exact rational arithmetic on integers:
//! - to int8: `q = z + round(x / (2^frac m 2^e))`, rounded half away from zero, then saturated
//!   to -128..=127;
//! - from int8: `x = round((q - z) m 2^(e + frac))`, rounded half away from zero, then saturated
//!   to the Q-format's integer range.
//!
//! The results equal the correctly rounded real values: no error bound to state, and no float
//! at run time (a 64-bit division by the mantissa on the way in; shifts on the way out).
//!
//! ## Typed with the `fixed` crate
//!
//! [`QFormat`] is implemented by the `fixed` crate's signed types ([`FixedI8`], [`FixedI16`],
//! [`FixedI32`]; re-exported as `nn_kernels::fixed`), whose fractional bits are part of the type:
//! `I1F15` is Q15, `I1F31` Q31, `FixedI16<U7>` CMSIS-DSP's Q8.7. [`Quant::quantize_fixed`],
//! [`Quant::dequantize_fixed`], [`quantize_fixed`] and [`dequantize_fixed`] take and give those
//! types, so the number of fractional bits cannot be passed wrong (a Q8.7 buffer given where Q15
//! is expected is a type error, not a silent factor of 256). They are the raw conversions above
//! with `frac` taken from the type: same results, same integer arithmetic.

use fixed::types::extra::{LeEqU16, LeEqU32, LeEqU8};
use fixed::{FixedI16, FixedI32, FixedI8};

use crate::{KernelError, KernelResult};

mod sealed {
    /// Only the `fixed` crate's signed types implement [`super::QFormat`].
    pub trait Sealed {}
}

/// A signed fixed-point type of the `fixed` crate: a raw integer of 8, 16 or 32 bits with
/// [`QFormat::FRAC`] fractional bits (`I1F15`: Q15, `I1F31`: Q31, `FixedI16<U7>`: Q8.7).
/// Sealed: implemented for [`FixedI8`], [`FixedI16`] and [`FixedI32`] with any number of
/// fractional bits.
pub trait QFormat: Copy + sealed::Sealed {
    /// The number of fractional bits: the value is `bits / 2^FRAC`.
    const FRAC: u32;
    /// The smallest raw integer.
    const MIN_BITS: i64;
    /// The largest raw integer.
    const MAX_BITS: i64;
    /// The raw integer (`to_bits`), widened.
    fn bits(self) -> i32;
    /// The value with raw integer `bits`, saturated to `MIN_BITS..=MAX_BITS`.
    fn from_bits_saturating(bits: i64) -> Self;
}

macro_rules! q_format {
    ($fixed:ident, $le:ident, $inner:ty) => {
        impl<Frac: $le> sealed::Sealed for $fixed<Frac> {}
        impl<Frac: $le> QFormat for $fixed<Frac> {
            const FRAC: u32 = $fixed::<Frac>::FRAC_NBITS;
            const MIN_BITS: i64 = <$inner>::MIN as i64;
            const MAX_BITS: i64 = <$inner>::MAX as i64;
            #[inline]
            fn bits(self) -> i32 {
                i32::from(self.to_bits())
            }
            #[inline]
            fn from_bits_saturating(bits: i64) -> Self {
                // In range after the clamp: the cast is exact.
                $fixed::from_bits(bits.clamp(Self::MIN_BITS, Self::MAX_BITS) as $inner)
            }
        }
    };
}
q_format!(FixedI8, LeEqU8, i8);
q_format!(FixedI16, LeEqU16, i16);
q_format!(FixedI32, LeEqU32, i32);

/// The affine quantisation of an int8 tensor, with the scale split into an integer mantissa and
/// a power of two: `real = mant 2^exp (q - zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quant {
    /// The scale's mantissa, `1..2^24` (odd unless the scale is a power of two's multiple).
    mant: i64,
    /// The scale's exponent.
    exp: i32,
    /// The zero point, in -128..=127.
    zero_point: i32,
}

impl Quant {
    /// The quantisation with scale `f32::from_bits(bits)` and `zero_point`.
    ///
    /// # Errors
    /// [`KernelError::Param`] when the scale is not a finite positive number or the zero point
    /// is outside int8.
    pub const fn from_scale_bits(bits: u32, zero_point: i32) -> Result<Quant, KernelError> {
        if zero_point < -128 || zero_point > 127 {
            return Err(KernelError::Param("zero point outside int8"));
        }
        let biased = ((bits >> 23) & 0xff) as i32;
        let frac = (bits & 0x7f_ffff) as i64;
        if bits >> 31 != 0 || biased == 0xff || (biased == 0 && frac == 0) {
            return Err(KernelError::Param("scale not a finite positive number"));
        }
        // Normal: (2^23 + frac) 2^(biased - 150); subnormal: frac 2^-149.
        let (mut mant, mut exp) = if biased == 0 {
            (frac, -149)
        } else {
            ((1 << 23) | frac, biased - 150)
        };
        while mant & 1 == 0 {
            mant >>= 1;
            exp += 1;
        }
        Ok(Quant {
            mant,
            exp,
            zero_point,
        })
    }

    /// [`Quant::from_scale_bits`] of `scale`.
    ///
    /// # Errors
    /// As [`Quant::from_scale_bits`].
    pub const fn from_scale(scale: f32, zero_point: i32) -> Result<Quant, KernelError> {
        Quant::from_scale_bits(scale.to_bits(), zero_point)
    }

    /// The int8 value nearest to `x / 2^frac` (half away from zero), saturated.
    #[must_use]
    pub fn quantize(&self, x: i32, frac: u32) -> i8 {
        // x / 2^frac / (mant 2^exp) = x 2^sh / mant with sh = -frac - exp.
        let sh = -(frac as i64) - i64::from(self.exp);
        let x = i64::from(x);
        let r = if x == 0 {
            0
        } else if sh >= 0 {
            // |x| < 2^31 and mant >= 1: the quotient exceeds int8 by far once x 2^sh needs
            // more than 62 bits, so saturate by the sign.
            if sh + i64::from(64 - x.unsigned_abs().leading_zeros()) > 62 {
                return if x < 0 { i8::MIN } else { i8::MAX };
            }
            div_round(x << sh, self.mant)
        } else if -sh + 24 > 62 {
            // The divisor exceeds 2^62 > 2^31 |x|: the quotient is below 1/2 in magnitude.
            0
        } else {
            div_round(x, self.mant << -sh)
        };
        r.saturating_add(i64::from(self.zero_point))
            .max(i64::from(i8::MIN))
            .min(i64::from(i8::MAX)) as i8
    }

    /// The Q-format value with `frac` fractional bits nearest to the real value of `q` (half
    /// away from zero), saturated to `min..=max` (the integer type's range).
    #[must_use]
    pub fn dequantize(&self, q: i8, frac: u32, min: i64, max: i64) -> i64 {
        // (q - z) mant 2^(exp + frac): |q - z| <= 255 and mant < 2^24, a 32-bit product.
        let v = (i64::from(q) - i64::from(self.zero_point)) * self.mant;
        let sh = i64::from(self.exp) + i64::from(frac);
        let r = if v == 0 {
            0
        } else if sh >= 0 {
            if sh + i64::from(64 - v.unsigned_abs().leading_zeros()) > 62 {
                if v < 0 {
                    min
                } else {
                    max
                }
            } else {
                v << sh
            }
        } else if -sh > 62 {
            0
        } else {
            div_round(v, 1 << -sh)
        };
        r.max(min).min(max)
    }
}

impl Quant {
    /// The int8 value nearest to the fixed-point `x` (half away from zero), saturated:
    /// [`Quant::quantize`] with the type's fractional bits.
    #[inline]
    #[must_use]
    pub fn quantize_fixed<F: QFormat>(&self, x: F) -> i8 {
        self.quantize(x.bits(), F::FRAC)
    }

    /// The fixed-point value of type `F` nearest to the real value of `q` (half away from
    /// zero), saturated to `F`'s range: [`Quant::dequantize`] with the type's fractional bits.
    #[inline]
    #[must_use]
    pub fn dequantize_fixed<F: QFormat>(&self, q: i8) -> F {
        F::from_bits_saturating(self.dequantize(q, F::FRAC, F::MIN_BITS, F::MAX_BITS))
    }
}

/// `n / d` rounded half away from zero, for `d > 0` (and `n` not `i64::MIN`); 0 otherwise
/// (no panic path: the callers' `d` is a mantissa of at least 1 or a power of two).
fn div_round(n: i64, d: i64) -> i64 {
    let (Some(q), Some(r)) = (n.checked_div(d), n.checked_rem(d)) else {
        return 0;
    };
    // |r| < d <= 2^62, so 2 |r| does not overflow.
    if 2 * r.unsigned_abs() >= d.unsigned_abs() {
        q + n.signum()
    } else {
        q
    }
}

fn check(src: usize, dst: usize) -> KernelResult {
    if src == dst {
        Ok(())
    } else {
        Err(KernelError::Param("source and destination lengths differ"))
    }
}

/// `dst[i]` = the int8 value of Q-format `src[i]` with `frac` fractional bits (Q15: 15).
///
/// # Errors
/// [`KernelError::Param`] when the lengths differ.
pub fn quantize_i16(q: &Quant, frac: u32, src: &[i16], dst: &mut [i8]) -> KernelResult {
    check(src.len(), dst.len())?;
    for (d, &x) in dst.iter_mut().zip(src) {
        *d = q.quantize(i32::from(x), frac);
    }
    Ok(())
}

/// `dst[i]` = the int8 value of Q-format `src[i]` with `frac` fractional bits (Q31: 31).
///
/// # Errors
/// [`KernelError::Param`] when the lengths differ.
pub fn quantize_i32(q: &Quant, frac: u32, src: &[i32], dst: &mut [i8]) -> KernelResult {
    check(src.len(), dst.len())?;
    for (d, &x) in dst.iter_mut().zip(src) {
        *d = q.quantize(x, frac);
    }
    Ok(())
}

/// `dst[i]` = the real value of int8 `src[i]` as an `i16` with `frac` fractional bits (Q15:
/// 15), saturated.
///
/// # Errors
/// [`KernelError::Param`] when the lengths differ.
pub fn dequantize_i16(q: &Quant, frac: u32, src: &[i8], dst: &mut [i16]) -> KernelResult {
    check(src.len(), dst.len())?;
    for (d, &x) in dst.iter_mut().zip(src) {
        let v = q.dequantize(x, frac, i64::from(i16::MIN), i64::from(i16::MAX));
        *d = v as i16;
    }
    Ok(())
}

/// `dst[i]` = the real value of int8 `src[i]` as an `i32` with `frac` fractional bits (Q31:
/// 31), saturated.
///
/// # Errors
/// [`KernelError::Param`] when the lengths differ.
pub fn dequantize_i32(q: &Quant, frac: u32, src: &[i8], dst: &mut [i32]) -> KernelResult {
    check(src.len(), dst.len())?;
    for (d, &x) in dst.iter_mut().zip(src) {
        let v = q.dequantize(x, frac, i64::from(i32::MIN), i64::from(i32::MAX));
        *d = v as i32;
    }
    Ok(())
}

/// `dst[i]` = the int8 value of the fixed-point `src[i]` (`I1F15`, `I1F31`, `FixedI16<U7>`,
/// ...): [`Quant::quantize_fixed`].
///
/// # Errors
/// [`KernelError::Param`] when the lengths differ.
pub fn quantize_fixed<F: QFormat>(q: &Quant, src: &[F], dst: &mut [i8]) -> KernelResult {
    check(src.len(), dst.len())?;
    for (d, &x) in dst.iter_mut().zip(src) {
        *d = q.quantize_fixed(x);
    }
    Ok(())
}

/// `dst[i]` = the real value of int8 `src[i]` as the fixed-point type `F`, saturated:
/// [`Quant::dequantize_fixed`].
///
/// # Errors
/// [`KernelError::Param`] when the lengths differ.
pub fn dequantize_fixed<F: QFormat>(q: &Quant, src: &[i8], dst: &mut [F]) -> KernelResult {
    check(src.len(), dst.len())?;
    for (d, &x) in dst.iter_mut().zip(src) {
        *d = q.dequantize_fixed(x);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact value of an f32 scale as (numerator, power of two).
    fn exact(scale: f32) -> (i128, i32) {
        let q = Quant::from_scale(scale, 0).unwrap();
        (i128::from(q.mant), q.exp)
    }

    /// Reference: round half away from zero of the rational `n / d` (d > 0), in i128.
    fn round_rat(n: i128, d: i128) -> i128 {
        let (q, r) = (n / d, n % d);
        if 2 * r.abs() >= d {
            q + n.signum()
        } else {
            q
        }
    }

    /// Reference quantisation of `x / 2^frac` with i128 rationals.
    fn ref_quantize(scale: f32, zp: i32, x: i64, frac: u32) -> i8 {
        let (m, e) = exact(scale);
        // x / 2^frac / (m 2^e) = x 2^(-frac - e) / m
        let sh = -(frac as i32) - e;
        let r = if sh >= 0 {
            if sh > 90 {
                return if x < 0 {
                    -128
                } else if x > 0 {
                    127
                } else {
                    zp as i8
                };
            }
            round_rat(i128::from(x) << sh, m)
        } else if -sh > 90 {
            0
        } else {
            round_rat(i128::from(x), m << -sh)
        };
        (r + i128::from(zp)).clamp(-128, 127) as i8
    }

    fn ref_dequantize(scale: f32, zp: i32, q: i8, frac: u32, min: i64, max: i64) -> i64 {
        let (m, e) = exact(scale);
        let v = (i128::from(q) - i128::from(zp)) * m;
        let sh = e + frac as i32;
        let r = if sh >= 0 {
            if sh > 90 {
                v.signum() * i128::from(i64::MAX)
            } else {
                v << sh
            }
        } else if -sh > 120 {
            0
        } else {
            round_rat(v, 1i128 << -sh)
        };
        r.clamp(i128::from(min), i128::from(max)) as i64
    }

    /// Scales of real models, powers of two (exact ties), extreme exponents and subnormals.
    const SCALES: [f32; 12] = [
        0.003_921_569,
        0.0625,
        0.5,
        1.0,
        0.023_529_412,
        0.106_617_65,
        1.0e-6,
        3.0e5,
        1.0e-38,
        1.0e-44,
        7.0,
        0.000_976_562_5,
    ];

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; millions of cases")]
    fn q15_to_int8_every_value_exact() {
        for &s in &SCALES {
            for zp in [-128, -3, 0, 41, 127] {
                let q = Quant::from_scale(s, zp).unwrap();
                for x in i16::MIN..=i16::MAX {
                    for frac in [15, 8, 0] {
                        let want = ref_quantize(s, zp, i64::from(x), frac);
                        assert_eq!(q.quantize(i32::from(x), frac), want, "{s} {zp} {x} {frac}");
                    }
                }
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; millions of cases")]
    fn q31_to_int8_sampled_exact() {
        let mut x = 0x1234_5678_u64;
        for &s in &SCALES {
            let q = Quant::from_scale(s, -7).unwrap();
            for i in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = match i {
                    0 => i32::MIN,
                    1 => i32::MAX,
                    2 => 0,
                    _ => x as i32 >> (x % 31),
                };
                let want = ref_quantize(s, -7, i64::from(v), 31);
                assert_eq!(q.quantize(v, 31), want, "{s} {v}");
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; millions of cases")]
    fn int8_to_q15_and_q31_every_value_exact() {
        for &s in &SCALES {
            for zp in [-128, -3, 0, 41, 127] {
                let q = Quant::from_scale(s, zp).unwrap();
                for v in i8::MIN..=i8::MAX {
                    for (frac, min, max) in [
                        (15, i64::from(i16::MIN), i64::from(i16::MAX)),
                        (8, i64::from(i16::MIN), i64::from(i16::MAX)),
                        (31, i64::from(i32::MIN), i64::from(i32::MAX)),
                    ] {
                        let want = ref_dequantize(s, zp, v, frac, min, max);
                        assert_eq!(q.dequantize(v, frac, min, max), want, "{s} {zp} {v} {frac}");
                    }
                }
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; millions of cases")]
    fn round_trip_within_half_a_step() {
        // A Q15 value converted to int8 and back lands within half a quantisation step
        // (s / 2) of where it started, unless it saturated.
        let s = 0.023_529_412f32;
        let q = Quant::from_scale(s, 5).unwrap();
        for x in (i16::MIN..=i16::MAX).step_by(7) {
            let v = q.quantize(i32::from(x), 15);
            if v == i8::MIN || v == i8::MAX {
                continue;
            }
            let back = q.dequantize(v, 15, i64::from(i16::MIN), i64::from(i16::MAX));
            let err = (back - i64::from(x)).abs() as f64 / 32768.0;
            assert!(err <= f64::from(s) / 2.0 + 1.0 / 32768.0, "{x} {v} {back}");
        }
    }

    use fixed::types::extra::{U15, U31, U7};
    use fixed::types::{I1F15, I1F31};

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; millions of cases")]
    fn fixed_q15_and_q8_7_to_int8_every_value_exact() {
        // Every i16 as Q15 (`I1F15`) and as Q8.7 (`FixedI16<U7>`), and every i8 as Q7
        // (`FixedI8<U7>`): the typed conversion equals the i128 rational reference.
        for &s in &SCALES {
            for zp in [-128, -3, 0, 41, 127] {
                let q = Quant::from_scale(s, zp).unwrap();
                for x in i16::MIN..=i16::MAX {
                    let want = ref_quantize(s, zp, i64::from(x), 15);
                    assert_eq!(q.quantize_fixed(I1F15::from_bits(x)), want, "{s} {zp} {x}");
                    let want = ref_quantize(s, zp, i64::from(x), 7);
                    let got = q.quantize_fixed(FixedI16::<U7>::from_bits(x));
                    assert_eq!(got, want, "{s} {zp} {x} Q8.7");
                }
                for x in i8::MIN..=i8::MAX {
                    let want = ref_quantize(s, zp, i64::from(x), 7);
                    let got = q.quantize_fixed(FixedI8::<U7>::from_bits(x));
                    assert_eq!(got, want, "{s} {zp} {x} Q7");
                }
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; many cases")]
    fn fixed_q31_to_int8_sampled_exact() {
        let mut x = 0x9e37_79b9_u64;
        for &s in &SCALES {
            for zp in [-128, 0, 99] {
                let q = Quant::from_scale(s, zp).unwrap();
                for i in 0..20_000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let v = match i {
                        0 => i32::MIN,
                        1 => i32::MAX,
                        2 => 0,
                        3 => -1,
                        _ => x as i32 >> (x % 31),
                    };
                    let want = ref_quantize(s, zp, i64::from(v), 31);
                    assert_eq!(q.quantize_fixed(I1F31::from_bits(v)), want, "{s} {zp} {v}");
                    let want = ref_quantize(s, zp, i64::from(v), 16);
                    let got = q.quantize_fixed(FixedI32::<fixed::types::extra::U16>::from_bits(v));
                    assert_eq!(got, want, "{s} {zp} {v} Q15.16");
                }
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; many cases")]
    fn int8_to_fixed_every_value_exact() {
        for &s in &SCALES {
            for zp in [-128, -3, 0, 41, 127] {
                let q = Quant::from_scale(s, zp).unwrap();
                let (i16min, i16max) = (i64::from(i16::MIN), i64::from(i16::MAX));
                let (i32min, i32max) = (i64::from(i32::MIN), i64::from(i32::MAX));
                for v in i8::MIN..=i8::MAX {
                    let want = ref_dequantize(s, zp, v, 15, i16min, i16max);
                    let got: I1F15 = q.dequantize_fixed(v);
                    assert_eq!(i64::from(got.to_bits()), want, "{s} {zp} {v} Q15");
                    let want = ref_dequantize(s, zp, v, 7, i16min, i16max);
                    let got: FixedI16<U7> = q.dequantize_fixed(v);
                    assert_eq!(i64::from(got.to_bits()), want, "{s} {zp} {v} Q8.7");
                    let want = ref_dequantize(s, zp, v, 31, i32min, i32max);
                    let got: I1F31 = q.dequantize_fixed(v);
                    assert_eq!(i64::from(got.to_bits()), want, "{s} {zp} {v} Q31");
                    let want = ref_dequantize(s, zp, v, 7, -128, 127);
                    let got: FixedI8<U7> = q.dequantize_fixed(v);
                    assert_eq!(i64::from(got.to_bits()), want, "{s} {zp} {v} Q7");
                }
            }
        }
    }

    /// The stated error bound against a float reference: to a Q format, at most half an ulp
    /// of the destination (`2^-(FRAC+1)`) unless saturated; to int8, at most half a
    /// quantisation step (`scale / 2`) unless saturated. The real values are computed in
    /// f64, exactly (an f32 scale times a 9-bit integer; a 16- or 32-bit integer over 2^frac).
    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; many cases")]
    fn error_bound_against_float_reference() {
        fn to_fixed<F: QFormat>(q: &Quant, s: f32, zp: i32) {
            let ulp = (-f64::from(F::FRAC as i32)).exp2();
            let lo = F::MIN_BITS as f64 * ulp;
            let hi = F::MAX_BITS as f64 * ulp;
            for v in i8::MIN..=i8::MAX {
                let real = f64::from(s) * f64::from(i32::from(v) - zp);
                let got: F = q.dequantize_fixed(v);
                let got = f64::from(got.bits()) * ulp;
                if real <= lo || real >= hi {
                    assert_eq!(got, real.clamp(lo, hi), "{s} {zp} {v}: saturates");
                } else {
                    assert!(
                        (got - real).abs() <= ulp / 2.0,
                        "{s} {zp} {v}: {got} vs {real}"
                    );
                }
            }
        }
        fn from_fixed<F: QFormat>(q: &Quant, s: f32, zp: i32, x: F) {
            let real = f64::from(x.bits()) * (-f64::from(F::FRAC as i32)).exp2();
            let v = q.quantize_fixed(x);
            let back = f64::from(s) * f64::from(i32::from(v) - zp);
            let step = f64::from(s);
            if real <= f64::from(s) * f64::from(-128 - zp) {
                assert_eq!(v, i8::MIN, "{s} {zp} {real}");
            } else if real >= f64::from(s) * f64::from(127 - zp) {
                assert_eq!(v, i8::MAX, "{s} {zp} {real}");
            } else {
                assert!((back - real).abs() <= step / 2.0, "{s} {zp} {real}: {v}");
            }
        }
        for &s in &SCALES {
            for zp in [-128, -3, 0, 41, 127] {
                let q = Quant::from_scale(s, zp).unwrap();
                to_fixed::<I1F15>(&q, s, zp);
                to_fixed::<I1F31>(&q, s, zp);
                to_fixed::<FixedI16<U7>>(&q, s, zp);
                to_fixed::<FixedI32<U15>>(&q, s, zp);
                for x in (i16::MIN..=i16::MAX).step_by(3) {
                    from_fixed(&q, s, zp, I1F15::from_bits(x));
                    from_fixed(&q, s, zp, FixedI16::<U7>::from_bits(x));
                }
                let mut r = 0x2545_f491_u32;
                for _ in 0..5_000 {
                    r ^= r << 13;
                    r ^= r >> 17;
                    r ^= r << 5;
                    from_fixed(&q, s, zp, I1F31::from_bits(r as i32 >> (r % 29)));
                    from_fixed(&q, s, zp, FixedI32::<U31>::from_bits(r as i32));
                }
            }
        }
    }

    #[test]
    fn fixed_slices() {
        let q = Quant::from_scale(0.5, 0).unwrap();
        let src = [
            I1F15::from_num(0.5),
            I1F15::from_num(-0.5),
            I1F15::from_bits(100),
        ];
        let mut d = [0i8; 3];
        quantize_fixed(&q, &src, &mut d).unwrap();
        assert_eq!(d, [1, -1, 0]);
        assert!(quantize_fixed(&q, &src, &mut [0; 2]).is_err());
        let mut back = [I1F15::ZERO; 3];
        dequantize_fixed(&q, &[1, -1, 2], &mut back).unwrap();
        // 2 * 0.5 = 1.0 saturates to Q15's largest value.
        assert_eq!(
            back,
            [I1F15::from_num(0.5), I1F15::from_num(-0.5), I1F15::MAX]
        );
        assert!(dequantize_fixed(&q, &[0; 2], &mut back).is_err());
    }

    #[test]
    fn refuses_bad_scales_and_lengths() {
        for bad in [0.0f32, -1.0, f32::INFINITY, f32::NAN, -0.0] {
            assert!(Quant::from_scale(bad, 0).is_err(), "{bad}");
        }
        assert!(Quant::from_scale(1.0, 128).is_err());
        assert!(Quant::from_scale(1.0, -129).is_err());
        let q = Quant::from_scale(0.5, 0).unwrap();
        assert!(quantize_i16(&q, 15, &[0; 3], &mut [0; 2]).is_err());
        assert!(quantize_i32(&q, 31, &[0; 3], &mut [0; 4]).is_err());
        assert!(dequantize_i16(&q, 15, &[0; 3], &mut [0; 2]).is_err());
        assert!(dequantize_i32(&q, 31, &[0; 1], &mut [0; 2]).is_err());
        let mut d = [0i8; 3];
        quantize_i16(&q, 15, &[16384, -16384, 100], &mut d).unwrap();
        // 0.5 / 0.5 = 1; 100 / 32768 / 0.5 = 0.0061 -> 0.
        assert_eq!(d, [1, -1, 0]);
    }
}
