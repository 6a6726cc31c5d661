//! The code-aware tokenizer: keeps `0x80070005`, `KB2664888`, `Disable-NetAdapterLso` and
//! `HKLM\SYSTEM\CurrentControlSet` findable whole *and* by their parts.
//!
//! Text is cut into chunks at whitespace, quotes and brackets. Each chunk yields, in order:
//! the whole chunk (when it is compound), its parts split at punctuation, and the camel-case
//! or letter/digit pieces of each part. The whole chunk shares a position with its first part,
//! and pieces share their part's position, so phrases over parts still line up.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Splits identifiers, error codes and paths into whole tokens plus parts. Case is kept;
/// the analyzer lower-cases afterwards.
#[derive(Clone, Copy, Default)]
pub struct CodeTokenizer;

/// The tokens of one text, produced eagerly (chunks are short; this keeps the logic plain).
pub struct CodeTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl Tokenizer for CodeTokenizer {
    type TokenStream<'a> = CodeTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CodeTokenStream {
        let mut tokens = Vec::new();
        tokenize(text, &mut tokens);
        CodeTokenStream {
            tokens: tokens.into_iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for CodeTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(t) => {
                self.current = t;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

fn is_chunk_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | ','
                | ';'
                | '='
                | '|'
                | '!'
                | '?'
                | '*'
                | '&'
        )
}

fn is_edge_punctuation(c: char) -> bool {
    !c.is_alphanumeric()
}

/// The chunks of `text` with their byte offsets, trimmed of edge punctuation (`-Name` → `Name`,
/// `offload.` → `offload`, `$Adapter` → `Adapter`).
pub fn chunks(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(is_chunk_separator).filter_map(move |raw| {
        let trimmed = raw.trim_matches(is_edge_punctuation);
        if trimmed.is_empty() {
            return None;
        }
        let start = trimmed.as_ptr() as usize - text.as_ptr() as usize;
        Some((start, trimmed))
    })
}

/// True when a chunk is an identifier worth keeping whole: inner punctuation (`a-b`, `a\b`,
/// `a.b`), letters mixed with digits (`0x8007`, `KB123`), or camel case (`NetAdapter`).
pub fn is_compound(chunk: &str) -> bool {
    let has_punct = chunk.chars().any(|c| !c.is_alphanumeric());
    let has_alpha = chunk.chars().any(char::is_alphabetic);
    let has_digit = chunk.chars().any(|c| c.is_ascii_digit());
    has_punct || (has_alpha && has_digit) || pieces(chunk).len() > 1
}

/// The whole-token form of a chunk as indexed: `HKLM:\SYSTEM` and `HKLM\SYSTEM` are one token.
pub fn whole_form(chunk: &str) -> String {
    chunk.replace(":\\", "\\")
}

fn tokenize(text: &str, out: &mut Vec<Token>) {
    let mut position = 0;
    for (start, chunk) in chunks(text) {
        let compound = is_compound(chunk);
        if compound {
            out.push(token(whole_form(chunk), start, start + chunk.len(), position));
        }
        let mut first = true;
        for (part_start, part) in parts(chunk) {
            if !first {
                position += 1;
            }
            first = false;
            let abs = start + part_start;
            let part_pieces = pieces(part);
            // A compound chunk already emitted itself; a part equal to the chunk adds nothing.
            if !(compound && part.len() == chunk.len()) {
                out.push(token(part.to_owned(), abs, abs + part.len(), position));
            }
            if part_pieces.len() > 1 {
                for (piece_start, piece) in part_pieces {
                    if piece.chars().count() > 1 && piece.len() < part.len() {
                        let p = abs + piece_start;
                        out.push(token(piece.to_owned(), p, p + piece.len(), position));
                    }
                }
            }
        }
        position += 1;
    }
}

fn token(text: String, from: usize, to: usize, position: usize) -> Token {
    Token {
        offset_from: from,
        offset_to: to,
        position,
        text,
        position_length: 1,
    }
}

/// Alphanumeric runs of a chunk.
fn parts(chunk: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in chunk.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &chunk[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &chunk[s..]));
    }
    out
}

/// Camel-case and letter/digit pieces of an alphanumeric part: `NetAdapterLso` → `Net`,
/// `Adapter`, `Lso`; `KB2664888` → `KB`, `2664888`; `0x80070005` → `80070005`.
fn pieces(part: &str) -> Vec<(usize, &str)> {
    if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
        if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return vec![(0, part), (2, hex)];
        }
        return vec![(0, part)];
    }
    let chars: Vec<(usize, char)> = part.char_indices().collect();
    let mut cuts = vec![0];
    for w in 1..chars.len() {
        let (i, c) = chars[w];
        let prev = chars[w - 1].1;
        let next = chars.get(w + 1).map(|&(_, n)| n);
        let lower_to_upper = prev.is_lowercase() && c.is_uppercase();
        // `XMLHttp`: the last capital of a run starts the next word.
        let acronym_end = prev.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase);
        let digit_edge = prev.is_ascii_digit() != c.is_ascii_digit();
        if lower_to_upper || acronym_end || digit_edge {
            cuts.push(i);
        }
    }
    cuts.push(part.len());
    cuts.windows(2).map(|w| (w[0], &part[w[0]..w[1]])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        tokenize(text, &mut out);
        out.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn error_codes_keep_whole_and_digits() {
        assert_eq!(
            texts("failed with 0x80070005."),
            ["failed", "with", "0x80070005", "80070005"]
        );
    }

    #[test]
    fn cmdlets_split_at_dashes_and_camel_case() {
        assert_eq!(
            texts("Disable-NetAdapterLso -Name"),
            [
                "Disable-NetAdapterLso",
                "Disable",
                "NetAdapterLso",
                "Net",
                "Adapter",
                "Lso",
                "Name"
            ]
        );
    }

    #[test]
    fn registry_paths_keep_whole_form_without_drive_colon() {
        let t = texts(r#"Set-ItemProperty "HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip""#);
        assert!(
            t.contains(&r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip".to_owned()),
            "{t:?}"
        );
        assert!(
            t.contains(&"Tcpip".to_owned()) && t.contains(&"Control".to_owned()),
            "{t:?}"
        );
    }

    #[test]
    fn kb_numbers_split_letters_from_digits() {
        assert_eq!(texts("KB2664888"), ["KB2664888", "KB", "2664888"]);
    }

    #[test]
    fn whole_token_shares_position_with_first_part() {
        let mut out = Vec::new();
        tokenize("a-b c", &mut out);
        let pos: Vec<(String, usize)> = out.into_iter().map(|t| (t.text, t.position)).collect();
        assert_eq!(
            pos,
            [
                ("a-b".into(), 0),
                ("a".into(), 0),
                ("b".into(), 1),
                ("c".into(), 2)
            ]
        );
    }
}
