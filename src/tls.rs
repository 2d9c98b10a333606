//! The HTTP client's TLS: rustls with the `ring` provider and the platform's
//! certificate verifier, configured for this client alone. No process-wide
//! default provider is installed: an application that uses rustls itself
//! keeps its own choice.

use crate::error::Error;

/// A `reqwest` builder with the SDK's TLS configuration.
pub(crate) fn http_builder() -> Result<reqwest::ClientBuilder, Error> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls-ring")]
    {
        use rustls_platform_verifier::BuilderVerifierExt;
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_platform_verifier())
            .map_err(|e| Error::Config(format!("cannot configure TLS: {e}")))?
            .with_no_client_auth();
        // Offer h2 only when reqwest can speak it (feature `http2`): a server
        // that picked it otherwise would get HTTP/1.1 on an h2 connection.
        config.alpn_protocols = alpn();
        Ok(builder.use_preconfigured_tls(config))
    }
    #[cfg(not(feature = "rustls-ring"))]
    Ok(builder)
}

/// The protocols offered in the TLS handshake.
#[cfg(feature = "rustls-ring")]
fn alpn() -> Vec<Vec<u8>> {
    let mut protocols = Vec::new();
    if cfg!(feature = "http2") {
        protocols.push(b"h2".to_vec());
    }
    protocols.push(b"http/1.1".to_vec());
    protocols
}

#[cfg(all(test, feature = "rustls-ring"))]
mod tests {
    #[test]
    fn h2_is_offered_only_with_the_http2_feature() {
        let offered = super::alpn();
        assert_eq!(offered.last().map(Vec::as_slice), Some(&b"http/1.1"[..]));
        assert_eq!(offered.iter().any(|p| p == b"h2"), cfg!(feature = "http2"));
    }
}
