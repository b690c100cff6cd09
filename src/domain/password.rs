//! Passwords: the policy a new one must meet and the stored hash format.
//!
//! Hashes are PBKDF2-HMAC-SHA256 with a per-user 128-bit random salt, computed in the Worker by
//! WebCrypto (`platform::webcrypto::pbkdf2`), whose runtime caps iterations at 100,000 — we use the
//! cap. The stored string names the algorithm and the iteration count
//! (`pbkdf2-sha256$100000$<salt hex>$<hash hex>`), so the count can be raised later and old hashes
//! upgraded at the next sign-in (`needs_rehash`). `pbkdf2_sha256` here is the same function in pure
//! Rust: host tests check the format and the WebCrypto path against it (RFC 7914 §11 vectors).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::listing::{FieldError, Problem};
use super::signature::{constant_time_eq, hex};

/// The Workers runtime's ceiling for PBKDF2 iterations.
pub const ITERATIONS: u32 = 100_000;
pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;
pub const SALT_BYTES: usize = 16;
const ALGORITHM: &str = "pbkdf2-sha256";

/// A password that meets the policy (length in characters; at most `MAX_LEN` bytes so that hashing
/// cost stays bounded).
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(field: &'static str, s: &str) -> Result<NewPassword, FieldError> {
        let fail = |problem| FieldError { field, problem };
        if s.is_empty() {
            return Err(fail(Problem::Required));
        }
        if s.chars().count() < MIN_LEN {
            return Err(fail(Problem::TooShort { min: MIN_LEN }));
        }
        if s.len() > MAX_LEN {
            return Err(fail(Problem::TooLong { max: MAX_LEN }));
        }
        Ok(NewPassword(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl StoredHash {
    pub fn parse(s: &str) -> Option<StoredHash> {
        let mut parts = s.split('$');
        let (Some(ALGORITHM), Some(iterations), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        let iterations: u32 = iterations.parse().ok().filter(|n| (1..=ITERATIONS).contains(n))?;
        let (salt, hash) = (unhex(salt)?, unhex(hash)?);
        (!salt.is_empty() && hash.len() == 32).then_some(StoredHash { iterations, salt, hash })
    }

    pub fn format(&self) -> String {
        format!("{ALGORITHM}${}${}${}", self.iterations, hex(&self.salt), hex(&self.hash))
    }

    /// Compares a freshly derived key with the stored one, in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        constant_time_eq(&self.hash, derived)
    }

    pub fn needs_rehash(&self) -> bool {
        self.iterations < ITERATIONS
    }
}

/// What a sign-in compares against when the account does not exist, so that an unknown email costs
/// the same time as a wrong password.
pub fn decoy() -> StoredHash {
    StoredHash { iterations: ITERATIONS, salt: vec![0; SALT_BYTES], hash: vec![0; 32] }
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output (RFC 8018 §5.2), in pure Rust.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let Ok(prf) = Hmac::<Sha256>::new_from_slice(password) else { return [0; 32] };
    let mut block = prf.clone();
    block.update(salt);
    block.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = block.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut next = prf.clone();
        next.update(&u);
        u = next.finalize().into_bytes().into();
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_published_sha256_vectors() {
        // RFC 7914 §11 (PBKDF2-HMAC-SHA256, "passwd"/"salt", c = 1), first 32 bytes.
        assert_eq!(hex(&pbkdf2_sha256(b"passwd", b"salt", 1)), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
        // The widely used c = 2 and c = 4096 vectors for "password"/"salt".
        assert_eq!(hex(&pbkdf2_sha256(b"password", b"salt", 2)), "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
        assert_eq!(hex(&pbkdf2_sha256(b"password", b"salt", 4096)), "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
    }

    #[test]
    fn the_stored_format_names_algorithm_and_iterations_and_round_trips() {
        let stored = StoredHash { iterations: ITERATIONS, salt: vec![1; 16], hash: pbkdf2_sha256(b"pw", &[1; 16], 3).to_vec() };
        let text = stored.format();
        assert!(text.starts_with("pbkdf2-sha256$100000$01010101"));
        assert_eq!(StoredHash::parse(&text), Some(stored.clone()));
        assert!(stored.matches(&pbkdf2_sha256(b"pw", &[1; 16], 3)));
        assert!(!stored.matches(&pbkdf2_sha256(b"pw!", &[1; 16], 3)));
        assert!(!stored.needs_rehash());
        let older = StoredHash { iterations: 50_000, ..stored };
        assert!(older.needs_rehash());
        for bad in ["", "md5$1$00$00", "pbkdf2-sha256$0$00$00", "pbkdf2-sha256$100001$0101$00", "pbkdf2-sha256$10$zz$00", "pbkdf2-sha256$10$01$0011"] {
            assert_eq!(StoredHash::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn new_passwords_must_meet_the_policy() {
        assert!(NewPassword::parse("password", "correct horse").is_ok());
        assert!(NewPassword::parse("password", "mậtkhẩu12ab").is_ok(), "length in characters");
        assert_eq!(NewPassword::parse("password", "").err().map(|e| e.problem), Some(Problem::Required));
        assert_eq!(NewPassword::parse("password", "short").err().map(|e| e.problem), Some(Problem::TooShort { min: MIN_LEN }));
        assert_eq!(NewPassword::parse("password", &"x".repeat(257)).err().map(|e| e.problem), Some(Problem::TooLong { max: MAX_LEN }));
    }
}
