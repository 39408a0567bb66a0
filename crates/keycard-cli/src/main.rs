//! `keycard`: the command line of the Keycard authentication server.
//!
//! Each subcommand lives in its own file under `commands/`; this file only parses the
//! command line and turns the outcome into an exit status.

mod bench;
mod checklist;
mod commands;
mod dates;
mod failure;
mod input;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keycard: the authentication server (`keycard serve`), its benchmark (`keycard bench`)
/// and its signing keys (`keycard keys`), and keys, secrets and JWTs from the command line (generate, sign, verify,
/// decode, audit).
#[derive(Debug, Parser)]
#[command(name = "keycard", version)]
#[command(
    after_help = "Exit status: 0 success (for serve: stopped by Ctrl-C or SIGTERM after draining); 1 the token is invalid (the failed rule is printed on stderr), or for bench a route had failures; 2 usage, input, key or start-up error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Serve(Box<commands::serve::Args>),
    Bench(Box<commands::bench::Args>),
    Keys(Box<commands::keys::Args>),
    Keygen(commands::keygen::Args),
    Secret(commands::secret::Args),
    Jwks(commands::jwks::Args),
    Sign(commands::sign::Args),
    Verify(commands::verify::Args),
    Decode(commands::decode::Args),
    Audit(commands::audit::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => {
            return match commands::serve::run(*args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => {
                    eprintln!("{failure}");
                    failure.exit_code()
                }
            };
        }
        Command::Bench(args) => {
            return match commands::bench::run(*args) {
                Ok(code) => code,
                Err(failure) => {
                    eprintln!("{failure}");
                    failure.exit_code()
                }
            };
        }
        Command::Keys(args) => commands::keys::run(*args),
        Command::Keygen(args) => commands::keygen::run(&args),
        Command::Secret(args) => commands::secret::run(&args),
        Command::Jwks(args) => commands::jwks::run(&args),
        Command::Sign(args) => commands::sign::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Decode(args) => commands::decode::run(&args),
        Command::Audit(args) => {
            return match commands::audit::run(&args) {
                Ok((report, code)) => {
                    println!("{report}");
                    code
                }
                Err(failure) => {
                    eprintln!("{failure}");
                    failure.exit_code()
                }
            };
        }
    };
    match outcome {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            failure.exit_code()
        }
    }
}
