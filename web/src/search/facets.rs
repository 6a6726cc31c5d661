//! Product and tag counts over every match, from flat per-segment tables.
//!
//! tantivy's `FacetCollector` reads each matching document's facets through the columnar
//! multi-value index, which was about a quarter of a broad search's time. Here each segment's
//! document → value table is read once (when a searcher first meets the segment) into two flat
//! arrays, so counting a match is two array reads and an increment per value.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::Facet as TantivyFacet;
use tantivy::{DocId, Score, Searcher, SegmentReader};

use crate::content::Facet;

use super::schema::names;

/// One facet field of one segment: the values of document `d` are
/// `values[ords[starts[d]..starts[d + 1]]]`.
#[derive(Debug, Default)]
struct Table {
    starts: Vec<u32>,
    ords: Vec<u32>,
    values: Vec<String>,
}

impl Table {
    fn read(segment: &SegmentReader, field: &str) -> tantivy::Result<Table> {
        let reader = segment.facet_reader(field)?;
        let mut values = Vec::with_capacity(reader.num_facets());
        let mut facet = TantivyFacet::root();
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
        let mut starts = Vec::with_capacity(segment.max_doc() as usize + 1);
        let mut ords = Vec::new();
        for doc in 0..segment.max_doc() {
            starts.push(ords.len() as u32);
            ords.extend(reader.facet_ords(doc).map(|o| o as u32));
        }
        starts.push(ords.len() as u32);
        Ok(Table { starts, ords, values })
    }

    fn count(&self, doc: DocId, counts: &mut [u32]) {
        let (from, to) = (self.starts[doc as usize], self.starts[doc as usize + 1]);
        for &ord in &self.ords[from as usize..to as usize] {
            counts[ord as usize] += 1;
        }
    }
}

/// The product and tag tables of each segment, read on first use.
#[derive(Default)]
pub struct FacetTables {
    segments: Mutex<HashMap<SegmentId, Arc<[Table; 2]>>>,
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
                    let t = Arc::new([
                        Table::read(segment, names::PRODUCTS)?,
                        Table::read(segment, names::TAGS)?,
                    ]);
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
    tables: Vec<Arc<[Table; 2]>>,
}

/// Per segment: its tables and the count of each value.
pub struct SegmentCounter {
    tables: Arc<[Table; 2]>,
    counts: [Vec<u32>; 2],
}

/// (products, tags), each value with its count.
type Counts = [HashMap<String, usize>; 2];

impl Collector for FacetCounter {
    type Fruit = (Vec<Facet>, Vec<Facet>);
    type Child = SegmentCounter;

    fn for_segment(&self, segment_ord: u32, _segment: &SegmentReader) -> tantivy::Result<SegmentCounter> {
        let tables = self
            .tables
            .get(segment_ord as usize)
            .cloned()
            .ok_or_else(|| tantivy::TantivyError::InternalError("facet table missing".into()))?;
        let counts = [vec![0; tables[0].values.len()], vec![0; tables[1].values.len()]];
        Ok(SegmentCounter { tables, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Self::Fruit> {
        let mut total: Counts = Default::default();
        for fruit in fruits {
            for (into, from) in total.iter_mut().zip(fruit) {
                for (value, n) in from {
                    *into.entry(value).or_default() += n;
                }
            }
        }
        let [products, tags] = total.map(|counts| {
            let mut out: Vec<Facet> = counts
                .into_iter()
                .map(|(value, count)| Facet { value, count })
                .collect();
            out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            out
        });
        Ok((products, tags))
    }
}

impl SegmentCollector for SegmentCounter {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let [products, tags] = &mut self.counts;
        self.tables[0].count(doc, products);
        self.tables[1].count(doc, tags);
    }

    fn harvest(self) -> Counts {
        let tables = &self.tables;
        let mut i = 0;
        self.counts.map(|counts| {
            let table = &tables[i];
            i += 1;
            counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(ord, n)| (table.values[ord].clone(), n as usize))
                .collect()
        })
    }
}
