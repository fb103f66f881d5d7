//! Element-wise maximum and minimum with broadcasting, int8 (TFLite `MAXIMUM` / `MINIMUM`; TFLM
//! `reference_ops::MaximumMinimumBroadcastSlow`): the raw int8 values are compared, so both
//! inputs and the output must share one quantisation (the compiler refuses anything else).

use crate::add::{broadcast, broadcast_map, map_over, Over};
use crate::KernelResult;

/// The shapes of one maximum or minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinMaxParams<'a> {
    /// Shape of `a` (rank up to [`crate::shape::MAX_RANK`]).
    pub a_shape: &'a [usize],
    /// Shape of `b`.
    pub b_shape: &'a [usize],
    /// Shape of the output (the broadcast of `a` and `b`).
    pub output_shape: &'a [usize],
}

/// `max(a, b)` element by element.
///
/// # Errors
/// [`crate::KernelError`] when the shapes do not broadcast to `output_shape`, a rank exceeds
/// [`crate::shape::MAX_RANK`], or a slice length disagrees with its shape.
pub fn maximum_s8(p: &MinMaxParams<'_>, a: &[i8], b: &[i8], output: &mut [i8]) -> KernelResult {
    let bc = broadcast(
        p.a_shape,
        p.b_shape,
        p.output_shape,
        a.len(),
        b.len(),
        output.len(),
    )?;
    broadcast_map(&bc, a, b, output, |x, y| if x > y { x } else { y });
    Ok(())
}

/// `min(a, b)` element by element.
///
/// # Errors
/// As [`maximum_s8`].
pub fn minimum_s8(p: &MinMaxParams<'_>, a: &[i8], b: &[i8], output: &mut [i8]) -> KernelResult {
    let bc = broadcast(
        p.a_shape,
        p.b_shape,
        p.output_shape,
        a.len(),
        b.len(),
        output.len(),
    )?;
    broadcast_map(&bc, a, b, output, |x, y| if x < y { x } else { y });
    Ok(())
}

/// [`maximum_s8`] written over operand `over` (`data`, with the output's shape).
///
/// # Errors
/// As [`maximum_s8`], and when the operand written over does not have the output's shape.
pub fn maximum_s8_in_place(
    p: &MinMaxParams<'_>,
    data: &mut [i8],
    over: Over,
    other: &[i8],
) -> KernelResult {
    let shapes = [p.a_shape, p.b_shape, p.output_shape];
    map_over(shapes, data, over, other, |x, y| if x > y { x } else { y })
}

/// [`minimum_s8`] written over operand `over` (`data`, with the output's shape).
///
/// # Errors
/// As [`maximum_s8_in_place`].
pub fn minimum_s8_in_place(
    p: &MinMaxParams<'_>,
    data: &mut [i8],
    over: Over,
    other: &[i8],
) -> KernelResult {
    let shapes = [p.a_shape, p.b_shape, p.output_shape];
    map_over(shapes, data, over, other, |x, y| if x < y { x } else { y })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_case_broadcast() {
        let p = MinMaxParams {
            a_shape: &[2, 2],
            b_shape: &[2],
            output_shape: &[2, 2],
        };
        let mut out = [0i8; 4];
        maximum_s8(&p, &[-5, 7, 0, -128], &[1, -3], &mut out).unwrap();
        assert_eq!(out, [1, 7, 1, -3]);
        minimum_s8(&p, &[-5, 7, 0, -128], &[1, -3], &mut out).unwrap();
        assert_eq!(out, [-5, -3, 0, -128]);
        assert!(maximum_s8(&p, &[0; 3], &[0; 2], &mut out).is_err());
    }
}
