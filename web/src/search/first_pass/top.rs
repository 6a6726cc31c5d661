//! The best matches of a first pass: the best `limit` (score, document) pairs, each with the set
//! of the pass's words the document contains.

use tantivy::{DocAddress, Score};

use super::WordSet;

/// The best `limit` (score, document) pairs pushed in index order. Kept unordered: a match that
/// beats the score to beat is added at the end, and whenever twice `limit` are kept, the best
/// `limit` are selected and the worst of them becomes the score to beat. Replacing the smallest
/// of a heap, sifted down each time, was 3% of a search at 100k articles. The score to beat is
/// known as soon as `limit` are kept, and rises at each selection (tantivy's `TopNComputer`
/// also starts late, only at its first selection, which would let more matches seek their
/// common words).
pub(super) struct Top {
    keys: Vec<Key>,
    limit: usize,
    /// The worst of the best `limit` at the last selection, once `limit` were kept.
    floor: Option<Key>,
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
        let address = self.address();
        DocAddress::new((address >> 32) as u32, address as u32)
    }

    /// The document as one integer: segment, then document.
    fn address(self) -> u64 {
        !((self.0 >> 32) as u64)
    }

    fn words(self) -> WordSet {
        self.0 as WordSet
    }
}

impl Top {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            keys: Vec::with_capacity(limit.min(1 << 15)),
            limit,
            floor: None,
        }
    }

    /// The score a match must beat to enter; `None` until `limit` were kept.
    #[inline]
    pub(super) fn threshold(&self) -> Option<Score> {
        match self.floor {
            Some(floor) => Some(floor.score()),
            None if self.limit == 0 => Some(Score::INFINITY),
            None => None,
        }
    }

    /// Keeps `(score, doc)` and its `words` if it beats the threshold. Documents arrive in
    /// index order, so a tie with the threshold loses to the earlier document already in.
    #[inline]
    pub(super) fn push(&mut self, score: Score, doc: DocAddress, words: WordSet) {
        if self.threshold().is_some_and(|t| score <= t) {
            return;
        }
        self.keys.push(Key::new(score, doc, words));
        if self.keys.len() == self.limit && self.floor.is_none() {
            self.floor = self.keys.iter().min().copied();
        } else if self.keys.len() >= self.limit.saturating_mul(2).max(1) {
            self.select();
        }
    }

    /// Drops all but the best `limit`, the worst of them becoming the floor.
    #[inline(never)]
    fn select(&mut self) {
        if self.keys.len() > self.limit && self.limit > 0 {
            // Descending: the best first, the `limit`th best at `limit - 1`.
            self.keys.select_nth_unstable_by(self.limit - 1, |a, b| b.cmp(a));
            self.keys.truncate(self.limit);
            self.floor = self.keys.iter().min().copied();
        }
    }

    /// The best `limit` in index order (which rescoring reads them in); and the words of each.
    pub(super) fn into_index_order(mut self) -> (Vec<(Score, DocAddress)>, Vec<WordSet>) {
        self.select();
        self.keys.sort_unstable_by_key(|key| key.address());
        self.keys
            .into_iter()
            .map(|key| ((key.score(), key.doc()), key.words()))
            .unzip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The best `limit` of matches pushed in index order (many with equal scores) are those
        /// of sorting them all, and the score to beat never passes the `limit`th best so far.
        #[test]
        fn the_best_are_those_of_sorting_every_match(
            scores in proptest::collection::vec(0u8..12, 0..400),
            limit in 0usize..60,
        ) {
            let mut top = Top::new(limit);
            let mut so_far: Vec<(Score, DocAddress)> = Vec::new();
            for (i, &score) in scores.iter().enumerate() {
                let doc = DocAddress::new((i / 150) as u32, (i % 150) as u32 * 3);
                let score = Score::from(score) / 4.0;
                top.push(score, doc, i as WordSet);
                so_far.push((score, doc));
                so_far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                if let Some(threshold) = top.threshold() {
                    // With no room, nothing enters.
                    let limitth = match limit {
                        0 => Score::INFINITY,
                        _ => so_far.get(limit - 1).map(|b| b.0).expect("known once `limit` were kept"),
                    };
                    proptest::prop_assert!(threshold <= limitth, "{threshold} > {limitth}");
                }
            }
            so_far.truncate(limit);
            so_far.sort_by_key(|hit| hit.1);
            let (best, words) = top.into_index_order();
            proptest::prop_assert_eq!(&best, &so_far);
            for (hit, words) in best.iter().zip(words) {
                let i = hit.1.segment_ord as usize * 150 + hit.1.doc_id as usize / 3;
                proptest::prop_assert_eq!(words, i as WordSet);
            }
        }
    }

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
