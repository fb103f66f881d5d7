//! Average pooling, int8 (TFLite `AVERAGE_POOL_2D`; TFLM `reference_integer_ops::AveragePool`).
//!
//! The average divides the sum of the in-bounds taps by their count, rounding half away from
//! zero: `(sum + count / 2) / count` for a positive sum, `(sum - count / 2) / count` otherwise
//! (integer division truncating toward zero).

pub use crate::max_pool2d::Pool2dParams;
use crate::{Act, KernelResult};

/// Run average pooling.
///
/// # Errors
/// [`crate::KernelError`] on a wrong slice length, a zero stride, or a window with no in-bounds tap
/// (TFLite fails the same way).
pub fn avg_pool2d_s8(p: &Pool2dParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    avg_pool2d(p, input, output)
}

/// [`avg_pool2d_s8`] on int16 activations (TFLite's 16x8 scheme; TFLM's int16
/// `AveragePool`): the same sum in 32 bits and the same rounding division.
///
/// # Errors
/// As [`avg_pool2d_s8`].
pub fn avg_pool2d_s16(p: &Pool2dParams, input: &[i16], output: &mut [i16]) -> KernelResult {
    avg_pool2d(p, input, output)
}

fn avg_pool2d<T: Act>(p: &Pool2dParams, input: &[T], output: &mut [T]) -> KernelResult {
    p.check(input.len(), output.len())?;
    let c = p.channels;
    let mut out_iter = output.iter_mut();
    for b in 0..p.batches {
        let image = b * p.input_h * p.input_w * c;
        for oy in 0..p.output_h {
            for ox in 0..p.output_w {
                let (ys, ye, xs, xe, y0, x0) = p.window(oy, ox);
                let count = Pool2dParams::tap_count(ys, ye, xs, xe)?;
                for ch in 0..c {
                    let mut sum: i32 = 0;
                    for fy in ys..ye {
                        let iy = (y0 + fy as isize) as usize;
                        for fx in xs..xe {
                            let ix = (x0 + fx as isize) as usize;
                            if let Some(&v) = input.get(image + (iy * p.input_w + ix) * c + ch) {
                                sum = sum.wrapping_add(v.widen());
                            }
                        }
                    }
                    let avg = if sum > 0 {
                        (sum + count / 2) / count
                    } else {
                        (sum - count / 2) / count
                    };
                    if let Some(o) = out_iter.next() {
                        *o = T::narrow(avg, p.act_min, p.act_max);
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
    fn rounding_half_away_and_edge_counts() {
        // 2x3 input, 2x2 window stride 2 SAME: out 1x2; second window has only 2 taps
        // (column 2), pad after.
        let input: [i8; 6] = [1, 2, 5, 2, 2, -6];
        let p = Pool2dParams {
            batches: 1,
            input_h: 2,
            input_w: 3,
            channels: 1,
            output_h: 1,
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
        let mut out = [0i8; 2];
        avg_pool2d_s8(&p, &input, &mut out).unwrap();
        // (1+2+2+2)/4 = 1.75 -> 2; (5-6)/2 = -0.5 -> -1 (away from zero)
        assert_eq!(out, [2, -1]);
    }
}
