//! Where the access token of each call comes from.

use secrecy::SecretString;

use crate::error::Error;

/// The source of access tokens of a [`Client`](crate::Client).
#[derive(Clone)]
pub(crate) enum Tokens {
    /// A token given by the caller (`ClientBuilder::access_token`).
    Fixed(SecretString),
    /// No token configured.
    None,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tokens::Fixed(_) => f.write_str("Fixed([REDACTED])"),
            Tokens::None => f.write_str("None"),
        }
    }
}

impl Tokens {
    /// The token to use for the next attempt.
    pub(crate) async fn current(&self) -> Result<SecretString, Error> {
        match self {
            Tokens::Fixed(t) => Ok(t.clone()),
            Tokens::None => Err(Error::Config(
                "no access token: set ClientBuilder::access_token (or DOUYIN_ACCESS_TOKEN)".into(),
            )),
        }
    }
}
