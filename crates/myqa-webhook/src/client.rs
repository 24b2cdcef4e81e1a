//! The delivery client. Its DNS resolution goes through [`CheckingResolver`],
//! which resolves once, refuses if any address is forbidden, and hands the
//! connector only checked addresses: there is no second lookup a rebinding
//! DNS server could answer differently.

use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;

use myqa_core::callback::{CallbackError, CallbackPolicy, CallbackUrl, check_resolved};
use myqa_core::error_code::error_chain;
use reqwest::dns::{Addrs, Name, Resolving};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use crate::resolver::Resolve;
use crate::signature::{body_signature, signing_key, standard_signature};

/// The contract's delivery timeout.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// What one attempt gave: the receiver's status, or why there was none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The callback rules refused the target (a forbidden address, before or
    /// after resolution): nothing was sent.
    pub blocked: bool,
}

impl AttemptReport {
    /// Any 2xx. Redirects are not followed, so a 3xx is a failure.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// 410 Gone: the receiver asks us to stop.
    pub fn is_gone(&self) -> bool {
        self.status == Some(410)
    }

    fn failed(error: impl std::fmt::Display) -> Self {
        Self {
            status: None,
            error: Some(error.to_string()),
            blocked: false,
        }
    }

    fn refused(error: &CallbackError) -> Self {
        Self {
            blocked: blocks(error),
            ..Self::failed(format!("callback_url {error}"))
        }
    }
}

/// Whether a callback error is the SSRF guard's refusal (rather than, say, a
/// name that does not resolve).
fn blocks(error: &CallbackError) -> bool {
    !matches!(error, CallbackError::Unresolvable(_))
}

/// The guard's refusal inside a failed request's chain of causes: the
/// [`CheckingResolver`] returns it through reqwest and hyper.
fn refusal_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a CallbackError> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(refusal) = e.downcast_ref::<CallbackError>() {
            return Some(refusal);
        }
        cause = e.source();
    }
    None
}

struct CheckingResolver {
    inner: Arc<dyn Resolve>,
    policy: CallbackPolicy,
}

impl reqwest::dns::Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (inner, policy) = (self.inner.clone(), self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = inner.resolve(&host).await.unwrap_or_default();
            check_resolved(&host, &addresses, policy)?;
            // Port 0: the connector puts the URL's port in.
            let pinned: Addrs = Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(pinned)
        })
    }
}

/// Sends signed webhooks.
#[derive(Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    policy: CallbackPolicy,
}

impl WebhookClient {
    pub fn new(resolver: Arc<dyn Resolve>, policy: CallbackPolicy) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckingResolver {
                inner: resolver,
                policy,
            }))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(DELIVERY_TIMEOUT)
            // A proxy would resolve the name itself, beyond our checks.
            .no_proxy()
            .user_agent(concat!("MyQA-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, policy })
    }

    /// One attempt: `body` POSTed to `url` with the Standard Webhooks headers,
    /// signed when there is a secret. `timestamp` is this attempt's Unix time.
    pub async fn send(
        &self,
        url: &str,
        id: &str,
        secret: Option<&str>,
        body: &str,
        timestamp: i64,
    ) -> AttemptReport {
        // Literal addresses never reach the resolver: check them here.
        if let Err(e) = CallbackUrl::parse(url, self.policy) {
            return AttemptReport::refused(&e);
        }
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let header = |value: &str| HeaderValue::from_str(value).expect("ASCII header value");
        headers.insert("webhook-id", header(id));
        headers.insert("webhook-timestamp", header(&timestamp.to_string()));
        if let Some(secret) = secret {
            let key = match signing_key(secret) {
                Ok(key) => key,
                Err(e) => return AttemptReport::failed(e),
            };
            headers.insert(
                "webhook-signature",
                header(&standard_signature(&key, id, timestamp, body.as_bytes())),
            );
            headers.insert(
                "x-myqa-signature",
                header(&body_signature(&key, body.as_bytes())),
            );
        }
        match self
            .http
            .post(url)
            .headers(headers)
            .body(body.to_owned())
            .send()
            .await
        {
            Ok(response) => AttemptReport {
                status: Some(response.status().as_u16()),
                error: None,
                blocked: false,
            },
            Err(e) => AttemptReport {
                blocked: refusal_in(&e).is_some_and(blocks),
                ..AttemptReport::failed(error_chain(&e))
            },
        }
    }
}

/// Installs rustls's ring provider for the whole process, once. Every TLS
/// client of the process (ours and reqwest's) needs one.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::StaticResolver;

    fn client(resolver: StaticResolver) -> WebhookClient {
        WebhookClient::new(Arc::new(resolver), CallbackPolicy { insecure: false }).unwrap()
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_forbidden_address_is_blocked() {
        let resolver = StaticResolver::new();
        resolver.set("rebind.test", &["127.0.0.1".parse::<IpAddr>().unwrap()]);
        let report = client(resolver)
            .send("https://rebind.test/hook", "msg_1", None, "{}", 0)
            .await;
        assert_eq!(report.status, None);
        assert!(report.blocked, "{report:?}");
    }

    #[tokio::test]
    async fn a_literal_forbidden_address_is_blocked_and_an_unknown_name_is_not() {
        let client = client(StaticResolver::new());
        let literal = client
            .send("https://10.0.0.1/hook", "msg_1", None, "{}", 0)
            .await;
        assert!(literal.blocked, "{literal:?}");
        let unknown = client
            .send("https://nowhere.test/hook", "msg_1", None, "{}", 0)
            .await;
        assert!(!unknown.blocked, "{unknown:?}");
        assert!(unknown.error.is_some());
    }
}
