//! Strided slice of int8 data (TFLite `STRIDED_SLICE`, TFLM `reference_ops::StridedSlice`; SPLIT
//! and SPLIT_V outputs are slices with stride 1). The data are copied unchanged: input and output
//! share one quantisation.
//!
//! The begin/end/stride masks, negative indices and clamping are resolved on the host
//! (`nn_dsl::shape::strided_slice`); the kernel reads input index `begin[a] + i * strides[a]` for
//! output index `i` of axis `a`, `0 <= i < sizes[a]`.

use crate::error::{check_len, product};
use crate::shape::{for_each_index, MAX_RANK};
use crate::{KernelError, KernelResult};

/// Every constant of one slice. All four slices have the input's rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StridedSliceParams<'a> {
    /// Input shape (rank up to [`MAX_RANK`]).
    pub input_shape: &'a [usize],
    /// First input index read on each axis.
    pub begin: &'a [usize],
    /// Step on each axis (non-zero; negative walks backwards).
    pub strides: &'a [isize],
    /// Output elements on each axis.
    pub sizes: &'a [usize],
}

/// Run the slice. The output holds `product(sizes)` elements.
///
/// # Errors
/// [`KernelError`] on a rank mismatch or above [`MAX_RANK`], a zero stride, an index outside the
/// input, or wrong slice lengths.
pub fn strided_slice_s8(
    p: &StridedSliceParams<'_>,
    input: &[i8],
    output: &mut [i8],
) -> KernelResult {
    strided_slice(p, input, output)
}

/// [`strided_slice_s8`] on int16 data (TFLite's 16x8 scheme).
///
/// # Errors
/// As [`strided_slice_s8`].
pub fn strided_slice_s16(
    p: &StridedSliceParams<'_>,
    input: &[i16],
    output: &mut [i16],
) -> KernelResult {
    strided_slice(p, input, output)
}

fn strided_slice<T: Copy>(
    p: &StridedSliceParams<'_>,
    input: &[T],
    output: &mut [T],
) -> KernelResult {
    let rank = p.input_shape.len();
    if rank > MAX_RANK {
        return Err(KernelError::Param("rank above MAX_RANK"));
    }
    if p.begin.len() != rank || p.strides.len() != rank || p.sizes.len() != rank {
        return Err(KernelError::Param(
            "one begin, stride and size per dimension",
        ));
    }
    // Right-aligned into MAX_RANK axes; the leading ones read index 0 of a size-1 axis.
    let start = MAX_RANK - rank;
    let mut begin = [0usize; MAX_RANK];
    let mut stride = [0isize; MAX_RANK];
    let mut sizes = [1usize; MAX_RANK];
    let mut dims = [1usize; MAX_RANK];
    for a in 0..rank {
        let (d, b, s, n) = (p.input_shape[a], p.begin[a], p.strides[a], p.sizes[a]);
        if s == 0 {
            return Err(KernelError::Param("zero stride"));
        }
        if n > 0 {
            // The last index read, begin + (n - 1) * stride, must lie in 0..d.
            let last = isize::try_from(n - 1)
                .ok()
                .and_then(|k| k.checked_mul(s))
                .and_then(|v| isize::try_from(b).ok().and_then(|b| b.checked_add(v)));
            match last {
                Some(l) if b < d && l >= 0 && (l as usize) < d => {}
                _ => return Err(KernelError::Param("slice reads outside the input")),
            }
        }
        begin[start + a] = b;
        stride[start + a] = s;
        sizes[start + a] = n;
        dims[start + a] = d;
    }
    check_len("input", product(&dims)?, input.len())?;
    check_len("output", product(&sizes)?, output.len())?;
    let mut in_strides = [1usize; MAX_RANK];
    for i in (0..MAX_RANK - 1).rev() {
        in_strides[i] = in_strides[i + 1].saturating_mul(dims[i + 1]);
    }
    let mut out = output.iter_mut();
    for_each_index(&sizes, |idx| {
        let mut at = 0usize;
        for d in 0..MAX_RANK {
            // In range: checked above for the first and last index of every axis.
            let i = (begin[d] as isize + idx[d] as isize * stride[d]) as usize;
            at += i * in_strides[d];
        }
        if let (Some(o), Some(v)) = (out.next(), input.get(at)) {
            *o = *v;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_and_backward() {
        // [2, 3]: rows 1 then 0, columns 2 and 0.
        let input: [i8; 6] = [1, 2, 3, 4, 5, 6];
        let mut out = [0i8; 4];
        let p = StridedSliceParams {
            input_shape: &[2, 3],
            begin: &[1, 2],
            strides: &[-1, -2],
            sizes: &[2, 2],
        };
        strided_slice_s8(&p, &input, &mut out).unwrap();
        assert_eq!(out, [6, 4, 3, 1]);
        let p2 = StridedSliceParams {
            begin: &[0, 1],
            strides: &[1, 1],
            sizes: &[2, 2],
            ..p
        };
        strided_slice_s8(&p2, &input, &mut out).unwrap();
        assert_eq!(out, [2, 3, 5, 6]);
        let bad = StridedSliceParams {
            sizes: &[2, 3],
            ..p2
        };
        assert!(strided_slice_s8(&bad, &input, &mut [0i8; 6]).is_err());
    }
}
