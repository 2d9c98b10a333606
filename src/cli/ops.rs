//! One subcommand per operation of the spec, built from
//! [`douyin_goodlife::spec::operations`] at run time: nothing here names an
//! operation.
//!
//! * the name is the `operationId` with `_` replaced by `-`
//!   (`certificate_prepare` → `certificate-prepare`);
//! * each query, path and header parameter is a `--flag` (the wire name lower
//!   case, `_` replaced by `-`); arrays take the flag more than once or one
//!   comma-separated value;
//! * a JSON body is `--body JSON` or `--body @FILE` (`@-`: stdin);
//! * `--all` on a paginated operation prints one JSON array of every item,
//!   written item by item as the pages arrive.
//!
//! stdout is the `data` object as JSON; exit codes as for every command.

use std::io::Write;

use clap::{Arg, ArgAction, ArgMatches};
use douyin_goodlife::spec::{Kind, Location, OperationSpec, ParamSpec};
use douyin_goodlife::{Error, spec};
use futures::StreamExt;
use serde_json::{Map, Value};

use super::{Cli, EXIT_OK, EXIT_TRANSPORT, print_json, report};

/// The subcommand name of an operation.
pub fn command_name(op: &OperationSpec) -> String {
    op.id.replace('_', "-")
}

/// The flag of a parameter.
fn flag(param: &ParamSpec) -> String {
    param.name.to_ascii_lowercase().replace('_', "-")
}

fn leak(s: String) -> &'static str {
    // Built once per process, for clap's `'static` ids and names.
    Box::leak(s.into_boxed_str())
}

/// The clap subcommands of every operation.
pub fn commands() -> Vec<clap::Command> {
    spec::operations().iter().map(command).collect()
}

fn command(op: &'static OperationSpec) -> clap::Command {
    let mut about = format!("{} [{} {}]", op.summary, op.method, op.path);
    if !op.scope.is_empty() {
        about.push_str(&format!(" scope {}", op.scope));
    }
    let mut cmd = clap::Command::new(leak(command_name(op)))
        .about(leak(about))
        .after_help("Prints the answer's `data` object as JSON. Exit codes: 0 success, 1 API error, 2 invalid input (nothing sent), 3 transport or decode failure.");
    for param in op.params {
        let mut help = param.description.to_string();
        match param.location {
            Location::Header => help.push_str(&format!(" [header {}]", param.name)),
            Location::Path => help.push_str(" [path]"),
            _ => {}
        }
        if param.required {
            help.push_str(" (required)");
        }
        let mut arg = Arg::new(param.name)
            .long(leak(flag(param)))
            .help(leak(help))
            .value_name(kind_name(param))
            .allow_negative_numbers(true)
            .required(param.required);
        arg = if param.rule.kind == Kind::Array {
            arg.action(ArgAction::Append)
        } else {
            arg.action(ArgAction::Set)
        };
        cmd = cmd.arg(arg);
    }
    if let Some(body) = op.body {
        cmd = cmd.arg(
            Arg::new("body")
                .long("body")
                .value_name("JSON|@FILE")
                .help("The JSON body, inline or @FILE (@- reads stdin)")
                .required(body.required),
        );
    }
    if op.pagination.is_some() {
        cmd = cmd.arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .help("Every item across pages, as one JSON array written as the pages arrive"),
        );
    }
    cmd
}

fn kind_name(param: &ParamSpec) -> &'static str {
    match param.rule.kind {
        Kind::Integer => "INT",
        Kind::Number => "NUMBER",
        Kind::Boolean => "BOOL",
        Kind::Array => "VALUE",
        _ => "TEXT",
    }
}

/// The operation a subcommand name stands for.
pub fn find(name: &str) -> Option<&'static OperationSpec> {
    spec::operations()
        .iter()
        .find(|op| command_name(op) == name)
}

/// Runs an operation's subcommand.
pub async fn run(cli: &Cli, op: &'static OperationSpec, matches: &ArgMatches) -> u8 {
    let (params, body) = match arguments(op, matches) {
        Ok(v) => v,
        Err(e) => return report(&e),
    };
    let client = match cli.client() {
        Ok(c) => c,
        Err(code) => return code,
    };
    if matches.try_get_one::<bool>("all").ok().flatten() == Some(&true) {
        return match client.stream_json(op.operation, &params, body) {
            Ok(Some(stream)) => write_all(stream).await,
            Ok(None) => report(&Error::Config(format!("{} is not paginated", op.id))),
            Err(e) => report(&e),
        };
    }
    match client.call_json(op.operation, &params, body).await {
        Ok(answer) => print_json(answer.data()),
        Err(e) => report(&e),
    }
}

/// The flags as wire values, checked against the parameter types.
fn arguments(
    op: &'static OperationSpec,
    matches: &ArgMatches,
) -> Result<(Map<String, Value>, Option<Value>), Error> {
    let mut params = Map::new();
    for param in op.params {
        let Some(values) = matches.get_many::<String>(param.name) else {
            continue;
        };
        let values: Vec<&String> = values.collect();
        let value = match param.rule.kind {
            Kind::Array => {
                let item = param.rule.items.map_or(Kind::String, |r| r.kind);
                let mut items = Vec::new();
                for v in values {
                    for part in v.split(',') {
                        items.push(scalar(param, item, part)?);
                    }
                }
                Value::Array(items)
            }
            kind => scalar(param, kind, values[values.len() - 1])?,
        };
        params.insert(param.name.to_string(), value);
    }
    let body = match matches.try_get_one::<String>("body").ok().flatten() {
        Some(text) => Some(read_body(text)?),
        None => None,
    };
    Ok((params, body))
}

fn scalar(param: &ParamSpec, kind: Kind, text: &str) -> Result<Value, Error> {
    let bad = |what: &str| {
        Error::invalid_request(
            param.name,
            format!("--{} must be {what}, got {text:?}", flag(param)),
        )
    };
    Ok(match kind {
        Kind::Integer => Value::from(text.trim().parse::<i64>().map_err(|_| bad("an integer"))?),
        Kind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a number"))?,
        Kind::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        _ => Value::String(text.to_string()),
    })
}

fn read_body(text: &str) -> Result<Value, Error> {
    let source = match text.strip_prefix('@') {
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| Error::invalid_request("body", format!("cannot read stdin: {e}")))?;
            s
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::invalid_request("body", format!("cannot read {path}: {e}")))?,
        None => text.to_string(),
    };
    serde_json::from_str(&source)
        .map_err(|e| Error::invalid_request("body", format!("--body is not JSON: {e}")))
}

/// Writes `[`, each item as it arrives, `]`: one page in memory at a time.
/// On an error the array is left open and the error reported (stdout then
/// holds no valid JSON, so a script cannot mistake it for a full answer).
async fn write_all(mut items: douyin_goodlife::JsonStream) -> u8 {
    let mut out = std::io::stdout().lock();
    let mut first = true;
    let write = |out: &mut std::io::StdoutLock<'_>, text: &str| -> Result<(), u8> {
        match out.write_all(text.as_bytes()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(EXIT_OK),
            Err(e) => {
                eprintln!("error: cannot write to stdout: {e}");
                Err(EXIT_TRANSPORT)
            }
        }
    };
    if let Err(code) = write(&mut out, "[") {
        return code;
    }
    while let Some(item) = items.next().await {
        match item {
            Ok(value) => {
                let text = serde_json::to_string(&value).unwrap_or_else(|_| "null".into());
                let sep = if first { "\n  " } else { ",\n  " };
                first = false;
                if let Err(code) = write(&mut out, sep).and_then(|()| write(&mut out, &text)) {
                    return code;
                }
            }
            Err(e) => {
                let _ = writeln!(out);
                let _ = out.flush();
                return report(&e);
            }
        }
    }
    let end = if first { "]\n" } else { "\n]\n" };
    if let Err(code) = write(&mut out, end) {
        return code;
    }
    match out.flush() {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_TRANSPORT,
    }
}
