//! [`Chunked`]: a vector that snapshots share, chunk by chunk.

use std::sync::Arc;

/// Elements per chunk.
const CHUNK: usize = 64;

/// A vector split into shared chunks of 64 elements. Cloning it copies one
/// pointer per chunk; changing an element copies only its chunk, and only if
/// another clone still shares it. Successive snapshots of an authorizer
/// share everything an edit did not touch.
#[derive(Clone, Default)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T: Clone> Chunked<T> {
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, value: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        if let Some(last) = self.chunks.last_mut() {
            Arc::make_mut(last).push(value);
            self.len += 1;
        }
    }

    /// Replaces the element at `index`; does nothing past the end.
    pub(crate) fn set(&mut self, index: usize, value: T) {
        if let Some(slot) = self
            .chunks
            .get_mut(index / CHUNK)
            .and_then(|chunk| Arc::make_mut(chunk).get_mut(index % CHUNK))
        {
            *slot = value;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
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
        assert_eq!(a.get(130), Some(&130));
        assert_eq!(b.get(130), Some(&-1));
        assert!(Arc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        assert!(!Arc::ptr_eq(&a.chunks[2], &b.chunks[2]));
        assert_eq!(b.len(), 200);
        assert_eq!(b.get(200), None);
        assert_eq!(b.iter().count(), 200);
    }
}
