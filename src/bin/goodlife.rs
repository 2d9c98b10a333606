//! `goodlife`: an operator's command line for the Douyin goodlife APIs, and the
//! offline sandbox (`goodlife mock`, `goodlife demo`). Run `goodlife --help`.
//!
//! The CLI is a user of the library's public API only; its modules live in
//! `src/cli/`.

#[path = "../cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
