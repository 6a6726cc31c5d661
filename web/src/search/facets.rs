//! Product and tag counts over every match, from flat per-segment tables.
//!
//! tantivy's `FacetCollector` reads each matching document's facets through the columnar
//! multi-value index, which was about a quarter of a broad search's time. Here each segment's
//! products and tags are read once (when a searcher first meets the segment) two ways: document
//! → values, two flat arrays, so counting a match is two array reads and an increment per value;
//! and value → documents, a bitset for a value at least one document in [`DENSE`] has, else a
//! sorted list. A few matches are counted the first way; many (the first pass hands them over
//! together, see [`SegmentCollector::collect_block`]) are set in a bitset of their own and
//! counted the second way, a popcount per 64 documents and value, which does not depend on how
//! many matched: at 100k articles, counting one by one was 16% of the load mix's search time.
//! The values' names are only looked at for the values that matched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::Facet as TantivyFacet;
use tantivy::{DocId, Score, Searcher, SegmentReader};

use crate::content::Facet;

use super::schema::names;

/// The products and tags of one segment: the values of document `d` are
/// `values[ords[starts[d]..starts[d + 1]]]`, products first (`ord < products`), then tags.
#[derive(Debug, Default)]
struct Table {
    starts: Vec<u32>,
    ords: Vec<u32>,
    values: Vec<String>,
    products: u32,
    /// By value ordinal, the documents that have it.
    docs: Vec<Docs>,
    /// 64-bit words of a bitset over the segment's documents.
    words: usize,
    /// What counting by value costs, in [`cost`] units, whatever the matches.
    by_value: usize,
    /// What counting one match by its values costs, in the same units.
    per_match: usize,
}

/// The documents having one value.
#[derive(Debug)]
enum Docs {
    /// One bit per document of the segment.
    Bits(Vec<u64>),
    /// Sorted.
    List(Vec<u32>),
}

/// A value is kept as a bitset when at least one document in this many has it. Counting a
/// bitset costs about half a list entry a word ([`cost`]), so past one document in 128 the
/// bitset is the faster of the two (it is up to four times the list's size: 12.5 kB a value at
/// 100k articles).
const DENSE: usize = 128;

/// Relative costs of counting: an increment of a count for one value of one match (loads that
/// depend on each other and mostly miss the cache) against a popcount of 64 documents or a
/// lookup in the matches' bitset. Tuned on the load mix at 100k articles (48 values, 4 per
/// article; `fresh-searches … --each`, mean of 32 queries): 4 → 2.24 ms, 16 → 1.71 ms, 48 →
/// 1.57 ms; one by one then only pays below a few hundred matches.
mod cost {
    pub const PER_MATCH_VALUE: usize = 48;
    pub const PER_WORD: usize = 1;
    pub const PER_LISTED: usize = 2;
}

impl Table {
    fn read(segment: &SegmentReader) -> tantivy::Result<Table> {
        let fields = [
            segment.facet_reader(names::PRODUCTS)?,
            segment.facet_reader(names::TAGS)?,
        ];
        let mut values = Vec::new();
        let mut facet = TantivyFacet::root();
        for reader in &fields {
            for ord in 0..reader.num_facets() as u64 {
                reader.facet_from_ord(ord, &mut facet)?;
                values.push(
                    facet
                        .to_path()
                        .last()
                        .map(|v| (*v).to_owned())
                        .unwrap_or_default(),
                );
            }
        }
        let products = fields[0].num_facets() as u32;
        let mut starts = Vec::with_capacity(segment.max_doc() as usize + 1);
        let mut ords = Vec::new();
        for doc in 0..segment.max_doc() {
            starts.push(ords.len() as u32);
            ords.extend(fields[0].facet_ords(doc).map(|o| o as u32));
            ords.extend(fields[1].facet_ords(doc).map(|o| products + o as u32));
        }
        starts.push(ords.len() as u32);
        let max_doc = segment.max_doc() as usize;
        let words = max_doc.div_ceil(64);
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); values.len()];
        for doc in 0..segment.max_doc() {
            for &ord in &ords[starts[doc as usize] as usize..starts[doc as usize + 1] as usize] {
                lists[ord as usize].push(doc);
            }
        }
        let mut by_value = words * cost::PER_WORD;
        let docs = lists
            .into_iter()
            .map(|list| {
                if list.len() * DENSE >= max_doc {
                    by_value += words * cost::PER_WORD;
                    let mut bits = vec![0u64; words];
                    for doc in list {
                        bits[doc as usize / 64] |= 1 << (doc % 64);
                    }
                    Docs::Bits(bits)
                } else {
                    by_value += list.len() * cost::PER_LISTED;
                    Docs::List(list)
                }
            })
            .collect();
        let per_match = ords.len().div_ceil(max_doc.max(1)) * cost::PER_MATCH_VALUE;
        Ok(Table {
            starts,
            ords,
            values,
            products,
            docs,
            words,
            by_value,
            per_match,
        })
    }

    fn count(&self, doc: DocId, counts: &mut [u32]) {
        let (from, to) = (self.starts[doc as usize], self.starts[doc as usize + 1]);
        for &ord in &self.ords[from as usize..to as usize] {
            counts[ord as usize] += 1;
        }
    }

    /// Counts `docs` (sorted, distinct) whichever way costs less.
    fn count_all(&self, docs: &[DocId], counts: &mut [u32]) {
        if self.one_by_one(docs.len()) {
            for &doc in docs {
                self.count(doc, counts);
            }
        } else {
            self.count_by_value(docs, counts);
        }
    }

    /// True when counting `matches` documents one by one costs less than by value.
    fn one_by_one(&self, matches: usize) -> bool {
        matches * self.per_match <= self.by_value
    }

    /// Counts `docs` (sorted, distinct) value by value.
    fn count_by_value(&self, docs: &[DocId], counts: &mut [u32]) {
        let mut matched = vec![0u64; self.words];
        for &doc in docs {
            matched[doc as usize / 64] |= 1 << (doc % 64);
        }
        for (count, docs) in counts.iter_mut().zip(&self.docs) {
            *count += match docs {
                Docs::Bits(bits) => ones_in_both(bits, &matched),
                Docs::List(list) => list
                    .iter()
                    .filter(|&&doc| matched[doc as usize / 64] >> (doc % 64) & 1 == 1)
                    .count() as u32,
            };
        }
    }
}

/// Lanes of [`ones_in_both`]'s adders: four 64-bit words, which the compiler keeps in two
/// SSE2 registers.
const LANES: usize = 4;
type Lanes = [u64; LANES];

/// How many bits `a` and `b` both have set (over the shorter of the two).
///
/// Without a `popcnt` instruction (the portable x86-64 target has none, and this crate
/// forbids the `unsafe` a runtime check would need), a popcount is a dozen instructions. Sixteen
/// words at a time go through a tree of carry-save adders instead (Harley and Seal's method, as
/// in Muła, Kurz and Lemire, "Faster population counts", 2016), so that only their sixteens
/// are popcounted in the loop, and the other bit weights once at the end.
fn ones_in_both(a: &[u64], b: &[u64]) -> u32 {
    const GROUP: usize = 16 * LANES;
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let (mut ones, mut twos, mut fours, mut eights) = ([0; LANES], [0; LANES], [0; LANES], [0; LANES]);
    let mut sixteens = 0u32;
    let mut groups = a.chunks_exact(GROUP).zip(b.chunks_exact(GROUP));
    for (a, b) in groups.by_ref() {
        // The `k`th of the group's sixteen four-word steps.
        let step = |k: usize| -> Lanes { std::array::from_fn(|l| a[k * LANES + l] & b[k * LANES + l]) };
        let (twos_a, o) = csa(ones, step(0), step(1));
        let (twos_b, o) = csa(o, step(2), step(3));
        let (fours_a, t) = csa(twos, twos_a, twos_b);
        let (twos_a, o) = csa(o, step(4), step(5));
        let (twos_b, o) = csa(o, step(6), step(7));
        let (fours_b, t) = csa(t, twos_a, twos_b);
        let (eights_a, f) = csa(fours, fours_a, fours_b);
        let (twos_a, o) = csa(o, step(8), step(9));
        let (twos_b, o) = csa(o, step(10), step(11));
        let (fours_a, t) = csa(t, twos_a, twos_b);
        let (twos_a, o) = csa(o, step(12), step(13));
        let (twos_b, o) = csa(o, step(14), step(15));
        let (fours_b, t) = csa(t, twos_a, twos_b);
        let (eights_b, f) = csa(f, fours_a, fours_b);
        let (s, e) = csa(eights, eights_a, eights_b);
        (ones, twos, fours, eights) = (o, t, f, e);
        sixteens += popcount(s);
    }
    let done = len - len % GROUP;
    let rest: u32 = a[done..]
        .iter()
        .zip(&b[done..])
        .map(|(a, b)| (a & b).count_ones())
        .sum();
    16 * sixteens + 8 * popcount(eights) + 4 * popcount(fours) + 2 * popcount(twos) + popcount(ones) + rest
}

/// A carry-save adder over lanes: for each bit, the carry and the sum of `a`, `b` and `c`.
#[inline(always)]
fn csa(a: Lanes, b: Lanes, c: Lanes) -> (Lanes, Lanes) {
    let carry = std::array::from_fn(|l| (a[l] & b[l]) | ((a[l] ^ b[l]) & c[l]));
    let sum = std::array::from_fn(|l| a[l] ^ b[l] ^ c[l]);
    (carry, sum)
}

fn popcount(lanes: Lanes) -> u32 {
    lanes.iter().map(|w| w.count_ones()).sum()
}

/// The product and tag table of each segment, read on first use.
#[derive(Default)]
pub struct FacetTables {
    segments: Mutex<HashMap<SegmentId, Arc<Table>>>,
}

impl FacetTables {
    /// A collector counting products and tags for `searcher`'s segments.
    pub fn collector(&self, searcher: &Searcher) -> tantivy::Result<FacetCounter> {
        let mut segments = self.segments.lock().unwrap_or_else(|e| e.into_inner());
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        segments.retain(|id, _| live.contains(id));
        let mut tables = Vec::with_capacity(live.len());
        for segment in searcher.segment_readers() {
            let table = match segments.get(&segment.segment_id()) {
                Some(t) => t.clone(),
                None => {
                    let t = Arc::new(Table::read(segment)?);
                    segments.insert(segment.segment_id(), t.clone());
                    t
                }
            };
            tables.push(table);
        }
        Ok(FacetCounter { tables })
    }
}

/// Counts products and tags of the matching documents (see [`FacetTables::collector`]).
pub struct FacetCounter {
    /// By segment ordinal.
    tables: Vec<Arc<Table>>,
}

/// One segment's table and the count of each of its values.
pub struct SegmentCounter {
    table: Arc<Table>,
    counts: Vec<u32>,
}

impl Collector for FacetCounter {
    type Fruit = (Vec<Facet>, Vec<Facet>);
    type Child = SegmentCounter;

    fn for_segment(&self, segment_ord: u32, _segment: &SegmentReader) -> tantivy::Result<SegmentCounter> {
        let table = self
            .tables
            .get(segment_ord as usize)
            .cloned()
            .ok_or_else(|| tantivy::TantivyError::InternalError("facet table missing".into()))?;
        let counts = vec![0; table.values.len()];
        Ok(SegmentCounter { table, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentCounter>) -> tantivy::Result<Self::Fruit> {
        // By name: segments number their values independently.
        let mut total: [HashMap<&str, usize>; 2] = Default::default();
        for fruit in &fruits {
            let table = &fruit.table;
            for (ord, &n) in fruit.counts.iter().enumerate() {
                if n > 0 {
                    let kind = usize::from(ord as u32 >= table.products);
                    *total[kind].entry(table.values[ord].as_str()).or_default() += n as usize;
                }
            }
        }
        let [products, tags] = total.map(|counts| {
            let mut out: Vec<Facet> = counts
                .into_iter()
                .map(|(value, count)| Facet {
                    value: value.to_owned(),
                    count,
                })
                .collect();
            out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            out
        });
        Ok((products, tags))
    }
}

impl SegmentCollector for SegmentCounter {
    /// Itself: the counts are only named when the segments are merged.
    type Fruit = SegmentCounter;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.table.count(doc, &mut self.counts);
    }

    /// `docs` must be sorted and distinct, as a segment's matches are (the first pass hands
    /// over all of them at once).
    fn collect_block(&mut self, docs: &[DocId]) {
        self.table.count_all(docs, &mut self.counts);
    }

    fn harvest(self) -> SegmentCounter {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::tests::indexed;

    #[test]
    fn ones_in_both_counts_the_common_bits_of_any_length() {
        // Lengths around the 64-word groups; words from a simple generator, some all ones.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut word = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 9 {
                0 => u64::MAX,
                1 => 0,
                _ => state,
            }
        };
        for len in [0, 1, 15, 63, 64, 65, 128, 200, 1_563] {
            let a: Vec<u64> = (0..len).map(|_| word()).collect();
            let b: Vec<u64> = (0..len).map(|_| word()).collect();
            let expected: u32 = a.iter().zip(&b).map(|(a, b)| (a & b).count_ones()).sum();
            assert_eq!(ones_in_both(&a, &b), expected, "{len} words");
            let full = vec![u64::MAX; len];
            assert_eq!(ones_in_both(&full, &full), 64 * len as u32, "{len} words of ones");
        }
        assert_eq!(
            ones_in_both(&[u64::MAX; 3], &[u64::MAX; 100]),
            192,
            "the shorter counts"
        );
    }

    #[test]
    fn counting_by_value_agrees_with_counting_each_match() {
        // A dense product (a third of the articles each), a dense tag (half) and a sparse tag
        // per article, so that both bitsets and lists are counted.
        let files: Vec<(String, String)> = (0..600)
            .map(|i| {
                let half = if i % 2 == 0 { ", half" } else { "" };
                let md = format!(
                    "---\ntitle: Article {i}\nproducts: [P{}]\ntags: [own-{i}{half}]\n---\nText.\n",
                    i % 3
                );
                (format!("a{i}.md"), md)
            })
            .collect();
        let (_dir, _lib, index) = indexed(&files);
        let searcher = index.reader.searcher();
        let counter = index.facet_tables.collector(&searcher).unwrap();
        let table = &counter.tables[0];
        assert!(table.docs.iter().any(|d| matches!(d, Docs::Bits(_))));
        assert!(table.docs.iter().any(|d| matches!(d, Docs::List(_))));
        let max_doc = searcher.segment_reader(0).max_doc();
        let sets: Vec<Vec<DocId>> = vec![
            Vec::new(),
            vec![0],
            vec![max_doc - 1],
            (0..max_doc).collect(),
            (0..max_doc).step_by(7).collect(),
            (0..max_doc).filter(|d| d % 64 == 63 || d % 5 == 1).collect(),
        ];
        for docs in &sets {
            let mut each = vec![0; table.values.len()];
            for &doc in docs {
                table.count(doc, &mut each);
            }
            let mut by_value = vec![0; table.values.len()];
            table.count_by_value(docs, &mut by_value);
            assert_eq!(each, by_value, "{} documents", docs.len());
            if docs.len() == max_doc as usize {
                let count = |value: &str| each[table.values.iter().position(|v| v == value).unwrap()];
                assert_eq!([count("P0"), count("P1"), count("P2")], [200; 3]);
                assert_eq!(count("half"), 300);
                assert_eq!(count("own-17"), 1);
            }
        }
        assert!(table.one_by_one(1), "a single match is counted directly");
        assert!(
            !table.one_by_one(max_doc as usize),
            "every document is counted by value"
        );
    }
}
