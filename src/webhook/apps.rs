//! The secrets of the applications a verifier accepts, by `client_key`.

use std::collections::BTreeMap;

use secrecy::SecretString;

/// `client_key` → `client_secret`, for several applications.
#[derive(Clone, Default)]
pub(crate) struct Apps {
    by_key: BTreeMap<String, SecretString>,
}

impl Apps {
    pub(crate) fn insert(&mut self, client_key: String, secret: SecretString) {
        self.by_key.insert(client_key, secret);
    }

    pub(crate) fn get(&self, client_key: &str) -> Option<&SecretString> {
        self.by_key.get(client_key)
    }

    pub(crate) fn secrets(&self) -> impl Iterator<Item = &SecretString> {
        self.by_key.values()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.by_key.keys().map(String::as_str)
    }
}

impl std::fmt::Debug for Apps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the keys: the secrets never print.
        f.debug_list().entries(self.keys()).finish()
    }
}
