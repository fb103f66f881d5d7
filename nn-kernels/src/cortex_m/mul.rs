//! Element-wise multiplication of two int8 tensors of the same shape (TFLite `MUL` without
//! broadcasting): the product of the offset inputs, requantised with the kernels' one-step
//! requantisation.

use super::{check_act, check_rq, Out, Rq};
use crate::error::check_len;
use crate::KernelResult;

/// The constants of one multiplication.
#[derive(Clone, Copy, Debug)]
pub struct MulSpec {
    /// `-a_zero_point`.
    pub a_offset: i32,
    /// `-b_zero_point`.
    pub b_offset: i32,
    /// Requantisation of the product to the output.
    pub rq: Rq,
    /// Output zero point.
    pub output_offset: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

/// `output[i] = a[i] * b[i]` in the quantised domain, for `N` elements.
///
/// # Errors
/// [`crate::KernelError`] when a length is not `N` or a constant is out of range.
pub fn mul_s8<const N: usize>(s: &MulSpec, a: &[i8], b: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("a", N, a.len())?;
    check_len("b", N, b.len())?;
    check_len("output", N, output.len())?;
    check_rq(core::slice::from_ref(&s.rq))?;
    check_act(s.act_min, s.act_max)?;
    let (stage, _) = Out::new(
        core::slice::from_ref(&s.rq),
        s.output_offset,
        s.act_min,
        s.act_max,
    );
    for ((x, y), o) in a.iter().zip(b).zip(output.iter_mut()) {
        let prod = (i32::from(*x) + s.a_offset).wrapping_mul(i32::from(*y) + s.b_offset);
        *o = stage.put(prod, &s.rq);
    }
    Ok(())
}
