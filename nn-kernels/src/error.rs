//! The one error type of the kernels.

/// Why a kernel refused to run. Kernels check their slices and parameters once, at entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KernelError {
    /// A slice has the wrong length for the shapes in the parameters.
    Length {
        /// Which operand (`"input"`, `"filter"`, `"bias"`, `"output"`, `"multiplier"`, ...).
        operand: &'static str,
        /// Length the parameters require.
        expected: usize,
        /// Length that was passed.
        actual: usize,
    },
    /// A parameter is out of its valid range (zero stride, rank above the maximum, a shift
    /// outside `-31..=31`, an empty pooling window, shapes that do not broadcast, ...).
    Param(&'static str),
}

/// With the `std` feature: a `KernelError` is a `std::error::Error` (for `?` in a `main` that
/// returns `Box<dyn std::error::Error>`).
#[cfg(feature = "std")]
impl std::error::Error for KernelError {}

impl core::fmt::Display for KernelError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KernelError::Length {
                operand,
                expected,
                actual,
            } => write!(f, "{operand}: expected {expected} elements, got {actual}"),
            KernelError::Param(what) => write!(f, "invalid parameter: {what}"),
        }
    }
}

/// Check a slice length.
#[inline]
pub(crate) fn check_len(
    operand: &'static str,
    expected: usize,
    actual: usize,
) -> crate::KernelResult {
    if expected == actual {
        Ok(())
    } else {
        Err(KernelError::Length {
            operand,
            expected,
            actual,
        })
    }
}

/// Multiply sizes, reporting overflow as a parameter error.
#[inline]
pub(crate) fn product(dims: &[usize]) -> Result<usize, KernelError> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or(KernelError::Param("tensor size overflows usize"))
}

/// Check every shift of a per-channel table lies in TFLite's valid range.
#[inline]
pub(crate) fn check_shifts(shifts: &[i32]) -> crate::KernelResult {
    if shifts.iter().all(|s| (-31..=31).contains(s)) {
        Ok(())
    } else {
        Err(KernelError::Param("shift outside -31..=31"))
    }
}
