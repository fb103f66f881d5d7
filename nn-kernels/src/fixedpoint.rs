//! TFLite's integer requantisation arithmetic and gemmlowp's fixed-point transcendental
//! functions, on raw `i32` values.
//!
//! A gemmlowp `FixedPoint<i32, I>` is an `i32` with `I` integer bits and `31 - I` fractional
//! bits; here the raw `i32` is passed around and the number of integer bits is an argument.
//! Products of two fixed-point values are [`saturating_rounding_doubling_high_mul`]; sums are
//! wrapping adds (gemmlowp's adds are plain `int32` adds). [`typed`] has the same steps with the
//! formats in the types (`fixed`'s `I1F31` for Q0.31, `FixedI32<U26>` for five integer bits).

pub mod typed;

/// `round(a * b / 2^31)` with ties away from zero, saturating the single overflow case
/// `i32::MIN * i32::MIN` to `i32::MAX` (gemmlowp `SaturatingRoundingDoublingHighMul`).
#[inline(always)]
#[must_use]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Division truncates toward zero, as C++ does; the quotient fits in i32 because the
    // only overflowing product was handled above.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded to nearest, ties away from zero (gemmlowp `RoundingDivideByPOT`).
///
/// `exponent` must be in `0..=31`; values outside are clamped into it.
#[inline(always)]
#[must_use]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent));
    let exponent = exponent.clamp(0, 31) as u32;
    let mask: i32 = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// TFLite `MultiplyByQuantizedMultiplier` as built by default (two roundings): a left shift by
/// `max(shift, 0)`, the doubling high multiply by the Q31 `multiplier`, then a rounding right
/// shift by `max(-shift, 0)`.
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier_double_rounding(
    x: i32,
    multiplier: i32,
    shift: i32,
) -> i32 {
    let left = shift.clamp(0, 31);
    let right = (-shift).clamp(0, 31);
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x.wrapping_mul(1i32 << left), multiplier),
        right,
    )
}

/// TFLite `MultiplyByQuantizedMultiplier` under `TFLITE_SINGLE_ROUNDING`: one 64-bit product
/// and a single rounding shift by `31 - shift` (ties toward +infinity).
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier_single_rounding(
    x: i32,
    multiplier: i32,
    shift: i32,
) -> i32 {
    debug_assert!((-31..=30).contains(&shift));
    let total_shift = (31 - shift).clamp(1, 62) as u32;
    let round = 1i64 << (total_shift - 1);
    let result = (i64::from(x) * i64::from(multiplier) + round) >> total_shift;
    result.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// TFLite `MultiplyByQuantizedMultiplier` in the variant this crate is built for (double rounding
/// unless the `single-rounding` feature is on).
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    #[cfg(feature = "single-rounding")]
    {
        multiply_by_quantized_multiplier_single_rounding(x, multiplier, shift)
    }
    #[cfg(not(feature = "single-rounding"))]
    {
        multiply_by_quantized_multiplier_double_rounding(x, multiplier, shift)
    }
}

/// TFLite's `MultiplyByQuantizedMultiplier` for a 64-bit accumulator (the 16x8 kernels: int16
/// activations, int8 weights, int64 bias), as built by default: the Q31 multiplier is first
/// rounded to Q15 (`(m + 2^15) >> 16`, or `0x7FFF` at the top of the range), the product is
/// taken in 64 bits and shifted right by `15 - shift` with ties toward +infinity, and the result
/// is truncated to 32 bits as C's conversion does.
///
/// `shift` must be in `-47..=14` (a right shift of 1 to 62 bits); callers check it
/// ([`check_shifts_i64`]). Outside it the shift is clamped, so nothing here can panic.
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier_i64_double_rounding(
    x: i64,
    multiplier: i32,
    shift: i32,
) -> i32 {
    let reduced = if multiplier < 0x7FFF_0000 {
        i64::from(multiplier.wrapping_add(1 << 15) >> 16)
    } else {
        0x7FFF
    };
    let total_shift = (15 - shift).clamp(1, 62) as u32;
    let v = x
        .wrapping_mul(reduced)
        .wrapping_add(1i64 << (total_shift - 1));
    (v >> total_shift) as i32
}

/// The 64-bit accumulator form of TFLite's `MultiplyByQuantizedMultiplier` under
/// `TFLITE_SINGLE_ROUNDING`: the full Q31 multiplier, one rounding shift by `31 - shift`.
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier_i64_single_rounding(
    x: i64,
    multiplier: i32,
    shift: i32,
) -> i32 {
    let total_shift = (31 - shift).clamp(1, 62) as u32;
    let v = x
        .wrapping_mul(i64::from(multiplier))
        .wrapping_add(1i64 << (total_shift - 1));
    (v >> total_shift) as i32
}

/// The 64-bit accumulator `MultiplyByQuantizedMultiplier` in the variant this crate is built for
/// (see [`multiply_by_quantized_multiplier`]).
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier_i64(x: i64, multiplier: i32, shift: i32) -> i32 {
    #[cfg(feature = "single-rounding")]
    {
        multiply_by_quantized_multiplier_i64_single_rounding(x, multiplier, shift)
    }
    #[cfg(not(feature = "single-rounding"))]
    {
        multiply_by_quantized_multiplier_i64_double_rounding(x, multiplier, shift)
    }
}

/// Checks the shifts of [`multiply_by_quantized_multiplier_i64`]: `-31..=14` (TFLite's
/// quantised multipliers never leave `-31..=7`; above 14 the Q15 form would shift left).
///
/// # Errors
/// [`crate::KernelError::Param`] for a shift outside the range.
pub fn check_shifts_i64(shifts: &[i32]) -> crate::KernelResult {
    if shifts.iter().all(|s| (-31..=14).contains(s)) {
        Ok(())
    } else {
        Err(crate::KernelError::Param("16x8 shift outside -31..=14"))
    }
}

/// TFLite `MultiplyByQuantizedMultiplierSmallerThanOneExp` (`left_shift <= 0`).
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier_smaller_than_one_exp(
    x: i32,
    multiplier: i32,
    left_shift: i32,
) -> i32 {
    #[cfg(feature = "single-rounding")]
    {
        multiply_by_quantized_multiplier_single_rounding(x, multiplier, left_shift)
    }
    #[cfg(not(feature = "single-rounding"))]
    {
        rounding_divide_by_pot(
            saturating_rounding_doubling_high_mul(x, multiplier),
            (-left_shift).clamp(0, 31),
        )
    }
}

/// TFLite `MultiplyByQuantizedMultiplierGreaterThanOne` (`left_shift >= 0`).
#[inline(always)]
#[must_use]
pub fn multiply_by_quantized_multiplier_greater_than_one(
    x: i32,
    multiplier: i32,
    left_shift: i32,
) -> i32 {
    #[cfg(feature = "single-rounding")]
    {
        multiply_by_quantized_multiplier_single_rounding(x, multiplier, left_shift)
    }
    #[cfg(not(feature = "single-rounding"))]
    {
        saturating_rounding_doubling_high_mul(
            x.wrapping_mul(1i32 << left_shift.clamp(0, 31)),
            multiplier,
        )
    }
}

/// gemmlowp `SaturatingRoundingMultiplyByPOT`: multiply by `2^exponent`, saturating when
/// `exponent > 0`, rounding when `exponent < 0`.
#[inline(always)]
#[must_use]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent > 0 {
        let e = exponent.min(31) as u32;
        let threshold: i32 = ((1i64 << (31 - e)) - 1) as i32;
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            x.wrapping_shl(e)
        }
    } else if exponent < 0 {
        rounding_divide_by_pot(x, (-exponent).min(31))
    } else {
        x
    }
}

/// gemmlowp `Rescale`: change the number of integer bits of a fixed-point raw value.
#[inline(always)]
#[must_use]
pub fn rescale(x: i32, src_integer_bits: i32, dst_integer_bits: i32) -> i32 {
    saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)
}

/// gemmlowp `RoundingHalfSum`: `(a + b) / 2` rounded away from zero.
#[inline(always)]
#[must_use]
pub fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = i64::from(a) + i64::from(b);
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// `1.0` with zero integer bits (saturated: `2^31 - 1`).
pub const Q0_ONE: i32 = i32::MAX;

/// `exp(a)` for `a` in `[-1/4, 0)`, `a` and the result with zero integer bits (a Taylor
/// expansion around -1/8, as gemmlowp does it).
#[must_use]
pub fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    // exp(-1/8) and 1/3 in Q0.31.
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668;
    const ONE_THIRD: i32 = 715_827_883;
    let mul = saturating_rounding_doubling_high_mul;
    let x = a.wrapping_add(1 << 28);
    let x2 = mul(x, x);
    let x3 = mul(x2, x);
    let x4 = mul(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let poly = rounding_divide_by_pot(
        mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2),
        1,
    );
    EXP_MINUS_ONE_EIGHTH.wrapping_add(mul(EXP_MINUS_ONE_EIGHTH, x.wrapping_add(poly)))
}

/// `exp(a)` for `a <= 0` with `integer_bits` integer bits in the input; the result has zero
/// integer bits (gemmlowp `exp_on_negative_values`). `integer_bits` must be in `1..=6`.
#[must_use]
pub fn exp_on_negative_values(a: i32, integer_bits: i32) -> i32 {
    // exp(-2^k) in Q0.31 for k = -2..=4.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    debug_assert!((1..=6).contains(&integer_bits));
    let integer_bits = integer_bits.clamp(1, 6);
    let fractional_bits = 31 - integer_bits;
    let one_quarter: i32 = 1 << (fractional_bits - 2);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(
        a_mod_quarter_minus_one_quarter,
        integer_bits,
        0,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    for (exponent, multiplier) in BARREL {
        if integer_bits > exponent {
            let bit = 1i32 << (fractional_bits + exponent);
            if remainder & bit != 0 {
                result = saturating_rounding_doubling_high_mul(result, multiplier);
            }
        }
    }
    if integer_bits > 5 {
        let clamp = -(1i32 << (36 - integer_bits));
        if a < clamp {
            result = 0;
        }
    }
    if a == 0 {
        result = Q0_ONE;
    }
    result
}

/// Newton-Raphson estimate of `1 / half_denominator` with two integer bits (shared by the two
/// divisions below).
fn newton_reciprocal_q2(half_denominator: i32) -> i32 {
    // 48/17 and -32/17 in Q2.29; 1.0 in Q2.29.
    const C48_OVER_17: i32 = 1_515_870_810;
    const CNEG32_OVER_17: i32 = -1_010_580_540;
    const ONE_Q2: i32 = 1 << 29;
    let mul = saturating_rounding_doubling_high_mul;
    let mut x = C48_OVER_17.wrapping_add(mul(half_denominator, CNEG32_OVER_17));
    for _ in 0..3 {
        let half_denominator_times_x = mul(half_denominator, x);
        let one_minus = ONE_Q2.wrapping_sub(half_denominator_times_x);
        x = x.wrapping_add(rescale(mul(x, one_minus), 4, 2));
    }
    x
}

/// `1 / (1 + a)` for `a` in `[0, 1)`, zero integer bits in and out
/// (gemmlowp `one_over_one_plus_x_for_x_in_0_1`).
#[must_use]
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let x = newton_reciprocal_q2(rounding_half_sum(a, Q0_ONE));
    // x / 2 with one integer bit, rescaled to zero integer bits.
    rescale(x, 1, 0)
}

/// `(1 - a) / (1 + a)` for `a` in `[0, 1)`, zero integer bits in and out
/// (gemmlowp `one_minus_x_over_one_plus_x_for_x_in_0_1`).
#[must_use]
pub fn one_minus_x_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let x = newton_reciprocal_q2(rounding_half_sum(a, Q0_ONE));
    rescale(x.wrapping_sub(1 << 29), 2, 0)
}

/// Logistic of a fixed-point value with `integer_bits` integer bits; the result has zero
/// integer bits (gemmlowp `logistic`).
#[must_use]
pub fn logistic(a: i32, integer_bits: i32) -> i32 {
    if a == 0 {
        return 1 << 30;
    }
    let abs = if a > 0 { a } else { a.wrapping_neg() };
    let positive =
        one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(abs.wrapping_neg(), integer_bits));
    if a > 0 {
        positive
    } else {
        Q0_ONE.wrapping_sub(positive)
    }
}

/// Hyperbolic tangent of a fixed-point value with `integer_bits` integer bits; the result has
/// zero integer bits (gemmlowp `tanh`).
#[must_use]
pub fn tanh(a: i32, integer_bits: i32) -> i32 {
    if a == 0 {
        return 0;
    }
    let n = if a < 0 { a } else { a.wrapping_neg() };
    // exp(2n): the same raw value read with one more integer bit.
    let t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1));
    if a < 0 {
        t.wrapping_neg()
    } else {
        t
    }
}

/// TFLite `GetReciprocal`: the reciprocal of a positive fixed-point `x` with
/// `x_integer_digits` integer bits, as a Q0.31 scale and the number of bits above one.
/// Returns `(scale, num_bits_over_unit)`.
#[must_use]
pub fn get_reciprocal(x: i32, x_integer_digits: i32) -> (i32, i32) {
    let ux = x as u32;
    let headroom_plus_one = ux.leading_zeros();
    let num_bits_over_unit = x_integer_digits - headroom_plus_one as i32;
    let shifted = ux.checked_shl(headroom_plus_one).unwrap_or(0);
    let shifted_sum_minus_one = shifted.wrapping_sub(1u32 << 31) as i32;
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one),
        num_bits_over_unit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 64-bit form, worked by hand: 2^30 (0.5) rounds to the Q15 16384; 1000 * 0.5 = 500;
    /// ties go toward +infinity (3 * 0.5 = 1.5 -> 2, -3 * 0.5 = -1.5 -> -1); the top multiplier
    /// saturates to 0x7FFF; a positive shift multiplies.
    #[test]
    fn i64_multiplier_by_hand() {
        let m = multiply_by_quantized_multiplier_i64_double_rounding;
        assert_eq!(m(1000, 1 << 30, 0), 500);
        assert_eq!(m(3, 1 << 30, 0), 2);
        assert_eq!(m(-3, 1 << 30, 0), -1);
        assert_eq!(
            m(1 << 20, i32::MAX, 0),
            (((1i64 << 20) * 0x7FFF + (1 << 14)) >> 15) as i32
        );
        assert_eq!(m(5, 1 << 30, 2), 10);
        assert_eq!(m(1 << 40, 1 << 30, -9), 1 << 30);
        // Q31 0x4000_8000 rounds up to Q15 0x4001, not down to 0x4000.
        assert_eq!(m(1 << 15, 0x4000_8000, 0), 0x4001);
        assert!(check_shifts_i64(&[-31, 0, 14]).is_ok());
        assert!(check_shifts_i64(&[15]).is_err());
        assert!(check_shifts_i64(&[-32]).is_err());
    }

    #[test]
    fn srdhm_hand_values() {
        // 0.5 * 0.5 = 0.25 in Q31.
        assert_eq!(
            saturating_rounding_doubling_high_mul(1 << 30, 1 << 30),
            1 << 29
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
        // 3 * 2^30 / 2^31 = 1.5 -> 2. For negatives the nudge is 1 - 2^30, so a tie lands
        // just short of the next integer and truncation takes it toward zero:
        // (-3 * 2^30 + 1 - 2^30) / 2^31 = -2 + 2^-31 -> -1.
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
        // 0.5 -> 1; -0.5 -> (-2^31 + 1) / 2^31 -> 0.
        assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
    }

    #[test]
    fn rounding_divide_hand_values() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3); // 2.5 -> 3
        assert_eq!(rounding_divide_by_pot(-5, 1), -3); // -2.5 -> -3
        assert_eq!(rounding_divide_by_pot(7, 2), 2); // 1.75 -> 2
        assert_eq!(rounding_divide_by_pot(-7, 2), -2);
        assert_eq!(rounding_divide_by_pot(6, 2), 2); // 1.5 -> 2
        assert_eq!(rounding_divide_by_pot(-6, 2), -2); // -1.5 -> -2
        assert_eq!(rounding_divide_by_pot(5, 0), 5);
        assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
    }

    #[test]
    fn quantized_multiplier_hand_values() {
        // multiplier 0.5 (2^30), shift -1: x * 0.25.
        assert_eq!(
            multiply_by_quantized_multiplier_double_rounding(100, 1 << 30, -1),
            25
        );
        assert_eq!(
            multiply_by_quantized_multiplier_double_rounding(-102, 1 << 30, -1),
            -26
        ); // -25.5
           // shift +2: x * 0.5 * 4.
        assert_eq!(
            multiply_by_quantized_multiplier_double_rounding(7, 1 << 30, 2),
            14
        );
        assert_eq!(
            multiply_by_quantized_multiplier_single_rounding(100, 1 << 30, -1),
            25
        );
        // -25.5 rounds toward +inf in the single-rounding variant.
        assert_eq!(
            multiply_by_quantized_multiplier_single_rounding(-102, 1 << 30, -1),
            -25
        );
    }

    #[test]
    fn saturating_pot() {
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 29, 2), i32::MAX);
        assert_eq!(saturating_rounding_multiply_by_pot(-(1 << 29), 2), i32::MIN);
        assert_eq!(saturating_rounding_multiply_by_pot(3, 2), 12);
        assert_eq!(saturating_rounding_multiply_by_pot(6, -2), 2);
    }

    /// Compare the fixed-point functions with f64 math within a few ULP of Q0.31. The bounds
    /// are loose (1e-6), the functions are exact to about 1e-9; this checks the structure, the
    /// bit-exactness is checked against TFLM's vectors in the workspace tests.
    #[test]
    fn transcendental_close_to_real() {
        let q = |raw: i32, ib: i32| f64::from(raw) / f64::from(1u32 << (31 - ib) as u32);
        for i in 0..200 {
            let x = -(i as f64) * 0.1; // 0 .. -19.9
            let raw = (x * f64::from(1 << 26)) as i32; // 5 integer bits
            let e = q(exp_on_negative_values(raw, 5), 0);
            assert!((e - q(raw, 5).exp()).abs() < 1e-6, "exp({x}) = {e}");
        }
        for i in -75..75 {
            let x = f64::from(i) * 0.1;
            let raw = (x * f64::from(1 << 27)) as i32; // 4 integer bits
            let l = q(logistic(raw, 4), 0);
            assert!(
                (l - 1.0 / (1.0 + (-q(raw, 4)).exp())).abs() < 1e-6,
                "logistic({x})"
            );
            let t = q(tanh(raw, 4), 0);
            assert!((t - q(raw, 4).tanh()).abs() < 1e-6, "tanh({x}) = {t}");
        }
        for i in 0..100 {
            let x = f64::from(i) / 100.0;
            let raw = (x * 2f64.powi(31)) as i32;
            let r = q(one_over_one_plus_x_for_x_in_0_1(raw), 0);
            assert!((r - 1.0 / (1.0 + x)).abs() < 1e-6);
        }
    }

    #[test]
    fn reciprocal_of_powers_of_two() {
        // x = 4.0 with 12 integer bits: raw 4 << 19. 1/4 = 0.25 = scale * 2^-num_bits.
        let (scale, bits) = get_reciprocal(4 << 19, 12);
        let value = f64::from(scale) / 2f64.powi(31) / 2f64.powi(bits);
        assert!((value - 0.25).abs() < 1e-8, "{scale} {bits}");
    }
}
