//! Kernels for AArch64 cores with Advanced SIMD (NEON), called by code generated for the
//! `aarch64` and `aarch64-dotprod` targets.
//!
//! They compute exactly what the portable kernels of this crate compute (the reference they are
//! tested against, under `qemu-aarch64`), from constants the compiler lays out at build time:
//! - convolution and fully connected layers are matrix multiplies over rows of `KP` int8 values
//!   (a pixel's receptive field, zero-padded to a multiple of 16). On plain NEON (`aarch64`,
//!   every Armv8-A core) a 4-pixel x 4-channel register block multiplies 16 values per step
//!   with `SMULL` + `SMLAL2` into int16 and `SADALP` into int32; the filters are laid out
//!   16 values of 4 channels at a time ([`pack::pack_c16`]). With the dot-product extension
//!   (`aarch64-dotprod`, compiled only with `-C target-feature=+dotprod`) a 4-pixel x
//!   16-channel block uses `SDOT` by element, on filters laid out 4 values of 16 channels at a
//!   time ([`pack::pack_dot`]);
//! - the int16 partial sums of `SMULL` + `SMLAL` hold two products exactly only when no weight
//!   is -128 (|x w| <= 128 * 127): the compiler checks this for every layer it specialises and
//!   keeps the portable kernel otherwise (TFLite's quantiser never produces -128 weights);
//! - the input zero point is folded into the bias at build time, as on Cortex-M;
//! - requantisation is vectorised and exact ([`Requant`]): `SQRDMULH` is TFLite's saturating
//!   rounding doubling high multiply, and `RoundingDivideByPOT`'s ties-away-from-zero rounding
//!   is `SRSHL` (ties up) after subtracting one from negative values (`SSRA`), which cannot
//!   overflow because the multiplier is non-negative.
//!
//! Every kernel checks its arguments once at entry and returns [`KernelError`] instead of
//! panicking. The constants' layouts ([`pack`]) and [`Requant`] are plain Rust available on
//! every architecture (the compiler runs them on the host); the kernels exist only when
//! compiling for AArch64.

#![allow(unsafe_code)]

pub mod pack;

#[cfg(target_arch = "aarch64")]
pub mod add;
#[cfg(target_arch = "aarch64")]
pub mod conv;
#[cfg(target_arch = "aarch64")]
pub mod depthwise;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "aarch64")]
pub mod pool;
#[cfg(all(test, target_arch = "aarch64"))]
mod tests;

use crate::KernelError;

/// The requantisation of one layer's output channels, padded to `CP` channels (a multiple of the
/// kernel's channel block; padded channels have multiplier 0), plus the output zero point and
/// clamp. Built by [`Requant::new`], which validates every constant, so the kernels need not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant<const CP: usize> {
    /// Bias per channel with the input zero point folded in.
    pub(crate) bias: [i32; CP],
    /// Q31 multiplier per channel (non-negative).
    pub(crate) mult: [i32; CP],
    /// Left shift per channel (`0..=31`).
    pub(crate) left: [i32; CP],
    /// Minus the right shift per channel (`-31..=0`): `SRSHL` by a negative amount shifts right.
    pub(crate) right: [i32; CP],
    /// Every channel shifts right by at least one and none left: one instruction less per
    /// vector (no left shift, and no mask for the tie correction).
    pub(crate) right_only: bool,
    pub(crate) offset: i32,
    pub(crate) min: i32,
    pub(crate) max: i32,
}

impl<const CP: usize> Requant<CP> {
    /// The requantisation for TFLite's per-channel `(multiplier, shift)` pairs (shift positive to
    /// the left), `bias` with the input zero point folded in ([`pack::fold_bias`]), output zero
    /// point `output_offset` and clamp `[act_min, act_max]`.
    ///
    /// # Errors
    /// [`KernelError::Param`] for a negative multiplier, a shift outside `-31..=31`, an output
    /// zero point or clamp bound outside int8, or `act_min > act_max`.
    pub const fn new(
        bias: [i32; CP],
        multiplier: [i32; CP],
        shift: [i32; CP],
        output_offset: i32,
        act_min: i32,
        act_max: i32,
    ) -> Result<Self, KernelError> {
        if output_offset < -128 || output_offset > 127 {
            return Err(KernelError::Param("output zero point outside int8"));
        }
        if act_min < -128 || act_max > 127 || act_min > act_max {
            return Err(KernelError::Param("activation range outside int8"));
        }
        let mut left = [0i32; CP];
        let mut right = [0i32; CP];
        let mut right_only = true;
        let mut i = 0;
        while i < CP {
            let (m, s) = (multiplier[i], shift[i]);
            if m < 0 {
                return Err(KernelError::Param("negative requantisation multiplier"));
            }
            if s < -31 || s > 31 {
                return Err(KernelError::Param("requantisation shift outside -31..=31"));
            }
            if s > 0 {
                left[i] = s;
            } else {
                right[i] = s;
            }
            // A channel with multiplier 0 gives 0 whatever its shift.
            if s >= 0 && m != 0 {
                right_only = false;
            }
            i += 1;
        }
        Ok(Requant {
            bias,
            mult: multiplier,
            left,
            right,
            right_only,
            offset: output_offset,
            min: act_min,
            max: act_max,
        })
    }

    /// Whether every channel shifts right only (the cheaper requantisation path).
    #[must_use]
    pub const fn right_only(&self) -> bool {
        self.right_only
    }
}
