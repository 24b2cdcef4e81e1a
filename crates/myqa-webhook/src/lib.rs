//! Webhooks (SPEC §8): callback URLs checked against SSRF when a request
//! arrives and again at delivery, signatures in the Standard Webhooks scheme,
//! and a delivery client whose DNS resolution checks and pins the address it
//! dials — so what was checked is what is connected to.

pub mod client;
pub mod guard;
pub mod resolver;
pub mod signature;

pub use client::{AttemptReport, WebhookClient, install_crypto_provider};
pub use guard::check_callback_url;
pub use resolver::{Resolve, StaticResolver, SystemResolver};
