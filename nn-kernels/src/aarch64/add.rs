//! Element-wise addition of two int8 tensors of the same shape (TFLite `ADD` without
//! broadcasting) on NEON, sixteen elements per step: each input is offset, widened, shifted left
//! and rescaled with the exact vector requantisation, the two are summed and the sum
//! requantised to the output; a last partial step runs TFLite's scalar arithmetic.

use core::arch::aarch64::*;

use super::neon::{OutStage, Rq4};
use super::Requant;
use crate::error::check_len;
use crate::fixedpoint::multiply_by_quantized_multiplier_smaller_than_one_exp as rescale;
use crate::{KernelError, KernelResult};

/// The constants of one addition, validated by [`AddSpec::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddSpec {
    a_offset: i32,
    b_offset: i32,
    left_shift: i32,
    a: Requant<4>,
    b: Requant<4>,
    out: Requant<4>,
}

impl AddSpec {
    /// TFLite's addition constants: input offsets (`-zero_point`), the common left shift, each
    /// input's multiplier and shift (`<= 0`), the output's, the output zero point and clamp.
    ///
    /// # Errors
    /// [`KernelError::Param`] for an input offset outside `-127..=128`, a left shift outside
    /// `0..=20`, a positive input or output shift, or a constant [`Requant::new`] refuses.
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        a_offset: i32,
        b_offset: i32,
        left_shift: i32,
        a: (i32, i32),
        b: (i32, i32),
        out: (i32, i32),
        output_offset: i32,
        act_min: i32,
        act_max: i32,
    ) -> Result<AddSpec, KernelError> {
        if a_offset < -127 || a_offset > 128 || b_offset < -127 || b_offset > 128 {
            return Err(KernelError::Param("input zero point outside int8"));
        }
        // (x + offset) << left_shift must fit an i32 for the rescaling (|x + offset| <= 255).
        if left_shift < 0 || left_shift > 20 {
            return Err(KernelError::Param("left shift outside 0..=20"));
        }
        if a.1 > 0 || b.1 > 0 || out.1 > 0 {
            return Err(KernelError::Param("positive addition shift"));
        }
        let ra = match Requant::new([0; 4], [a.0; 4], [a.1; 4], 0, -128, 127) {
            Ok(r) => r,
            Err(e) => return Err(e),
        };
        let rb = match Requant::new([0; 4], [b.0; 4], [b.1; 4], 0, -128, 127) {
            Ok(r) => r,
            Err(e) => return Err(e),
        };
        let ro = match Requant::new(
            [0; 4],
            [out.0; 4],
            [out.1; 4],
            output_offset,
            act_min,
            act_max,
        ) {
            Ok(r) => r,
            Err(e) => return Err(e),
        };
        Ok(AddSpec {
            a_offset,
            b_offset,
            left_shift,
            a: ra,
            b: rb,
            out: ro,
        })
    }
}

/// `output[i] = a[i] + b[i]` in the quantised domain, for `N` elements.
///
/// # Errors
/// [`KernelError`] when a length is not `N`.
pub fn add_s8<const N: usize>(s: &AddSpec, a: &[i8], b: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("a", N, a.len())?;
    check_len("b", N, b.len())?;
    check_len("output", N, output.len())?;
    let right_only = s.a.right_only && s.b.right_only && s.out.right_only;
    // TFLite's int8 addition shifts left by 20: then the offset input, shifted left by 4 in
    // int16 (|x + offset| <= 255, so it fits), is widened and shifted by 16 in one `SHLL`.
    match (right_only, s.left_shift >= 16) {
        (true, true) => run::<N, true, true>(s, a, b, output),
        (true, false) => run::<N, true, false>(s, a, b, output),
        (false, true) => run::<N, false, true>(s, a, b, output),
        (false, false) => run::<N, false, false>(s, a, b, output),
    }
    Ok(())
}

fn run<const N: usize, const RIGHT_ONLY: bool, const HIGH: bool>(
    s: &AddSpec,
    a: &[i8],
    b: &[i8],
    y: &mut [i8],
) {
    let st = OutStage::new(&s.out);
    let mut i = 0;
    // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target; `Rq4::load` reads
    // four channels of a `Requant<4>`; every load and store covers `i..i + 16 <= N` of slices
    // of length `N` (checked by the caller).
    unsafe {
        let (qa, qb, qo) = (Rq4::load(&s.a, 0), Rq4::load(&s.b, 0), Rq4::load(&s.out, 0));
        let (oa, ob) = (
            vdupq_n_s16(s.a_offset as i16),
            vdupq_n_s16(s.b_offset as i16),
        );
        let ls = vdupq_n_s32(s.left_shift);
        // `HIGH`: `left_shift - 16` in 0..=4 (checked by `AddSpec::new`: at most 20).
        let ls16 = vdupq_n_s16((s.left_shift - 16).max(0) as i16);
        let scale = |x: int8x16_t, off: int16x8_t, q: &Rq4| -> [int32x4_t; 4] {
            let lo = vaddw_s8(off, vget_low_s8(x));
            let hi = vaddw_high_s8(off, x);
            if HIGH {
                let (lo, hi) = (vshlq_s16(lo, ls16), vshlq_s16(hi, ls16));
                [
                    q.apply::<RIGHT_ONLY>(vshll_n_s16::<16>(vget_low_s16(lo))),
                    q.apply::<RIGHT_ONLY>(vshll_high_n_s16::<16>(lo)),
                    q.apply::<RIGHT_ONLY>(vshll_n_s16::<16>(vget_low_s16(hi))),
                    q.apply::<RIGHT_ONLY>(vshll_high_n_s16::<16>(hi)),
                ]
            } else {
                [
                    q.apply::<RIGHT_ONLY>(vshlq_s32(vmovl_s16(vget_low_s16(lo)), ls)),
                    q.apply::<RIGHT_ONLY>(vshlq_s32(vmovl_high_s16(lo), ls)),
                    q.apply::<RIGHT_ONLY>(vshlq_s32(vmovl_s16(vget_low_s16(hi)), ls)),
                    q.apply::<RIGHT_ONLY>(vshlq_s32(vmovl_high_s16(hi), ls)),
                ]
            }
        };
        while i + 16 <= N {
            let va = scale(vld1q_s8(a.as_ptr().add(i)), oa, &qa);
            let vb = scale(vld1q_s8(b.as_ptr().add(i)), ob, &qb);
            let v = [
                qo.apply::<RIGHT_ONLY>(vaddq_s32(va[0], vb[0])),
                qo.apply::<RIGHT_ONLY>(vaddq_s32(va[1], vb[1])),
                qo.apply::<RIGHT_ONLY>(vaddq_s32(va[2], vb[2])),
                qo.apply::<RIGHT_ONLY>(vaddq_s32(va[3], vb[3])),
            ];
            vst1q_s8(y.as_mut_ptr().add(i), st.narrow16(v));
            i += 16;
        }
    }
    // The last `N % 16` elements, as TFLite's reference computes them.
    let (ma, sa) = (s.a.mult[0], s.a.right[0]);
    let (mb, sb) = (s.b.mult[0], s.b.right[0]);
    let (mo, so) = (s.out.mult[0], s.out.right[0]);
    for ((x, z), o) in a.iter().zip(b).zip(y.iter_mut()).skip(i) {
        let xa = rescale((i32::from(*x) + s.a_offset) << s.left_shift, ma, sa);
        let xb = rescale((i32::from(*z) + s.b_offset) << s.left_shift, mb, sb);
        let v = rescale(xa.wrapping_add(xb), mo, so).wrapping_add(s.out.offset);
        *o = crate::clamp_i8(v, s.out.min, s.out.max);
    }
}
