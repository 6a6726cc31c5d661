//! Just enough `multipart/form-data` to read the `/verify` upload form (RFC 7578): named parts,
//! optional file names, raw bytes. The body is already size-limited by the router.

/// One part of a form.
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'a> {
    /// The field name.
    pub name: String,
    /// The uploaded file's name, for file fields.
    pub filename: Option<String>,
    /// The raw content.
    pub data: &'a [u8],
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let mime = params.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

/// Splits `body` into its parts; `None` when it is not well-formed.
pub fn parse<'a>(boundary: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut rest = &body[find(body, delimiter)? + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let header_end = find(rest, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&rest[..header_end]).ok()?;
        rest = &rest[header_end + 4..];
        let mut closing = Vec::with_capacity(delimiter.len() + 2);
        closing.extend_from_slice(b"\r\n");
        closing.extend_from_slice(delimiter);
        let end = find(rest, &closing)?;
        let (name, filename) = disposition(headers)?;
        parts.push(Part {
            name,
            filename,
            data: &rest[..end],
        });
        rest = &rest[end + closing.len()..];
    }
}

/// `name` and `filename` from a part's `Content-Disposition: form-data; …` header.
fn disposition(headers: &str) -> Option<(String, Option<String>)> {
    let line = headers.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })?;
    let mut name = None;
    let mut filename = None;
    for param in line.split(';').skip(1) {
        let Some((key, value)) = param.trim().split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(value),
            "filename" => filename = Some(value),
            _ => {}
        }
    }
    Some((name?, filename))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_file_fields() {
        let ct = "multipart/form-data; boundary=----x123";
        let b = boundary(ct).unwrap();
        let body = b"------x123\r\nContent-Disposition: form-data; name=\"script\"\r\n\r\nline1\r\nline2\r\n------x123\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"fix.ps1\"\r\nContent-Type: application/octet-stream\r\n\r\n\xEF\xBB\xBFbytes\r\n\r\n------x123--\r\n";
        let parts = parse(&b, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            Part {
                name: "script".into(),
                filename: None,
                data: b"line1\r\nline2"
            }
        );
        assert_eq!(parts[1].filename.as_deref(), Some("fix.ps1"));
        assert_eq!(parts[1].data, b"\xEF\xBB\xBFbytes\r\n");
    }

    #[test]
    fn malformed_bodies_are_rejected() {
        assert!(boundary("application/x-www-form-urlencoded").is_none());
        assert!(parse("b", b"no delimiter").is_none());
        assert!(
            parse(
                "b",
                b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated"
            )
            .is_none()
        );
        assert!(parse("b", b"--b\r\nX: y\r\n\r\nx\r\n--b--").is_none());
    }
}
