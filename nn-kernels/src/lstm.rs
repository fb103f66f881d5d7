//! LSTM (TFLite `UNIDIRECTIONAL_SEQUENCE_LSTM`; TFLM `EvalLstm` with int8 activations and
//! weights, int32 biases and an int16 cell state), batch 1, over a whole sequence per call, with
//! the hidden and cell states kept between calls.
//!
//! Per time step `t`, with `h` the hidden state (int8, the output's quantisation) and `c` the
//! cell state (int16, a power-of-two scale `2^cell_scale_power`), for each gate `g` of input,
//! forget, cell and output (in that order in the weights):
//!
//! 1. `g_in = clamp16(mbqm(bias_g + W_g (x_t - x_zp), m_g))` and
//!    `g_rec = clamp16(mbqm(R_g (h - h_zp), r_g))`, both to scale 2^-12 (Q3.12);
//!    `pre_g = clamp16(g_in + g_rec)`;
//! 2. the input, forget and output gates are `sigmoid(pre)`, the cell gate `tanh(pre)`, both
//!    int16 Q0.15 on TFLite's sigmoid table ([`crate::sigmoid16`]);
//! 3. `c = clamp16(clamp16(mbqm(f * c, forget_mul)) + clamp16(mbqm(i * cell_gate, input_mul)))`,
//!    then clipped to `±cell_clip` when the layer clips;
//! 4. `h = clamp8(mbqm(tanh(c) * o, output_mul) + h_zp)`, where `tanh(c)` reads the cell state
//!    at its own scale, and `h` is also the step's output row.
//!
//! `mbqm` is TFLite's `MultiplyByQuantizedMultiplier`. Every gate of a step reads the hidden
//! state of the previous step; the computation is element-wise after the dot products, so it
//! runs unit by unit and needs no scratch: each new `h` goes to the output row, which becomes the
//! hidden state at the end of the step. Reset a stream by filling `h` with its zero point and `c`
//! with 0 ([`lstm_reset`]).

use crate::error::check_len;
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::sigmoid16::{sigmoid_s16_value, tanh_s16_value};
use crate::{KernelError, KernelResult};

/// The requantisations of one gate's two dot products to Q3.12.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateParams {
    /// Q31 multiplier of `input_scale * input_weight_scale / 2^-12`.
    pub input_multiplier: i32,
    /// Its shift (`-31..=31`).
    pub input_shift: i32,
    /// Q31 multiplier of `hidden_scale * recurrent_weight_scale / 2^-12`.
    pub recurrent_multiplier: i32,
    /// Its shift (`-31..=31`).
    pub recurrent_shift: i32,
}

/// Every constant of one int8 LSTM layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LstmParams {
    /// Time steps per call.
    pub time_steps: usize,
    /// Input features per step.
    pub input_size: usize,
    /// Units (the size of the hidden and cell states and of each output row).
    pub units: usize,
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// The hidden state's (and output's) zero point.
    pub hidden_zero_point: i32,
    /// Input, forget, cell and output gate requantisations.
    pub gates: [GateParams; 4],
    /// `forget * cell -> cell`: multiplier of `2^-15` (the cell scale cancels).
    pub forget_multiplier: i32,
    /// Its shift.
    pub forget_shift: i32,
    /// `input * cell_gate -> cell`: multiplier of `2^-30 / cell_scale`.
    pub input_multiplier: i32,
    /// Its shift.
    pub input_shift: i32,
    /// `tanh(cell) * output -> hidden`: multiplier of `2^-30 / hidden_scale`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// Whether the cell state is clipped after each update (TFLM: a cell clip option above 0).
    pub clip_cell: bool,
    /// The cell state is clipped to `±cell_clip` when `clip_cell` is set (0 clips to 0).
    pub cell_clip: i16,
    /// Tanh of the cell state: the input multiplier (0 for a power-of-two scale, as TFLM sets it).
    pub cell_tanh_multiplier: i32,
    /// Tanh of the cell state: the input shift (`0..=31`).
    pub cell_tanh_shift: i32,
}

impl LstmParams {
    /// The tanh input scaling of a cell state with scale `2^cell_scale_power` (TFLM
    /// `lstm_internal::Tanh`): `(multiplier, shift)` for [`LstmParams::cell_tanh_multiplier`]
    /// and [`LstmParams::cell_tanh_shift`].
    #[must_use]
    pub const fn cell_tanh(cell_scale_power: i32) -> (i32, i32) {
        let left = 15 + cell_scale_power - 3;
        if left < 0 {
            (3, -left)
        } else {
            (0, left)
        }
    }
}

/// The step's gate activation: sigmoid, or tanh for the cell gate (Q3.12 in, Q0.15 out).
const GATE_SIGMOID: [bool; 4] = [true, true, false, true];

fn check(p: &LstmParams) -> Result<(), KernelError> {
    if p.units == 0 || p.input_size == 0 {
        return Err(KernelError::Param("lstm: zero units or input size"));
    }
    let shifts = p
        .gates
        .iter()
        .flat_map(|g| [g.input_shift, g.recurrent_shift])
        .chain([p.forget_shift, p.input_shift, p.output_shift]);
    for shift in shifts {
        if !(-31..=31).contains(&shift) {
            return Err(KernelError::Param("shift outside -31..=31"));
        }
    }
    if !(0..=31).contains(&p.cell_tanh_shift) {
        return Err(KernelError::Param("lstm: cell tanh shift outside 0..=31"));
    }
    if p.cell_clip < 0 {
        return Err(KernelError::Param("lstm: negative cell clip"));
    }
    Ok(())
}

#[inline(always)]
fn clamp16(v: i32) -> i32 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX))
}

#[inline(always)]
fn dot(weights: &[i8], values: &[i8], offset: i32) -> i32 {
    let mut acc = 0i32;
    for (&w, &v) in weights.iter().zip(values) {
        acc = acc.wrapping_add(i32::from(w).wrapping_mul(i32::from(v).wrapping_add(offset)));
    }
    acc
}

/// Runs the LSTM over `time_steps` steps of `input`, updating `hidden` and `cell` and writing
/// every step's hidden state to `output`.
///
/// `input` is `[time_steps, input_size]`; `input_weights` `[4, units, input_size]` and
/// `recurrent_weights` `[4, units, units]` (gates input, forget, cell, output); `bias`
/// `[4, units]`; `hidden` (int8) and `cell` (int16) `[units]`; `output` `[time_steps, units]`.
///
/// # Errors
/// [`KernelError::Length`] if a slice does not match the parameters, [`KernelError::Param`] for a
/// zero dimension, a shift out of range or a negative clip.
#[allow(clippy::too_many_arguments)]
pub fn lstm_s8(
    p: &LstmParams,
    input: &[i8],
    input_weights: &[i8],
    recurrent_weights: &[i8],
    bias: &[i32],
    hidden: &mut [i8],
    cell: &mut [i16],
    output: &mut [i8],
) -> KernelResult {
    check(p)?;
    let (n, u) = (p.input_size, p.units);
    let overflow = KernelError::Param("lstm: size overflow");
    let gate_in = u.checked_mul(n).ok_or(overflow)?;
    let gate_rec = u.checked_mul(u).ok_or(overflow)?;
    check_len(
        "input",
        p.time_steps.checked_mul(n).ok_or(overflow)?,
        input.len(),
    )?;
    check_len(
        "input_weights",
        gate_in.checked_mul(4).ok_or(overflow)?,
        input_weights.len(),
    )?;
    check_len(
        "recurrent_weights",
        gate_rec.checked_mul(4).ok_or(overflow)?,
        recurrent_weights.len(),
    )?;
    check_len("bias", u.checked_mul(4).ok_or(overflow)?, bias.len())?;
    check_len("hidden", u, hidden.len())?;
    check_len("cell", u, cell.len())?;
    check_len(
        "output",
        p.time_steps.checked_mul(u).ok_or(overflow)?,
        output.len(),
    )?;

    // Steps by index (the lengths were checked): no chunk iterator with a divisor to prove
    // non-zero.
    for t in 0..p.time_steps {
        let (Some(x), Some(out)) = (
            input.get(t * n..(t + 1) * n),
            output.get_mut(t * u..(t + 1) * u),
        ) else {
            break;
        };
        for (j, (c, o)) in cell.iter_mut().zip(out.iter_mut()).enumerate() {
            let mut act = [0i32; 4];
            for (g, (a, gp)) in act.iter_mut().zip(&p.gates).enumerate() {
                let row_in = (g * u + j) * n;
                let row_rec = (g * u + j) * u;
                let w = input_weights.get(row_in..row_in + n).unwrap_or(&[]);
                let r = recurrent_weights.get(row_rec..row_rec + u).unwrap_or(&[]);
                let b = bias.get(g * u + j).copied().unwrap_or(0);
                let acc = dot(w, x, p.input_offset).wrapping_add(b);
                let from_input = clamp16(multiply_by_quantized_multiplier(
                    acc,
                    gp.input_multiplier,
                    gp.input_shift,
                ));
                let acc = dot(r, hidden, -p.hidden_zero_point);
                let from_hidden = clamp16(multiply_by_quantized_multiplier(
                    acc,
                    gp.recurrent_multiplier,
                    gp.recurrent_shift,
                ));
                let pre = clamp16(from_input + from_hidden) as i16;
                *a = i32::from(if GATE_SIGMOID[g] {
                    sigmoid_s16_value(pre, 0, 0)
                } else {
                    tanh_s16_value(pre, 0, 0)
                });
            }
            let [i_gate, f_gate, c_gate, o_gate] = act;
            let kept = clamp16(multiply_by_quantized_multiplier(
                f_gate.wrapping_mul(i32::from(*c)),
                p.forget_multiplier,
                p.forget_shift,
            ));
            let added = clamp16(multiply_by_quantized_multiplier(
                i_gate.wrapping_mul(c_gate),
                p.input_multiplier,
                p.input_shift,
            ));
            let mut next = clamp16(kept + added);
            if p.clip_cell {
                let clip = i32::from(p.cell_clip);
                next = next.clamp(-clip, clip);
            }
            *c = next as i16;
            let t = i32::from(tanh_s16_value(
                *c,
                p.cell_tanh_multiplier,
                p.cell_tanh_shift,
            ));
            let h = multiply_by_quantized_multiplier(
                t.wrapping_mul(o_gate),
                p.output_multiplier,
                p.output_shift,
            )
            .wrapping_add(p.hidden_zero_point);
            *o = h.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
        }
        for (h, &o) in hidden.iter_mut().zip(out.iter()) {
            *h = o;
        }
    }
    Ok(())
}

/// The start of a stream: `hidden` all `hidden_zero_point` (clamped to int8), `cell` all 0.
pub fn lstm_reset(hidden: &mut [i8], cell: &mut [i16], hidden_zero_point: i32) {
    let z = hidden_zero_point.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
    hidden.fill(z);
    cell.fill(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(units: usize, input_size: usize, time_steps: usize) -> LstmParams {
        let gate = GateParams {
            input_multiplier: 1 << 30,
            input_shift: 3,
            recurrent_multiplier: 1 << 30,
            recurrent_shift: 3,
        };
        let (cell_tanh_multiplier, cell_tanh_shift) = LstmParams::cell_tanh(-11);
        LstmParams {
            time_steps,
            input_size,
            units,
            input_offset: 3,
            hidden_zero_point: -2,
            gates: [gate; 4],
            forget_multiplier: 1 << 30,
            forget_shift: -14,
            input_multiplier: 1 << 30,
            input_shift: -18,
            output_multiplier: 1 << 30,
            output_shift: -22,
            clip_cell: false,
            cell_clip: 0,
            cell_tanh_multiplier,
            cell_tanh_shift,
        }
    }

    #[test]
    fn the_state_carries_between_calls_and_reset_restores_it() {
        let p = params(3, 2, 2);
        let x: Vec<i8> = (0..4).map(|v| v * 17 - 30).collect();
        let w: Vec<i8> = (0..24).map(|v| (v * 37 % 101 - 50) as i8).collect();
        let r: Vec<i8> = (0..36).map(|v| (v * 53 % 97 - 48) as i8).collect();
        let b: Vec<i32> = (0..12).map(|v| v * 40 - 200).collect();
        let (mut h, mut c) = ([0i8; 3], [0i16; 3]);
        lstm_reset(&mut h, &mut c, p.hidden_zero_point);
        let mut first = [0i8; 6];
        lstm_s8(&p, &x, &w, &r, &b, &mut h, &mut c, &mut first).unwrap();
        assert_eq!(h, first[3..]);
        let mut second = [0i8; 6];
        lstm_s8(&p, &x, &w, &r, &b, &mut h, &mut c, &mut second).unwrap();
        assert_ne!(
            first, second,
            "the second call starts from the first's state"
        );
        lstm_reset(&mut h, &mut c, p.hidden_zero_point);
        let mut again = [0i8; 6];
        lstm_s8(&p, &x, &w, &r, &b, &mut h, &mut c, &mut again).unwrap();
        assert_eq!(first, again);
    }

    #[test]
    fn the_cell_clip_bounds_the_cell_state() {
        let mut p = params(2, 1, 4);
        p.clip_cell = true;
        p.cell_clip = 100;
        let (x, w, r, b) = ([127i8; 4], [127i8; 8], [127i8; 16], [30000i32; 8]);
        let (mut h, mut c) = ([0i8; 2], [0i16; 2]);
        let mut out = [0i8; 8];
        lstm_s8(&p, &x, &w, &r, &b, &mut h, &mut c, &mut out).unwrap();
        assert!(c.iter().all(|&v| (-100..=100).contains(&v)), "{c:?}");
    }

    #[test]
    fn wrong_lengths_and_parameters_are_errors() {
        let p = params(2, 2, 1);
        let (mut h, mut c, mut out) = ([0i8; 2], [0i16; 2], [0i8; 2]);
        let r = lstm_s8(
            &p, &[0; 3], &[0; 16], &[0; 16], &[0; 8], &mut h, &mut c, &mut out,
        );
        assert!(matches!(
            r,
            Err(KernelError::Length {
                operand: "input",
                ..
            })
        ));
        let mut bad = p;
        bad.gates[2].recurrent_shift = 40;
        let r = lstm_s8(
            &bad, &[0; 2], &[0; 16], &[0; 16], &[0; 8], &mut h, &mut c, &mut out,
        );
        assert_eq!(r, Err(KernelError::Param("shift outside -31..=31")));
    }

    #[test]
    fn cell_tanh_scaling_follows_the_cell_scale() {
        assert_eq!(LstmParams::cell_tanh(-12), (0, 0));
        assert_eq!(LstmParams::cell_tanh(-11), (0, 1));
        assert_eq!(LstmParams::cell_tanh(-15), (3, 3));
    }
}
