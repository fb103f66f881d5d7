//! Softmax (TFLite `SOFTMAX`, int8 in, int8 out with scale 1/256 and zero point -128). TFLite
//! exponentiates each difference to the row maximum with gemmlowp's fixed-point `exp`; an int8
//! difference takes one of 256 values, so the compiler tabulates those exponentials at build
//! time ([`super::pack::softmax_table`]) and the kernel only looks them up, sums them and scales
//! by the reciprocal of the sum, as the portable kernel does.

use crate::error::{check_len, product};
use crate::fixedpoint::{
    get_reciprocal, rescale, rounding_divide_by_pot, saturating_rounding_doubling_high_mul,
};
use crate::softmax::ACCUMULATION_INTEGER_BITS;
use crate::KernelResult;

/// The constants of one softmax.
#[derive(Clone, Copy, Debug)]
pub struct SoftmaxSpec<'a> {
    /// Number of rows.
    pub outer: usize,
    /// Row length.
    pub depth: usize,
    /// `exp` of the scaled difference `-k` to the row maximum (Q0.31), 0 where the difference
    /// is below TFLite's `diff_min`, for `k` in `0..256`.
    pub exp: &'a [i32; 256],
}

/// Runs the softmax on `outer` rows of `depth` values.
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn softmax_s8(s: &SoftmaxSpec<'_>, input: &[i8], output: &mut [i8]) -> KernelResult {
    let n = product(&[s.outer, s.depth])?;
    check_len("input", n, input.len())?;
    check_len("output", n, output.len())?;
    if s.depth == 0 {
        return Ok(());
    }
    let exp = |max: i32, x: i8| s.exp[((max - i32::from(x)) & 0xFF) as usize];
    for (row, out_row) in input
        .chunks_exact(s.depth)
        .zip(output.chunks_exact_mut(s.depth))
    {
        let max = i32::from(row.iter().copied().max().unwrap_or(i8::MIN));
        let mut sum: i32 = 0;
        for &x in row {
            sum = sum.wrapping_add(rescale(exp(max, x), 0, ACCUMULATION_INTEGER_BITS));
        }
        let (shifted_scale, num_bits_over_unit) = get_reciprocal(sum, ACCUMULATION_INTEGER_BITS);
        let exponent = (num_bits_over_unit + 31 - 8).clamp(0, 31);
        for (&x, o) in row.iter().zip(out_row.iter_mut()) {
            let prob = saturating_rounding_doubling_high_mul(shifted_scale, exp(max, x));
            let v = rounding_divide_by_pot(prob, exponent) + i32::from(i8::MIN);
            *o = v.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
        }
    }
    Ok(())
}
