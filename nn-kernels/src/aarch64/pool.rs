//! Average pooling (TFLite `AVERAGE_POOL_2D`) on NEON: the window's values summed sixteen
//! channels at a time in int16 lanes (`SADDW`/`SADDW2`; exact for windows of up to 256 taps,
//! `256 * 128` fits), then TFLite's rounded division per channel. Larger windows and channel
//! counts that are not a multiple of 16 run the Cortex-M table kernel (plain Rust here).

use core::arch::aarch64::*;

use crate::cortex_m::pool::average;
use crate::max_pool2d::Pool2dParams;
use crate::{KernelError, KernelResult};

/// Average pooling with `C` channels (`p.channels` must equal `C`).
///
/// # Errors
/// [`KernelError`] as the portable kernel, or when `p.channels != C`.
pub fn avg_pool_s8<const C: usize>(
    p: &Pool2dParams,
    input: &[i8],
    output: &mut [i8],
) -> KernelResult {
    if p.filter_h.saturating_mul(p.filter_w) > 256 || !C.is_multiple_of(16) || C == 0 {
        return crate::cortex_m::pool::avg_pool_s8::<C>(p, input, output);
    }
    p.check(input.len(), output.len())?;
    if p.channels != C
        || !(-128..=127).contains(&p.act_min)
        || !(p.act_min..=127).contains(&p.act_max)
    {
        return Err(KernelError::Param("pooling channels or clamp"));
    }
    let mut outs = output.chunks_exact_mut(C);
    for b in 0..p.batches {
        let image = b * p.input_h * p.input_w * C;
        for oy in 0..p.output_h {
            for ox in 0..p.output_w {
                let Some(out) = outs.next() else {
                    return Ok(());
                };
                let (ys, ye, xs, xe, y0, x0) = p.window(oy, ox);
                let count = Pool2dParams::tap_count(ys, ye, xs, xe)?;
                for (g, o) in out.chunks_exact_mut(16).enumerate() {
                    let mut sums = [0i16; 16];
                    // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target; each
                    // load reads 16 channels `16 g..16 g + 16 <= C` of an input pixel inside
                    // the image (`window` keeps the taps in bounds; `check` validated the
                    // input's length), each store 16 i16s of `sums`.
                    unsafe {
                        let (mut lo, mut hi) = (vdupq_n_s16(0), vdupq_n_s16(0));
                        for fy in ys..ye {
                            let iy = (y0 + fy as isize) as usize;
                            for fx in xs..xe {
                                let ix = (x0 + fx as isize) as usize;
                                let at = image + (iy * p.input_w + ix) * C + 16 * g;
                                let v = vld1q_s8(input.as_ptr().add(at));
                                lo = vaddw_s8(lo, vget_low_s8(v));
                                hi = vaddw_high_s8(hi, v);
                            }
                        }
                        vst1q_s16(sums.as_mut_ptr(), lo);
                        vst1q_s16(sums.as_mut_ptr().add(8), hi);
                    }
                    for (o, s) in o.iter_mut().zip(sums) {
                        *o = average(i32::from(s), count, p.act_min, p.act_max);
                    }
                }
            }
        }
    }
    Ok(())
}
