//! Element-wise addition of two int8 tensors of the same shape (TFLite `ADD` without
//! broadcasting). TFLite rescales each input with a shift and a fixed-point multiply before the
//! sum; an int8 input has 256 values, so the compiler tabulates that rescaling per input at build
//! time ([`super::pack::add_table`]) and the kernel does two table loads, an add and the output
//! requantisation per element.

use super::{check_act, check_rq, finish, Rq};
use crate::error::check_len;
use crate::KernelResult;

/// The constants of one addition.
#[derive(Clone, Copy, Debug)]
pub struct AddSpec<'a> {
    /// Input `a` rescaled to the common scale, indexed by the byte `a as u8`.
    pub table_a: &'a [i32; 256],
    /// Input `b` rescaled to the common scale, indexed by `b as u8`.
    pub table_b: &'a [i32; 256],
    /// Requantisation from the common scale to the output (shift <= 0).
    pub rq: Rq,
    /// Output zero point.
    pub output_offset: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

/// `output[i] = a[i] + b[i]` in the quantised domain, for `N` elements.
///
/// # Errors
/// [`crate::KernelError`] when a length is not `N` or a constant is out of range.
pub fn add_s8<const N: usize>(
    s: &AddSpec<'_>,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> KernelResult {
    check_len("a", N, a.len())?;
    check_len("b", N, b.len())?;
    check_len("output", N, output.len())?;
    check_rq(core::slice::from_ref(&s.rq))?;
    check_act(s.act_min, s.act_max)?;
    let (ta, tb, q) = (s.table_a, s.table_b, s.rq);
    let (min, max, off) = (s.act_min, s.act_max, s.output_offset);
    for ((x, y), o) in a.iter().zip(b).zip(output.iter_mut()) {
        let sum = ta[usize::from(*x as u8)].wrapping_add(tb[usize::from(*y as u8)]);
        *o = finish(sum, q, off, min, max);
    }
    Ok(())
}
