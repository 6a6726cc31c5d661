//! Synonym groups from `synonyms.toml`, analysed like the text they are matched against, so
//! multi-word members ("large send offload") are found as token sequences in a query.

use std::sync::{Arc, Mutex};

use crate::content::Synonyms;

use super::schema;

/// Synonym groups analysed once per distinct synonyms file.
#[derive(Default)]
pub struct SynonymCache(Mutex<Option<(Synonyms, Arc<SynonymTable>)>>);

impl SynonymCache {
    /// The analysed table for `synonyms`, reusing the last one when unchanged.
    pub fn get(&self, synonyms: &Synonyms) -> Arc<SynonymTable> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached, table)) = slot.as_ref()
            && cached == synonyms
        {
            return table.clone();
        }
        let table = Arc::new(SynonymTable::new(synonyms));
        *slot = Some((synonyms.clone(), table.clone()));
        table
    }
}

/// Each synonym group as stemmed token sequences.
#[derive(Debug, Default)]
pub struct SynonymTable {
    groups: Vec<Vec<Member>>,
}

#[derive(Debug)]
pub(super) struct Member {
    /// The member as written.
    pub(super) raw: String,
    /// Its prose tokens.
    pub(super) tokens: Vec<String>,
}

impl SynonymTable {
    fn new(synonyms: &Synonyms) -> Self {
        let mut prose = schema::prose();
        let groups = synonyms
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|raw| Member {
                        raw: raw.clone(),
                        tokens: schema::analyze(&mut prose, raw)
                            .into_iter()
                            .map(|t| t.1)
                            .collect(),
                    })
                    .filter(|m| !m.tokens.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|g| g.len() > 1)
            .collect();
        Self { groups }
    }

    /// The other members of every group with a member found in `tokens`.
    /// The other members of every group with a member found in `tokens`, each with the
    /// token range it was found at.
    pub(super) fn expansions<'a>(&'a self, tokens: &[String]) -> Vec<(&'a Member, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        for group in &self.groups {
            let hit = group.iter().enumerate().find_map(|(i, m)| {
                let at = tokens
                    .windows(m.tokens.len())
                    .position(|w| w == m.tokens.as_slice())?;
                Some((i, at..at + m.tokens.len()))
            });
            if let Some((hit, range)) = hit {
                out.extend(
                    group
                        .iter()
                        .enumerate()
                        .filter(|(i, m)| *i != hit && !contains_seq(tokens, &m.tokens))
                        .map(|(_, m)| (m, range.clone())),
                );
            }
        }
        out
    }
}

fn contains_seq(tokens: &[String], seq: &[String]) -> bool {
    tokens.windows(seq.len()).any(|w| w == seq)
}
