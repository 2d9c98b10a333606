//! The `goodlife` command line: arguments, client set-up, exit codes.
//!
//! Output contract: the query commands (`orders`, `spu`, `certificates`) print
//! only JSON on stdout: the endpoint's `data` object for one page, or with
//! `--all` a JSON array of every item across pages. Exit codes: [`EXIT_OK`],
//! [`EXIT_API`], [`EXIT_INPUT`], [`EXIT_TRANSPORT`].

mod demo;
mod ops;
mod query;
mod sign;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use douyin_goodlife::mock::{MockServer, sample};
use douyin_goodlife::{
    Client, ENV_ACCESS_TOKEN, ENV_BASE_URL, ENV_CLIENT_KEY, ENV_CLIENT_SECRET, ERROR_TABLE, Error,
    ErrorCode, PRODUCTION_BASE_URL, SANDBOX_BASE_URL,
};
use secrecy::{ExposeSecret, SecretString};

/// Success.
pub const EXIT_OK: u8 = 0;
/// The API answered an error (stderr names the code, description and logid).
pub const EXIT_API: u8 = 1;
/// Invalid input, detected before any request was sent.
pub const EXIT_INPUT: u8 = 2;
/// Transport or decode failure.
pub const EXIT_TRANSPORT: u8 = 3;

/// Query Douyin's goodlife (local life) APIs, or run an offline sandbox of them.
#[derive(Parser)]
#[command(name = "goodlife", version)]
#[command(
    after_help = "Credentials: secrets never go on the command line (other users see it in \
`ps`). The client secret comes from --client-secret-file FILE, else DOUYIN_CLIENT_SECRET; an \
access token from --access-token-file FILE, else DOUYIN_ACCESS_TOKEN (FILE `-` reads stdin).\n\
Order, as in ClientBuilder::from_env: the client key (--client-key, DOUYIN_CLIENT_KEY) with \
the client secret wins, tokens then fetched and refreshed as needed; a fixed access token is \
used only when neither is set; one without the other is an error. The host: --sandbox, else \
--base-url, else DOUYIN_BASE_URL, else production.\n\n\
Exit codes: 0 success, 1 the API answered an error, \
2 invalid input (nothing sent), 3 transport or decode failure.\n\
Try it offline: `goodlife demo`, or `goodlife mock` and point DOUYIN_BASE_URL at it."
)]
pub struct Cli {
    /// API host.
    #[arg(long, global = true, help_heading = "Global options", env = ENV_BASE_URL, default_value = PRODUCTION_BASE_URL, value_name = "URL")]
    base_url: String,
    /// Use Douyin's sandbox host (https://open-sandbox.douyin.com); wins over --base-url.
    #[arg(long, global = true)]
    sandbox: bool,
    /// Read a client token (clt.…) to send as is from this file (`-`: stdin) instead of
    /// DOUYIN_ACCESS_TOKEN; used only without client credentials.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "FILE"
    )]
    access_token_file: Option<PathBuf>,
    /// The application's client_key; with the client secret, tokens are fetched as needed.
    #[arg(long, global = true, help_heading = "Global options", env = ENV_CLIENT_KEY, value_name = "KEY")]
    client_key: Option<String>,
    /// Read the application's client_secret from this file (`-`: stdin) instead of
    /// DOUYIN_CLIENT_SECRET.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "FILE"
    )]
    client_secret_file: Option<PathBuf>,
    /// Timeout of one HTTP attempt, in seconds.
    #[arg(long, global = true, help_heading = "Global options", env = "DOUYIN_TIMEOUT", value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Log to stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, help_heading = "Global options", action = clap::ArgAction::Count)]
    verbose: u8,
    /// A friendly command, or `None` for an operation's generated subcommand.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// 综合预约品订单查询: reservation orders of a POI in a booking window.
    Orders(query::OrdersArgs),
    /// 点单标品查询: one food-ordering SPU.
    Spu(query::SpuArgs),
    /// 查询用户券列表: a user's vouchers at a merchant.
    Certificates(query::CertificatesArgs),
    /// Fetch a client token with the client key and secret and print it.
    Token,
    /// Explain an error code: message, advice, retry class, documenting operations.
    Explain {
        /// The numeric code, e.g. 2190008.
        #[arg(allow_negative_numbers = true)]
        code: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run the offline sandbox in the foreground; prints its base URL and a working
    /// access token as shell `export` lines.
    Mock {
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Seed of the dataset.
        #[arg(long, default_value_t = douyin_goodlife::mock::DEFAULT_SEED)]
        seed: u64,
        /// Deliver signed webhooks (a voucher verified or cancelled) to this URL.
        #[arg(long, value_name = "URL")]
        webhook_url: Option<String>,
        /// Deliver every webhook twice, with the same Msg-Id (tests a receiver's de-duplication).
        #[arg(long, requires = "webhook_url")]
        webhook_repeat: bool,
    },
    /// Run a tour of the SDK against the in-process sandbox: no account, no network.
    Demo,
    /// Print the signature Douyin would send on a webhook or SPI call (one hex line).
    Sign(sign::SignArgs),
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!(
            "must be more than 0 and at most 86400 seconds, got {s}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Fails when a secret is on the command line (`--client-secret X`,
/// `--client-secret=X`, `--access-token …`), where other users can read it.
/// Runs before clap, so that no other parse error hides it; the message names
/// the option, never the value. (clap takes long options only whole, so these
/// are the only spellings; after `--` nothing is an option.)
fn refuse_argv_secrets(args: &[OsString]) -> Result<(), String> {
    let refused = [
        ("--client-secret", ENV_CLIENT_SECRET, "--client-secret-file"),
        ("--access-token", ENV_ACCESS_TOKEN, "--access-token-file"),
    ];
    for arg in args.iter().skip(1) {
        let arg = arg.as_encoded_bytes();
        if arg == b"--" {
            break;
        }
        for (option, env, file) in refused {
            let option_bytes = option.as_bytes();
            let given = arg == option_bytes
                || arg
                    .strip_prefix(option_bytes)
                    .is_some_and(|rest| rest.starts_with(b"="));
            if given {
                return Err(format!(
                    "{option} is not taken on the command line, where other users can read \
                     it: set {env} or use {file} FILE (`-` reads stdin)"
                ));
            }
        }
    }
    Ok(())
}

/// Parses the arguments, runs the command, returns its exit code.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Err(msg) = refuse_argv_secrets(&args) {
        eprintln!("error: {msg}");
        return ExitCode::from(EXIT_INPUT);
    }
    let matches = Cli::command()
        .subcommands(ops::commands())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_TRANSPORT);
        }
    };
    ExitCode::from(runtime.block_on(run(cli, &matches)))
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

async fn run(cli: Cli, matches: &ArgMatches) -> u8 {
    let Some(command) = &cli.command else {
        // One of the operations' generated subcommands.
        return match matches.subcommand() {
            Some((name, sub)) => match ops::find(name) {
                Some(op) => ops::run(&cli, op, sub).await,
                None => {
                    eprintln!("error: unknown command {name}");
                    EXIT_INPUT
                }
            },
            None => EXIT_INPUT,
        };
    };
    match command {
        Command::Orders(args) => query::orders(&cli, args).await,
        Command::Spu(args) => query::spu(&cli, args).await,
        Command::Certificates(args) => query::certificates(&cli, args).await,
        Command::Token => token(&cli).await,
        Command::Explain { code, json } => explain(*code, *json),
        Command::Mock {
            port,
            seed,
            webhook_url,
            webhook_repeat,
        } => mock(*port, *seed, webhook_url.clone(), *webhook_repeat).await,
        Command::Demo => demo::run().await,
        Command::Sign(args) => sign::run(&cli, args),
    }
}

impl Cli {
    fn base_url(&self) -> &str {
        if self.sandbox {
            SANDBOX_BASE_URL
        } else {
            &self.base_url
        }
    }

    /// The client secret: `--client-secret-file`, else `DOUYIN_CLIENT_SECRET`
    /// (empty counts as unset).
    fn client_secret(&self) -> Result<Option<SecretString>, String> {
        secret_from(
            "--client-secret-file",
            self.client_secret_file.as_deref(),
            ENV_CLIENT_SECRET,
        )
    }

    /// The fixed access token: `--access-token-file`, else `DOUYIN_ACCESS_TOKEN`.
    fn access_token(&self) -> Result<Option<SecretString>, String> {
        secret_from(
            "--access-token-file",
            self.access_token_file.as_deref(),
            ENV_ACCESS_TOKEN,
        )
    }

    /// The client key and secret, if both are set; one without the other is
    /// an error (as in `ClientBuilder::from_env`).
    fn credentials(&self) -> Result<Option<(&str, SecretString)>, String> {
        let key = self
            .client_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        match (key, self.client_secret()?) {
            (Some(key), Some(secret)) => Ok(Some((key, secret))),
            (Some(_), None) => Err(format!(
                "the client key is set ({ENV_CLIENT_KEY} or --client-key) but the client secret \
                 is not: set {ENV_CLIENT_SECRET} or use --client-secret-file"
            )),
            (None, Some(_)) => Err(format!(
                "the client secret is set but the client key is not: set {ENV_CLIENT_KEY} or \
                 use --client-key"
            )),
            (None, None) => Ok(None),
        }
    }

    fn builder(&self) -> douyin_goodlife::ClientBuilder {
        let mut builder = Client::builder().base_url(self.base_url());
        if let Some(t) = self.timeout {
            builder = builder.timeout(t);
        }
        builder
    }

    /// The client for the query commands, in the order of
    /// `ClientBuilder::from_env`: the credentials (tokens fetched and
    /// refreshed) if set, else a fixed access token. Without either, an input
    /// error (nothing is sent); the error is reported and its exit code
    /// returned.
    fn client(&self) -> Result<Client, u8> {
        let input = |msg: String| {
            eprintln!("error: {msg}");
            EXIT_INPUT
        };
        let builder = match self.credentials().map_err(input)? {
            Some((key, secret)) => {
                if self.access_token_file.is_some()
                    || std::env::var_os(ENV_ACCESS_TOKEN).is_some_and(|t| !t.is_empty())
                {
                    tracing::info!(
                        "client credentials are set: the fixed access token is not used"
                    );
                }
                self.builder().credentials(key, secret.expose_secret())
            }
            None => match self.access_token().map_err(input)? {
                Some(token) => self.builder().access_token(token.expose_secret()),
                None => {
                    return Err(input(format!(
                        "no credentials: set {ENV_CLIENT_KEY} and {ENV_CLIENT_SECRET} (or \
                         --client-key and --client-secret-file), or a client token in \
                         {ENV_ACCESS_TOKEN} (or --access-token-file)"
                    )));
                }
            },
        };
        builder.build().map_err(|e| report(&e))
    }
}

/// A secret from `file` (read by [`read_secret_file`]) if given, else from the
/// environment variable `env` (empty or blank counts as unset).
fn secret_from(
    option: &str,
    file: Option<&Path>,
    env: &str,
) -> Result<Option<SecretString>, String> {
    if let Some(path) = file {
        return read_secret_file(option, path).map(Some);
    }
    match std::env::var(env) {
        Ok(v) if !v.trim().is_empty() => Ok(Some(SecretString::from(v))),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{env} is not valid UTF-8")),
    }
}

/// Reads a secret given as `option FILE`: the whole file (`-`: stdin) less one
/// trailing newline (`\n` or `\r\n`). An unreadable or empty file is an error
/// naming the option and the path, never the content.
pub(crate) fn read_secret_file(option: &str, path: &Path) -> Result<SecretString, String> {
    let stdin = path.as_os_str() == "-";
    let shown = if stdin {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let mut text = String::new();
    let read = if stdin {
        std::io::stdin().lock().read_to_string(&mut text).map(drop)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text).map(drop))
    };
    // An I/O error's message never quotes the bytes it read.
    read.map_err(|e| format!("{option}: cannot read {shown}: {e}"))?;
    let text = SecretString::from(text);
    let value = text.expose_secret();
    let value = value.strip_suffix('\n').unwrap_or(value);
    let value = value.strip_suffix('\r').unwrap_or(value);
    if value.trim().is_empty() {
        return Err(format!("{option}: {shown} is empty"));
    }
    Ok(SecretString::from(value.to_string()))
}

/// Prints an error on stderr and returns its exit code.
pub fn report(err: &Error) -> u8 {
    let mut stderr = std::io::stderr().lock();
    match err {
        Error::Api {
            operation,
            code,
            description,
            sub_code,
            sub_description,
            logid,
            attempts,
            ..
        } => {
            let _ = writeln!(
                stderr,
                "error: {operation}: Douyin answered error code {}",
                code.code()
            );
            let _ = writeln!(
                stderr,
                "  code:        {} ({}, {})",
                code.code(),
                code.name(),
                code.class()
            );
            let _ = writeln!(stderr, "  description: {description}");
            if let Some(sub) = sub_code {
                let _ = writeln!(
                    stderr,
                    "  sub code:    {sub} {}",
                    sub_description.as_deref().unwrap_or("")
                );
            }
            let _ = writeln!(
                stderr,
                "  logid:       {}",
                logid.as_deref().unwrap_or("(none)")
            );
            if let Some(advice) = code.advice().filter(|a| !a.is_empty()) {
                let _ = writeln!(stderr, "  advice:      {advice}");
            }
            if *attempts > 1 {
                let _ = writeln!(stderr, "  attempts:    {attempts}");
            }
            EXIT_API
        }
        Error::ItemFailed { .. } => {
            let _ = writeln!(stderr, "error: {err}");
            EXIT_API
        }
        Error::InvalidRequest { .. } | Error::Config(_) => {
            let _ = writeln!(stderr, "error: {err}");
            EXIT_INPUT
        }
        other => {
            let mut said = other.to_string();
            let _ = writeln!(stderr, "error: {said}");
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                let text = cause.to_string();
                // Display often repeats its source; print only what is new.
                if !said.contains(&text) {
                    let _ = writeln!(stderr, "  caused by: {text}");
                    said.push_str(&text);
                }
                source = cause.source();
            }
            EXIT_TRANSPORT
        }
    }
}

/// Writes JSON (pretty) and a newline to stdout.
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> u8 {
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => EXIT_OK,
        // A closed pipe (`| head`) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            EXIT_TRANSPORT
        }
    }
}

async fn token(cli: &Cli) -> u8 {
    let (key, secret) = match cli.credentials() {
        Ok(Some(creds)) => creds,
        Ok(None) => {
            eprintln!(
                "error: `goodlife token` needs the client key and secret: set {ENV_CLIENT_KEY} \
                 and {ENV_CLIENT_SECRET} (or --client-key and --client-secret-file)"
            );
            return EXIT_INPUT;
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_INPUT;
        }
    };
    let client = match cli
        .builder()
        .credentials(key, secret.expose_secret())
        .build()
    {
        Ok(c) => c,
        Err(e) => return report(&e),
    };
    match client.access_token().await {
        Ok(token) => {
            // The one place the CLI prints a secret: it is what was asked for.
            println!("{}", token.expose_secret());
            if let Some(lifetime) = token.lifetime() {
                eprintln!("expires in {} s", lifetime.as_secs());
            }
            EXIT_OK
        }
        Err(e) => report(&e),
    }
}

fn explain(code: i64, json: bool) -> u8 {
    let error = ErrorCode::from_code(code);
    if matches!(error, ErrorCode::Unknown(_)) {
        eprintln!("error: {code} is not a code documented by the spec's error tables");
        return EXIT_API;
    }
    let rows: Vec<_> = ERROR_TABLE.iter().filter(|r| r.code == code).collect();
    let retry = if error.is_retryable() {
        "retryable: the same call may succeed later"
    } else if error.needs_new_token() {
        "not retried as is: fetch a new access token, then replay"
    } else {
        "not retryable: fix the request, credentials or permissions"
    };
    if json {
        let value = serde_json::json!({
            "code": code,
            "name": error.name(),
            "message": error.message(),
            "advice": error.advice(),
            "class": error.class().as_str(),
            "retryable": error.is_retryable(),
            "needs_new_token": error.needs_new_token(),
            "operations": error.operations(),
            "rows": rows.iter().map(|r| serde_json::json!({
                "operation": r.operation, "message": r.message, "advice": r.advice,
            })).collect::<Vec<_>>(),
        });
        return print_json(&value);
    }
    let mut out = String::new();
    out.push_str(&format!("{code} {}\n", error.name()));
    out.push_str(&format!(
        "  message:    {}\n",
        error.message().unwrap_or("")
    ));
    out.push_str(&format!(
        "  advice:     {}\n",
        error.advice().filter(|a| !a.is_empty()).unwrap_or("(none)")
    ));
    out.push_str(&format!("  class:      {} ({retry})\n", error.class()));
    out.push_str(&format!(
        "  documented: {}\n",
        error.operations().join(", ")
    ));
    for row in rows {
        let advice = if row.advice.is_empty() {
            ""
        } else {
            row.advice
        };
        out.push_str(&format!(
            "    {}: {} | {advice}\n",
            row.operation, row.message
        ));
    }
    print!("{out}");
    EXIT_OK
}

async fn mock(port: u16, seed: u64, webhook_url: Option<String>, repeat: bool) -> u8 {
    let mut builder = MockServer::builder().port(port).seed(seed);
    if let Some(url) = &webhook_url {
        builder = builder.webhook_url(url);
    }
    let server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return EXIT_TRANSPORT;
        }
    };
    let base = server.base_url();
    let data = server.dataset();
    println!("export {ENV_BASE_URL}={base}");
    println!("export {ENV_ACCESS_TOKEN}={}", server.issue_token());
    println!("export {ENV_CLIENT_KEY}={}", sample::CLIENT_KEY);
    println!("export {ENV_CLIENT_SECRET}={}", sample::CLIENT_SECRET);
    let _ = std::io::stdout().flush();
    eprintln!(
        "goodlife sandbox on {base} (seed {seed}: {} merchants, {} orders, {} vouchers); Ctrl-C stops it.",
        data.merchants.len(),
        data.order_count(),
        data.certificate_count()
    );
    eprintln!(
        "The token above lives 2 hours; with the client key and secret the SDK fetches its own."
    );
    eprintln!("Try:");
    eprintln!(
        "  goodlife orders --account-id {} --poi-id {} --start-time {} --end-time {} --all",
        sample::ACCOUNT_ID,
        sample::POI_ID,
        sample::DAY_START,
        sample::DAY_END
    );
    eprintln!(
        "  goodlife spu --account-id {} --out-spu-id {}",
        sample::ROOT_ACCOUNT_ID,
        sample::OUT_SPU_ID
    );
    eprintln!(
        "  goodlife certificates --account-id {} --open-id {} --all",
        sample::ACCOUNT_ID,
        sample::OPEN_ID
    );
    eprintln!("Scannable codes (the verification flow):");
    for code in server.scannable_codes() {
        eprintln!(
            "  {} ({} voucher(s)): goodlife certificate-prepare --encrypted-data {}",
            code.title, code.vouchers, code.encrypted_data
        );
    }
    if let Some(url) = webhook_url {
        eprintln!("Webhooks go to {url} (signed with the client secret above).");
        loop {
            match server.next_delivery().await {
                Some(Ok(d)) => {
                    eprintln!("webhook Msg-Id {} → HTTP {}", d.msg_id, d.status);
                    if repeat {
                        match server.redeliver(&d.msg_id).await {
                            Ok(again) => eprintln!(
                                "webhook Msg-Id {} (repeated) → HTTP {}",
                                again.msg_id, again.status
                            ),
                            Err(e) => eprintln!("webhook repeat failed: {e}"),
                        }
                    }
                }
                Some(Err(e)) => eprintln!("webhook delivery failed: {e}"),
                None => break,
            }
        }
    }
    std::future::pending::<()>().await;
    EXIT_OK
}
