//! The request-time check of a `callback_url`.

use std::time::Duration;

use myqa_core::callback::{
    CallbackError, CallbackHost, CallbackPolicy, CallbackUrl, check_resolved,
};

use crate::resolver::Resolve;

/// How long a request waits for DNS before refusing the callback.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses `text` and, for a host name, resolves it and checks every address.
/// Delivery checks again: a name may change between now and then.
pub async fn check_callback_url(
    text: &str,
    policy: CallbackPolicy,
    resolver: &dyn Resolve,
) -> Result<CallbackUrl, CallbackError> {
    let url = CallbackUrl::parse(text, policy)?;
    if let CallbackHost::Name(name) = url.host() {
        let addresses = tokio::time::timeout(RESOLVE_TIMEOUT, resolver.resolve(name))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        check_resolved(name, &addresses, policy)?;
    }
    Ok(url)
}
