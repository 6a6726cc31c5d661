//! The best matches of a first pass: a heap of the best `limit` (score, document) pairs, each
//! with the set of the pass's words the document contains.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::{DocAddress, Score};

use super::WordSet;

/// The best `limit` (score, document) pairs pushed in index order: a min-heap whose smallest
/// is the score to beat once it is full (tantivy's `TopNComputer` updates its threshold only
/// every `limit` pushes, which would let far more matches seek their common words).
pub(super) struct Top {
    heap: BinaryHeap<Reverse<Key>>,
    limit: usize,
}

/// A (score, document) pair as one integer ordered as the pairs are: by score (as
/// `f32::total_cmp`), then earlier documents first (they win ties). Sifting the heap compares
/// keys, and comparing one integer costs a fraction of comparing a float and an address. The
/// document's words ride in the lowest bits, below the address, which is never the same twice
/// in a pass, so they never decide an order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u128);

impl Key {
    fn new(score: Score, doc: DocAddress, words: WordSet) -> Self {
        // The float's bits made to sort as `total_cmp` does: negatives (sign set) reversed,
        // positives above them.
        let bits = score.to_bits();
        let ordered = match bits >> 31 {
            1 => !bits,
            _ => bits | 1 << 31,
        };
        let address = (u64::from(doc.segment_ord) << 32) | u64::from(doc.doc_id);
        Self((u128::from(ordered) << 96) | (u128::from(!address) << 32) | u128::from(words))
    }

    fn score(self) -> Score {
        let ordered = (self.0 >> 96) as u32;
        let bits = match ordered >> 31 {
            1 => ordered & !(1 << 31),
            _ => !ordered,
        };
        Score::from_bits(bits)
    }

    fn doc(self) -> DocAddress {
        let address = !((self.0 >> 32) as u64);
        DocAddress::new((address >> 32) as u32, address as u32)
    }

    fn words(self) -> WordSet {
        self.0 as WordSet
    }
}

impl Top {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(limit.min(1 << 16)),
            limit,
        }
    }

    /// The score a match must beat to enter; `None` until full.
    pub(super) fn threshold(&self) -> Option<Score> {
        match self.heap.peek() {
            Some(Reverse(key)) if self.heap.len() >= self.limit => Some(key.score()),
            _ if self.limit == 0 => Some(Score::INFINITY),
            _ => None,
        }
    }

    /// Keeps `(score, doc)` and its `words` if it beats the threshold. Documents arrive in
    /// index order, so a tie with the threshold loses to the earlier document already in.
    pub(super) fn push(&mut self, score: Score, doc: DocAddress, words: WordSet) {
        match self.threshold() {
            Some(t) if score <= t => {}
            Some(_) => {
                // In place of the smallest, sifted down once (a pop and a push sift twice).
                if let Some(mut smallest) = self.heap.peek_mut() {
                    *smallest = Reverse(Key::new(score, doc, words));
                }
            }
            None => self.heap.push(Reverse(Key::new(score, doc, words))),
        }
    }

    /// Best first, equal scores in index order; and the words of each.
    pub(super) fn into_sorted(self) -> (Vec<(Score, DocAddress)>, Vec<WordSet>) {
        // Ascending order of `Reverse<Key>` is best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(key)| ((key.score(), key.doc()), key.words()))
            .unzip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_scores_then_earlier_documents_and_give_them_back() {
        let scores = [
            Score::NEG_INFINITY,
            -3.5,
            -0.0,
            0.0,
            1e-30,
            0.25,
            1.0,
            7.125,
            Score::MAX,
            Score::INFINITY,
        ];
        let docs = [
            DocAddress::new(0, 0),
            DocAddress::new(0, 7),
            DocAddress::new(1, 0),
            DocAddress::new(2, u32::MAX - 1),
        ];
        // Word sets, which ride along without changing the order.
        let words = |d: DocAddress| match d.doc_id % 2 {
            0 => WordSet::MAX,
            _ => 1,
        };
        for (s1, d1) in scores.iter().flat_map(|s| docs.iter().map(move |d| (*s, *d))) {
            let key = Key::new(s1, d1, words(d1));
            assert_eq!(key.score().to_bits(), s1.to_bits());
            assert_eq!(key.doc(), d1);
            assert_eq!(key.words(), words(d1));
            for (s2, d2) in scores.iter().flat_map(|s| docs.iter().map(move |d| (*s, *d))) {
                let expected = s1.total_cmp(&s2).then_with(|| d2.cmp(&d1));
                let other = Key::new(s2, d2, words(d2));
                assert_eq!(key.cmp(&other), expected, "{s1} {d1:?} / {s2} {d2:?}");
            }
        }
    }
}
