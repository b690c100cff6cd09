//! base64 in the three forms the shop uses, over the `base64` crate's engines: base64url without
//! padding for the tokens we sign (strict: one accepted encoding per value), a lenient base64url for
//! tokens and state that other parties hand back, and standard padded base64 for HTTP Basic
//! credentials. Percent-encoding lives beside the query strings it serves, in `domain::listing`.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

/// base64url that tolerates what other encoders emit: padding, and non-zero bits past the last byte.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// base64url without padding (RFC 4648 §5, RFC 7515 §2), as JWTs and PKCE use it.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; `None` for padding, other alphabets, an impossible length,
/// or leftover bits (so each byte string has exactly one accepted encoding).
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Decodes base64url as others write it: trailing `=` padding and leftover bits are tolerated;
/// another alphabet or an impossible length is `None`.
pub fn base64url_decode_lenient(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_LENIENT.decode(text.trim_end_matches('=')).ok()
}

/// Standard base64 with padding (RFC 4648 §4), as HTTP Basic credentials use it.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_has_one_encoding_per_value() {
        // RFC 4648 §10 vectors, in the URL-safe alphabet without padding.
        for (input, out) in [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64url(input.as_bytes()), out);
            assert_eq!(base64url_decode(out).as_deref(), Some(input.as_bytes()));
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("Zg=="), None, "padding");
        assert_eq!(base64url_decode("Zh"), None, "leftover bits");
        assert_eq!(base64url_decode("Z"), None, "impossible length");
        assert_eq!(base64url_decode("+/8"), None, "standard alphabet");
    }

    #[test]
    fn base64url_round_trips_every_length_and_refuses_other_alphabets() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37).wrapping_add(250)).collect();
            let text = base64url(&bytes);
            assert!(!text.contains(['+', '/', '=']));
            assert_eq!(base64url_decode_lenient(&text), Some(bytes));
        }
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
        assert_eq!(base64url_decode_lenient("a+b/"), None);
        assert_eq!(base64url_decode_lenient("A"), None);
    }

    #[test]
    fn the_lenient_decoder_accepts_padding_and_leftover_bits() {
        assert_eq!(base64url_decode_lenient("Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64url_decode_lenient("Zh").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64url_decode_lenient("Zm8=").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64url_decode_lenient("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64url_decode_lenient("Zm 9v"), None);
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        // RFC 4648 §10.
        for (input, out) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(input.as_bytes()), out);
        }
    }
}
