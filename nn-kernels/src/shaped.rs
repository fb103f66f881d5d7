//! Shapes computed in the types: a hand-written kernel chain whose layers do not connect is
//! rejected by `cargo check`.
//!
//! [`typed`](crate::typed) (what the generated code calls) takes every dimension, output
//! dimensions included, as an independent const generic, so a hand-composed call with a wrong
//! output size compiles and fails at run time. Stable Rust cannot do arithmetic on const
//! generics; [`typenum`] can, on type-level integers (`U3 = UInt<UInt<UTerm, B1>, B1>`). Here:
//!
//! - Every operand carries its dimensions as typenum types: [`Tensor`] / [`TensorMut`]
//!   (`H` rows, `W` columns, `C` channels of `i8`, NHWC without the batch), [`ConvFilter`],
//!   [`DepthwiseFilter`] (with its depth multiplier `M`), [`DenseWeights`] and [`Channels`]
//!   (biases, multipliers, shifts). They wrap a slice (one pointer and a length, no copy) and are
//!   made from plain arrays (`from_array`, infallible: `[[[i8; 8]; 10]; 10]` becomes a
//!   `Tensor<U10, U10, U8>` through typenum's `Const<N>: ToUInt` mapping, `N <= 1024`) or from
//!   slices (`from_slice`, `None` when the length is not the product of the dimensions).
//! - Kernel size, stride, dilation and padding mode ([`Valid`], [`Same`]) are types too
//!   ([`Window`], [`Pool`]); the output height and width are computed from them with TFLite's
//!   arithmetic ([`OutSize`]): VALID `(in - ((k - 1) * d + 1)) / s + 1`, SAME `ceil(in / s)`,
//!   and the SAME padding before the data is `floor(total / 2)` of
//!   `total = max(0, (out - 1) * s + (k - 1) * d + 1 - in)`, as TFLite's
//!   `ComputePaddingHeightWidth`.
//! - The output buffer's type must equal the computed one: a wrong output size, a channel count
//!   that does not match the next layer's filter, a dense layer whose input size is not the
//!   flattened size before it, a VALID window larger than its input, a zero stride: all are
//!   type errors.
//!
//! Every function calls the slice kernel the generated code calls (`conv2d_s8`,
//! `depthwise_conv2d_s8`, ...), so the results are those of [`typed`](crate::typed) and of the
//! generated modules by construction. The slice kernels still check the lengths at entry; with
//! these types the checks cannot fail.
//!
//! ```
//! use nn_kernels::shaped::typenum::{U1, U2};
//! use nn_kernels::shaped::{conv2d, max_pool2d, Channels, ConvFilter, Pool, Quant, Tensor,
//!     TensorMut, Valid, Window};
//!
//! let input = [[[1i8; 3]; 10]; 10];
//! let filter = [[[[1i8; 3]; 3]; 3]; 8];
//! let (mult, shift) = ([1 << 30; 8], [0; 8]);
//! let quant = Quant {
//!     input_offset: 0,
//!     output_offset: 0,
//!     multiplier: Channels::from_array(&mult),
//!     shift: Channels::from_array(&shift),
//!     act: [-128, 127],
//! };
//! // 10x10x3, 3x3 kernel, stride 1, VALID: 8x8x8.
//! let mut features = [[[0i8; 8]; 8]; 8];
//! conv2d(
//!     Window::<U1, U1, Valid>::new(),
//!     &quant,
//!     Tensor::from_array(&input),
//!     ConvFilter::from_array(&filter),
//!     None,
//!     TensorMut::from_array(&mut features),
//! )?;
//! // 2x2 max pooling, stride 2: 4x4x8.
//! let mut pooled = [[[0i8; 8]; 4]; 4];
//! max_pool2d(
//!     Pool::<U2, U2, U2, U2, Valid>::new(),
//!     [-128, 127],
//!     Tensor::from_array(&features),
//!     TensorMut::from_array(&mut pooled),
//! )?;
//! assert_eq!(pooled[0][0][0], 14); // 27 taps of 1, times 0.5, rounded
//! # Ok::<(), nn_kernels::KernelError>(())
//! ```
//!
//! A `[[[0i8; 8]; 9]; 9]` feature buffer instead is rejected by `cargo check` (expected
//! `UInt<UInt<UInt<UInt<UTerm, B1>, B0>, B0>, B0>` (8), found `...B1>, B0>, B0>, B1>` (9));
//! docs/kernels.md explains how to read such errors.

// typenum shapes are nested types by nature (`Quot<Sub1<Sum<In, S>>, S>`); naming every one
// would hide the arithmetic the signatures are meant to show.
#![allow(clippy::type_complexity)]

use core::fmt;
use core::marker::PhantomData;
use core::ops::{Add, Div, Mul, Sub};

pub use typenum;
use typenum::{Add1, Const, Diff, NonZero, Prod, Quot, Sub1, Sum, ToUInt, Unsigned, B1, U1};

use crate::add::{add_s8, AddParams};
use crate::avg_pool2d::avg_pool2d_s8;
use crate::conv2d::{conv2d_s8, Conv2dParams};
use crate::depthwise_conv2d::{depthwise_conv2d_s8, DepthwiseConv2dParams};
use crate::fully_connected::{fully_connected_s8, FullyConnectedParams};
use crate::logistic::{logistic_s8, LogisticParams};
use crate::max_pool2d::{max_pool2d_s8, Pool2dParams};
use crate::relu::{relu6_s8, relu_s8, Relu6Params, ReluParams};
use crate::softmax::{softmax_s8, SoftmaxParams};
use crate::KernelResult;

/// Product of dimensions, `None` on overflow.
fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// `slice` when its length is the product of `dims`.
fn checked<'a, T>(slice: &'a [T], dims: &[usize]) -> Option<&'a [T]> {
    (Some(slice.len()) == product(dims)).then_some(slice)
}

/// Mutable counterpart of [`checked`].
fn checked_mut<'a, T>(slice: &'a mut [T], dims: &[usize]) -> Option<&'a mut [T]> {
    if Some(slice.len()) == product(dims) {
        Some(slice)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Operands.

/// An int8 activation tensor of one image, `H` rows of `W` pixels of `C` channels (typenum
/// dimensions), borrowed from an array or a slice (NHWC without the batch, row-major).
///
/// A vector is a `Tensor<U1, U1, N>` ([`Vector`]).
#[derive(Clone, Copy)]
pub struct Tensor<'a, H, W, C> {
    data: &'a [i8],
    shape: PhantomData<fn() -> (H, W, C)>,
}

/// Mutable counterpart of [`Tensor`]: the buffer a kernel writes.
pub struct TensorMut<'a, H, W, C> {
    data: &'a mut [i8],
    shape: PhantomData<fn() -> (H, W, C)>,
}

/// A vector of `N` int8 values: a `1 x 1 x N` [`Tensor`].
pub type Vector<'a, N> = Tensor<'a, U1, U1, N>;

/// Mutable counterpart of [`Vector`].
pub type VectorMut<'a, N> = TensorMut<'a, U1, U1, N>;

impl<H: Unsigned, W: Unsigned, C: Unsigned> fmt::Debug for Tensor<'_, H, W, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{}, {}, {}>", H::USIZE, W::USIZE, C::USIZE)
    }
}

impl<H: Unsigned, W: Unsigned, C: Unsigned> fmt::Debug for TensorMut<'_, H, W, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TensorMut<{}, {}, {}>", H::USIZE, W::USIZE, C::USIZE)
    }
}

impl<'a, H: Unsigned, W: Unsigned, C: Unsigned> Tensor<'a, H, W, C> {
    /// The tensor stored in `array` (no copy). The dimensions are the array's, as typenum
    /// types (`[[[i8; 8]; 10]; 10]` gives `Tensor<U10, U10, U8>`).
    #[must_use]
    pub fn from_array<const NH: usize, const NW: usize, const NC: usize>(
        array: &'a [[[i8; NC]; NW]; NH],
    ) -> Self
    where
        Const<NH>: ToUInt<Output = H>,
        Const<NW>: ToUInt<Output = W>,
        Const<NC>: ToUInt<Output = C>,
    {
        Tensor {
            data: array.as_flattened().as_flattened(),
            shape: PhantomData,
        }
    }

    /// `data` as an `H x W x C` tensor, or `None` when `data.len() != H * W * C`.
    #[must_use]
    pub fn from_slice(data: &'a [i8]) -> Option<Self> {
        Some(Tensor {
            data: checked(data, &[H::USIZE, W::USIZE, C::USIZE])?,
            shape: PhantomData,
        })
    }

    /// The `H * W * C` values, row-major.
    #[must_use]
    pub fn as_slice(&self) -> &'a [i8] {
        self.data
    }

    /// The same values as a vector of `H * W * C` (TFLite's RESHAPE to `[1, -1]`, the
    /// `flatten` of the `.nnd` language), computed in the type.
    #[must_use]
    pub fn flatten(self) -> Vector<'a, Prod<Prod<H, W>, C>>
    where
        H: Mul<W>,
        Prod<H, W>: Mul<C>,
    {
        Tensor {
            data: self.data,
            shape: PhantomData,
        }
    }

    /// The same values with another shape of as many elements (`H2 * W2 * C2 == H * W * C`,
    /// checked in the types).
    #[must_use]
    pub fn reshape<H2, W2, C2>(self) -> Tensor<'a, H2, W2, C2>
    where
        H: Mul<W>,
        Prod<H, W>: Mul<C>,
        H2: Mul<W2>,
        Prod<H2, W2>: Mul<C2, Output = Prod<Prod<H, W>, C>>,
    {
        Tensor {
            data: self.data,
            shape: PhantomData,
        }
    }
}

impl<'a, N: Unsigned> Tensor<'a, U1, U1, N> {
    /// The vector stored in `array` (no copy): `[i8; 12]` gives `Vector<U12>`.
    #[must_use]
    pub fn from_vector<const NN: usize>(array: &'a [i8; NN]) -> Self
    where
        Const<NN>: ToUInt<Output = N>,
    {
        Tensor {
            data: array,
            shape: PhantomData,
        }
    }
}

impl<'a, H: Unsigned, W: Unsigned, C: Unsigned> TensorMut<'a, H, W, C> {
    /// The output buffer `array` (no copy), with the array's dimensions as typenum types.
    #[must_use]
    pub fn from_array<const NH: usize, const NW: usize, const NC: usize>(
        array: &'a mut [[[i8; NC]; NW]; NH],
    ) -> Self
    where
        Const<NH>: ToUInt<Output = H>,
        Const<NW>: ToUInt<Output = W>,
        Const<NC>: ToUInt<Output = C>,
    {
        TensorMut {
            data: array.as_flattened_mut().as_flattened_mut(),
            shape: PhantomData,
        }
    }

    /// `data` as an `H x W x C` output buffer, or `None` when `data.len() != H * W * C`. The
    /// dimensions can be left to inference: the kernel the buffer is passed to fixes them.
    #[must_use]
    pub fn from_slice(data: &'a mut [i8]) -> Option<Self> {
        Some(TensorMut {
            data: checked_mut(data, &[H::USIZE, W::USIZE, C::USIZE])?,
            shape: PhantomData,
        })
    }

    /// The values written so far, read-only (the input of the next layer).
    #[must_use]
    pub fn as_tensor(&self) -> Tensor<'_, H, W, C> {
        Tensor {
            data: self.data,
            shape: PhantomData,
        }
    }

    /// A shorter-lived handle on the same buffer (to pass it to a kernel and keep it).
    #[must_use]
    pub fn reborrow(&mut self) -> TensorMut<'_, H, W, C> {
        TensorMut {
            data: self.data,
            shape: PhantomData,
        }
    }

    /// The `H * W * C` values, row-major.
    #[must_use]
    pub fn as_mut_slice(&mut self) -> &mut [i8] {
        self.data
    }

    /// The same buffer as a vector of `H * W * C` values.
    #[must_use]
    pub fn flatten(self) -> VectorMut<'a, Prod<Prod<H, W>, C>>
    where
        H: Mul<W>,
        Prod<H, W>: Mul<C>,
    {
        TensorMut {
            data: self.data,
            shape: PhantomData,
        }
    }
}

impl<'a, N: Unsigned> TensorMut<'a, U1, U1, N> {
    /// The output vector `array` (no copy).
    #[must_use]
    pub fn from_vector<const NN: usize>(array: &'a mut [i8; NN]) -> Self
    where
        Const<NN>: ToUInt<Output = N>,
    {
        TensorMut {
            data: array,
            shape: PhantomData,
        }
    }
}

/// `N` per-channel values (biases, Q31 multipliers, shifts), borrowed.
#[derive(Clone, Copy)]
pub struct Channels<'a, T, N> {
    data: &'a [T],
    len: PhantomData<fn() -> N>,
}

impl<T, N> fmt::Debug for Channels<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Channels<{}>", self.data.len())
    }
}

impl<'a, T, N: Unsigned> Channels<'a, T, N> {
    /// The values of `array` (no copy): `[i32; 8]` gives `Channels<i32, U8>`.
    #[must_use]
    pub fn from_array<const NN: usize>(array: &'a [T; NN]) -> Self
    where
        Const<NN>: ToUInt<Output = N>,
    {
        Channels {
            data: array,
            len: PhantomData,
        }
    }

    /// `data` as `N` values, or `None` when `data.len() != N`.
    #[must_use]
    pub fn from_slice(data: &'a [T]) -> Option<Self> {
        Some(Channels {
            data: checked(data, &[N::USIZE])?,
            len: PhantomData,
        })
    }

    /// The values.
    #[must_use]
    pub fn as_slice(&self) -> &'a [T] {
        self.data
    }
}

/// Convolution filters, TFLite's OHWI layout: `OC` filters of `KH x KW x C`.
#[derive(Clone, Copy)]
pub struct ConvFilter<'a, OC, KH, KW, C> {
    data: &'a [i8],
    shape: PhantomData<fn() -> (OC, KH, KW, C)>,
}

impl<OC: Unsigned, KH: Unsigned, KW: Unsigned, C: Unsigned> fmt::Debug
    for ConvFilter<'_, OC, KH, KW, C>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ConvFilter<{}, {}, {}, {}>",
            OC::USIZE,
            KH::USIZE,
            KW::USIZE,
            C::USIZE
        )
    }
}

impl<'a, OC: Unsigned, KH: Unsigned, KW: Unsigned, C: Unsigned> ConvFilter<'a, OC, KH, KW, C> {
    /// The filters in `array` (no copy): `[[[[i8; 3]; 3]; 3]; 8]` gives
    /// `ConvFilter<U8, U3, U3, U3>`.
    #[must_use]
    pub fn from_array<const NOC: usize, const NKH: usize, const NKW: usize, const NC: usize>(
        array: &'a [[[[i8; NC]; NKW]; NKH]; NOC],
    ) -> Self
    where
        Const<NOC>: ToUInt<Output = OC>,
        Const<NKH>: ToUInt<Output = KH>,
        Const<NKW>: ToUInt<Output = KW>,
        Const<NC>: ToUInt<Output = C>,
    {
        ConvFilter {
            data: array.as_flattened().as_flattened().as_flattened(),
            shape: PhantomData,
        }
    }

    /// `data` as `OC x KH x KW x C` filters, or `None` when the length differs.
    #[must_use]
    pub fn from_slice(data: &'a [i8]) -> Option<Self> {
        Some(ConvFilter {
            data: checked(data, &[OC::USIZE, KH::USIZE, KW::USIZE, C::USIZE])?,
            shape: PhantomData,
        })
    }
}

/// Depthwise filters, TFLite's layout without the leading 1: `KH x KW x (C * M)`, `M` filters per
/// input channel (the depth multiplier).
///
/// `C` and `M` cannot be read off an array whose last dimension is `C * M`; name them:
/// `DepthwiseFilter::<_, _, U8, U1>::from_array(&filter)`.
#[derive(Clone, Copy)]
pub struct DepthwiseFilter<'a, KH, KW, C, M> {
    data: &'a [i8],
    shape: PhantomData<fn() -> (KH, KW, C, M)>,
}

impl<KH: Unsigned, KW: Unsigned, C: Unsigned, M: Unsigned> fmt::Debug
    for DepthwiseFilter<'_, KH, KW, C, M>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DepthwiseFilter<{}, {}, {}, {}>",
            KH::USIZE,
            KW::USIZE,
            C::USIZE,
            M::USIZE
        )
    }
}

impl<'a, KH: Unsigned, KW: Unsigned, C: Unsigned, M: Unsigned> DepthwiseFilter<'a, KH, KW, C, M> {
    /// The filters in `array` (no copy); its last dimension must be `C * M`.
    #[must_use]
    pub fn from_array<const NKH: usize, const NKW: usize, const NOC: usize>(
        array: &'a [[[i8; NOC]; NKW]; NKH],
    ) -> Self
    where
        C: Mul<M>,
        Const<NKH>: ToUInt<Output = KH>,
        Const<NKW>: ToUInt<Output = KW>,
        Const<NOC>: ToUInt<Output = Prod<C, M>>,
    {
        DepthwiseFilter {
            data: array.as_flattened().as_flattened(),
            shape: PhantomData,
        }
    }

    /// `data` as `KH x KW x (C * M)` filters, or `None` when the length differs.
    #[must_use]
    pub fn from_slice(data: &'a [i8]) -> Option<Self> {
        let oc = C::USIZE.checked_mul(M::USIZE)?;
        Some(DepthwiseFilter {
            data: checked(data, &[KH::USIZE, KW::USIZE, oc])?,
            shape: PhantomData,
        })
    }
}

/// Dense (fully connected) weights, TFLite's layout: `OUT` rows of `IN`.
#[derive(Clone, Copy)]
pub struct DenseWeights<'a, OUT, IN> {
    data: &'a [i8],
    shape: PhantomData<fn() -> (OUT, IN)>,
}

impl<OUT: Unsigned, IN: Unsigned> fmt::Debug for DenseWeights<'_, OUT, IN> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DenseWeights<{}, {}>", OUT::USIZE, IN::USIZE)
    }
}

impl<'a, OUT: Unsigned, IN: Unsigned> DenseWeights<'a, OUT, IN> {
    /// The weights in `array` (no copy): `[[i8; 200]; 10]` gives `DenseWeights<U10, U200>`.
    #[must_use]
    pub fn from_array<const NOUT: usize, const NIN: usize>(array: &'a [[i8; NIN]; NOUT]) -> Self
    where
        Const<NOUT>: ToUInt<Output = OUT>,
        Const<NIN>: ToUInt<Output = IN>,
    {
        DenseWeights {
            data: array.as_flattened(),
            shape: PhantomData,
        }
    }

    /// `data` as `OUT x IN` weights, or `None` when the length differs (the way in for a layer
    /// wider than 1024, which typenum's array mapping does not reach).
    #[must_use]
    pub fn from_slice(data: &'a [i8]) -> Option<Self> {
        Some(DenseWeights {
            data: checked(data, &[OUT::USIZE, IN::USIZE])?,
            shape: PhantomData,
        })
    }
}

/// Requantisation constants of a convolution or dense layer with `N` multipliers (`N` output
/// channels; a dense layer may also have one, per-tensor).
#[derive(Clone, Copy, Debug)]
pub struct Quant<'a, N> {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multipliers.
    pub multiplier: Channels<'a, i32, N>,
    /// Shifts (positive: left).
    pub shift: Channels<'a, i32, N>,
    /// `[min, max]` clamp of the fused activation.
    pub act: [i32; 2],
}

// ---------------------------------------------------------------------------------------------
// Window arithmetic.

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Valid {}
    impl Sealed for super::Same {}
}

/// TFLite's VALID padding: no padding, `(in - ((k - 1) * d + 1)) / s + 1` outputs; a window
/// larger than the input does not compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Valid;

/// TFLite's SAME padding: `ceil(in / s)` outputs, `floor(total / 2)` padding before the data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Same;

/// `(k - 1) * d + 1`, the extent of a dilated window.
pub type EffectiveKernel<K, D> = Add1<Prod<Sub1<K>, D>>;

/// A padding mode ([`Valid`] or [`Same`]; sealed) applied to one spatial dimension: `In` inputs,
/// kernel `K`, stride `S`, dilation `D`. Implemented only when the output is not empty and
/// `K`, `S`, `D` are not zero.
pub trait PaddingMode<In, K, S, D>: sealed::Sealed {
    /// The number of outputs.
    type Output: Unsigned;
    /// Padding before the data (top or left), as TFLite computes it.
    const BEFORE: usize;
}

/// The output size of one spatial dimension: `<P as PaddingMode<In, K, S, D>>::Output`.
pub type OutSize<P, In, K, S, D> = <P as PaddingMode<In, K, S, D>>::Output;

/// TFLite's `ComputePaddingWithOffset`: `max(0, (out - 1) * s + (k - 1) * d + 1 - in) / 2`.
const fn pad_before(input: usize, k: usize, s: usize, d: usize, out: usize) -> usize {
    let eff = k.saturating_sub(1).saturating_mul(d).saturating_add(1);
    let needed = out.saturating_sub(1).saturating_mul(s).saturating_add(eff);
    needed.saturating_sub(input) / 2
}

impl<In, K, S, D> PaddingMode<In, K, S, D> for Valid
where
    In: Unsigned + Sub<EffectiveKernel<K, D>>,
    K: Unsigned + NonZero + Sub<B1>,
    S: Unsigned + NonZero,
    D: Unsigned + NonZero,
    Sub1<K>: Mul<D>,
    Prod<Sub1<K>, D>: Add<B1>,
    Diff<In, EffectiveKernel<K, D>>: Div<S>,
    Quot<Diff<In, EffectiveKernel<K, D>>, S>: Add<B1>,
    Add1<Quot<Diff<In, EffectiveKernel<K, D>>, S>>: Unsigned,
{
    type Output = Add1<Quot<Diff<In, EffectiveKernel<K, D>>, S>>;
    const BEFORE: usize = 0;
}

impl<In, K, S, D> PaddingMode<In, K, S, D> for Same
where
    In: Unsigned + NonZero + Add<S>,
    K: Unsigned + NonZero,
    S: Unsigned + NonZero,
    D: Unsigned + NonZero,
    Sum<In, S>: Sub<B1>,
    Sub1<Sum<In, S>>: Div<S>,
    Quot<Sub1<Sum<In, S>>, S>: Unsigned,
{
    type Output = Quot<Sub1<Sum<In, S>>, S>;
    const BEFORE: usize = pad_before(
        In::USIZE,
        K::USIZE,
        S::USIZE,
        D::USIZE,
        <Self::Output as Unsigned>::USIZE,
    );
}

/// Stride `SH x SW`, padding mode `P` and dilation `DH x DW` (1 by default) of a convolution.
/// Zero-sized: `Window::<U2, U2, Same>::new()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window<SH, SW, P, DH = U1, DW = U1> {
    geometry: PhantomData<fn() -> (SH, SW, P, DH, DW)>,
}

impl<SH, SW, P, DH, DW> Window<SH, SW, P, DH, DW> {
    /// The window (it holds nothing: everything is in the type).
    #[must_use]
    pub const fn new() -> Self {
        Window {
            geometry: PhantomData,
        }
    }
}

/// Window `KH x KW`, stride `SH x SW` and padding mode `P` of a pooling layer. Zero-sized:
/// `Pool::<U2, U2, U2, U2, Valid>::new()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pool<KH, KW, SH, SW, P> {
    geometry: PhantomData<fn() -> (KH, KW, SH, SW, P)>,
}

impl<KH, KW, SH, SW, P> Pool<KH, KW, SH, SW, P> {
    /// The pooling window (it holds nothing: everything is in the type).
    #[must_use]
    pub const fn new() -> Self {
        Pool {
            geometry: PhantomData,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kernels.

/// 2-D convolution of one image: `H x W x C` in, `OC` filters of `KH x KW x C`, output
/// `OutSize<P, H, KH, SH, DH> x OutSize<P, W, KW, SW, DW> x OC`.
///
/// # Errors
/// [`KernelError`](crate::KernelError) from `conv2d_s8` on a shift outside -31..=31 (the shapes
/// are right by type).
pub fn conv2d<H, W, C, KH, KW, OC, SH, SW, P, DH, DW>(
    window: Window<SH, SW, P, DH, DW>,
    quant: &Quant<'_, OC>,
    input: Tensor<'_, H, W, C>,
    filter: ConvFilter<'_, OC, KH, KW, C>,
    bias: Option<Channels<'_, i32, OC>>,
    output: TensorMut<'_, OutSize<P, H, KH, SH, DH>, OutSize<P, W, KW, SW, DW>, OC>,
) -> KernelResult
where
    H: Unsigned,
    W: Unsigned,
    C: Unsigned,
    KH: Unsigned,
    KW: Unsigned,
    OC: Unsigned,
    SH: Unsigned,
    SW: Unsigned,
    DH: Unsigned,
    DW: Unsigned,
    P: PaddingMode<H, KH, SH, DH> + PaddingMode<W, KW, SW, DW>,
{
    let _ = window;
    let p = Conv2dParams {
        batches: 1,
        input_h: H::USIZE,
        input_w: W::USIZE,
        input_c: C::USIZE,
        output_h: OutSize::<P, H, KH, SH, DH>::USIZE,
        output_w: OutSize::<P, W, KW, SW, DW>::USIZE,
        output_c: OC::USIZE,
        kernel_h: KH::USIZE,
        kernel_w: KW::USIZE,
        stride_h: SH::USIZE,
        stride_w: SW::USIZE,
        dilation_h: DH::USIZE,
        dilation_w: DW::USIZE,
        pad_top: <P as PaddingMode<H, KH, SH, DH>>::BEFORE,
        pad_left: <P as PaddingMode<W, KW, SW, DW>>::BEFORE,
        input_offset: quant.input_offset,
        output_offset: quant.output_offset,
        output_multiplier: quant.multiplier.data,
        output_shift: quant.shift.data,
        act_min: quant.act[0],
        act_max: quant.act[1],
    };
    conv2d_s8(
        &p,
        input.data,
        filter.data,
        bias.map(|b| b.data),
        output.data,
    )
}

/// Depthwise convolution of one image with depth multiplier `M`: `H x W x C` in, output
/// `OutSize<P, H, KH, SH, DH> x OutSize<P, W, KW, SW, DW> x (C * M)`.
///
/// # Errors
/// [`KernelError`](crate::KernelError) from `depthwise_conv2d_s8` on a shift outside -31..=31.
pub fn depthwise_conv2d<H, W, C, M, KH, KW, SH, SW, P, DH, DW>(
    window: Window<SH, SW, P, DH, DW>,
    quant: &Quant<'_, Prod<C, M>>,
    input: Tensor<'_, H, W, C>,
    filter: DepthwiseFilter<'_, KH, KW, C, M>,
    bias: Option<Channels<'_, i32, Prod<C, M>>>,
    output: TensorMut<'_, OutSize<P, H, KH, SH, DH>, OutSize<P, W, KW, SW, DW>, Prod<C, M>>,
) -> KernelResult
where
    H: Unsigned,
    W: Unsigned,
    C: Unsigned + Mul<M>,
    M: Unsigned,
    KH: Unsigned,
    KW: Unsigned,
    SH: Unsigned,
    SW: Unsigned,
    DH: Unsigned,
    DW: Unsigned,
    P: PaddingMode<H, KH, SH, DH> + PaddingMode<W, KW, SW, DW>,
{
    let _ = window;
    let p = DepthwiseConv2dParams {
        batches: 1,
        input_h: H::USIZE,
        input_w: W::USIZE,
        input_c: C::USIZE,
        depth_multiplier: M::USIZE,
        output_h: OutSize::<P, H, KH, SH, DH>::USIZE,
        output_w: OutSize::<P, W, KW, SW, DW>::USIZE,
        kernel_h: KH::USIZE,
        kernel_w: KW::USIZE,
        stride_h: SH::USIZE,
        stride_w: SW::USIZE,
        dilation_h: DH::USIZE,
        dilation_w: DW::USIZE,
        pad_top: <P as PaddingMode<H, KH, SH, DH>>::BEFORE,
        pad_left: <P as PaddingMode<W, KW, SW, DW>>::BEFORE,
        input_offset: quant.input_offset,
        output_offset: quant.output_offset,
        output_multiplier: quant.multiplier.data,
        output_shift: quant.shift.data,
        act_min: quant.act[0],
        act_max: quant.act[1],
    };
    depthwise_conv2d_s8(
        &p,
        input.data,
        filter.data,
        bias.map(|b| b.data),
        output.data,
    )
}

/// Fully connected layer on the last dimension (as TFLite applies FULLY_CONNECTED): each of the
/// `H * W` rows of `IN` values becomes `OUT` values. On a vector: `H = W = 1` ([`Vector`],
/// [`Tensor::flatten`]). Symmetric int8 weights (zero point 0, as TFLite requires).
///
/// `N` is `OUT` (per-channel) or 1 (per-tensor).
///
/// # Errors
/// [`KernelError::Param`](crate::KernelError::Param) when `N` is neither 1 nor `OUT`; a shift
/// outside -31..=31.
pub fn dense<H, W, IN, OUT, N>(
    quant: &Quant<'_, N>,
    input: Tensor<'_, H, W, IN>,
    weights: DenseWeights<'_, OUT, IN>,
    bias: Option<Channels<'_, i32, OUT>>,
    output: TensorMut<'_, H, W, OUT>,
) -> KernelResult
where
    H: Unsigned,
    W: Unsigned,
    IN: Unsigned,
    OUT: Unsigned,
    N: Unsigned,
{
    let p = FullyConnectedParams {
        batches: H::USIZE.saturating_mul(W::USIZE),
        depth: IN::USIZE,
        units: OUT::USIZE,
        input_offset: quant.input_offset,
        filter_offset: 0,
        output_offset: quant.output_offset,
        output_multiplier: quant.multiplier.data,
        output_shift: quant.shift.data,
        act_min: quant.act[0],
        act_max: quant.act[1],
    };
    fully_connected_s8(
        &p,
        input.data,
        weights.data,
        bias.map(|b| b.data),
        output.data,
    )
}

fn pool_params<H, W, C, KH, KW, SH, SW, P>(act: [i32; 2]) -> Pool2dParams
where
    H: Unsigned,
    W: Unsigned,
    C: Unsigned,
    KH: Unsigned,
    KW: Unsigned,
    SH: Unsigned,
    SW: Unsigned,
    P: PaddingMode<H, KH, SH, U1> + PaddingMode<W, KW, SW, U1>,
{
    Pool2dParams {
        batches: 1,
        input_h: H::USIZE,
        input_w: W::USIZE,
        channels: C::USIZE,
        output_h: OutSize::<P, H, KH, SH, U1>::USIZE,
        output_w: OutSize::<P, W, KW, SW, U1>::USIZE,
        filter_h: KH::USIZE,
        filter_w: KW::USIZE,
        stride_h: SH::USIZE,
        stride_w: SW::USIZE,
        pad_top: <P as PaddingMode<H, KH, SH, U1>>::BEFORE,
        pad_left: <P as PaddingMode<W, KW, SW, U1>>::BEFORE,
        act_min: act[0],
        act_max: act[1],
    }
}

/// Max pooling: `H x W x C` in, `OutSize<P, H, KH, SH, U1> x OutSize<P, W, KW, SW, U1> x C`
/// out, clamped to `act = [min, max]`.
///
/// # Errors
/// None with these types (the slice kernel's checks cannot fail).
pub fn max_pool2d<H, W, C, KH, KW, SH, SW, P>(
    pool: Pool<KH, KW, SH, SW, P>,
    act: [i32; 2],
    input: Tensor<'_, H, W, C>,
    output: TensorMut<'_, OutSize<P, H, KH, SH, U1>, OutSize<P, W, KW, SW, U1>, C>,
) -> KernelResult
where
    H: Unsigned,
    W: Unsigned,
    C: Unsigned,
    KH: Unsigned,
    KW: Unsigned,
    SH: Unsigned,
    SW: Unsigned,
    P: PaddingMode<H, KH, SH, U1> + PaddingMode<W, KW, SW, U1>,
{
    let _ = pool;
    max_pool2d_s8(
        &pool_params::<H, W, C, KH, KW, SH, SW, P>(act),
        input.data,
        output.data,
    )
}

/// Average pooling (TFLite's: padding excluded from the count), shapes as [`max_pool2d`].
///
/// # Errors
/// None with these types (the slice kernel's checks cannot fail).
pub fn avg_pool2d<H, W, C, KH, KW, SH, SW, P>(
    pool: Pool<KH, KW, SH, SW, P>,
    act: [i32; 2],
    input: Tensor<'_, H, W, C>,
    output: TensorMut<'_, OutSize<P, H, KH, SH, U1>, OutSize<P, W, KW, SW, U1>, C>,
) -> KernelResult
where
    H: Unsigned,
    W: Unsigned,
    C: Unsigned,
    KH: Unsigned,
    KW: Unsigned,
    SH: Unsigned,
    SW: Unsigned,
    P: PaddingMode<H, KH, SH, U1> + PaddingMode<W, KW, SW, U1>,
{
    let _ = pool;
    avg_pool2d_s8(
        &pool_params::<H, W, C, KH, KW, SH, SW, P>(act),
        input.data,
        output.data,
    )
}

/// Number of values of an `H x W x C` tensor.
fn count<H: Unsigned, W: Unsigned, C: Unsigned>() -> usize {
    H::USIZE.saturating_mul(W::USIZE).saturating_mul(C::USIZE)
}

/// ReLU with requantisation; the output has the input's shape. `p.len` is ignored (the length
/// is the type's).
///
/// # Errors
/// [`KernelError`](crate::KernelError) on a shift outside -31..=31.
pub fn relu<H: Unsigned, W: Unsigned, C: Unsigned>(
    p: &ReluParams,
    input: Tensor<'_, H, W, C>,
    output: TensorMut<'_, H, W, C>,
) -> KernelResult {
    let p = ReluParams {
        len: count::<H, W, C>(),
        ..*p
    };
    relu_s8(&p, input.data, output.data)
}

/// ReLU6 (a clamp in the quantised domain); the output has the input's shape. `p.len` is
/// ignored.
///
/// # Errors
/// None with these types.
pub fn relu6<H: Unsigned, W: Unsigned, C: Unsigned>(
    p: &Relu6Params,
    input: Tensor<'_, H, W, C>,
    output: TensorMut<'_, H, W, C>,
) -> KernelResult {
    let p = Relu6Params {
        len: count::<H, W, C>(),
        ..*p
    };
    relu6_s8(&p, input.data, output.data)
}

/// Logistic; the output has the input's shape. `p.len` is ignored.
///
/// # Errors
/// None with these types.
pub fn logistic<H: Unsigned, W: Unsigned, C: Unsigned>(
    p: &LogisticParams,
    input: Tensor<'_, H, W, C>,
    output: TensorMut<'_, H, W, C>,
) -> KernelResult {
    let p = LogisticParams {
        len: count::<H, W, C>(),
        ..*p
    };
    logistic_s8(&p, input.data, output.data)
}

/// Element-wise ADD of two tensors of the same shape (no broadcasting here; the slice kernel
/// `add_s8` has it). The shapes in `p` are ignored: they are the type's.
///
/// # Errors
/// [`KernelError`](crate::KernelError) on a shift out of range.
pub fn add<H: Unsigned, W: Unsigned, C: Unsigned>(
    p: &AddParams<'_>,
    a: Tensor<'_, H, W, C>,
    b: Tensor<'_, H, W, C>,
    output: TensorMut<'_, H, W, C>,
) -> KernelResult {
    let shape = [H::USIZE, W::USIZE, C::USIZE];
    let p = AddParams {
        a_shape: &shape,
        b_shape: &shape,
        output_shape: &shape,
        ..*p
    };
    add_s8(&p, a.data, b.data, output.data)
}

/// Softmax over the channels (the last axis) of every pixel; the output has the input's shape.
/// `p.outer` and `p.depth` are ignored (they are `H * W` and `C`).
///
/// # Errors
/// [`KernelError::Param`](crate::KernelError::Param) on a bad left shift.
pub fn softmax<H: Unsigned, W: Unsigned, C: Unsigned>(
    p: &SoftmaxParams,
    input: Tensor<'_, H, W, C>,
    output: TensorMut<'_, H, W, C>,
) -> KernelResult {
    let p = SoftmaxParams {
        outer: H::USIZE.saturating_mul(W::USIZE),
        depth: C::USIZE,
        ..*p
    };
    softmax_s8(&p, input.data, output.data)
}

#[cfg(test)]
mod tests;
