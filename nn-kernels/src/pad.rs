//! Constant padding, int8 (TFLite `PAD` with the output zero point, `PADV2` with a given
//! constant; TFLM `reference_ops::Pad`). The data are copied unchanged: PAD keeps the scale.

use crate::error::{check_len, product};
use crate::shape::{extend, MAX_RANK};
use crate::{KernelError, KernelResult};

/// Every constant of one pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PadParams<'a> {
    /// Input shape (rank up to [`MAX_RANK`]).
    pub input_shape: &'a [usize],
    /// `[before, after]` per input dimension.
    pub paddings: &'a [[usize; 2]],
    /// Value written in the padding (PAD: the output zero point; PADV2: the constant).
    pub pad_value: i8,
}

/// Run the pad. The output shape is the input shape plus the paddings.
///
/// # Errors
/// [`KernelError`] on a rank mismatch or above [`MAX_RANK`], or wrong slice lengths.
pub fn pad_s8(p: &PadParams<'_>, input: &[i8], output: &mut [i8]) -> KernelResult {
    pad(p, input, output)
}

/// [`pad_s8`] on int16 data (TFLite's 16x8 scheme: PAD fills with the output zero point, 0).
///
/// # Errors
/// As [`pad_s8`].
pub fn pad_s16(p: &PadParams<'_>, input: &[i16], output: &mut [i16]) -> KernelResult {
    pad(p, input, output)
}

fn pad<T: Copy + From<i8>>(p: &PadParams<'_>, input: &[T], output: &mut [T]) -> KernelResult {
    if p.paddings.len() != p.input_shape.len() {
        return Err(KernelError::Param("one [before, after] pair per dimension"));
    }
    let in_shape = extend(p.input_shape).ok_or(KernelError::Param("rank above MAX_RANK"))?;
    let mut pads = [[0usize; 2]; MAX_RANK];
    let start = MAX_RANK - p.paddings.len();
    for (dst, src) in pads.iter_mut().skip(start).zip(p.paddings) {
        *dst = *src;
    }
    let mut out_shape = [0usize; MAX_RANK];
    for i in 0..MAX_RANK {
        out_shape[i] = in_shape[i]
            .checked_add(pads[i][0])
            .and_then(|v| v.checked_add(pads[i][1]))
            .ok_or(KernelError::Param("padded size overflows"))?;
    }
    check_len("input", product(&in_shape)?, input.len())?;
    check_len("output", product(&out_shape)?, output.len())?;

    // Fill, then copy each innermost input row into place.
    output.fill(T::from(p.pad_value));
    let last = MAX_RANK - 1;
    let row = in_shape[last];
    if row == 0 {
        return Ok(());
    }
    let mut out_strides = [1usize; MAX_RANK];
    for i in (0..last).rev() {
        out_strides[i] = out_strides[i + 1] * out_shape[i + 1];
    }
    let outer_shape = {
        let mut s = in_shape;
        s[last] = 1;
        s
    };
    let mut rows = input.chunks_exact(row);
    crate::shape::for_each_index(&outer_shape, |idx| {
        // The constant, not the captured `last`: the closure then provably indexes in bounds
        // (a captured reference left a bounds check, a panic path, on thumbv7em).
        let mut at = pads[MAX_RANK - 1][0];
        for d in 0..MAX_RANK - 1 {
            at += (idx[d] + pads[d][0]) * out_strides[d];
        }
        if let (Some(src), Some(dst)) = (rows.next(), output.get_mut(at..at + row)) {
            // Element-wise rather than `copy_from_slice`, whose length assertion is a panic path.
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_case_2d() {
        let input: [i8; 4] = [1, 2, 3, 4];
        let mut out = [0i8; 12];
        let p = PadParams {
            input_shape: &[2, 2],
            paddings: &[[1, 0], [0, 2]],
            pad_value: -9,
        };
        pad_s8(&p, &input, &mut out).unwrap();
        assert_eq!(out, [-9, -9, -9, -9, 1, 2, -9, -9, 3, 4, -9, -9]);
    }
}
