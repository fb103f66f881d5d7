//! Safe, bounds-checked access to flatbuffer tables, vectors and strings over a byte slice.
//!
//! These accessors do not trust the structural verification that ran before them: every read checks
//! its offset and length against the slice and fails with a [`Fault`] instead of panicking, so a
//! gap between what the verifier covered and what the decoder reads can only produce an error.
//! No `unsafe` is used.

/// A bounds or layout fault found while following an offset: `what` names the object read, `pos`
/// the byte position in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    pub(crate) what: &'static str,
    pub(crate) pos: usize,
}

type FbResult<T> = Result<T, Fault>;

fn bytes_at<const N: usize>(buf: &[u8], pos: usize, what: &'static str) -> FbResult<[u8; N]> {
    let end = pos.checked_add(N).ok_or(Fault { what, pos })?;
    let slice = buf.get(pos..end).ok_or(Fault { what, pos })?;
    let mut out = [0u8; N];
    out.copy_from_slice(slice);
    Ok(out)
}

pub(crate) fn read_u16(buf: &[u8], pos: usize, what: &'static str) -> FbResult<u16> {
    bytes_at::<2>(buf, pos, what).map(u16::from_le_bytes)
}

pub(crate) fn read_u32(buf: &[u8], pos: usize, what: &'static str) -> FbResult<u32> {
    bytes_at::<4>(buf, pos, what).map(u32::from_le_bytes)
}

fn read_i32(buf: &[u8], pos: usize, what: &'static str) -> FbResult<i32> {
    bytes_at::<4>(buf, pos, what).map(i32::from_le_bytes)
}

/// Follows the unsigned forward offset stored at `pos`.
fn follow_uoffset(buf: &[u8], pos: usize, what: &'static str) -> FbResult<usize> {
    let off = read_u32(buf, pos, what)?;
    let target = usize::try_from(off)
        .ok()
        .and_then(|o| pos.checked_add(o))
        .ok_or(Fault { what, pos })?;
    if target >= buf.len() {
        return Err(Fault { what, pos });
    }
    Ok(target)
}

/// A scalar type that can be read from a table field or a vector element.
pub(crate) trait Scalar: Sized + Copy {
    const SIZE: usize;
    fn read(buf: &[u8], pos: usize, what: &'static str) -> FbResult<Self>;
}

macro_rules! scalar {
    ($t:ty, $n:expr) => {
        impl Scalar for $t {
            const SIZE: usize = $n;
            fn read(buf: &[u8], pos: usize, what: &'static str) -> FbResult<Self> {
                bytes_at::<$n>(buf, pos, what).map(<$t>::from_le_bytes)
            }
        }
    };
}
scalar!(u8, 1);
scalar!(i8, 1);
scalar!(u32, 4);
scalar!(i32, 4);
scalar!(u64, 8);
scalar!(i64, 8);
scalar!(f32, 4);

/// A table: its position and its vtable, both checked to lie inside the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table<'a> {
    buf: &'a [u8],
    pos: usize,
    vtable: usize,
    vtable_len: usize,
}

impl<'a> Table<'a> {
    /// The table at `pos` (its signed offset to the vtable is followed and checked).
    pub(crate) fn at(buf: &'a [u8], pos: usize, what: &'static str) -> FbResult<Self> {
        let soff = read_i32(buf, pos, what)?;
        // The vtable lies at `pos - soff`.
        let vtable = i64::try_from(pos)
            .ok()
            .and_then(|p| p.checked_sub(i64::from(soff)))
            .and_then(|v| usize::try_from(v).ok())
            .ok_or(Fault { what, pos })?;
        let vtable_len = usize::from(read_u16(buf, vtable, what)?);
        if vtable_len < 4
            || vtable
                .checked_add(vtable_len)
                .is_none_or(|end| end > buf.len())
        {
            return Err(Fault { what, pos: vtable });
        }
        Ok(Self {
            buf,
            pos,
            vtable,
            vtable_len,
        })
    }

    /// The root table of a flatbuffer (the offset stored in its first four bytes).
    pub(crate) fn root(buf: &'a [u8]) -> FbResult<Self> {
        let pos = follow_uoffset(buf, 0, "root table offset")?;
        Self::at(buf, pos, "root table")
    }

    /// Absolute position of field number `index` (0-based, in schema order), or `None` if the
    /// field is absent.
    fn field_pos(&self, index: u16, what: &'static str) -> FbResult<Option<usize>> {
        let slot = 4 + 2 * usize::from(index);
        if slot + 2 > self.vtable_len {
            return Ok(None);
        }
        let voff = read_u16(self.buf, self.vtable + slot, what)?;
        if voff == 0 {
            return Ok(None);
        }
        let pos = self.pos.checked_add(usize::from(voff)).ok_or(Fault {
            what,
            pos: self.pos,
        })?;
        Ok(Some(pos))
    }

    /// True when field number `index` is present.
    pub(crate) fn has(&self, index: u16, what: &'static str) -> FbResult<bool> {
        self.field_pos(index, what).map(|p| p.is_some())
    }

    /// A scalar field, or `default` when absent.
    pub(crate) fn scalar<T: Scalar>(
        &self,
        index: u16,
        default: T,
        what: &'static str,
    ) -> FbResult<T> {
        match self.field_pos(index, what)? {
            Some(pos) => T::read(self.buf, pos, what),
            None => Ok(default),
        }
    }

    /// A sub-table field.
    pub(crate) fn table(&self, index: u16, what: &'static str) -> FbResult<Option<Table<'a>>> {
        match self.field_pos(index, what)? {
            Some(pos) => {
                let target = follow_uoffset(self.buf, pos, what)?;
                Table::at(self.buf, target, what).map(Some)
            }
            None => Ok(None),
        }
    }

    /// A vector field whose elements are `elem_size` bytes wide; the whole vector is checked to
    /// lie inside the buffer before it is returned, so its length is bounded by the file size.
    pub(crate) fn vector(
        &self,
        index: u16,
        elem_size: usize,
        what: &'static str,
    ) -> FbResult<Option<VecRef<'a>>> {
        match self.field_pos(index, what)? {
            Some(pos) => {
                let start = follow_uoffset(self.buf, pos, what)?;
                VecRef::at(self.buf, start, elem_size, what).map(Some)
            }
            None => Ok(None),
        }
    }

    /// A string field (UTF-8 checked).
    pub(crate) fn string(&self, index: u16, what: &'static str) -> FbResult<Option<&'a str>> {
        match self.vector(index, 1, what)? {
            Some(v) => {
                let bytes = v.bytes();
                core::str::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| Fault { what, pos: v.start })
            }
            None => Ok(None),
        }
    }
}

/// A vector: `len` elements of `elem_size` bytes from `start`, all inside the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VecRef<'a> {
    buf: &'a [u8],
    start: usize,
    len: usize,
    elem_size: usize,
}

impl<'a> VecRef<'a> {
    fn at(buf: &'a [u8], pos: usize, elem_size: usize, what: &'static str) -> FbResult<Self> {
        let len = usize::try_from(read_u32(buf, pos, what)?).map_err(|_| Fault { what, pos })?;
        let start = pos.checked_add(4).ok_or(Fault { what, pos })?;
        let end = len
            .checked_mul(elem_size)
            .and_then(|bytes| start.checked_add(bytes))
            .ok_or(Fault { what, pos })?;
        if end > buf.len() {
            return Err(Fault { what, pos });
        }
        Ok(Self {
            buf,
            start,
            len,
            elem_size,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The vector's raw bytes (checked in [`VecRef::at`]; an empty slice if that somehow fails).
    pub(crate) fn bytes(&self) -> &'a [u8] {
        let end = self
            .start
            .saturating_add(self.len.saturating_mul(self.elem_size));
        self.buf.get(self.start..end).unwrap_or(&[])
    }

    fn elem_pos(&self, i: usize, what: &'static str) -> FbResult<usize> {
        if i >= self.len {
            return Err(Fault {
                what,
                pos: self.start,
            });
        }
        i.checked_mul(self.elem_size)
            .and_then(|o| self.start.checked_add(o))
            .ok_or(Fault {
                what,
                pos: self.start,
            })
    }

    /// Element `i` read as a scalar (`T::SIZE` must equal the vector's element size).
    pub(crate) fn scalar<T: Scalar>(&self, i: usize, what: &'static str) -> FbResult<T> {
        if T::SIZE != self.elem_size {
            return Err(Fault {
                what,
                pos: self.start,
            });
        }
        T::read(self.buf, self.elem_pos(i, what)?, what)
    }

    /// Element `i` of a vector of tables.
    pub(crate) fn table(&self, i: usize, what: &'static str) -> FbResult<Table<'a>> {
        let pos = self.elem_pos(i, what)?;
        let target = follow_uoffset(self.buf, pos, what)?;
        Table::at(self.buf, target, what)
    }
}
