//! [`Chunked`]: a vector that snapshots share, chunk by chunk.

use std::sync::Arc;

/// Elements per chunk.
const CHUNK: usize = 64;

/// A vector split into shared, frozen chunks of 64 elements and a short
/// tail. Cloning it copies one pointer per chunk and the tail; changing an
/// element copies only its chunk, and only if another clone still shares
/// it. Successive snapshots of an authorizer share everything an edit did not
/// touch, and a read costs one pointer hop: to the chunk's elements.
#[derive(Clone)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Arc<[T]>>,
    /// Elements after the last full chunk; fewer than [`CHUNK`].
    tail: Vec<T>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T: Clone> Chunked<T> {
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        match self.chunks.get(index / CHUNK) {
            Some(chunk) => chunk.get(index % CHUNK),
            None => self.tail.get(index - self.chunks.len() * CHUNK),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.chunks.len() * CHUNK + self.tail.len()
    }

    pub(crate) fn push(&mut self, value: T) {
        self.tail.push(value);
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.chunks.push(Arc::from(full));
        }
    }

    /// Replaces the element at `index`; does nothing past the end.
    pub(crate) fn set(&mut self, index: usize, value: T) {
        let slot = match self.chunks.get_mut(index / CHUNK) {
            Some(chunk) => Arc::make_mut(chunk).get_mut(index % CHUNK),
            None => {
                let start = self.chunks.len() * CHUNK;
                index.checked_sub(start).and_then(|i| self.tail.get_mut(i))
            }
        };
        if let Some(slot) = slot {
            *slot = value;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.iter())
            .chain(self.tail.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_untouched_chunks() {
        let mut a = Chunked::default();
        for i in 0..200 {
            a.push(i);
        }
        let mut b = a.clone();
        b.set(130, -1);
        b.set(199, -2);
        assert_eq!(a.get(130), Some(&130));
        assert_eq!(b.get(130), Some(&-1));
        assert_eq!((a.get(199), b.get(199)), (Some(&199), Some(&-2)));
        assert!(Arc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        assert!(!Arc::ptr_eq(&a.chunks[2], &b.chunks[2]));
        assert_eq!(b.len(), 200);
        assert_eq!(b.get(200), None);
        assert_eq!(b.iter().count(), 200);
        assert_eq!(b.iter().copied().filter(|v| *v < 0).count(), 2);
        b.set(5000, 7);
        assert_eq!(b.len(), 200);
    }
}
