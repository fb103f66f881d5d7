//! SVDF (TFLite `SVDF`; TFLM `EvalIntegerSvdfReference`), int8 input and output, with an int16
//! or int8 activation state that persists between calls.
//!
//! A rank-`R` SVDF with `U` units has `F = U * R` filters. The state holds, per filter, the last
//! `M` (memory) feature activations, oldest first: `state[f * M + m]`. One call:
//!
//! 1. shifts the whole state left by one element (TFLM shifts the flat buffer, so each filter's
//!    oldest value is overwritten by its neighbour's and the last slot is rewritten next);
//! 2. writes each filter's new feature activation into its last slot: the dot product of the
//!    filter's row of the int8 feature weights with `input - input_zero_point`, requantised by
//!    `input_scale * feature_scale / state_scale`, clamped to the state type, plus the state
//!    zero point, converted to the state type as C converts (keeping the low bits: a value at
//!    the edge of the range plus a non-zero zero point wraps around). This is the TFLM release
//!    the oracle pins (`tflite-micro` 0.dev20261023); later TFLM sources add the zero point
//!    before the clamp, which differs only where this wraps;
//! 3. per unit, sums the bias and, over its `R` filters, the dot products of the time weights
//!    with `state - state_zero_point` (32-bit, wrapping as TFLM's C++ does on the targets it
//!    runs on);
//! 4. requantises each sum by `state_scale * time_scale / output_scale`, adds the output zero
//!    point and clamps to int8. TFLM's integer SVDF applies no fused activation, nor does this.
//!
//! Nothing else is kept between calls, so a caller resets the stream by filling the state with
//! the state zero point ([`svdf_reset`]).

use crate::error::check_len;
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::{KernelError, KernelResult};

mod sealed {
    pub trait Sealed {}
    impl Sealed for i8 {}
    impl Sealed for i16 {}
}

/// The element of an SVDF's time weights and activation state: `i16` (TFLM's usual choice) or
/// `i8`.
pub trait StateElement: Copy + sealed::Sealed {
    /// The smallest value, as an `i32`.
    const MIN: i32;
    /// The largest value, as an `i32`.
    const MAX: i32;
    /// The value as an `i32`.
    fn widen(self) -> i32;
    /// `v` clamped to the type's range (still an `i32`).
    fn clamp(v: i32) -> i32 {
        v.clamp(Self::MIN, Self::MAX)
    }
    /// `v` clamped to the type's range.
    fn narrow(v: i32) -> Self;
    /// The low bits of `v` (C's conversion to the narrower type).
    fn wrap(v: i32) -> Self;
}

impl StateElement for i8 {
    const MIN: i32 = i8::MIN as i32;
    const MAX: i32 = i8::MAX as i32;
    #[inline(always)]
    fn widen(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn narrow(v: i32) -> i8 {
        v.clamp(<Self as StateElement>::MIN, <Self as StateElement>::MAX) as i8
    }
    #[inline(always)]
    fn wrap(v: i32) -> i8 {
        v as i8
    }
}

impl StateElement for i16 {
    const MIN: i32 = i16::MIN as i32;
    const MAX: i32 = i16::MAX as i32;
    #[inline(always)]
    fn widen(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn narrow(v: i32) -> i16 {
        v.clamp(<Self as StateElement>::MIN, <Self as StateElement>::MAX) as i16
    }
    #[inline(always)]
    fn wrap(v: i32) -> i16 {
        v as i16
    }
}

/// Every constant of one int8 SVDF (batch 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvdfParams {
    /// Input features per step.
    pub input_size: usize,
    /// Output units.
    pub units: usize,
    /// Filters per unit (the rank of the factorised weights), >= 1.
    pub rank: usize,
    /// State entries per filter (time steps remembered), >= 1.
    pub memory: usize,
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// Q31 multiplier of `input_scale * feature_scale / state_scale`.
    pub feature_multiplier: i32,
    /// Its shift (`-31..=31`).
    pub feature_shift: i32,
    /// The state's zero point (0 for an int16 state).
    pub state_zero_point: i32,
    /// Q31 multiplier of `state_scale * time_scale / output_scale`.
    pub output_multiplier: i32,
    /// Its shift (`-31..=31`).
    pub output_shift: i32,
    /// The output's zero point.
    pub output_zero_point: i32,
}

impl SvdfParams {
    /// Filters: `units * rank` (`None` on overflow).
    #[must_use]
    pub fn filters(&self) -> Option<usize> {
        self.units.checked_mul(self.rank)
    }

    /// Elements of the state: `units * rank * memory` (`None` on overflow).
    #[must_use]
    pub fn state_len(&self) -> Option<usize> {
        self.filters()?.checked_mul(self.memory)
    }
}

fn check(p: &SvdfParams) -> Result<(usize, usize), KernelError> {
    if p.rank == 0 || p.memory == 0 || p.units == 0 || p.input_size == 0 {
        return Err(KernelError::Param(
            "svdf: zero units, rank, memory or input size",
        ));
    }
    for shift in [p.feature_shift, p.output_shift] {
        if !(-31..=31).contains(&shift) {
            return Err(KernelError::Param("shift outside -31..=31"));
        }
    }
    let filters = p
        .filters()
        .ok_or(KernelError::Param("svdf: size overflow"))?;
    let state = p
        .state_len()
        .ok_or(KernelError::Param("svdf: size overflow"))?;
    Ok((filters, state))
}

/// One step of the SVDF: updates `state` and writes `output`.
///
/// `weights_feature` is `[units * rank, input_size]`, `weights_time` and `state` are `[units *
/// rank, memory]`, `bias` (if any) and `output` are `[units]`.
///
/// # Errors
/// [`KernelError::Length`] if a slice does not match the parameters, [`KernelError::Param`] for a
/// zero dimension or a shift outside `-31..=31`.
pub fn svdf_s8<S: StateElement>(
    p: &SvdfParams,
    input: &[i8],
    weights_feature: &[i8],
    weights_time: &[S],
    bias: Option<&[i32]>,
    state: &mut [S],
    output: &mut [i8],
) -> KernelResult {
    let (filters, state_len) = check(p)?;
    check_len("input", p.input_size, input.len())?;
    check_len(
        "weights_feature",
        filters.saturating_mul(p.input_size),
        weights_feature.len(),
    )?;
    check_len("weights_time", state_len, weights_time.len())?;
    check_len("state", state_len, state.len())?;
    check_len("output", p.units, output.len())?;
    if let Some(b) = bias {
        check_len("bias", p.units, b.len())?;
    }

    state.copy_within(1.., 0);

    let rows = weights_feature.chunks_exact(p.input_size);
    for (row, slots) in rows.zip(state.chunks_exact_mut(p.memory)) {
        let mut acc = 0i32;
        for (&w, &x) in row.iter().zip(input) {
            let x = i32::from(x).wrapping_add(p.input_offset);
            acc = acc.wrapping_add(i32::from(w).wrapping_mul(x));
        }
        let v = multiply_by_quantized_multiplier(acc, p.feature_multiplier, p.feature_shift);
        if let Some(last) = slots.last_mut() {
            *last = S::wrap(S::clamp(v).wrapping_add(p.state_zero_point));
        }
    }

    let per_unit = p.rank.saturating_mul(p.memory);
    let units = weights_time
        .chunks_exact(per_unit)
        .zip(state.chunks_exact(per_unit));
    for (u, ((wt, st), out)) in units.zip(output.iter_mut()).enumerate() {
        let mut acc = bias.and_then(|b| b.get(u)).copied().unwrap_or(0);
        for (&w, &s) in wt.iter().zip(st) {
            let s = s.widen().wrapping_sub(p.state_zero_point);
            acc = acc.wrapping_add(w.widen().wrapping_mul(s));
        }
        let v = multiply_by_quantized_multiplier(acc, p.output_multiplier, p.output_shift);
        *out = v.wrapping_add(p.output_zero_point).clamp(-128, 127) as i8;
    }
    Ok(())
}

/// Resets an SVDF state to the start of a stream: every element the state zero point (TFLM's
/// `ResetVariableTensors`).
pub fn svdf_reset<S: StateElement>(state: &mut [S], state_zero_point: i32) {
    state.fill(S::narrow(state_zero_point));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> SvdfParams {
        SvdfParams {
            input_size: 3,
            units: 2,
            rank: 2,
            memory: 3,
            input_offset: 1,
            feature_multiplier: 1 << 30,
            feature_shift: 1,
            state_zero_point: 0,
            output_multiplier: 1 << 30,
            output_shift: -3,
            output_zero_point: -5,
        }
    }

    /// A step computed the slow way, from the definition in the module docs.
    fn naive(
        p: &SvdfParams,
        x: &[i8],
        wf: &[i8],
        wt: &[i16],
        b: &[i32],
        st: &mut Vec<i16>,
    ) -> Vec<i8> {
        let f = p.units * p.rank;
        st.remove(0);
        st.push(0);
        for r in 0..f {
            let dot: i32 = (0..p.input_size)
                .map(|c| i32::from(wf[r * p.input_size + c]) * (i32::from(x[c]) + p.input_offset))
                .sum();
            // multiplier 2^30 with shift 1: exactly dot * 1.
            st[r * p.memory + p.memory - 1] = dot.clamp(-32768, 32767) as i16;
        }
        (0..p.units)
            .map(|u| {
                let mut acc = b[u];
                for k in u * p.rank * p.memory..(u + 1) * p.rank * p.memory {
                    acc += i32::from(wt[k]) * i32::from(st[k]);
                }
                // 2^30 * 2^-3 / 2^31: acc / 16 rounded half away from zero.
                let v = multiply_by_quantized_multiplier(acc, 1 << 30, -3);
                (v - 5).clamp(-128, 127) as i8
            })
            .collect()
    }

    #[test]
    fn steps_match_the_definition_and_reset_restarts_the_stream() {
        let p = params();
        let wf: Vec<i8> = (0..12).map(|i| (i * 7 % 11 - 5) as i8).collect();
        let wt: Vec<i16> = (0..12).map(|i| (i * 5 % 13 - 6) as i16).collect();
        let b = [3, -40];
        let mut state = [0i16; 12];
        let mut expect = vec![0i16; 12];
        let mut first = Vec::new();
        for step in 0..5i8 {
            let x = [step, -step, 2 * step - 3];
            let mut y = [0i8; 2];
            svdf_s8(&p, &x, &wf, &wt, Some(&b), &mut state, &mut y).unwrap();
            assert_eq!(
                y.to_vec(),
                naive(&p, &x, &wf, &wt, &b, &mut expect),
                "step {step}"
            );
            assert_eq!(state.to_vec(), expect);
            first.push(y);
        }
        svdf_reset(&mut state, 0);
        let mut y = [0i8; 2];
        svdf_s8(&p, &[0, 0, -3], &wf, &wt, Some(&b), &mut state, &mut y).unwrap();
        assert_eq!(y, first[0]);
    }

    #[test]
    fn the_zero_point_is_added_after_the_clamp_and_wraps() {
        // One filter, memory 1: a feature value of -200 clamps to -128; the state zero point -3
        // then gives -131, which an int8 state keeps as 125 (C's conversion), as TFLM does.
        let p = SvdfParams {
            input_size: 1,
            units: 1,
            rank: 1,
            memory: 1,
            input_offset: 0,
            feature_multiplier: 1 << 30,
            feature_shift: 1,
            state_zero_point: -3,
            output_multiplier: 1 << 30,
            output_shift: 1,
            output_zero_point: 0,
        };
        let mut state = [0i8; 1];
        let mut y = [0i8; 1];
        svdf_s8(&p, &[-100], &[2], &[1i8], None, &mut state, &mut y).unwrap();
        assert_eq!(state, [125]);
        assert_eq!(y, [127]); // (125 - -3) * 1 = 128, clamped
    }

    #[test]
    fn no_bias_is_a_zero_bias() {
        let p = params();
        let wf = [1i8; 12];
        let wt = [2i16; 12];
        let (mut s1, mut s2) = ([0i16; 12], [0i16; 12]);
        let (mut y1, mut y2) = ([0i8; 2], [0i8; 2]);
        svdf_s8(&p, &[4, 5, 6], &wf, &wt, None, &mut s1, &mut y1).unwrap();
        svdf_s8(&p, &[4, 5, 6], &wf, &wt, Some(&[0, 0]), &mut s2, &mut y2).unwrap();
        assert_eq!((y1, s1), (y2, s2));
    }

    #[test]
    fn bad_arguments_are_errors() {
        let p = params();
        let mut s = [0i16; 12];
        let mut y = [0i8; 2];
        let e = svdf_s8(&p, &[0; 3], &[0; 12], &[0i16; 11], None, &mut s, &mut y);
        assert!(matches!(
            e,
            Err(KernelError::Length {
                operand: "weights_time",
                ..
            })
        ));
        let q = SvdfParams { rank: 0, ..p };
        assert!(svdf_s8(&q, &[0; 3], &[0; 12], &[0i16; 12], None, &mut s, &mut y).is_err());
        let q = SvdfParams {
            output_shift: 32,
            ..p
        };
        assert!(svdf_s8(&q, &[0; 3], &[0; 12], &[0i16; 12], None, &mut s, &mut y).is_err());
    }
}
