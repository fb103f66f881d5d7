//! Typed arenas: a `Vec<T>` addressed by [`Handle<T>`] instead of `usize`.
//!
//! A handle is a `u32` index tagged with the element type, so a tensor handle cannot be used to
//! index the node arena. Handles are only meaningful for the arena (and so the [`super::Module`])
//! that produced them.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A typed index into an [`Arena<T>`].
///
/// `Copy`, `Eq`, `Ord` and `Hash` are implemented by hand so that `T` needs none of those traits.
pub struct Handle<T> {
    index: u32,
    marker: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// The handle of the element at `index`. Meant for tests and for readers that index in
    /// parallel tables; a handle not produced by the arena it is used with may point at the wrong
    /// element or past the end.
    pub const fn from_index(index: u32) -> Self {
        Handle {
            index,
            marker: PhantomData,
        }
    }

    /// The zero-based position in the arena.
    pub const fn index(self) -> usize {
        self.index as usize
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Handle<T> {}
impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}
impl<T> Eq for Handle<T> {}
impl<T> PartialOrd for Handle<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Handle<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.index.cmp(&other.index)
    }
}
impl<T> Hash for Handle<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.index.hash(state);
    }
}
impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.index)
    }
}

/// The arena already holds `u32::MAX` elements; no further handle can be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("arena is full ({} elements)", u32::MAX)]
pub struct ArenaFull;

/// A growable list of `T` addressed by [`Handle<T>`]. Elements are never removed, so handles
/// stay valid for the arena's lifetime; the order of insertion is kept.
pub struct Arena<T> {
    items: Vec<T>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena { items: Vec::new() }
    }
}

impl<T: Clone> Clone for Arena<T> {
    fn clone(&self) -> Self {
        Arena {
            items: self.items.clone(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Arena<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for Arena<T> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<T> Arena<T> {
    /// An empty arena.
    pub fn new() -> Self {
        Arena::default()
    }

    /// Appends `value` and returns its handle.
    pub fn append(&mut self, value: T) -> Result<Handle<T>, ArenaFull> {
        let index = u32::try_from(self.items.len()).map_err(|_| ArenaFull)?;
        if index == u32::MAX {
            return Err(ArenaFull);
        }
        self.items.push(value);
        Ok(Handle::from_index(index))
    }

    /// The element behind `handle`, or `None` if the handle is out of range.
    pub fn get(&self, handle: Handle<T>) -> Option<&T> {
        self.items.get(handle.index())
    }

    /// Mutable access to the element behind `handle`, or `None` if out of range.
    pub fn get_mut(&mut self, handle: Handle<T>) -> Option<&mut T> {
        self.items.get_mut(handle.index())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// True when `handle` points inside this arena.
    pub fn contains(&self, handle: Handle<T>) -> bool {
        handle.index() < self.items.len()
    }

    /// Elements with their handles, in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Handle<T>, &T)> + ExactSizeIterator {
        self.items
            .iter()
            .enumerate()
            .map(|(i, v)| (Handle::from_index(i as u32), v))
    }

    /// All handles, in insertion order.
    pub fn handles(&self) -> impl DoubleEndedIterator<Item = Handle<T>> + ExactSizeIterator {
        (0..self.items.len()).map(|i| Handle::from_index(i as u32))
    }
}

/// Indexing with a handle from another arena that is out of range panics, like `Vec` indexing;
/// use [`Arena::get`] when the handle's origin is not known.
impl<T> Index<Handle<T>> for Arena<T> {
    type Output = T;
    fn index(&self, handle: Handle<T>) -> &T {
        &self.items[handle.index()]
    }
}

impl<T> IndexMut<Handle<T>> for Arena<T> {
    fn index_mut(&mut self, handle: Handle<T>) -> &mut T {
        &mut self.items[handle.index()]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct NoTraits;

    #[test]
    fn handles_need_no_bounds_and_index_in_order() {
        let mut a: Arena<NoTraits> = Arena::new();
        let h0 = a.append(NoTraits).unwrap();
        let h1 = a.append(NoTraits).unwrap();
        let copy = h1;
        assert_eq!(copy, h1);
        assert_ne!(h0, h1);
        assert!(h0 < h1);
        assert_eq!((h0.index(), h1.index()), (0, 1));
        assert_eq!(a.len(), 2);
        assert!(a.contains(h1));
        assert!(!a.contains(Handle::from_index(2)));
        assert!(a.get(Handle::from_index(7)).is_none());
        let order: Vec<usize> = a.handles().map(Handle::index).collect();
        assert_eq!(order, vec![0, 1]);
    }
}
