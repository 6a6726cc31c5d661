//! Admin sessions without server-side state: the cookie carries its issue time and an
//! HMAC-SHA256 of it keyed with the admin token, and each session's CSRF token is another HMAC
//! of the same time. Changing `FIXKB_ADMIN_TOKEN` ends every session. All comparisons are
//! constant-time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie's name.
pub const COOKIE: &str = "fixkb_admin";
/// How long a login lasts, in seconds.
pub const LIFETIME_SECS: i64 = 12 * 60 * 60;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `given` is the admin token, in time independent of where they differ (both are
/// hashed first, so their lengths do not show either).
pub fn token_matches(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes())
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into()
}

/// The cookie value for a session issued at `issued` (Unix seconds).
pub fn cookie_value(token: &str, issued: i64) -> String {
    format!(
        "{issued}.{}",
        hex(&hmac(token.as_bytes(), format!("session:{issued}").as_bytes()))
    )
}

/// The session's issue time if `value` is a valid, unexpired session cookie.
pub fn verify_cookie(token: &str, value: &str, now: i64) -> Option<i64> {
    let (issued, _) = value.split_once('.')?;
    let issued: i64 = issued.parse().ok()?;
    let expected = cookie_value(token, issued);
    let valid: bool = expected.as_bytes().ct_eq(value.as_bytes()).into();
    (valid && issued <= now + 60 && now - issued < LIFETIME_SECS).then_some(issued)
}

/// The CSRF token forms of the session issued at `issued` carry.
pub fn csrf_token(token: &str, issued: i64) -> String {
    hex(&hmac(token.as_bytes(), format!("csrf:{issued}").as_bytes()))
}

/// Whether `given` is the CSRF token of the session issued at `issued`.
pub fn csrf_matches(token: &str, issued: i64, given: &str) -> bool {
    csrf_token(token, issued)
        .as_bytes()
        .ct_eq(given.as_bytes())
        .into()
}

/// The session cookie's value from a `Cookie` header.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE).then_some(value)
    })
}

/// Failed logins allowed per client address within [`FAILURE_WINDOW_SECS`].
pub const MAX_FAILURES: u32 = 10;
/// The window failed logins are counted in, in seconds.
pub const FAILURE_WINDOW_SECS: i64 = 10 * 60;

/// Failed logins per client address, in this process: (first failure in the window, count).
#[derive(Debug, Default)]
pub struct Failures(Mutex<HashMap<IpAddr, (i64, u32)>>);

impl Failures {
    /// Whether `client` has used up its attempts.
    pub fn locked_out(&self, client: IpAddr, now: i64) -> bool {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&client)
            .is_some_and(|&(since, count)| now - since < FAILURE_WINDOW_SECS && count >= MAX_FAILURES)
    }

    /// Counts a failed attempt by `client`.
    pub fn record(&self, client: IpAddr, now: i64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, &mut (since, _)| now - since < FAILURE_WINDOW_SECS);
        }
        let entry = map.entry(client).or_insert((now, 0));
        if now - entry.0 >= FAILURE_WINDOW_SECS {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        assert_eq!(
            hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Keys longer than a block are hashed first (test case 6).
        assert_eq!(
            hex(&hmac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn cookies_verify_only_with_the_right_token_and_in_time() {
        let cookie = cookie_value("secret", 1_000);
        assert_eq!(verify_cookie("secret", &cookie, 1_000), Some(1_000));
        assert_eq!(verify_cookie("other", &cookie, 1_000), None);
        assert_eq!(verify_cookie("secret", &cookie, 1_000 + LIFETIME_SECS), None);
        assert_eq!(
            verify_cookie("secret", &cookie.replace("1000.", "1001."), 1_000),
            None
        );
        assert_eq!(verify_cookie("secret", "1000.", 1_000), None);
        assert_eq!(verify_cookie("secret", "garbage", 1_000), None);
    }

    #[test]
    fn tokens_and_csrf_compare_exactly() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cre", "s3cret"));
        assert!(!token_matches("", "s3cret"));
        let csrf = csrf_token("k", 5);
        assert!(csrf_matches("k", 5, &csrf));
        assert!(!csrf_matches("k", 6, &csrf));
        assert!(!csrf_matches("k", 5, ""));
        assert_eq!(from_cookie_header("a=1; fixkb_admin=5.ab; b=2"), Some("5.ab"));
        assert_eq!(from_cookie_header("a=1"), None);
    }
}

#[cfg(test)]
mod failure_tests {
    use super::*;

    #[test]
    fn a_client_is_locked_out_after_too_many_failures_for_a_while() {
        let failures = Failures::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(!failures.locked_out(a, 100));
            failures.record(a, 100);
        }
        assert!(failures.locked_out(a, 100));
        assert!(!failures.locked_out(b, 100));
        assert!(!failures.locked_out(a, 100 + FAILURE_WINDOW_SECS));
        failures.record(a, 100 + FAILURE_WINDOW_SECS);
        assert!(!failures.locked_out(a, 100 + FAILURE_WINDOW_SECS));
    }
}
