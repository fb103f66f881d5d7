//! Max and average pooling (TFLite `MAX_POOL_2D`, `AVERAGE_POOL_2D`, int8) four channels per
//! word: the running maximum is one `SSUB8` + `SEL` per tap for four channels, the clamp two
//! more; the average sums four channels in two `SADD16` lanes per tap (exact while the window
//! has at most 256 taps, else the portable kernel runs), then divides each sum as TFLite does.
//! Channels past the last multiple of four take the scalar path.

use super::dsp::{sadd16, smax8, smin8, sxtb16, sxtb16_ror8, word};
use crate::max_pool2d::Pool2dParams;
use crate::KernelResult;

/// The word of four channels at byte `i`, or `None` past the end.
#[inline(always)]
fn load4(input: &[i8], i: usize) -> Option<u32> {
    match input.get(i..i + 4) {
        Some(&[a, b, c, d]) => Some(word([a, b, c, d])),
        _ => None,
    }
}

/// Max pooling with `C` channels (`p.channels` must equal `C`).
///
/// # Errors
/// [`crate::KernelError`] as the portable kernel, or when `p.channels != C`.
pub fn max_pool_s8<const C: usize>(
    p: &Pool2dParams,
    input: &[i8],
    output: &mut [i8],
) -> KernelResult {
    p.check(input.len(), output.len())?;
    if p.channels != C
        || !(-128..=127).contains(&p.act_min)
        || !(p.act_min..=127).contains(&p.act_max)
    {
        return Err(crate::KernelError::Param("pooling channels or clamp"));
    }
    let lo = word([p.act_min as i8; 4]);
    let hi = word([p.act_max as i8; 4]);
    let groups = C / 4;
    let mut outs = output.chunks_exact_mut(C);
    for b in 0..p.batches {
        let image = b * p.input_h * p.input_w * C;
        for oy in 0..p.output_h {
            for ox in 0..p.output_w {
                let Some(out) = outs.next() else {
                    return Ok(());
                };
                let (ys, ye, xs, xe, y0, x0) = p.window(oy, ox);
                let at = |fy: usize, fx: usize| {
                    let iy = (y0 + fy as isize) as usize;
                    let ix = (x0 + fx as isize) as usize;
                    image + (iy * p.input_w + ix) * C
                };
                for (g, o) in out.chunks_exact_mut(4).enumerate().take(groups) {
                    let mut m = word([i8::MIN; 4]);
                    for fy in ys..ye {
                        for fx in xs..xe {
                            if let Some(v) = load4(input, at(fy, fx) + 4 * g) {
                                m = smax8(m, v);
                            }
                        }
                    }
                    o.copy_from_slice(&smin8(smax8(m, lo), hi).to_le_bytes().map(|x| x as i8));
                }
                for (ch, o) in out.iter_mut().enumerate().skip(4 * groups) {
                    let mut m = i8::MIN;
                    for fy in ys..ye {
                        for fx in xs..xe {
                            if let Some(&v) = input.get(at(fy, fx) + ch) {
                                m = m.max(v);
                            }
                        }
                    }
                    *o = i32::from(m).max(p.act_min).min(p.act_max) as i8;
                }
            }
        }
    }
    Ok(())
}

/// TFLite's rounded average: `(sum + count / 2) / count` for a positive sum, `(sum - count / 2)
/// / count` otherwise, then the clamp.
#[inline(always)]
pub(crate) fn average(sum: i32, count: i32, min: i32, max: i32) -> i8 {
    let avg = if sum > 0 {
        (sum + count / 2) / count
    } else {
        (sum - count / 2) / count
    };
    avg.max(min).min(max) as i8
}

/// Average pooling with `C` channels (`p.channels` must equal `C`).
///
/// # Errors
/// [`crate::KernelError`] as the portable kernel, or when `p.channels != C`.
pub fn avg_pool_s8<const C: usize>(
    p: &Pool2dParams,
    input: &[i8],
    output: &mut [i8],
) -> KernelResult {
    if p.filter_h.saturating_mul(p.filter_w) > 256 {
        // The 16-bit lane sums could overflow: the portable kernel sums in 32 bits.
        return crate::avg_pool2d::avg_pool2d_s8(p, input, output);
    }
    p.check(input.len(), output.len())?;
    if p.channels != C
        || !(-128..=127).contains(&p.act_min)
        || !(p.act_min..=127).contains(&p.act_max)
    {
        return Err(crate::KernelError::Param("pooling channels or clamp"));
    }
    let (min, max) = (p.act_min, p.act_max);
    let groups = C / 4;
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
                let at = |fy: usize, fx: usize| {
                    let iy = (y0 + fy as isize) as usize;
                    let ix = (x0 + fx as isize) as usize;
                    image + (iy * p.input_w + ix) * C
                };
                for (g, o) in out.chunks_exact_mut(4).enumerate().take(groups) {
                    // Channels 0 and 2 in `even`, 1 and 3 in `odd`, 16 bits each.
                    let (mut even, mut odd) = (0u32, 0u32);
                    for fy in ys..ye {
                        for fx in xs..xe {
                            if let Some(v) = load4(input, at(fy, fx) + 4 * g) {
                                even = sadd16(even, sxtb16(v));
                                odd = sadd16(odd, sxtb16_ror8(v));
                            }
                        }
                    }
                    let sums = [
                        i32::from(even as i16),
                        i32::from(odd as i16),
                        i32::from((even >> 16) as i16),
                        i32::from((odd >> 16) as i16),
                    ];
                    for (o, s) in o.iter_mut().zip(sums) {
                        *o = average(s, count, min, max);
                    }
                }
                for (ch, o) in out.iter_mut().enumerate().skip(4 * groups) {
                    let mut sum = 0i32;
                    for fy in ys..ye {
                        for fx in xs..xe {
                            if let Some(&v) = input.get(at(fy, fx) + ch) {
                                sum += i32::from(v);
                            }
                        }
                    }
                    *o = average(sum, count, min, max);
                }
            }
        }
    }
    Ok(())
}
