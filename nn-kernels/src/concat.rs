//! Concatenation along one axis, int8 or int16 (TFLite `CONCATENATION`; TFLM's int8 and int16
//! kernels copy the values unchanged: they do not requantise inputs whose scale or zero point
//! differ from the output's, so neither do these kernels).

use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// Every constant of one concatenation. With the tensors viewed as `[outer, axis, inner]`,
/// input `i` has `axis_sizes[i]` along the axis; the output has their sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConcatParams<'a> {
    /// Product of the dimensions before the axis.
    pub outer: usize,
    /// Product of the dimensions after the axis.
    pub inner: usize,
    /// Size of each input along the axis.
    pub axis_sizes: &'a [usize],
}

/// Run the concatenation.
///
/// # Errors
/// [`KernelError`] when the number of inputs disagrees with `axis_sizes` or a length is wrong.
pub fn concat_s8(p: &ConcatParams<'_>, inputs: &[&[i8]], output: &mut [i8]) -> KernelResult {
    concat(p, inputs, output)
}

/// [`concat_s8`] for int16 values (TFLite's 16x8 scheme).
///
/// # Errors
/// As [`concat_s8`].
pub fn concat_s16(p: &ConcatParams<'_>, inputs: &[&[i16]], output: &mut [i16]) -> KernelResult {
    concat(p, inputs, output)
}

fn concat<T: Copy>(p: &ConcatParams<'_>, inputs: &[&[T]], output: &mut [T]) -> KernelResult {
    if inputs.len() != p.axis_sizes.len() {
        return Err(KernelError::Param("one axis size per input"));
    }
    let mut total_axis = 0usize;
    for (x, &a) in inputs.iter().zip(p.axis_sizes) {
        check_len("input", product(&[p.outer, a, p.inner])?, x.len())?;
        total_axis = total_axis
            .checked_add(a)
            .ok_or(KernelError::Param("axis size overflows"))?;
    }
    check_len(
        "output",
        product(&[p.outer, total_axis, p.inner])?,
        output.len(),
    )?;
    let mut at = 0usize;
    for o in 0..p.outer {
        for (x, &a) in inputs.iter().zip(p.axis_sizes) {
            let n = a * p.inner;
            if let (Some(src), Some(dst)) = (x.get(o * n..(o + 1) * n), output.get_mut(at..at + n))
            {
                dst.copy_from_slice(src);
            }
            at += n;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_case_middle_axis() {
        // [2, 1, 2] ++ [2, 2, 2] along axis 1 -> [2, 3, 2]
        let a: [i8; 4] = [1, 2, 3, 4];
        let b: [i8; 8] = [10, 11, 12, 13, 14, 15, 16, 17];
        let mut out = [0i8; 12];
        let p = ConcatParams {
            outer: 2,
            inner: 2,
            axis_sizes: &[1, 2],
        };
        concat_s8(&p, &[&a, &b], &mut out).unwrap();
        assert_eq!(out, [1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17]);
    }
}
