//! gemmlowp's fixed-point steps with their Q formats in the types (issue 18 item 2).
//!
//! The functions of [`super`] take raw `i32`s and an `integer_bits` argument: gemmlowp's
//! `FixedPoint<int32, IntegerBits>` is a value with `IntegerBits` integer bits and
//! `31 - IntegerBits` fractional bits, which the `fixed` crate spells
//! `FixedI32<U{31 - IntegerBits}>`; `FixedPoint<int32, 0>` (Q0.31) is [`I1F31`]. Here the
//! formats are the arguments' and results' types, so passing a Q0.31 value where a Q5.26 one is
//! expected, or reading a Q0.31 result as anything else, is a type error; the allowed input
//! formats are checked by the trait bounds at compile time (gemmlowp's `exp_on_negative_values`
//! takes 1 to 6 integer bits). Every function calls the raw one: the results are bit-identical.

use fixed::types::extra::LeEqU32;
use fixed::types::I1F31;
use fixed::FixedI32;
use typenum::{IsGreaterOrEqual, IsLessOrEqual, True, U25, U26, U30};

/// The fractional bits of an input with 1 to 6 integer bits (25..=30), what
/// [`exp_on_negative_values`] and [`logistic`] accept.
pub trait ExpInputFrac:
    LeEqU32 + IsGreaterOrEqual<U25, Output = True> + IsLessOrEqual<U30, Output = True>
{
}
impl<T> ExpInputFrac for T where
    T: LeEqU32 + IsGreaterOrEqual<U25, Output = True> + IsLessOrEqual<U30, Output = True>
{
}

/// The fractional bits of a [`tanh`] input: 1 to 5 integer bits (26..=30), since `tanh`
/// computes `exp(2x)` with one integer bit more.
pub trait TanhInputFrac: ExpInputFrac + IsGreaterOrEqual<U26, Output = True> {}
impl<T> TanhInputFrac for T where T: ExpInputFrac + IsGreaterOrEqual<U26, Output = True> {}

/// gemmlowp's integer bits of a `FixedI32<Frac>`: `31 - Frac`.
fn integer_bits<Frac: LeEqU32>() -> i32 {
    31 - FixedI32::<Frac>::FRAC_NBITS as i32
}

/// A Q31 multiplier with its power-of-two exponent, `real = multiplier 2^shift` (TFLite's
/// `QuantizeMultiplier` result, what `nn_dsl::quant`'s helpers return; raw form `(i32, i32)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Q31Multiplier {
    /// The multiplier in Q0.31, in `[0.5, 1)` (or 0).
    pub multiplier: I1F31,
    /// The exponent (positive: left shift).
    pub shift: i32,
}

impl Q31Multiplier {
    /// From the raw `(multiplier, shift)` pair.
    #[must_use]
    pub const fn from_raw((multiplier, shift): (i32, i32)) -> Q31Multiplier {
        Q31Multiplier {
            multiplier: I1F31::from_bits(multiplier),
            shift,
        }
    }

    /// The raw `(multiplier, shift)` pair.
    #[must_use]
    pub const fn to_raw(self) -> (i32, i32) {
        (self.multiplier.to_bits(), self.shift)
    }

    /// `x * multiplier * 2^shift`, rounded as TFLite does
    /// ([`super::multiply_by_quantized_multiplier`], honouring the `single-rounding` feature).
    #[must_use]
    pub fn apply(self, x: i32) -> i32 {
        super::multiply_by_quantized_multiplier(x, self.multiplier.to_bits(), self.shift)
    }
}

/// The Q0.31 product `a b`, rounded to nearest, saturated (only `-1 * -1` saturates):
/// gemmlowp's `SaturatingRoundingDoublingHighMul`
/// ([`super::saturating_rounding_doubling_high_mul`]).
#[must_use]
pub fn mul(a: I1F31, b: I1F31) -> I1F31 {
    I1F31::from_bits(super::saturating_rounding_doubling_high_mul(
        a.to_bits(),
        b.to_bits(),
    ))
}

/// `exp(a)` for `a <= 0` with 1 to 6 integer bits (`FixedI32<U25>` to `FixedI32<U30>`), in
/// Q0.31 ([`super::exp_on_negative_values`]).
#[must_use]
pub fn exp_on_negative_values<Frac: ExpInputFrac>(a: FixedI32<Frac>) -> I1F31 {
    I1F31::from_bits(super::exp_on_negative_values(
        a.to_bits(),
        integer_bits::<Frac>(),
    ))
}

/// `1 / (1 + a)` for `a` in `[0, 1)`, Q0.31 in and out
/// ([`super::one_over_one_plus_x_for_x_in_0_1`]).
#[must_use]
pub fn one_over_one_plus_x_for_x_in_0_1(a: I1F31) -> I1F31 {
    I1F31::from_bits(super::one_over_one_plus_x_for_x_in_0_1(a.to_bits()))
}

/// `(1 - a) / (1 + a)` for `a` in `[0, 1)`, Q0.31 in and out
/// ([`super::one_minus_x_over_one_plus_x_for_x_in_0_1`]).
#[must_use]
pub fn one_minus_x_over_one_plus_x_for_x_in_0_1(a: I1F31) -> I1F31 {
    I1F31::from_bits(super::one_minus_x_over_one_plus_x_for_x_in_0_1(a.to_bits()))
}

/// The logistic function of a value with 1 to 6 integer bits, in Q0.31 ([`super::logistic`]).
#[must_use]
pub fn logistic<Frac: ExpInputFrac>(a: FixedI32<Frac>) -> I1F31 {
    I1F31::from_bits(super::logistic(a.to_bits(), integer_bits::<Frac>()))
}

/// The hyperbolic tangent of a value with 1 to 5 integer bits, in Q0.31 ([`super::tanh`]).
#[must_use]
pub fn tanh<Frac: TanhInputFrac>(a: FixedI32<Frac>) -> I1F31 {
    I1F31::from_bits(super::tanh(a.to_bits(), integer_bits::<Frac>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixed::types::extra::{U27, U28};

    /// xorshift samples of every magnitude.
    fn samples() -> impl Iterator<Item = i32> {
        let mut x = 0x1234_5678_u32;
        (0..4000).map(move |i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            match i {
                0 => 0,
                1 => i32::MIN,
                2 => i32::MAX,
                _ => (x as i32) >> (x % 31),
            }
        })
    }

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; 200,000 cases")]
    fn typed_steps_equal_the_raw_ones() {
        use super::super as raw;
        for v in samples() {
            for w in samples().take(50) {
                assert_eq!(
                    mul(I1F31::from_bits(v), I1F31::from_bits(w)).to_bits(),
                    raw::saturating_rounding_doubling_high_mul(v, w)
                );
            }
            let n = if v > 0 { v.wrapping_neg() } else { v };
            assert_eq!(
                exp_on_negative_values(FixedI32::<U26>::from_bits(n)).to_bits(),
                raw::exp_on_negative_values(n, 5)
            );
            assert_eq!(
                logistic(FixedI32::<U27>::from_bits(v)).to_bits(),
                raw::logistic(v, 4)
            );
            assert_eq!(
                tanh(FixedI32::<U28>::from_bits(v)).to_bits(),
                raw::tanh(v, 3)
            );
            let a = v & i32::MAX;
            assert_eq!(
                one_over_one_plus_x_for_x_in_0_1(I1F31::from_bits(a)).to_bits(),
                raw::one_over_one_plus_x_for_x_in_0_1(a)
            );
            assert_eq!(
                one_minus_x_over_one_plus_x_for_x_in_0_1(I1F31::from_bits(a)).to_bits(),
                raw::one_minus_x_over_one_plus_x_for_x_in_0_1(a)
            );
            let (mult, shift) = (v | 1 << 30, 3 - (v & 7));
            let m = Q31Multiplier::from_raw((mult, shift));
            assert_eq!(m, Q31Multiplier::from_raw(m.to_raw()));
            let x = v >> 12;
            assert_eq!(
                m.apply(x),
                raw::multiply_by_quantized_multiplier(x, mult, shift)
            );
        }
    }

    /// The formats the types state are the ones the functions compute in: read as real numbers
    /// through the types, the results are the real functions of the real inputs.
    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; thousands of cases")]
    fn typed_steps_compute_the_real_functions() {
        for k in -400..=400 {
            let x = f64::from(k) / 50.0; // -8..=8
            let q4 = FixedI32::<U27>::from_num(x);
            let got: f64 = logistic(q4).to_num();
            let want = 1.0 / (1.0 + (-q4.to_num::<f64>()).exp());
            assert!(
                (got - want).abs() < 1e-6,
                "logistic({x}) = {got}, want {want}"
            );
            let q2 = FixedI32::<U28>::from_num(x / 2.0);
            let got: f64 = tanh(q2).to_num();
            let want = q2.to_num::<f64>().tanh();
            assert!(
                (got - want).abs() < 1e-6,
                "tanh({}) = {got}, want {want}",
                x / 2.0
            );
            if x <= 0.0 {
                let q1 = FixedI32::<U30>::from_num(x / 8.0);
                let got: f64 = exp_on_negative_values(q1).to_num();
                let want = q1.to_num::<f64>().exp();
                assert!(
                    (got - want).abs() < 1e-6,
                    "exp({}) = {got}, want {want}",
                    x / 8.0
                );
            }
        }
        let half = I1F31::from_num(0.5);
        let got: f64 = mul(half, I1F31::from_num(-0.25)).to_num();
        assert_eq!(got, -0.125);
        let got: f64 = one_over_one_plus_x_for_x_in_0_1(I1F31::from_num(0.25)).to_num();
        assert!((got - 0.8).abs() < 1e-8, "{got}");
        let m = Q31Multiplier {
            multiplier: I1F31::from_num(0.75),
            shift: -2,
        };
        // 1000 * 0.75 / 4 = 187.5, rounded away from zero.
        assert_eq!(m.apply(1000), 188);
    }
}
