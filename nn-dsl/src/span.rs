//! Byte spans into one source text.

use std::ops::Range;

/// A half-open byte range `start..end` into the source text a front end parsed.
///
/// Spans are small (`Copy`, 8 bytes) and are attached to every AST and IR node, so that each
/// diagnostic can point at the exact characters that caused it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span that points nowhere (for nodes synthesised by the compiler).
    pub const UNDEFINED: Span = Span { start: 0, end: 0 };

    /// A span from byte offsets. Offsets above `u32::MAX` saturate.
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// True for [`Span::UNDEFINED`].
    pub fn is_undefined(self) -> bool {
        self == Span::UNDEFINED
    }

    /// The smallest span covering both `self` and `other`.
    pub fn join(self, other: Span) -> Span {
        if self.is_undefined() {
            return other;
        }
        if other.is_undefined() {
            return self;
        }
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span as a `usize` range, for slicing the source.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A value together with the span it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps `node` with `span`.
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}
