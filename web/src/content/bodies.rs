//! Article bodies: the large parts of an article (rendered HTML, table of contents, search
//! text, code, headings and the source file), kept in memory or spilled to a file.
//!
//! At 100,000 articles the bodies weigh ~2 GB while everything listings, facets, links and the
//! table of contents need weighs ~150 MB. The server therefore writes each body once, at load,
//! to an unlinked file in its data folder as lz4 blocks (one per part), and the [`Article`]
//! keeps a [`Body`] handle: the file, an offset and the blocks' lengths. Reading a part is one
//! positioned read plus a decompression of a few microseconds, and its bytes live in the
//! kernel's page cache rather than in the process. Tests and command-line tools keep bodies in
//! memory ([`Body::new`]); both kinds read through the same accessors.
//!
//! Every snapshot that spills gets its own file, and handles hold it through an `Arc`: a reload
//! that keeps an unchanged body keeps the older file alive, and a file goes away (it has no
//! name) when the last snapshot using it does.
//!
//! [`Article`]: super::Article

use std::borrow::Cow;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use crate::markdown::TocEntry;

/// The parts of a body, in the order they are written.
#[derive(Debug, Clone, Copy)]
enum Part {
    Html,
    Toc,
    Text,
    Code,
    Headings,
    Source,
}

const PARTS: usize = 6;

/// The large parts of one article, as rendering produces them.
#[derive(Debug, Clone, Default)]
pub struct BodyParts {
    /// Sanitized body HTML (without the leading `# H1`).
    pub html: String,
    /// Table of contents (h2/h3): only the page shows it, so it need not stay in memory.
    pub toc: Vec<TocEntry>,
    /// Plain body text for search and snippets.
    pub text: String,
    /// Code from the body for search.
    pub code: String,
    /// Every heading's text.
    pub headings: Vec<String>,
    /// The whole source file, front matter included: the last good version on reload.
    pub source: Arc<str>,
}

/// A handle on an article's body. Cheap to clone; equal when the contents are.
#[derive(Clone)]
pub struct Body {
    repr: Repr,
    /// Hash of every part: compares bodies (on reload, and for `PartialEq`) without reading them.
    fingerprint: u64,
}

#[derive(Clone)]
enum Repr {
    Memory(Arc<BodyParts>),
    Spilled {
        file: Arc<File>,
        offset: u64,
        /// Compressed length of each part, in [`Part`] order, stored back to back from `offset`.
        lens: [u32; PARTS],
    },
}

impl Body {
    /// A body kept in memory.
    pub fn new(parts: BodyParts) -> Self {
        let fingerprint = fingerprint(&parts);
        Self {
            repr: Repr::Memory(Arc::new(parts)),
            fingerprint,
        }
    }

    /// A hash of every part: equal bodies have equal fingerprints.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// True when the body lives in a spill file.
    pub fn is_spilled(&self) -> bool {
        matches!(self.repr, Repr::Spilled { .. })
    }

    /// True when both handles read the same bytes of the same spill file (or the same memory).
    pub fn same_storage(&self, other: &Body) -> bool {
        match (&self.repr, &other.repr) {
            (Repr::Memory(a), Repr::Memory(b)) => Arc::ptr_eq(a, b),
            (
                Repr::Spilled {
                    file: a, offset: x, ..
                },
                Repr::Spilled {
                    file: b, offset: y, ..
                },
            ) => Arc::ptr_eq(a, b) && x == y,
            _ => false,
        }
    }

    /// The sanitized body HTML.
    pub fn html(&self) -> io::Result<Cow<'_, str>> {
        self.string(Part::Html, |p| &p.html)
    }

    /// The table of contents (h2/h3).
    pub fn toc(&self) -> io::Result<Cow<'_, [TocEntry]>> {
        match &self.repr {
            Repr::Memory(p) => Ok(Cow::Borrowed(&p.toc)),
            Repr::Spilled { .. } => decode_toc(&self.read(Part::Toc)?).map(Cow::Owned),
        }
    }

    /// The plain body text (no code).
    pub fn text(&self) -> io::Result<Cow<'_, str>> {
        self.string(Part::Text, |p| &p.text)
    }

    /// The contents of code blocks and inline code.
    pub fn code(&self) -> io::Result<Cow<'_, str>> {
        self.string(Part::Code, |p| &p.code)
    }

    /// Every heading's text.
    pub fn headings(&self) -> io::Result<Cow<'_, [String]>> {
        match &self.repr {
            Repr::Memory(p) => Ok(Cow::Borrowed(&p.headings)),
            Repr::Spilled { .. } => decode_list(&self.read(Part::Headings)?).map(Cow::Owned),
        }
    }

    /// The source file the body was rendered from.
    pub fn source(&self) -> io::Result<Arc<str>> {
        match &self.repr {
            Repr::Memory(p) => Ok(p.source.clone()),
            Repr::Spilled { .. } => Ok(utf8(self.read(Part::Source)?)?.into()),
        }
    }

    /// Every part, read back into memory.
    pub fn parts(&self) -> io::Result<BodyParts> {
        Ok(BodyParts {
            html: self.html()?.into_owned(),
            toc: self.toc()?.into_owned(),
            text: self.text()?.into_owned(),
            code: self.code()?.into_owned(),
            headings: self.headings()?.into_owned(),
            source: self.source()?,
        })
    }

    /// Truncates the spill file under this body, so that reading any body in it fails.
    #[cfg(test)]
    pub(crate) fn break_storage(&self) {
        if let Repr::Spilled { file, .. } = &self.repr {
            file.set_len(0).unwrap();
        }
    }

    fn string(&self, part: Part, field: impl Fn(&BodyParts) -> &String) -> io::Result<Cow<'_, str>> {
        match &self.repr {
            Repr::Memory(p) => Ok(Cow::Borrowed(field(p))),
            Repr::Spilled { .. } => Ok(Cow::Owned(utf8(self.read(part)?)?)),
        }
    }

    /// Reads and decompresses one part of a spilled body.
    fn read(&self, part: Part) -> io::Result<Vec<u8>> {
        let Repr::Spilled { file, offset, lens } = &self.repr else {
            return Err(io::Error::other("body is not spilled"));
        };
        let index = part as usize;
        let start = offset + lens[..index].iter().map(|&l| u64::from(l)).sum::<u64>();
        let mut compressed = vec![0; lens[index] as usize];
        file.read_exact_at(&mut compressed, start)?;
        lz4_flex::block::decompress_size_prepended(&compressed)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("corrupt article body: {e}")))
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Body");
        match &self.repr {
            Repr::Memory(p) => d.field("memory", &p.html.len()),
            Repr::Spilled { offset, lens, .. } => d.field("offset", offset).field("lens", lens),
        };
        d.field("fingerprint", &format_args!("{:016x}", self.fingerprint))
            .finish()
    }
}

/// An open spill file that bodies are appended to while a snapshot loads.
pub struct Spill {
    file: Arc<File>,
    len: u64,
    buf: Vec<u8>,
}

impl Spill {
    /// Creates an unlinked spill file in `dir`. Use a folder on disk, not a tmpfs such as
    /// `/tmp` on many systems, or the bodies stay in memory after all.
    pub fn create_in(dir: &Path) -> io::Result<Spill> {
        Ok(Spill {
            file: Arc::new(tempfile::tempfile_in(dir)?),
            len: 0,
            buf: Vec::new(),
        })
    }

    /// Writes `body` to the file and returns a handle that reads it from there. A body already
    /// spilled is returned as it is. The bytes are written before this returns, so the handle
    /// can be read at once.
    pub fn put(&mut self, body: &Body) -> io::Result<Body> {
        let Repr::Memory(parts) = &body.repr else {
            return Ok(body.clone());
        };
        self.buf.clear();
        let mut lens = [0; PARTS];
        let headings = encode_list(parts.headings.iter().map(String::as_str));
        let toc = encode_toc(&parts.toc);
        let blocks: [&[u8]; PARTS] = [
            parts.html.as_bytes(),
            &toc,
            parts.text.as_bytes(),
            parts.code.as_bytes(),
            &headings,
            parts.source.as_bytes(),
        ];
        for (len, block) in lens.iter_mut().zip(blocks) {
            let compressed = lz4_flex::block::compress_prepend_size(block);
            *len = u32::try_from(compressed.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "article body over 4 GB"))?;
            self.buf.extend_from_slice(&compressed);
        }
        self.file.write_all_at(&self.buf, self.len)?;
        let offset = self.len;
        self.len += self.buf.len() as u64;
        Ok(Body {
            repr: Repr::Spilled {
                file: self.file.clone(),
                offset,
                lens,
            },
            fingerprint: body.fingerprint,
        })
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn fingerprint(parts: &BodyParts) -> u64 {
    // SipHash with fixed keys: stable within the process, which is as long as handles live.
    let mut h = std::hash::DefaultHasher::new();
    parts.html.hash(&mut h);
    for t in &parts.toc {
        (t.level, &t.id, &t.text).hash(&mut h);
    }
    parts.text.hash(&mut h);
    parts.code.hash(&mut h);
    parts.headings.hash(&mut h);
    parts.source.hash(&mut h);
    h.finish()
}

fn utf8(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Entries as three list items each: level, id, text.
fn encode_toc(toc: &[TocEntry]) -> Vec<u8> {
    let levels: Vec<String> = toc.iter().map(|t| t.level.to_string()).collect();
    encode_list(
        toc.iter()
            .zip(&levels)
            .flat_map(|(t, level)| [level.as_str(), &t.id, &t.text]),
    )
}

fn decode_toc(bytes: &[u8]) -> io::Result<Vec<TocEntry>> {
    let corrupt = || io::Error::new(io::ErrorKind::InvalidData, "corrupt table of contents");
    let items = decode_list(bytes)?;
    if items.len() % 3 != 0 {
        return Err(corrupt());
    }
    items
        .chunks_exact(3)
        .map(|c| {
            Ok(TocEntry {
                level: c[0].parse().map_err(|_| corrupt())?,
                id: c[1].clone(),
                text: c[2].clone(),
            })
        })
        .collect()
}

/// Strings as (u32 little-endian length, bytes) pairs: headings may hold any character.
fn encode_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(&(item.len() as u32).to_le_bytes());
        out.extend_from_slice(item.as_bytes());
    }
    out
}

fn decode_list(mut bytes: &[u8]) -> io::Result<Vec<String>> {
    let corrupt = || io::Error::new(io::ErrorKind::InvalidData, "corrupt heading list");
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let len = u32::from_le_bytes(*len) as usize;
        let item = rest.get(..len).ok_or_else(corrupt)?;
        out.push(utf8(item.to_vec())?);
        bytes = &rest[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BodyParts {
        BodyParts {
            html: "<p>Hello <code>x</code></p>".repeat(50),
            toc: vec![
                TocEntry {
                    level: 2,
                    id: "cause".into(),
                    text: "Cause".into(),
                },
                TocEntry {
                    level: 3,
                    id: "x-y".into(),
                    text: "X\ny".into(),
                },
            ],
            text: "Hello\nworld".into(),
            code: String::new(),
            headings: vec!["A".into(), "B\nwith a break".into(), String::new()],
            source: "# Title\n\nHello".into(),
        }
    }

    #[test]
    fn spilled_body_reads_back_every_part() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        let memory = Body::new(sample());
        let first = spill.put(&Body::new(BodyParts::default())).unwrap();
        let spilled = spill.put(&memory).unwrap();
        assert!(spilled.is_spilled() && !memory.is_spilled());
        assert_eq!(spilled, memory);
        let parts = spilled.parts().unwrap();
        let want = sample();
        assert_eq!(parts.html, want.html);
        assert_eq!(parts.toc, want.toc);
        assert_eq!(parts.text, want.text);
        assert_eq!(parts.code, want.code);
        assert_eq!(parts.headings, want.headings);
        assert_eq!(parts.source, want.source);
        assert_eq!(first.text().unwrap(), "");
        assert!(first.headings().unwrap().is_empty());
    }

    #[test]
    fn putting_a_spilled_body_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        let spilled = spill.put(&Body::new(sample())).unwrap();
        let len = spill.len();
        let again = spill.put(&spilled).unwrap();
        assert_eq!(spill.len(), len);
        assert!(again.same_storage(&spilled));
    }

    #[test]
    fn different_bodies_differ() {
        let mut other = sample();
        other.text.push('!');
        assert_ne!(Body::new(sample()), Body::new(other));
        assert_eq!(Body::new(sample()), Body::new(sample()));
    }

    #[test]
    fn a_truncated_spill_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        let body = spill.put(&Body::new(sample())).unwrap();
        spill.file.set_len(4).unwrap();
        assert!(body.html().is_err());
        assert!(body.headings().is_err());
    }
}
