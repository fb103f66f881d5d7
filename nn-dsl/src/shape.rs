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

#[cfg(test)]
mod tests {
    use super::*;

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
