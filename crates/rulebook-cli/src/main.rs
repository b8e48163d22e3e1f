//! `rulebook`: parse arguments, dispatch to one file per command.

mod cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rulebook",
    version,
    about = "Check and evaluate assessment rulebooks (.rules)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rulebooks and report every problem
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check a rulebook and write its compiled form (JSON)
    Compile {
        file: PathBuf,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match cli.command {
        Command::Check { files } => cmd::check::run(&files),
        Command::Compile { file, output } => cmd::compile::run(&file, output.as_deref()),
    };
    ExitCode::from(code)
}
