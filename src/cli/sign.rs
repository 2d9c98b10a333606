//! `goodlife sign webhook|spi`: print the signature Douyin would send for a
//! request, as one line of lowercase hex. The secret comes from
//! `--secret-file` (or the global `--client-secret-file`) or the environment
//! (`DOUYIN_CLIENT_SECRET`), never from argv (`goodlife --client-secret X` is
//! refused before any command runs).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use douyin_goodlife::ENV_CLIENT_SECRET;
use douyin_goodlife::webhook::signature::{spi_signature, webhook_signature};
use secrecy::SecretString;

use super::{Cli, EXIT_INPUT, EXIT_OK, read_secret_file};

/// `goodlife sign …`
#[derive(Args)]
pub struct SignArgs {
    /// Read the client secret from this file (`-`: stdin; a trailing newline is
    /// dropped) instead of DOUYIN_CLIENT_SECRET; same as --client-secret-file.
    #[arg(long, global = true, value_name = "FILE")]
    secret_file: Option<PathBuf>,
    #[command(subcommand)]
    kind: SignKind,
}

#[derive(Subcommand)]
enum SignKind {
    /// X-Douyin-Signature of a webhook: sha1(secret + body).
    Webhook {
        /// The raw body, byte for byte.
        #[arg(long, value_name = "FILE")]
        body_file: PathBuf,
    },
    /// x-life-sign of an SPI call: sha256 of the secret, the sorted URL
    /// parameters but `sign`, and for a POST `http_body=<body>`, joined with `&`.
    Spi {
        /// The URL query string, e.g. 'client_key=aw…&timestamp=1624293280123'.
        #[arg(long, value_name = "QUERY")]
        query: String,
        /// The HTTP method.
        #[arg(long, default_value = "GET", value_name = "METHOD")]
        method: String,
        /// The raw body of a POST, byte for byte (empty when left out).
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
    },
}

/// Runs `goodlife sign`.
pub fn run(cli: &Cli, args: &SignArgs) -> u8 {
    match sign(cli, args) {
        Ok(sig) => {
            println!("{sig}");
            EXIT_OK
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            EXIT_INPUT
        }
    }
}

fn sign(cli: &Cli, args: &SignArgs) -> Result<String, String> {
    let secret = secret(cli, args.secret_file.as_deref())?;
    match &args.kind {
        SignKind::Webhook { body_file } => Ok(webhook_signature(&secret, &read(body_file)?)),
        SignKind::Spi {
            query,
            method,
            body_file,
        } => {
            let post = method.eq_ignore_ascii_case("POST");
            if !post && body_file.is_some() {
                return Err(format!("--body-file is only signed for POST, not {method}"));
            }
            let body = match body_file {
                Some(f) => read(f)?,
                None => Vec::new(),
            };
            spi_signature(&secret, method, query, &body).map_err(|e| e.to_string())
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn secret(cli: &Cli, file: Option<&Path>) -> Result<SecretString, String> {
    if let Some(path) = file {
        if cli.client_secret_file.is_some() {
            return Err("give --secret-file or --client-secret-file, not both".into());
        }
        return read_secret_file("--secret-file", path);
    }
    cli.client_secret()?
        .ok_or_else(|| format!("no secret: set {ENV_CLIENT_SECRET} or pass --secret-file"))
}
