//! Reading what the user typed: [`parse`] never fails. Words, `"phrases"`, `-exclusions` and
//! `product:`/`tag:` filters are picked out, everything else is a word, and oversized input is
//! cut to size. [`super::build`] turns the result into a tantivy query.

/// A query string taken apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Free words, as typed.
    pub words: Vec<String>,
    /// Quoted phrases, which must match.
    pub phrases: Vec<String>,
    /// Words and phrases after `-`, which must not match.
    pub excluded: Vec<String>,
    /// `product:` filters.
    pub products: Vec<String>,
    /// `tag:` filters.
    pub tags: Vec<String>,
    /// False when the query ends in the middle of a free word (as-you-type).
    pub last_word_complete: bool,
}

impl ParsedQuery {
    /// True when there is nothing to search for or filter by.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
            && self.phrases.is_empty()
            && self.excluded.is_empty()
            && self.products.is_empty()
            && self.tags.is_empty()
    }
}

/// Takes a query string apart. Any input is accepted.
pub fn parse(input: &str) -> ParsedQuery {
    let mut out = ParsedQuery::default();
    // Nobody types more; a pasted novel must not cost more than a long query.
    let chars: Vec<char> = input.chars().take(MAX_QUERY_CHARS).collect();
    let mut i = 0;
    let mut last_is_word = false;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            last_is_word = false;
            continue;
        }
        // After a cmdlet (`Set-RoleInstanceStatus -Busy`) a dash starts a parameter, not an
        // exclusion.
        let after_cmdlet = out.words.iter().any(|w| looks_like_cmdlet(w));
        let negate = matches!(chars[i], '-' | '!')
            && chars.get(i + 1).is_some_and(|c| !c.is_whitespace())
            && !(chars[i] == '-' && after_cmdlet);
        if negate || chars[i] == '+' {
            i += 1;
        }
        last_is_word = false;
        // A lone `+` at the very end (found by fuzzing): nothing left to read.
        let Some(&c) = chars.get(i) else { break };
        if c == '"' {
            let (text, next) = quoted(&chars, i);
            i = next;
            push_nonempty(
                if negate {
                    &mut out.excluded
                } else {
                    &mut out.phrases
                },
                text,
            );
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            // `product:"Windows Server"`: a quote right after the colon opens the value.
            if chars[i] == ':' && chars.get(i + 1) == Some(&'"') {
                i += 1;
                break;
            }
            i += 1;
        }
        let chunk: String = chars[start..i].iter().collect();
        if let Some((key, value)) = chunk.split_once(':') {
            let target = match key.to_ascii_lowercase().as_str() {
                "product" | "products" => Some(&mut out.products),
                "tag" | "tags" => Some(&mut out.tags),
                _ => None,
            };
            if let Some(target) = target {
                let value = if value.is_empty() && chars.get(i) == Some(&'"') {
                    let (text, next) = quoted(&chars, i);
                    i = next;
                    text
                } else {
                    value.to_owned()
                };
                if !negate {
                    push_nonempty(target, value);
                }
                continue;
            }
        }
        if negate {
            push_nonempty(&mut out.excluded, chunk);
        } else if !chunk.trim_matches(|c: char| !c.is_alphanumeric()).is_empty() {
            out.words.push(chunk);
            last_is_word = true;
        }
    }
    out.last_word_complete = !last_is_word && out.words.len() <= MAX_WORDS;
    out.words.truncate(MAX_WORDS);
    out.phrases.truncate(MAX_CLAUSES);
    out.excluded.truncate(MAX_CLAUSES);
    out.products.truncate(MAX_CLAUSES);
    out.tags.truncate(MAX_CLAUSES);
    out
}

/// Characters of a query read; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Free words searched.
pub const MAX_WORDS: usize = 32;
/// Phrases, exclusions and filters of each kind.
pub const MAX_CLAUSES: usize = 8;

/// `Verb-Noun`, as PowerShell cmdlets are named.
fn looks_like_cmdlet(word: &str) -> bool {
    word.split_once('-').is_some_and(|(verb, noun)| {
        verb.len() > 1
            && verb.chars().all(|c| c.is_ascii_alphabetic())
            && verb.starts_with(|c: char| c.is_ascii_uppercase())
            && !noun.is_empty()
            && noun.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

fn quoted(chars: &[char], open: usize) -> (String, usize) {
    let mut j = open + 1;
    while j < chars.len() && chars[j] != '"' {
        j += 1;
    }
    let text = chars[open + 1..j].iter().collect();
    (text, (j + 1).min(chars.len()))
}

fn push_nonempty(target: &mut Vec<String>, value: String) {
    let value = value.trim();
    if !value.is_empty() {
        target.push(value.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_plus_is_not_an_out_of_bounds_read() {
        // Regression from the fuzz target `fuzz_search_queries_never_panic_and_stay_within_limits`.
        for q in ["+", "a +", "offload +", "\"x\" +"] {
            let p = parse(q);
            assert!(p.excluded.is_empty(), "{q}");
        }
    }

    #[test]
    fn parse_picks_out_phrases_exclusions_and_filters() {
        let p = parse(r#"vm "task offload" -checksum product:"Windows Server 2008 R2" tag:networking drop"#);
        assert_eq!(p.words, ["vm", "drop"]);
        assert_eq!(p.phrases, ["task offload"]);
        assert_eq!(p.excluded, ["checksum"]);
        assert_eq!(p.products, ["Windows Server 2008 R2"]);
        assert_eq!(p.tags, ["networking"]);
        assert!(!p.last_word_complete);
    }

    #[test]
    fn huge_queries_are_cut_to_size() {
        let p = parse(&"word ".repeat(10_000));
        assert_eq!(p.words.len(), MAX_WORDS);
        let p = parse(&"-x \"y\" tag:z ".repeat(100));
        assert!(
            p.excluded.len() <= MAX_CLAUSES && p.phrases.len() <= MAX_CLAUSES && p.tags.len() <= MAX_CLAUSES
        );
    }

    #[test]
    fn parse_is_lenient() {
        for input in [
            "\"unterminated",
            "-",
            "product:",
            "::",
            "\"\"",
            "-\"\"",
            "a:\"b",
            "((",
            "tag:\"x",
        ] {
            let _ = parse(input);
        }
        assert_eq!(parse("\"unterminated phrase").phrases, ["unterminated phrase"]);
        assert_eq!(parse("- lone dash").words, ["lone", "dash"]);
        assert!(parse("offload ").last_word_complete);
    }

    #[test]
    fn identifiers_with_dashes_are_words_not_exclusions() {
        let p = parse("Disable-NetAdapterLso 0x80070005");
        assert_eq!(p.words, ["Disable-NetAdapterLso", "0x80070005"]);
        assert!(p.excluded.is_empty());
    }

    #[test]
    fn dashes_after_a_cmdlet_are_parameters() {
        let p = parse("Set-RoleInstanceStatus -Busy");
        assert_eq!(p.words, ["Set-RoleInstanceStatus", "-Busy"]);
        assert_eq!(parse("offload -busy").excluded, ["busy"]);
    }
}
