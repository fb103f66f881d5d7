// Items shared by the emulated oracle runners (`tests/cortex-m`, `tests/aarch64`,
// `tests/riscv64`), included with `include!` into each runner's main module before the generated
// `cases.rs` (`nnd_tests::runner_gen`), which calls them. `KernelError` must be in scope.

/// Why a case failed.
#[derive(Debug)]
enum Failure {
    /// The arena is smaller than the case's `ARENA_BYTES` (a runner bug).
    Arena,
    /// `run` returned an error (printed with `Debug`).
    Kernel(#[allow(dead_code)] KernelError),
    /// Output `.0` differs from TFLM's: first index, got, want (as bytes).
    Differ(usize, (usize, i64, i64)),
    /// Step `.0` of a sequence (a stateful network) differs from TFLM's: first index, got,
    /// want (printed with `Debug`).
    #[allow(dead_code)]
    Step(usize, (usize, i64, i64)),
}

/// A nested array of `T` as a flat slice.
fn flat<T, A>(a: &A) -> &[T] {
    // SAFETY: `A` is a (nested) array of `T`: `size_of::<A>() / size_of::<T>()` contiguous,
    // initialised `T`s starting at `a`, borrowed for the returned lifetime.
    unsafe {
        core::slice::from_raw_parts(
            (a as *const A).cast::<T>(),
            core::mem::size_of::<A>() / core::mem::size_of::<T>(),
        )
    }
}

/// A nested array of `T` as a flat mutable slice.
fn flat_mut<T, A>(a: &mut A) -> &mut [T] {
    // SAFETY: as for `flat`, with the unique borrow of `a`.
    unsafe {
        core::slice::from_raw_parts_mut(
            (a as *mut A).cast::<T>(),
            core::mem::size_of::<A>() / core::mem::size_of::<T>(),
        )
    }
}

fn fill_i8(dst: &mut [i8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s as i8;
    }
}

// Unused in a runner part without 16x8 cases (`NND_RUNNER_SHARD`).
#[allow(dead_code)]
fn fill_i16(dst: &mut [i16], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
        if let &[a, b] = s {
            *d = i16::from_le_bytes([a, b]);
        }
    }
}

/// The runner's arena as `i16` elements from its first even address (a 16x8 network's arena is
/// `[i16; ARENA_BYTES / 2]`).
#[allow(dead_code)]
fn arena_i16(arena: &mut [i8]) -> &mut [i16] {
    // SAFETY: every bit pattern is a valid `i16`, and `align_to_mut` returns only the part of
    // `arena` that is aligned for `i16`, borrowed uniquely for the returned lifetime.
    let (_, mid, _) = unsafe { arena.align_to_mut::<i16>() };
    mid
}

// Unused in a runner part without 16x8 cases (`NND_RUNNER_SHARD`).
#[allow(dead_code)]
fn differ_i16(got: &[i16], want: &[u8]) -> Option<(usize, i64, i64)> {
    if got.len() * 2 != want.len() {
        return Some((0, got.len() as i64, (want.len() / 2) as i64));
    }
    got.iter()
        .zip(want.chunks_exact(2))
        .position(|(g, w)| g.to_le_bytes() != w)
        .map(|i| {
            let w = want.get(2 * i..2 * i + 2).unwrap_or(&[0; 2]);
            (i, i64::from(got[i]), i64::from(i16::from_le_bytes([w[0], w[1]])))
        })
}

// Unused in a runner part without float cases (`NND_RUNNER_SHARD`).
#[allow(dead_code)]
fn fill_f32(dst: &mut [f32], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(4)) {
        if let &[a, b, c, e] = s {
            *d = f32::from_le_bytes([a, b, c, e]);
        }
    }
}

fn differ_i8(got: &[i8], want: &[u8]) -> Option<(usize, i64, i64)> {
    if got.len() != want.len() {
        return Some((
            got.len().min(want.len()),
            got.len() as i64,
            want.len() as i64,
        ));
    }
    got.iter()
        .zip(want)
        .position(|(g, w)| *g != *w as i8)
        .map(|i| (i, i64::from(got[i]), i64::from(want[i] as i8)))
}

/// f32 outputs compare bit patterns (TFLM's dequantize is exact).
// Unused in a runner part without float cases (`NND_RUNNER_SHARD`).
#[allow(dead_code)]
fn differ_f32(got: &[f32], want: &[u8]) -> Option<(usize, i64, i64)> {
    if got.len() * 4 != want.len() {
        return Some((0, got.len() as i64, (want.len() / 4) as i64));
    }
    got.iter()
        .zip(want.chunks_exact(4))
        .position(|(g, w)| g.to_le_bytes() != w)
        .map(|i| {
            let w = want.get(4 * i..4 * i + 4).unwrap_or(&[0; 4]);
            (
                i,
                i64::from(got[i].to_bits()),
                i64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
            )
        })
}

/// Runs one case in the given arena.
type Runner = fn(&mut [i8]) -> Result<(), Failure>;

