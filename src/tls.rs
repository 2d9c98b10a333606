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
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(builder.use_preconfigured_tls(config))
    }
    #[cfg(not(feature = "rustls-ring"))]
    Ok(builder)
}
