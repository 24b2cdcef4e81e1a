//! API keys (SPEC §3): `myqa_` + 32 characters of `[A-Za-z0-9]` from the OS
//! CSPRNG. Only the SHA-256 digest of the whole key is ever stored.

use chrono::{DateTime, Utc};
use rand::distr::{Alphanumeric, Distribution};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::network::NetworkList;
use crate::permission::Permission;

pub const KEY_PREFIX: &str = "myqa_";
pub const KEY_BODY_LEN: usize = 32;
/// Characters of the body shown in listings after `myqa_`.
const DISPLAY_CHARS: usize = 6;

/// A raw API key. Its `Debug` shows only the display prefix, so it cannot leak
/// into a log by accident; the memory is wiped on drop.
pub struct ApiKeySecret(SecretString);

impl ApiKeySecret {
    /// Checks the shape of a presented key. Nothing but the shape: this runs
    /// before any database access, so garbage never costs a query.
    pub fn parse(candidate: &str) -> Option<Self> {
        let body = candidate.strip_prefix(KEY_PREFIX)?;
        (body.len() == KEY_BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(SecretString::from(candidate)))
    }

    /// A fresh key drawn from the operating system's CSPRNG (≈190 bits).
    pub fn generate() -> Self {
        let mut rng = rand::rngs::SysRng;
        let mut rng = rand::rand_core::UnwrapErr(&mut rng);
        let body: String = Alphanumeric
            .sample_iter(&mut rng)
            .take(KEY_BODY_LEN)
            .map(char::from)
            .collect();
        Self(SecretString::from(format!("{KEY_PREFIX}{body}")))
    }

    pub fn digest(&self) -> KeyDigest {
        KeyDigest(Sha256::digest(self.0.expose_secret().as_bytes()).into())
    }

    /// `myqa_` and the first six characters: enough to recognise a key in a
    /// listing, far too little to guess it.
    pub fn display_prefix(&self) -> String {
        self.0.expose_secret()[..KEY_PREFIX.len() + DISPLAY_CHARS].to_owned()
    }

    /// The full key, for the single moment it is shown to the operator.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.display_prefix())
    }
}

/// SHA-256 of a whole key: what the database holds and what lookups use.
#[derive(Clone, Copy, Hash, PartialEq, Eq)]
pub struct KeyDigest(pub [u8; 32]);

impl KeyDigest {
    /// Constant-time equality: the final check after a lookup by digest.
    pub fn ct_eq(&self, other: &KeyDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyDigest({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// An API key's stored record: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// Display prefix (`myqa_` + 6 characters).
    pub prefix: String,
    pub permissions: Vec<Permission>,
    /// Empty: any address.
    pub allowed_ips: NetworkList,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// When the key stops working. May lie in the future: a rotated key is
    /// revoked at the end of its grace period.
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Analyze calls allowed per UTC minute (SPEC §10); `None`: unlimited.
    pub rate_limit_rpm: Option<u32>,
    /// Jobs that may be queued or running at once (SPEC §10); `None`: unlimited.
    pub max_concurrent_jobs: Option<u32>,
}

/// Why a known key is refused, or that it is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Active,
    Revoked,
    Expired,
}

impl ApiKey {
    pub fn state_at(&self, now: DateTime<Utc>) -> KeyState {
        if self.revoked_at.is_some_and(|t| t <= now) {
            KeyState::Revoked
        } else if self.expires_at.is_some_and(|t| t <= now) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }

    pub fn grants(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape_and_differ() {
        let a = ApiKeySecret::generate();
        let b = ApiKeySecret::generate();
        assert_eq!(a.expose().len(), KEY_PREFIX.len() + KEY_BODY_LEN);
        assert!(ApiKeySecret::parse(a.expose()).is_some());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.display_prefix().len(), 11);
        assert!(a.expose().starts_with(&a.display_prefix()));
    }

    #[test]
    fn parse_rejects_every_other_shape() {
        let good = format!("myqa_{}", "A1b2".repeat(8));
        assert!(ApiKeySecret::parse(&good).is_some());
        for bad in [
            "",
            "myqa_",
            &good[..good.len() - 1],
            &format!("{good}x"),
            &good.replace("myqa_", "MYQA_"),
            &good.replace("myqa_", "sk_a_"),
            &format!("myqa_{}-", "A".repeat(31)),
            &format!("myqa_{}é", "A".repeat(30)),
            &format!(" {good}"),
        ] {
            assert!(ApiKeySecret::parse(bad).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKeySecret::generate();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&key.expose()[11..]));
    }

    #[test]
    fn digest_is_sha256_of_the_whole_key() {
        let key = ApiKeySecret::parse("myqa_abcdefghijklmnopqrstuvwxyz012345").unwrap();
        let hex: String = key.digest().0.iter().map(|b| format!("{b:02x}")).collect();
        // printf %s myqa_abcdefghijklmnopqrstuvwxyz012345 | sha256sum
        assert_eq!(
            hex,
            "cb84f81f87e1e0fab1d10e90c808b3196380db21a7a786c1b3d9a62a65e07d7e"
        );
    }

    #[test]
    fn rotated_key_is_revoked_only_after_its_grace_period() {
        let now = crate::time::now();
        let mut key = ApiKey {
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            name: "k".into(),
            prefix: "myqa_abcdef".into(),
            permissions: vec![],
            allowed_ips: NetworkList::default(),
            created_at: now,
            last_used_at: None,
            revoked_at: Some(now + chrono::Duration::minutes(5)),
            expires_at: None,
            rate_limit_rpm: None,
            max_concurrent_jobs: None,
        };
        assert_eq!(key.state_at(now), KeyState::Active);
        assert_eq!(
            key.state_at(now + chrono::Duration::minutes(5)),
            KeyState::Revoked
        );
        key.revoked_at = None;
        key.expires_at = Some(now);
        assert_eq!(key.state_at(now), KeyState::Expired);
    }
}
