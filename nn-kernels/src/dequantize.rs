//! Dequantisation int8 -> f32 (TFLite `DEQUANTIZE`; TFLM `reference_ops::Dequantize`):
//! `scale * (x - zero_point)` in `f32`.

use crate::error::check_len;
use crate::KernelResult;

/// Every constant of one dequantisation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DequantizeParams {
    /// Number of elements.
    pub len: usize,
    /// Input scale.
    pub scale: f32,
    /// Input zero point.
    pub zero_point: i32,
}

/// Run the dequantisation.
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn dequantize_s8_f32(p: &DequantizeParams, input: &[i8], output: &mut [f32]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = p.scale * (i32::from(x).wrapping_sub(p.zero_point)) as f32;
    }
    Ok(())
}

/// Run the dequantisation of int16 data (TFLite `DEQUANTIZE` of the 16x8 scheme).
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn dequantize_s16_f32(p: &DequantizeParams, input: &[i16], output: &mut [f32]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = p.scale * (i32::from(x).wrapping_sub(p.zero_point)) as f32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_case() {
        let p = DequantizeParams {
            len: 2,
            scale: 0.25,
            zero_point: 2,
        };
        let mut out = [0f32; 2];
        dequantize_s8_f32(&p, &[6, -2], &mut out).unwrap();
        assert_eq!(out, [1.0, -1.0]);
    }
}
