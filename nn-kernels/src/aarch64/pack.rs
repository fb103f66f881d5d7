//! Build-time layouts of the AArch64 kernels' constants.
//!
//! The compiler (`nn_dsl`) calls these on the host and writes their results into the generated
//! module as statics; they are the one definition of each layout, next to the kernels that read
//! it. No allocation: every function writes into a slice the caller provides. Weights stay int8
//! (one byte each, as TFLite stores them).

use crate::KernelError;

pub use crate::cortex_m::pack::fold_bias;

/// A filter row of `k` values padded to whole 16-byte vectors: `KP = ceil(k / 16) * 16`.
#[must_use]
pub const fn kpad(k: usize) -> usize {
    k.div_ceil(16) * 16
}

/// Whether `weights` can be multiplied with two products per int16 partial sum (`SMULL` +
/// `SMLAL`): no weight is -128, so `|x w| <= 128 * 127` and two products fit in an int16.
#[must_use]
pub fn pairs_fit_int16(weights: &[i8]) -> bool {
    !weights.contains(&i8::MIN)
}

/// Filters `[rows][k]` (a convolution's `[OC][KH, KW, IC]`, a fully connected layer's
/// `[units][depth]`) for the plain-NEON matrix multiply: blocks of 4 rows, each cut into
/// 16-value chunks, the 4 rows' chunks side by side:
/// `out[((b * kc + j) * 4 + r) * 16 + i] = weights[(4 b + r) * k + 16 j + i]`, with
/// `kc = kpad(k) / 16`; values past a row's end and rows past `rows` are 0.
///
/// # Errors
/// [`KernelError::Length`] unless `weights.len() == rows * k` and
/// `out.len() == ceil(rows / 4) * kpad(k) * 4`.
pub fn pack_c16(weights: &[i8], rows: usize, k: usize, out: &mut [i8]) -> Result<(), KernelError> {
    crate::error::check_len("filters", rows.saturating_mul(k), weights.len())?;
    let kc = kpad(k) / 16;
    crate::error::check_len("packed filters", rows.div_ceil(4) * kc * 64, out.len())?;
    out.fill(0);
    for (row, filter) in weights.chunks_exact(k.max(1)).enumerate().take(rows) {
        let (b, r) = (row / 4, row % 4);
        for (j, chunk) in filter.chunks(16).enumerate() {
            let at = ((b * kc + j) * 4 + r) * 16;
            if let Some(dst) = out.get_mut(at..at + chunk.len()) {
                dst.copy_from_slice(chunk);
            }
        }
    }
    Ok(())
}

/// Filters `[rows][k]` for the dot-product matrix multiply: blocks of `4 nb` rows; for each
/// group of 4 values (`j`), `nb` vectors of 4 rows x 4 values (the operand of one `SDOT`):
/// `out[((b * k4 + j) * nb + v) * 16 + 4 r + i] = weights[(4 (b nb + v) + r) * k + 4 j + i]`,
/// with `k4 = kpad(k) / 4`; values past a row's end and rows past `rows` are 0.
///
/// # Errors
/// [`KernelError::Length`] unless `weights.len() == rows * k`, `nb` is 1 to 4 and
/// `out.len() == ceil(rows / (4 nb)) * kpad(k) * 4 nb`.
pub fn pack_dot(
    weights: &[i8],
    rows: usize,
    k: usize,
    nb: usize,
    out: &mut [i8],
) -> Result<(), KernelError> {
    if !(1..=4).contains(&nb) {
        return Err(KernelError::Param("dot-product block of 1 to 4 vectors"));
    }
    pack_vectors(weights, rows, k, 4, nb, out)
}

/// Filters `[rows][k]` for the 8-bit matrix-multiply (`SMMLA`) kernel: blocks of `2 nv` rows;
/// for each group of 8 values (`j`), `nv` vectors of 2 rows x 8 values (the second operand of
/// one `SMMLA`):
/// `out[((b * k8 + j) * nv + v) * 16 + 8 r + i] = weights[(2 (b nv + v) + r) * k + 8 j + i]`,
/// with `k8 = kpad(k) / 8`; values past a row's end and rows past `rows` are 0.
///
/// # Errors
/// [`KernelError::Length`] unless `weights.len() == rows * k`, `nv` is 2, 4, 6 or 8 and
/// `out.len() == ceil(rows / (2 nv)) * kpad(k) * 2 nv`.
pub fn pack_mm(
    weights: &[i8],
    rows: usize,
    k: usize,
    nv: usize,
    out: &mut [i8],
) -> Result<(), KernelError> {
    if !matches!(nv, 2 | 4 | 6 | 8) {
        return Err(KernelError::Param(
            "matrix-multiply block of 2, 4, 6 or 8 vectors",
        ));
    }
    pack_vectors(weights, rows, k, 8, nv, out)
}

/// The layout shared by [`pack_dot`] (`group` 4) and [`pack_mm`] (`group` 8): each 16-byte
/// vector holds `group` consecutive values of `16 / group` consecutive rows; blocks of
/// `nv` such vectors (`16 nv / group` rows) for each group of values `j`:
/// `out[((b * kg + j) * nv + v) * 16 + group r + i] = weights[(n (b nv + v) + r) * k + group j + i]`
/// with `n = 16 / group` and `kg = kpad(k) / group`.
fn pack_vectors(
    weights: &[i8],
    rows: usize,
    k: usize,
    group: usize,
    nv: usize,
    out: &mut [i8],
) -> Result<(), KernelError> {
    crate::error::check_len("filters", rows.saturating_mul(k), weights.len())?;
    let (per_vector, kg) = (16 / group, kpad(k) / group);
    let block = per_vector * nv;
    crate::error::check_len(
        "packed filters",
        rows.div_ceil(block) * kpad(k) * block,
        out.len(),
    )?;
    out.fill(0);
    for (row, filter) in weights.chunks_exact(k.max(1)).enumerate().take(rows) {
        let (b, v, r) = (row / block, (row % block) / per_vector, row % per_vector);
        for (j, values) in filter.chunks(group).enumerate() {
            let at = ((b * kg + j) * nv + v) * 16 + group * r;
            if let Some(dst) = out.get_mut(at..at + values.len()) {
                dst.copy_from_slice(values);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c16_layout() {
        // 5 rows of 18 values: 2 blocks, 2 chunks.
        let w: Vec<i8> = (0..90).map(|i| (i % 100) as i8).collect();
        let mut out = vec![0i8; 2 * 32 * 4];
        pack_c16(&w, 5, 18, &mut out).unwrap();
        assert_eq!(out[0], w[0]);
        assert_eq!(out[16], w[18]); // row 1, chunk 0
        assert_eq!(out[64], w[16]); // row 0, chunk 1
        assert_eq!(out[65], w[17]);
        assert_eq!(out[66], 0); // padding
        assert_eq!(out[128], w[72]); // row 4 = block 1 row 0
        assert_eq!(out[128 + 16], 0); // row 5 does not exist
        assert!(pack_c16(&w, 5, 18, &mut out[1..]).is_err());
    }

    #[test]
    fn dot_layout() {
        // 6 rows of 5 values, nb = 2: one block of 8 rows, k4 = 4.
        let w: Vec<i8> = (0..30).map(|i| i as i8 + 1).collect();
        let mut out = vec![0i8; 16 * 8];
        pack_dot(&w, 6, 5, 2, &mut out).unwrap();
        assert_eq!(&out[0..4], &w[0..4]); // row 0, values 0..4
        assert_eq!(&out[4..8], &w[5..9]); // row 1
        assert_eq!(&out[16..20], &w[20..24]); // v = 1: row 4
        assert_eq!(&out[24..28], &[0; 4]); // row 6 absent
        assert_eq!(out[32], w[4]); // j = 1, row 0, value 4
        assert_eq!(out[33], 0);
        assert!(pack_dot(&w, 6, 5, 5, &mut out).is_err());
    }

    #[test]
    fn mm_layout() {
        // 5 rows of 10 values, nv = 2: one block of 4 rows, k8 = 2 (kpad 16).
        let w: Vec<i8> = (0..50).map(|i| i as i8 + 1).collect();
        let mut out = vec![0i8; 2 * 16 * 4];
        pack_mm(&w, 5, 10, 2, &mut out).unwrap();
        assert_eq!(&out[0..8], &w[0..8]); // row 0, values 0..8
        assert_eq!(&out[8..16], &w[10..18]); // row 1
        assert_eq!(&out[16..24], &w[20..28]); // v = 1: row 2
        assert_eq!(&out[32..34], &w[8..10]); // j = 1, row 0, values 8..10
        assert_eq!(out[34], 0);
        assert_eq!(&out[64..72], &w[40..48]); // block 1: row 4
        assert_eq!(&out[72..80], &[0; 8]); // row 5 absent
        assert!(pack_mm(&w, 5, 10, 3, &mut out).is_err());
    }

    #[test]
    fn pairs_fit() {
        assert!(pairs_fit_int16(&[127, -127, 0]));
        assert!(!pairs_fit_int16(&[1, -128]));
    }
}
