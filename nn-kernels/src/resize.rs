//! Nearest-neighbour resize of `[H, W, C]` int8 data (TFLite `RESIZE_NEAREST_NEIGHBOR`, TFLM
//! `reference_ops::ResizeNearestNeighbor`). The data are copied unchanged: input and output share
//! one quantisation.
//!
//! TFLM picks each output row's (and column's) source with float arithmetic; [`nearest_source`]
//! repeats it in `f32` (with `core` only: the argument of the floor and the rounding is never
//! negative). Generated code computes the two tables on the host and the kernel only copies.

use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// Every constant of one resize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeNearestParams<'a> {
    /// Input `[H, W, C]`.
    pub input_shape: [usize; 3],
    /// Source row of each output row (`OH` entries, each `< H`).
    pub rows: &'a [usize],
    /// Source column of each output column (`OW` entries, each `< W`).
    pub cols: &'a [usize],
}

/// The source index of output index `out` along one axis of `in_size` inputs resized to
/// `out_size` outputs, as TFLM's reference computes it: the scale `in / out` (or
/// `(in - 1) / (out - 1)` with `align_corners` and more than one output) in `f32`, the position
/// `(out + 0.5 * half_pixel_centers) * scale` rounded half away from zero with `align_corners`
/// and floored otherwise, then clamped to `in_size - 1` (and to 0 with half-pixel centres).
#[must_use]
pub fn nearest_source(
    out: usize,
    in_size: usize,
    out_size: usize,
    align_corners: bool,
    half_pixel_centers: bool,
) -> usize {
    // TFLite sizes are int32; larger ones saturate (no panic path).
    let (i, o) = (
        i32::try_from(in_size).unwrap_or(i32::MAX),
        i32::try_from(out_size).unwrap_or(i32::MAX),
    );
    let scale = if align_corners && o > 1 {
        (i - 1) as f32 / (o - 1) as f32
    } else {
        i as f32 / o as f32
    };
    let offset = if half_pixel_centers { 0.5f32 } else { 0.0 };
    let pos = (i32::try_from(out).unwrap_or(i32::MAX) as f32 + offset) * scale;
    let picked = if align_corners {
        crate::round_f32(pos) as i32
    } else {
        // `pos >= 0`: truncation is the floor.
        pos as i32
    };
    let mut v = picked.min(i.saturating_sub(1));
    if half_pixel_centers {
        v = v.max(0);
    }
    usize::try_from(v).unwrap_or(0)
}

/// Run the resize: output `[rows.len(), cols.len(), C]`.
///
/// # Errors
/// [`KernelError`] when a table entry is out of the input, or on wrong slice lengths.
pub fn resize_nearest_s8(
    p: &ResizeNearestParams<'_>,
    input: &[i8],
    output: &mut [i8],
) -> KernelResult {
    resize_nearest(p, input, output)
}

/// [`resize_nearest_s8`] on int16 data (TFLite's 16x8 scheme).
///
/// # Errors
/// As [`resize_nearest_s8`].
pub fn resize_nearest_s16(
    p: &ResizeNearestParams<'_>,
    input: &[i16],
    output: &mut [i16],
) -> KernelResult {
    resize_nearest(p, input, output)
}

fn resize_nearest<T: Copy>(
    p: &ResizeNearestParams<'_>,
    input: &[T],
    output: &mut [T],
) -> KernelResult {
    let [h, w, c] = p.input_shape;
    if p.rows.iter().any(|&r| r >= h) || p.cols.iter().any(|&col| col >= w) {
        return Err(KernelError::Param("resize source index outside the input"));
    }
    check_len("input", product(&[h, w, c])?, input.len())?;
    check_len(
        "output",
        product(&[p.rows.len(), p.cols.len(), c])?,
        output.len(),
    )?;
    if c == 0 {
        return Ok(());
    }
    let mut out = output.chunks_exact_mut(c);
    for &r in p.rows {
        for &col in p.cols {
            let at = (r * w + col) * c;
            if let (Some(dst), Some(src)) = (out.next(), input.get(at..at + c)) {
                // Element-wise rather than `copy_from_slice`, whose length assertion is a panic path.
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = *s;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_hand_values() {
        // 2 -> 4, legacy: floor(o * 0.5).
        let t: Vec<usize> = (0..4)
            .map(|o| nearest_source(o, 2, 4, false, false))
            .collect();
        assert_eq!(t, [0, 0, 1, 1]);
        // 3 -> 5, align corners: round(o * 0.5) = 0, 1 (0.5 rounds up), 1, 2 (1.5), 2.
        let t: Vec<usize> = (0..5)
            .map(|o| nearest_source(o, 3, 5, true, false))
            .collect();
        assert_eq!(t, [0, 1, 1, 2, 2]);
        // 4 -> 2, half-pixel: floor((o + 0.5) * 2) = 1, 3.
        let t: Vec<usize> = (0..2)
            .map(|o| nearest_source(o, 4, 2, false, true))
            .collect();
        assert_eq!(t, [1, 3]);
    }

    #[test]
    fn copies_pixels() {
        let input: [i8; 4] = [1, 2, 3, 4]; // [2, 2, 1]
        let mut out = [0i8; 6];
        let p = ResizeNearestParams {
            input_shape: [2, 2, 1],
            rows: &[1, 0],
            cols: &[0, 1, 1],
        };
        resize_nearest_s8(&p, &input, &mut out).unwrap();
        assert_eq!(out, [3, 4, 4, 1, 2, 2]);
        let bad = ResizeNearestParams { rows: &[2], ..p };
        assert!(resize_nearest_s8(&bad, &input, &mut out[..3]).is_err());
    }
}
