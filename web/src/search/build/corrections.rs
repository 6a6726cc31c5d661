//! Typo corrections and completions of the last word, for words the index does not know (or
//! barely knows), and the "did you mean" text built from them.

use super::*;

impl Builder<'_> {
    /// Typo and prefix expansions for words the index does not know (or barely knows); the
    /// words at `known` (indexes into `parsed.words`, found in the synonym table) are completed
    /// while typed but never corrected.
    pub(super) fn corrections(
        &mut self,
        parsed: &ParsedQuery,
        input: &str,
        known: &HashSet<usize>,
        [should, optional]: [&mut Clauses; 2],
        highlight: &mut Highlight,
    ) -> Option<String> {
        let mut suggestion: Option<String> = None;
        let last = parsed.words.len().saturating_sub(1);
        for (i, word) in parsed.words.iter().enumerate() {
            let plain = schema::analyze(&mut self.plain, word);
            let [(_, u)] = plain.as_slice() else { continue };
            if u.chars().count() < 3 || !u.chars().all(char::is_alphabetic) || schema::is_stop_word(u) {
                continue;
            }
            let df = self.doc_freq(self.fields.spell, u);
            if i == last && !parsed.last_word_complete && df == 0 {
                let completions = suggest::prefix_terms(self.searcher, self.fields.spell, u, 8);
                if !completions.is_empty() {
                    for (c, _) in completions {
                        self.stemmed_everywhere(
                            i,
                            &c,
                            self.weights.prefix,
                            [&mut *should, &mut *optional],
                            highlight,
                        );
                    }
                    continue;
                }
            }
            // Short words are too close to too many others to correct; a rare long word next
            // to a common one is likely a typo of it ("conection").
            if df > 2 || u.len() < 4 || (df > 0 && u.len() < 6) || known.contains(&i) {
                continue;
            }
            let max = if u.len() >= 8 { 2 } else { 1 };
            let candidates = suggest::fuzzy_terms(self.searcher, self.fields.spell, u, max, 3);
            let candidates: Vec<_> = candidates
                .into_iter()
                .filter(|(_, cdf)| df == 0 || *cdf >= 50 * df)
                .collect();
            for (c, _) in &candidates {
                self.stemmed_everywhere(
                    i,
                    c,
                    self.weights.fuzzy,
                    [&mut *should, &mut *optional],
                    highlight,
                );
            }
            if let Some((best, _)) = candidates.first() {
                let base = suggestion.take().unwrap_or_else(|| input.to_owned());
                suggestion = Some(replace_word(&base, word, best));
            }
        }
        suggestion
    }

    /// An unstemmed vocabulary word, stemmed and searched in every prose field.
    /// Also counts as a match of typed word `word_index` (see [`Built::concepts`]).
    fn stemmed_everywhere(
        &mut self,
        word_index: usize,
        word: &str,
        factor: f32,
        [should, optional]: [&mut Clauses; 2],
        highlight: &mut Highlight,
    ) {
        for (p, t) in schema::analyze(&mut self.prose, word) {
            // A completion or correction that most articles contain ("serv" → "server") only
            // scores, like a typed common word.
            let target = if self.is_common(&[(p, t.clone())]) {
                &mut *optional
            } else {
                &mut *should
            };
            let before = target.len();
            self.term_everywhere(&t, factor, target);
            let added: Vec<Box<dyn Query>> = target[before..].iter().map(|(_, q)| q.box_clone()).collect();
            for q in added {
                self.attach(word_index, q);
            }
            highlight.prose.insert(t);
        }
    }
}

/// Replaces the first whole-word occurrence of `word` in `text` with `with`.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut from = 0;
    while let Some(found) = text[from..].find(word) {
        let start = from + found;
        let end = start + word.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return format!("{}{with}{}", &text[..start], &text[end..]);
        }
        from = end;
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_word_only_replaces_whole_words() {
        assert_eq!(
            replace_word("ofload the offload ofload", "ofload", "offload"),
            "offload the offload ofload"
        );
        assert_eq!(replace_word("xofload", "ofload", "offload"), "xofload");
    }
}
