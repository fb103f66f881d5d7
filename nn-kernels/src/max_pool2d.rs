//! Max pooling, int8 (TFLite `MAX_POOL_2D`; TFLM `reference_integer_ops::MaxPool`).

use crate::error::{check_len, product};
use crate::{Act, KernelError, KernelResult};

/// Every constant of one pooling layer (shared by max and average pooling). Layouts: input
/// `[N, H, W, C]`, output `[N, OH, OW, C]`. Pooling keeps the input's scale and zero point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dParams {
    /// Batch size.
    pub batches: usize,
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Channels.
    pub channels: usize,
    /// Output height.
    pub output_h: usize,
    /// Output width.
    pub output_w: usize,
    /// Window height.
    pub filter_h: usize,
    /// Window width.
    pub filter_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Padding rows before the data (padded positions are left out of the window).
    pub pad_top: usize,
    /// Padding columns before the data.
    pub pad_left: usize,
    /// Lower clamp (fused activation).
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

impl Pool2dParams {
    /// Check the slices and return the in-bounds window `[y_start, y_end) x [x_start, x_end)`
    /// computer for the kernels.
    pub(crate) fn check(&self, input: usize, output: usize) -> KernelResult {
        if self.stride_h == 0 || self.stride_w == 0 {
            return Err(KernelError::Param("zero stride"));
        }
        check_len(
            "input",
            product(&[self.batches, self.input_h, self.input_w, self.channels])?,
            input,
        )?;
        check_len(
            "output",
            product(&[self.batches, self.output_h, self.output_w, self.channels])?,
            output,
        )
    }

    /// In-bounds window rows/columns of output position `(oy, ox)`, as TFLite clips them.
    #[inline(always)]
    pub(crate) fn window(
        &self,
        oy: usize,
        ox: usize,
    ) -> (usize, usize, usize, usize, isize, isize) {
        let y0 = (oy * self.stride_h) as isize - self.pad_top as isize;
        let x0 = (ox * self.stride_w) as isize - self.pad_left as isize;
        let ys = (-y0).max(0) as usize;
        // `max(0).min(..)` rather than `clamp`: the same for valid windows, and no assertion
        // (a panic path) when a filter size does not fit in `isize`.
        let ye = (self.input_h as isize - y0)
            .max(0)
            .min(self.filter_h as isize) as usize;
        let xs = (-x0).max(0) as usize;
        let xe = (self.input_w as isize - x0)
            .max(0)
            .min(self.filter_w as isize) as usize;
        (ys, ye, xs, xe, y0, x0)
    }

    /// The number of in-bounds taps of a window from [`Pool2dParams::window`], as the divisor
    /// of average pooling. Positive (checked, not cast), which keeps the divisions free of
    /// panic paths: never zero, never -1.
    ///
    /// # Errors
    /// [`KernelError::Param`] when the window has no in-bounds tap.
    #[inline(always)]
    pub(crate) fn tap_count(
        ys: usize,
        ye: usize,
        xs: usize,
        xe: usize,
    ) -> Result<i32, KernelError> {
        i32::try_from(ye.saturating_sub(ys) * xe.saturating_sub(xs))
            .ok()
            .filter(|&n| n > 0)
            .ok_or(KernelError::Param("pooling window has no in-bounds tap"))
    }
}

/// Run max pooling. A window with no in-bounds tap yields `i8::MIN` before the clamp, as
/// TFLite's running maximum starts there.
///
/// # Errors
/// [`KernelError`] on a wrong slice length or a zero stride.
pub fn max_pool2d_s8(p: &Pool2dParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    max_pool2d(p, input, output)
}

/// [`max_pool2d_s8`] on int16 activations (TFLite's 16x8 scheme; TFLM's int16 `MaxPool`); an
/// empty window yields `i16::MIN` before the clamp.
///
/// # Errors
/// As [`max_pool2d_s8`].
pub fn max_pool2d_s16(p: &Pool2dParams, input: &[i16], output: &mut [i16]) -> KernelResult {
    max_pool2d(p, input, output)
}

fn max_pool2d<T: Act>(p: &Pool2dParams, input: &[T], output: &mut [T]) -> KernelResult {
    p.check(input.len(), output.len())?;
    let c = p.channels;
    let mut out_iter = output.iter_mut();
    for b in 0..p.batches {
        let image = b * p.input_h * p.input_w * c;
        for oy in 0..p.output_h {
            for ox in 0..p.output_w {
                let (ys, ye, xs, xe, y0, x0) = p.window(oy, ox);
                for ch in 0..c {
                    let mut max = T::MIN;
                    for fy in ys..ye {
                        let iy = (y0 + fy as isize) as usize;
                        for fx in xs..xe {
                            let ix = (x0 + fx as isize) as usize;
                            if let Some(&v) = input.get(image + (iy * p.input_w + ix) * c + ch) {
                                max = max.max(v);
                            }
                        }
                    }
                    if let Some(o) = out_iter.next() {
                        *o = T::narrow(max.widen(), p.act_min, p.act_max);
                    }
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
    fn hand_case_same_padding() {
        // 3x3 single channel, 2x2 window, stride 2, SAME: out 2x2, pad_top = pad_left = 0
        // (total padding 1 goes after).
        let input: [i8; 9] = [1, -5, 3, 4, 9, -6, -7, 8, -2];
        let p = Pool2dParams {
            batches: 1,
            input_h: 3,
            input_w: 3,
            channels: 1,
            output_h: 2,
            output_w: 2,
            filter_h: 2,
            filter_w: 2,
            stride_h: 2,
            stride_w: 2,
            pad_top: 0,
            pad_left: 0,
            act_min: -128,
            act_max: 127,
        };
        let mut out = [0i8; 4];
        max_pool2d_s8(&p, &input, &mut out).unwrap();
        assert_eq!(out, [9, 3, 8, -2]);
        let relu = Pool2dParams { act_min: 0, ..p };
        max_pool2d_s8(&relu, &input, &mut out).unwrap();
        assert_eq!(out, [9, 3, 8, 0]);
    }
}
