//! TensorFlow Lite's spatial shape arithmetic, shared by the checker, the importer and the tests.
//!
//! These follow TFLite's `ComputeOutSize` and `ComputePaddingWithOffset` exactly: SAME gives
//! `ceil(in / stride)` outputs and puts `floor(total / 2)` padding before the data and the rest
//! after; VALID gives `ceil((in - effective_kernel + 1) / stride)` outputs and no padding.

/// TFLite's two padding schemes (explicit padding is expressed as a PAD op before the layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Padding {
    /// Output size `ceil(in / stride)`, zero-point padding split as TFLite does.
    Same,
    /// No padding: every window lies inside the input.
    Valid,
}

/// Output size and padding of one spatial dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dim1 {
    /// Number of output positions.
    pub out: usize,
    /// Padding rows/columns before the data.
    pub pad_before: usize,
    /// Padding rows/columns after the data.
    pub pad_after: usize,
}

/// `(kernel - 1) * dilation + 1`, or `None` on a zero kernel/dilation or overflow.
pub fn effective_kernel(kernel: usize, dilation: usize) -> Option<usize> {
    if kernel == 0 || dilation == 0 {
        return None;
    }
    (kernel - 1).checked_mul(dilation)?.checked_add(1)
}

/// One spatial dimension of a windowed op (conv, depthwise conv, pool).
///
/// Returns `None` when the stride, kernel or dilation is zero, or when the output would be empty
/// (a VALID window larger than the input).
pub fn window(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
) -> Option<Dim1> {
    if stride == 0 || input == 0 {
        return None;
    }
    let eff = effective_kernel(kernel, dilation)?;
    let out = match padding {
        Padding::Same => input.div_ceil(stride),
        Padding::Valid => {
            if eff > input {
                return None;
            }
            (input - eff) / stride + 1
        }
    };
    if out == 0 {
        return None;
    }
    let needed = (out - 1).checked_mul(stride)?.checked_add(eff)?;
    let total = needed.saturating_sub(input);
    Some(Dim1 {
        out,
        pad_before: total / 2,
        pad_after: total - total / 2,
    })
}

/// The output size a transposed convolution (TFLite `TRANSPOSE_CONV`) takes when none is given:
/// `input * stride` for SAME and `(input - 1) * stride + kernel` for VALID, the smallest sizes
/// whose convolution gives back `input` positions ([`transpose_sizes`]). Keras'
/// `Conv2DTranspose` picks the same, except for VALID with a kernel below the stride, where it
/// takes `input * stride`. `None` for a zero input, kernel or stride, or on overflow.
pub fn transpose_output(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
) -> Option<usize> {
    let sizes = transpose_sizes(input, kernel, stride, padding)?;
    Some(match padding {
        Padding::Same => *sizes.end(),
        Padding::Valid => *sizes.start(),
    })
}

/// Every output size of a transposed convolution over `input` positions: the sizes `out` whose
/// TFLite convolution ([`window`] of `out` with this kernel, stride and padding) has `input`
/// positions, which is what TensorFlow requires of `output_shape`. SAME:
/// `(input - 1) * stride + 1 ..= input * stride`; VALID: `(input - 1) * stride + kernel ..=
/// (input - 1) * stride + kernel + stride - 1`. `None` for a zero input, kernel or stride, or on
/// overflow.
pub fn transpose_sizes(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
) -> Option<std::ops::RangeInclusive<usize>> {
    if input == 0 || kernel == 0 || stride == 0 {
        return None;
    }
    let base = (input - 1).checked_mul(stride)?;
    let lo = match padding {
        Padding::Same => base.checked_add(1)?,
        Padding::Valid => base.checked_add(kernel)?,
    };
    Some(lo..=lo.checked_add(stride - 1)?)
}

/// One spatial dimension of a transposed convolution with `output` positions: TFLite's padding
/// (`ComputePaddingHeightWidth` with the output size in the input's place, as TFLM's
/// `TRANSPOSE_CONV` does), i.e. [`window`] of `output`, whose `pad_before` rows are cut from the
/// top of the full `(input - 1) * stride + kernel` result. `None` unless `output` is one of
/// [`transpose_sizes`].
pub fn transpose_window(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
    output: usize,
) -> Option<Dim1> {
    if !transpose_sizes(input, kernel, stride, padding)?.contains(&output) {
        return None;
    }
    let d = window(output, kernel, stride, 1, padding)?;
    (d.out == input).then_some(Dim1 { out: output, ..d })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_sizes_and_padding_follow_tflite() {
        // SAME, stride 2: 4 inputs give 7 or 8 outputs. The forward convolution of 8 needs
        // 3 * 2 + 3 = 9 rows: 1 of padding, 0 before (cropped from the top); of 7, 2 and 1.
        assert_eq!(transpose_sizes(4, 3, 2, Padding::Same), Some(7..=8));
        assert_eq!(transpose_output(4, 3, 2, Padding::Same), Some(8));
        let d = transpose_window(4, 3, 2, Padding::Same, 8).unwrap();
        assert_eq!((d.out, d.pad_before, d.pad_after), (8, 0, 1));
        let d = transpose_window(4, 3, 2, Padding::Same, 7).unwrap();
        assert_eq!((d.out, d.pad_before, d.pad_after), (7, 1, 1));
        // VALID: the full (in - 1) * stride + kernel result, up to stride - 1 rows more.
        assert_eq!(transpose_sizes(5, 1, 2, Padding::Valid), Some(9..=10));
        assert_eq!(transpose_output(5, 3, 2, Padding::Valid), Some(11));
        let d = transpose_window(5, 1, 2, Padding::Valid, 10).unwrap();
        assert_eq!((d.pad_before, d.pad_after), (0, 0));
        assert!(transpose_window(5, 1, 2, Padding::Valid, 11).is_none());
        assert!(transpose_window(4, 3, 2, Padding::Same, 6).is_none());
        assert!(transpose_sizes(0, 3, 2, Padding::Same).is_none());
        assert!(transpose_sizes(usize::MAX, 3, 2, Padding::Same).is_none());
    }

    #[test]
    fn strided_slice_axes_follow_tflite() {
        // x[::-1] of 5: from 4 through 0 (end -1); x[-2:] and x[:-6] (empty, clamped to 0).
        let rev = slice_axis(5, None, None, -1, false).unwrap();
        assert_eq!((rev.begin, rev.end, rev.size), (4, -1, 5));
        assert_eq!(slice_axis(5, Some(-2), None, 1, false).unwrap().size, 2);
        assert_eq!(slice_axis(5, None, Some(-6), 1, false).unwrap().size, 0);
        // -(d + 1) as a negative-stride end reaches index 0.
        assert_eq!(slice_axis(5, Some(3), Some(-6), -2, false).unwrap().size, 2);
        assert!(slice_axis(5, Some(0), Some(5), 0, false).is_err());
        // Shrink: the element at begin, even with the begin mask (then 0) or a negative index.
        let masks = SliceMasks {
            begin_mask: 0b10,
            shrink_axis_mask: 0b110,
            ..SliceMasks::default()
        };
        let (axes, shape) =
            tflite_strided_slice(&[1, 4, 6], &[0, 3, -1], &[1, 0, 0], &[1, 1, 1], masks).unwrap();
        assert_eq!(shape, vec![1]);
        assert_eq!((axes[1].begin, axes[2].begin), (0, 5));
        let bad = SliceMasks {
            ellipsis_mask: 1,
            ..SliceMasks::default()
        };
        let e = tflite_strided_slice(&[4], &[0], &[4], &[1], bad).unwrap_err();
        assert!(e.contains("ellipsis_mask 1"), "{e}");
    }

    #[test]
    fn same_stride2_even_puts_less_before() {
        // 96 -> 48 with a 3x3 stride-2 kernel: total padding 1, all of it after the data.
        let d = window(96, 3, 2, 1, Padding::Same).unwrap();
        assert_eq!((d.out, d.pad_before, d.pad_after), (48, 0, 1));
        // 49x10 KWS first layer, 10x4 stride 2.
        let h = window(49, 10, 2, 1, Padding::Same).unwrap();
        assert_eq!((h.out, h.pad_before, h.pad_after), (25, 4, 5));
        let w = window(10, 4, 2, 1, Padding::Same).unwrap();
        assert_eq!((w.out, w.pad_before, w.pad_after), (5, 1, 1));
    }

    #[test]
    fn valid_and_degenerate() {
        assert_eq!(window(5, 3, 1, 1, Padding::Valid).unwrap().out, 3);
        assert_eq!(window(5, 3, 1, 2, Padding::Valid).unwrap().out, 1);
        assert!(window(2, 3, 1, 1, Padding::Valid).is_none());
        assert!(window(5, 3, 0, 1, Padding::Same).is_none());
        assert!(window(5, 0, 1, 1, Padding::Same).is_none());
        assert!(window(5, 3, 1, 0, Padding::Same).is_none());
    }
}

/// One axis of a strided slice with TFLite's masks, negative indices and clamping resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceAxis {
    /// First index read (`< dim` when `size > 0`).
    pub begin: usize,
    /// Exclusive stop: `-1` means "through index 0" for a negative stride.
    pub end: i64,
    /// Step, non-zero.
    pub stride: i64,
    /// Elements taken.
    pub size: usize,
}

/// Elements a slice `begin..end` by `stride` takes (TFLM's loop: from `begin` while short of
/// `end`). Zero for a zero stride.
#[must_use]
pub fn slice_size(begin: i64, end: i64, stride: i64) -> usize {
    let span = match stride {
        s if s > 0 => end.saturating_sub(begin),
        s if s < 0 => begin.saturating_sub(end),
        _ => return 0,
    };
    if span <= 0 {
        return 0;
    }
    let step = stride.unsigned_abs();
    usize::try_from(span.unsigned_abs().div_ceil(step)).unwrap_or(usize::MAX)
}

/// One axis of TFLite's STRIDED_SLICE (`strided_slice_logic.h`, without the offset form): an
/// absent `begin` / `end` (its mask bit set) starts / stops at the end the stride walks from /
/// towards; a negative index counts from the end; both are then clamped to `0..=dim` for a
/// positive stride and to `-1..=dim - 1` for a negative one. With `shrink` the axis takes the
/// one element at `begin` (the stride must then be positive).
///
/// # Errors
/// A message for a zero stride, a shrunk axis with a negative stride or an index outside the
/// axis.
pub fn slice_axis(
    dim: usize,
    begin: Option<i64>,
    end: Option<i64>,
    stride: i64,
    shrink: bool,
) -> Result<SliceAxis, String> {
    if stride == 0 {
        return Err("a stride of 0".into());
    }
    let d = i64::try_from(dim).map_err(|_| "a dimension beyond i64".to_string())?;
    let (lo, hi) = if stride > 0 { (0, d) } else { (-1, d - 1) };
    let norm = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
    if shrink {
        let b = begin.map_or(0, norm);
        if stride < 0 {
            return Err("a shrunk axis with a negative stride".into());
        }
        if !(0..d).contains(&b) {
            return Err(format!(
                "index {} outside an axis of {dim}",
                begin.unwrap_or(0)
            ));
        }
        return Ok(SliceAxis {
            begin: usize::try_from(b).unwrap_or(0),
            end: b + 1,
            stride: 1,
            size: 1,
        });
    }
    let b = begin.map_or(if stride > 0 { lo } else { hi }, |v| norm(v).clamp(lo, hi));
    let e = end.map_or(if stride > 0 { hi } else { lo }, |v| norm(v).clamp(lo, hi));
    let size = slice_size(b, e, stride);
    Ok(SliceAxis {
        // With size > 0 the begin is inside the axis (`0..dim`); otherwise nothing is read.
        begin: usize::try_from(b.clamp(0, (d - 1).max(0))).unwrap_or(0),
        end: e,
        stride,
        size,
    })
}

/// TFLite's STRIDED_SLICE options (the masks; `offset` is refused by the importer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SliceMasks {
    /// Axes whose begin is ignored.
    pub begin_mask: i32,
    /// Axes whose end is ignored.
    pub end_mask: i32,
    /// Ellipsis axes (not supported: the converter resolves them).
    pub ellipsis_mask: i32,
    /// New axes (not supported: the converter resolves them).
    pub new_axis_mask: i32,
    /// Axes that take one element and are removed from the output.
    pub shrink_axis_mask: i32,
}

/// TFLite's STRIDED_SLICE over `shape` (the stored shape, batch included): each axis resolved
/// with [`slice_axis`], and the output shape without the shrunk axes.
///
/// # Errors
/// A message naming the axis or mask: lists of the wrong length, rank above 6, an ellipsis or
/// new-axis mask, a zero stride, a shrunk axis out of range or with a negative stride.
pub fn tflite_strided_slice(
    shape: &[usize],
    begin: &[i64],
    end: &[i64],
    strides: &[i64],
    masks: SliceMasks,
) -> Result<(Vec<SliceAxis>, Vec<usize>), String> {
    let rank = shape.len();
    if begin.len() != rank || end.len() != rank || strides.len() != rank {
        return Err(format!(
            "begin, end and strides have {}, {} and {} values for an input of rank {rank}",
            begin.len(),
            end.len(),
            strides.len()
        ));
    }
    if rank > 6 {
        return Err(format!("rank {rank} is above 6"));
    }
    if masks.ellipsis_mask != 0 {
        return Err(format!(
            "ellipsis_mask {} is not supported (the TFLite converter resolves ellipses)",
            masks.ellipsis_mask
        ));
    }
    if masks.new_axis_mask != 0 {
        return Err(format!(
            "new_axis_mask {} is not supported (the TFLite converter adds new axes with RESHAPE)",
            masks.new_axis_mask
        ));
    }
    let bit = |m: i32, a: usize| m & (1 << a) != 0;
    let mut axes = Vec::with_capacity(rank);
    let mut out = Vec::with_capacity(rank);
    for a in 0..rank {
        let shrink = bit(masks.shrink_axis_mask, a);
        // TFLM applies the begin mask to shrunk axes too (the element at 0, stride > 0).
        let b = (!bit(masks.begin_mask, a)).then_some(begin[a]);
        let e = (!bit(masks.end_mask, a)).then_some(end[a]);
        let axis =
            slice_axis(shape[a], b, e, strides[a], shrink).map_err(|p| format!("axis {a}: {p}"))?;
        if !shrink {
            out.push(axis.size);
        }
        axes.push(axis);
    }
    Ok((axes, out))
}
