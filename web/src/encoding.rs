//! Bodies that are served many times (a rendered article page, a kept search answer), each
//! compressed at most once per content coding instead of at every request.
//!
//! Browsers always ask for compressed bodies. Left to the compression layer, a kept page was
//! compressed again for every request: with a browser's `Accept-Encoding`, brotli took most of
//! the time of an article page and of a repeated search (measured in BENCHMARKS.md). An
//! [`Encoded`] body compresses on the first request that accepts a coding and keeps the result;
//! its responses carry `Content-Encoding`, which the compression layer leaves alone.
//!
//! A search answer is made by one search and most are sent once or a few times, so it is
//! compressed with the fastest settings ([`Encoded::answer`]): at a kept page's settings,
//! compressing a 10 KB answer took about 100 µs (30 µs now), next to about 1.5 ms of CPU for an
//! uncached search at 100k articles, for a body a fifth smaller (BENCHMARKS.md).

use std::io::Write;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};

/// Bodies smaller than this are sent as they are: compressing them saves less than the headers.
pub const MIN_COMPRESSED: usize = 512;
/// Brotli window (log2 bytes): pages are tens of KB.
const BROTLI_WINDOW: u32 = 22;

/// Brotli quality and gzip level for bodies made for one request or a few (`Effort::Fast`, and
/// the compression layer's responses, `http::router`): brotli 1 is about three times faster than
/// a kept page's 5 for a body a fifth bigger.
pub const FAST_LEVEL: u32 = 1;

/// How hard a body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effort {
    /// Served many times: brotli 5, a little better than the compression layer's 4 (what
    /// nginx uses on the fly) and still well under a millisecond for a page; gzip 6
    /// (flate2's default).
    Kept,
    /// Made for one request or a few: [`FAST_LEVEL`].
    Fast,
}

impl Effort {
    fn brotli_quality(self) -> u32 {
        match self {
            Effort::Kept => 5,
            Effort::Fast => FAST_LEVEL,
        }
    }

    fn gzip_level(self) -> u32 {
        match self {
            Effort::Kept => 6,
            Effort::Fast => FAST_LEVEL,
        }
    }
}

/// A content coding this module produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// As is.
    Identity,
    /// `br`.
    Brotli,
    /// `gzip`.
    Gzip,
}

impl Coding {
    /// The `Content-Encoding` value, `None` for identity.
    fn header(self) -> Option<HeaderValue> {
        match self {
            Coding::Identity => None,
            Coding::Brotli => Some(HeaderValue::from_static("br")),
            Coding::Gzip => Some(HeaderValue::from_static("gzip")),
        }
    }

    /// Suffix that tells this coding's entity tag from the others'.
    fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Identity => "",
            Coding::Brotli => "-br",
            Coding::Gzip => "-gz",
        }
    }
}

/// The coding to answer a request with: brotli or gzip, whichever the request's
/// `Accept-Encoding` weighs more (brotli on a tie, as it is smaller), else identity.
/// Understands q-values, `*`, `q=0` refusals and several headers.
pub fn negotiate(request: &HeaderMap) -> Coding {
    let mut br: Option<f32> = None;
    let mut gzip: Option<f32> = None;
    let mut any: Option<f32> = None;
    for value in request.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .or_else(|| p.trim().strip_prefix("Q="))
                })
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let slot = if name.eq_ignore_ascii_case("br") {
                &mut br
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if name == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(slot.map_or(q, |old: f32| old.max(q)));
        }
    }
    let br = br.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    match (br, gzip) {
        (b, g) if b > 0.0 && b >= g => Coding::Brotli,
        (_, g) if g > 0.0 => Coding::Gzip,
        _ => Coding::Identity,
    }
}

/// A body and, once asked for, its compressed forms.
#[derive(Debug)]
pub struct Encoded {
    identity: Bytes,
    effort: Effort,
    /// `None` inside: compressing did not make it smaller, so it is sent as is.
    brotli: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

impl Encoded {
    /// `body`, served many times and not yet compressed.
    pub fn new(body: impl Into<Bytes>) -> Self {
        Self::with_effort(body, Effort::Kept)
    }

    /// A search answer's `body`, not yet compressed: made by one search and most often sent
    /// once, so compressed with the fastest settings.
    pub fn answer(body: impl Into<Bytes>) -> Self {
        Self::with_effort(body, Effort::Fast)
    }

    fn with_effort(body: impl Into<Bytes>, effort: Effort) -> Self {
        Self {
            identity: body.into(),
            effort,
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// The body as is.
    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    /// The body in `coding`, compressed now if it has not been yet, and the coding it is
    /// actually in (identity when compressing would not make it smaller).
    pub fn get(&self, coding: Coding) -> (Coding, Bytes) {
        if self.identity.len() < MIN_COMPRESSED {
            return (Coding::Identity, self.identity.clone());
        }
        let kept = match coding {
            Coding::Identity => None,
            Coding::Brotli => self
                .brotli
                .get_or_init(|| smaller(brotli(&self.identity, self.effort), &self.identity))
                .clone(),
            Coding::Gzip => self
                .gzip
                .get_or_init(|| smaller(gzip(&self.identity, self.effort), &self.identity))
                .clone(),
        };
        match kept {
            Some(bytes) => (coding, bytes),
            None => (Coding::Identity, self.identity.clone()),
        }
    }

    /// Bytes held, counting the compressed forms made so far (for caches' size bounds).
    pub fn held_bytes(&self) -> usize {
        let len = |cell: &OnceLock<Option<Bytes>>| cell.get().and_then(Option::as_ref).map_or(0, Bytes::len);
        self.identity.len() + len(&self.brotli) + len(&self.gzip)
    }

    /// The headers and body answering `request`: `Content-Encoding` when compressed, always
    /// `Vary: Accept-Encoding`, and `etag` (when given) marked with the coding, since each
    /// coding is a different sequence of bytes.
    pub fn respond(&self, request: &HeaderMap, etag: Option<&str>) -> (HeaderMap, Bytes) {
        let (coding, body) = self.get(negotiate(request));
        let mut headers = HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Some(value) = coding.header() {
            headers.insert(header::CONTENT_ENCODING, value);
        }
        if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&coded_etag(t, coding)).ok()) {
            headers.insert(header::ETAG, tag);
        }
        (headers, body)
    }
}

/// `"tag"` with the coding's suffix inside the quotes.
fn coded_etag(tag: &str, coding: Coding) -> String {
    format!("\"{tag}{}\"", coding.etag_suffix())
}

fn smaller(compressed: Vec<u8>, original: &[u8]) -> Option<Bytes> {
    (compressed.len() < original.len()).then(|| Bytes::from(compressed))
}

fn brotli(body: &[u8], effort: Effort) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 3);
    {
        let quality = effort.brotli_quality();
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, quality, BROTLI_WINDOW);
        // Writing to a Vec cannot fail.
        let _ = writer.write_all(body);
    }
    out
}

fn gzip(body: &[u8], effort: Effort) -> Vec<u8> {
    let mut writer = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(effort.gzip_level()),
    );
    let _ = writer.write_all(body);
    writer.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accepting(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn negotiation_follows_the_weights_the_client_gives() {
        let cases: &[(&[&str], Coding)] = &[
            (&[], Coding::Identity),
            (&["gzip, deflate, br, zstd"], Coding::Brotli),
            (&["gzip"], Coding::Gzip),
            (&["x-gzip"], Coding::Gzip),
            (&["deflate, zstd"], Coding::Identity),
            (&["br;q=0.5, gzip;q=0.8"], Coding::Gzip),
            (&["br;q=0, gzip"], Coding::Gzip),
            (&["br;q=0, gzip;q=0"], Coding::Identity),
            (&["*"], Coding::Brotli),
            (&["*;q=0.3, gzip"], Coding::Gzip),
            (&["identity"], Coding::Identity),
            (&["GZIP;Q=0.5", "BR;q=0.4"], Coding::Gzip),
            (&["br; q=0.9 , gzip ; q=0.9"], Coding::Brotli),
            (&["br;q=junk"], Coding::Brotli),
            (&["gzip;q=2"], Coding::Gzip),
        ];
        for (values, expected) in cases {
            assert_eq!(negotiate(&accepting(values)), *expected, "{values:?}");
        }
    }

    fn page() -> String {
        (0..400)
            .map(|i| format!("<p>Line {i} of a page about task offload.</p>\n"))
            .collect()
    }

    fn decode(coding: Coding, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Identity => out.extend_from_slice(body),
            Coding::Brotli => {
                brotli::Decompressor::new(body, 4096)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Coding::Gzip => {
                flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap();
            }
        }
        out
    }

    #[test]
    fn every_coding_decodes_to_the_same_bytes_and_is_made_once() {
        let text = page();
        for body in [Encoded::new(text.clone()), Encoded::answer(text.clone())] {
            every_coding_decodes_to(&body, &text);
        }
    }

    fn every_coding_decodes_to(body: &Encoded, text: &str) {
        for coding in [Coding::Brotli, Coding::Gzip, Coding::Identity] {
            let (got, bytes) = body.get(coding);
            assert_eq!(got, coding);
            if coding != Coding::Identity {
                assert!(bytes.len() < text.len() / 4, "{coding:?}: {} bytes", bytes.len());
            }
            assert_eq!(decode(coding, &bytes), text.as_bytes(), "{coding:?}");
            // The second request gets the very bytes kept from the first.
            let (_, again) = body.get(coding);
            assert_eq!(again.as_ptr(), bytes.as_ptr(), "{coding:?} compressed twice");
        }
        assert!(body.held_bytes() > text.len());
    }

    #[test]
    fn answers_are_compressed_faster_and_kept_pages_smaller() {
        // Something like a search answer: hits with varied titles, snippets and scores.
        let json: String = (0..40_u32)
            .map(|i| {
                format!(
                    "{{\"slug\":\"article-{i}\",\"title\":\"Service {} stops after update {}\",\
                     \"snippet_html\":\"The <mark>spooler</mark> on host {} fails ({:x}).\",\"score\":{}}},",
                    i * 37 % 11,
                    i * 7919 % 1000,
                    i * 31 % 17,
                    u64::from(i) * 2_654_435_761 % 65_536,
                    f64::from(i) * 1.37,
                )
            })
            .collect();
        let kept = Encoded::new(json.clone());
        let answer = Encoded::answer(json.clone());
        for coding in [Coding::Brotli, Coding::Gzip] {
            let (kept, answer) = (kept.get(coding).1, answer.get(coding).1);
            assert_eq!(decode(coding, &answer), json.as_bytes(), "{coding:?}");
            // The kept page's settings search harder for repeats; the answer's do not.
            assert!(
                kept.len() < answer.len(),
                "{coding:?}: {} vs {}",
                kept.len(),
                answer.len()
            );
            assert!(
                answer.len() < json.len() / 2,
                "{coding:?}: {} bytes",
                answer.len()
            );
        }
    }

    #[test]
    fn small_or_incompressible_bodies_go_as_they_are() {
        let small = Encoded::new("{\"total\":0}");
        assert_eq!(small.get(Coding::Brotli).0, Coding::Identity);
        // Bytes with no repetition: compressing cannot make them smaller.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let body = Encoded::new(noise.clone());
        for coding in [Coding::Brotli, Coding::Gzip] {
            let (got, bytes) = body.get(coding);
            assert_eq!(got, Coding::Identity, "{coding:?}");
            assert_eq!(&bytes[..], &noise[..]);
        }
        // Its tag is the identity one too, so a browser holding it can still revalidate.
        let browser = HeaderMap::from_iter([(header::ACCEPT_ENCODING, HeaderValue::from_static("br"))]);
        assert_eq!(body.respond(&browser, Some("n")).0[header::ETAG], "\"n\"");
    }

    #[test]
    fn responses_say_how_they_are_coded_and_vary_on_it() {
        let body = Encoded::new(page());
        let (headers, bytes) = body.respond(&accepting(&["gzip, br"]), Some("abc"));
        assert_eq!(headers[header::CONTENT_ENCODING], "br");
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert_eq!(headers[header::ETAG], "\"abc-br\"");
        assert_eq!(decode(Coding::Brotli, &bytes), page().as_bytes());

        let (headers, bytes) = body.respond(&HeaderMap::new(), Some("abc"));
        assert!(!headers.contains_key(header::CONTENT_ENCODING));
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert_eq!(headers[header::ETAG], "\"abc\"");
        assert_eq!(&bytes[..], page().as_bytes());
    }
}
