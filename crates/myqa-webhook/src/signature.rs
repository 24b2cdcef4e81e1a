//! Signatures (SPEC §8), following Standard Webhooks 1.0 so that its
//! reference libraries verify our deliveries:
//!
//! - `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`
//! - `X-MyQA-Signature: sha256=<hex HMAC-SHA256(key, body)>`
//!
//! The key is the secret's UTF-8 bytes, or for a secret starting `whsec_` the
//! base64-decoded remainder.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const WHSEC_PREFIX: &str = "whsec_";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a secret starting with `whsec_` must continue in base64")]
pub struct InvalidSecret;

/// The HMAC key a `callback_secret` stands for.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, InvalidSecret> {
    match secret.strip_prefix(WHSEC_PREFIX) {
        Some(encoded) => STANDARD.decode(encoded).map_err(|_| InvalidSecret),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The `webhook-signature` header value.
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    let digest = hmac(
        key,
        &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
    );
    format!("v1,{}", STANDARD.encode(digest))
}

/// The `X-MyQA-Signature` header value.
pub fn body_signature(key: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac(key, &[body])))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification and its reference
    /// libraries' tests.
    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            standard_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn plain_secrets_are_their_utf8_bytes() {
        assert_eq!(signing_key("s3cr3t").unwrap(), b"s3cr3t");
        assert_eq!(signing_key("whsec_!!!"), Err(InvalidSecret));
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            body_signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
