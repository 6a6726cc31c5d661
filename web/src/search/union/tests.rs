//! The seekable union against tantivy's own unions.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, DisjunctionMaxQuery, EnableScoring, Occur, PhraseQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TEXT};
use tantivy::{Index, Term, doc};

use super::*;

/// One segment of `n` documents; document `i` has the texts `fields(i)` in fields a and c.
fn index(n: u32, fields: impl Fn(u32) -> (&'static str, &'static str)) -> (Index, Field, Field) {
    let mut b = Schema::builder();
    let a = b.add_text_field("a", TEXT);
    let c = b.add_text_field("c", TEXT);
    let index = Index::create_in_ram(b.build());
    let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
    for i in 0..n {
        let (x, y) = fields(i);
        writer.add_document(doc!(a => x, c => y)).unwrap();
    }
    writer.commit().unwrap();
    (index, a, c)
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

#[test]
fn scores_and_matches_like_tantivys_unions() {
    let (index, a, c) = index(500, |i| {
        let x = if i % 3 == 0 { "red fox" } else { "blue" };
        let y = if i % 5 == 0 { "fox fox" } else { "cat" };
        (x, y)
    });
    let searcher = index.reader().unwrap().searcher();
    let children = || vec![term(a, "fox"), term(c, "fox")];
    let ours = SeekUnion::dismax(children(), 0.3);
    let theirs = DisjunctionMaxQuery::with_tie_breaker(children(), 0.3);
    assert_eq!(
        searcher.search(&ours, &Count).unwrap(),
        searcher.search(&theirs, &Count).unwrap()
    );
    let top = |q: &dyn Query| {
        searcher
            .search(q, &TopDocs::with_limit(50).order_by_score())
            .unwrap()
    };
    let (x, y) = (top(&ours), top(&theirs));
    for (p, q) in x.iter().zip(&y) {
        assert!((p.0 - q.0).abs() < 1e-4, "{p:?} {q:?}");
    }
    // As an optional clause next to a required one.
    let with =
        |opt: Box<dyn Query>| BooleanQuery::new(vec![(Occur::Must, term(a, "red")), (Occur::Should, opt)]);
    let (x, y) = (
        top(&with(Box::new(SeekUnion::sum(children())))),
        top(&with(Box::new(BooleanQuery::union(children())))),
    );
    assert_eq!(x.len(), y.len());
    for (p, q) in x.iter().zip(&y) {
        assert!((p.0 - q.0).abs() < 1e-4, "{p:?} {q:?}");
    }
}

#[test]
fn advancing_and_seeking_in_any_order_agree_with_tantivys_unions() {
    // Enough documents for several read-ahead windows, and jumps both inside and past one.
    let (index, a, c) = index(20_000, |i| {
        let x = if i % 3 == 0 || i % 1000 < 5 {
            "red fox"
        } else {
            "blue"
        };
        let y = match i % 7 {
            0 => "fox fox",
            1 => "fox cat",
            _ => "cat",
        };
        (x, y)
    });
    let searcher = index.reader().unwrap().searcher();
    assert_eq!(searcher.segment_readers().len(), 1);
    let segment = searcher.segment_reader(0);
    let children = || vec![term(a, "fox"), term(c, "fox"), term(a, "red")];
    let pairs: [(Box<dyn Query>, Box<dyn Query>); 2] = [
        (
            Box::new(SeekUnion::dismax(children(), 0.3)),
            Box::new(DisjunctionMaxQuery::with_tie_breaker(children(), 0.3)),
        ),
        (
            Box::new(SeekUnion::sum(children())),
            Box::new(BooleanQuery::union(children())),
        ),
    ];
    let scorer = |q: &dyn Query| {
        q.weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap()
            .scorer(segment, 1.0)
            .unwrap()
    };
    for (ours, theirs) in &pairs {
        for seed in 1..=20u64 {
            let (mut x, mut y) = (scorer(ours.as_ref()), scorer(theirs.as_ref()));
            let mut state = seed;
            let mut steps = 0;
            while x.doc() != TERMINATED {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let roll = (state >> 33) % 100;
                if roll < 60 {
                    assert_eq!(x.advance(), y.advance(), "seed {seed} step {steps}");
                } else {
                    // Short hops stay in the window, long ones leave it.
                    let gap = if roll < 98 {
                        1 + roll as u32
                    } else {
                        1 + (state >> 40) as u32 % 9_000
                    };
                    let target = x.doc().saturating_add(gap);
                    assert_eq!(x.seek(target), y.seek(target), "seed {seed} step {steps}");
                }
                if x.doc() != TERMINATED {
                    let (p, q) = (x.score(), y.score());
                    assert!((p - q).abs() < 1e-4, "seed {seed} step {steps}: {p} vs {q}");
                }
                steps += 1;
            }
            assert_eq!(y.doc(), TERMINATED);
            assert!(steps > 50, "seed {seed}: only {steps} steps");
        }
    }
}

#[test]
fn probing_agrees_with_seeking_tantivys_unions_and_leaves_a_valid_union_when_found() {
    // Scoring, and without it (where a probe stops at the first child that matches and leaves
    // the others behind).
    for scoring in [true, false] {
        probe_against_tantivy(scoring);
    }
}

fn probe_against_tantivy(scoring: bool) {
    let (index, a, c) = index(20_000, |i| match i % 11 {
        0 => ("red fox", "cat"),
        1 => ("fox red", "fox"),
        2 => ("red big fox", "cat"),
        _ if i % 1000 < 3 => ("red fox", "fox"),
        _ => ("blue", "cat"),
    });
    let searcher = index.reader().unwrap().searcher();
    let segment = searcher.segment_reader(0);
    // A phrase (the child that misses without searching on), a term, and a nested union.
    let phrase = |slop| -> Box<dyn Query> {
        Box::new(PhraseQuery::new_with_offset_and_slop(
            vec![
                (0, Term::from_field_text(a, "red")),
                (1, Term::from_field_text(a, "fox")),
            ],
            slop,
        ))
    };
    let children = || -> Vec<Box<dyn Query>> {
        vec![
            phrase(0),
            term(c, "fox"),
            Box::new(SeekUnion::dismax(vec![phrase(1), term(a, "big")], 0.3)),
        ]
    };
    let ours = SeekUnion::sum(children());
    let theirs = BooleanQuery::union(children());
    let enable = match scoring {
        true => EnableScoring::enabled_from_searcher(&searcher),
        false => EnableScoring::disabled_from_searcher(&searcher),
    };
    let (ours, theirs) = (ours.weight(enable).unwrap(), theirs.weight(enable).unwrap());
    let mut early = 0;
    for seed in 1..=30u64 {
        let mut state = seed;
        let mut roll = |n: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (state >> 33) % n
        };
        let mut y = theirs.scorer(segment, 1.0).unwrap();
        let mut target = roll(40) as DocId;
        let (mut result, mut x) = ours.scorer_danger(segment, target, 1.0).unwrap();
        let mut probes = 0;
        loop {
            if y.doc() < target {
                y.seek(target);
            }
            let expected = if y.doc() == target {
                SeekDangerResult::Found
            } else {
                SeekDangerResult::SeekLowerBound(y.doc())
            };
            match (result, expected) {
                (SeekDangerResult::Found, SeekDangerResult::Found) if scoring => {
                    let (p, q) = (x.score(), y.score());
                    assert!((p - q).abs() < 1e-4, "seed {seed} doc {target}: {p} vs {q}");
                }
                (SeekDangerResult::Found, SeekDangerResult::Found) => {
                    let union = x.downcast_ref::<SeekUnionScorer>().expect("our union");
                    early += usize::from(union.scorers.iter().any(|s| s.doc() < target));
                }
                (SeekDangerResult::SeekLowerBound(bound), SeekDangerResult::SeekLowerBound(next)) => {
                    assert!(
                        bound > target && bound <= next,
                        "seed {seed} doc {target}: {bound} vs {next}"
                    );
                }
                _ => panic!("seed {seed} doc {target}: {result:?}, expected {expected:?}"),
            }
            probes += 1;
            let after_found = result == SeekDangerResult::Found;
            let bound = match result {
                SeekDangerResult::Found => target + 1,
                SeekDangerResult::SeekLowerBound(bound) => bound,
            };
            if after_found && roll(10) == 0 {
                // A found union is valid: it can be advanced or sought as usual.
                let doc = if roll(2) == 0 {
                    (x.advance(), y.advance())
                } else {
                    let to = target + 1 + roll(300) as DocId;
                    (x.seek(to), y.seek(to))
                };
                assert_eq!(doc.0, doc.1, "seed {seed} after {target}");
                if doc.0 == TERMINATED {
                    break;
                }
                if scoring {
                    assert!((x.score() - y.score()).abs() < 1e-4, "seed {seed} at {}", doc.0);
                }
                target = doc.0 + 1 + roll(50) as DocId;
            } else {
                target = target.max(bound.saturating_sub(1)) + 1 + roll(50) as DocId;
            }
            if target >= 20_000 {
                break;
            }
            result = x.seek_danger(target);
        }
        assert!(probes > 100, "seed {seed}: only {probes} probes");
    }
    // Without scoring, some probes stopped before probing every child.
    assert_eq!(early > 0, !scoring, "{early} probes left a child behind");
}

#[test]
fn a_union_costs_what_its_parts_cost_so_a_rare_word_leads_an_intersection_with_phrases() {
    // "red fox" in every document's field a and some of field c, "rare" in one in ten.
    let (index, a, c) = index(2_000, |i| match i % 10 {
        0 => ("red fox", "rare"),
        1..=4 => ("red fox", "red fox"),
        _ => ("red fox", "cat"),
    });
    let searcher = index.reader().unwrap().searcher();
    let segment = searcher.segment_reader(0);
    let enable = EnableScoring::enabled_from_searcher(&searcher);
    let phrase = |field: Field| -> Box<dyn Query> {
        Box::new(PhraseQuery::new(vec![
            Term::from_field_text(field, "red"),
            Term::from_field_text(field, "fox"),
        ]))
    };
    let scorer = |q: &dyn Query| q.weight(enable).unwrap().scorer(segment, 1.0).unwrap();
    let parts: u64 = [phrase(a), phrase(c)]
        .iter()
        .map(|p| scorer(p.as_ref()).cost())
        .sum();
    let union = scorer(&SeekUnion::sum(vec![phrase(a), phrase(c)]));
    let rare = scorer(&SeekUnion::sum(vec![term(c, "rare")]));
    assert_eq!(union.cost(), parts);
    // A phrase hints at few matches (tantivy divides its words' by ten a word), fewer than
    // the rare word's 200, but finding them costs positions in every document with both words.
    assert!(
        union.size_hint() < rare.size_hint(),
        "{} {}",
        union.size_hint(),
        rare.size_hint()
    );
    assert!(union.cost() > rare.cost(), "{} {}", union.cost(), rare.cost());
}
