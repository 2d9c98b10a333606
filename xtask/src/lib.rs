//! Developer workflows for the douyin-goodlife SDK, run as `cargo xtask …`.
//!
//! * [`page`]: parser for the Douyin documentation pages kept in `docs/pages/`.
//! * [`check`]: `docs-check`, the drift report between a page and the spec.
//! * [`import`]: `docs-import`, a draft spec operation for a page.
//! * [`spec_edit`]: `docs-import --write`, the draft merged into the spec's text.
//! * [`surface`]: `api-surface`, the whole public API of the SDK (generated and
//!   hand-written) as a committed listing, and the JSON export of the spec.
//! * [`lint`]: `lint`, the spec's own rules.
//! * [`example`]: validation of examples against their schemas (used by `lint`).

#![warn(missing_docs)]

pub mod check;
pub mod example;
pub mod import;
pub mod lint;
pub mod page;
pub mod spec;
pub mod spec_edit;
pub mod surface;

use std::path::PathBuf;

/// The repository root (the parent of this crate).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The spec used when `--spec` is not given.
pub fn default_spec() -> PathBuf {
    root().join("openapi/goodlife.yaml")
}
