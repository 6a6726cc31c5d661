//! Product and tag counts over every match, from a flat per-segment table.
//!
//! tantivy's `FacetCollector` reads each matching document's facets through the columnar
//! multi-value index, which was about a quarter of a broad search's time. Here each segment's
//! document → value table is read once (when a searcher first meets the segment) into two flat
//! arrays holding products and tags together, so counting a match is two array reads and an
//! increment per value; the values' names are only looked at for the values that matched.

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
        Ok(Table {
            starts,
            ords,
            values,
            products,
        })
    }

    fn count(&self, doc: DocId, counts: &mut [u32]) {
        let (from, to) = (self.starts[doc as usize], self.starts[doc as usize + 1]);
        for &ord in &self.ords[from as usize..to as usize] {
            counts[ord as usize] += 1;
        }
    }
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

    fn harvest(self) -> SegmentCounter {
        self
    }
}
