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
        /// Also read and check a data file (.json, .xlsx, or a folder of .csv
        /// files) against the rulebook, without scoring it
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Check a rulebook and write its compiled form (JSON)
    Compile {
        file: PathBuf,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Score every unit of a data file (.json, .xlsx, or a folder of .csv files)
    Eval {
        /// A .rules file, or a compiled rulebook (.json)
        rules: PathBuf,
        data: PathBuf,
        #[arg(short, long, value_enum, default_value = "table")]
        format: cmd::eval::Format,
        /// What each unit carries in json, jsonl and csv (default: full for JSON, items for CSV)
        #[arg(long, value_enum)]
        detail: Option<cmd::eval::DetailArg>,
        /// In --format xlsx, a unit that gets a sheet of its own (repeatable)
        #[arg(long)]
        unit: Vec<String>,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Every point one unit gained and lost, with the document's sentences
    Explain {
        rules: PathBuf,
        data: PathBuf,
        #[arg(short, long)]
        unit: String,
    },
    /// Write a blank data file (workbook, CSV files or JSON) listing every input
    Template {
        rules: PathBuf,
        #[arg(short, long, value_enum, default_value = "xlsx")]
        format: cmd::template::Format,
        /// The file (a folder for csv); json goes to standard output without it
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// What changed between two rulebooks (e.g. last year's and this year's)
    Diff { old: PathBuf, new: PathBuf },
    /// Lay rulebooks out the one way (indentation only), in place
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing; exit 1 if a file is not formatted
        #[arg(long)]
        check: bool,
    },
    /// Draft a rulebook from a published document (.txt, .docx, .xlsx, .csv, .html)
    Import {
        doc: PathBuf,
        /// The draft (standard output without it)
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Last year's rulebook: keep its rules where the sentences are unchanged
        #[arg(long)]
        base: Option<PathBuf>,
    },
    /// Rename an input, parameter, let or table everywhere it is used
    Rename {
        old: String,
        new: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Serve the language server protocol on stdin/stdout, for editors
    Lsp,
    /// Serve the rulebooks of a folder in a browser: scoring, reasons, editing
    Serve {
        /// The folder of .rules files
        #[arg(default_value = "rulebooks")]
        dir: PathBuf,
        /// The address to listen on; any but 127.0.0.1 needs --token
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Allow editing and saving the rulebooks
        #[arg(long)]
        edit: bool,
        /// A password every visitor must give (bearer header or sign-in page)
        #[arg(long)]
        token: Option<String>,
        /// The largest upload, e.g. 100MB
        #[arg(long, default_value = "100MB", value_parser = rulebook_serve::parse_size)]
        max_upload: usize,
    },
    /// Run the tests written inside rulebooks
    Test {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    // Deeply nested rulebooks and data are refused by the parsers, but a
    // generous stack keeps every pass well clear of the limit.
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(run);
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: internal failure; please report it with the files you gave");
            ExitCode::from(cmd::USAGE)
        }
    }
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match cli.command {
        Command::Check { files, data } => cmd::check::run(&files, data.as_deref()),
        Command::Compile { file, output } => cmd::compile::run(&file, output.as_deref()),
        Command::Eval {
            rules,
            data,
            format,
            detail,
            unit,
            output,
        } => cmd::eval::run(
            &rules,
            &data,
            &cmd::eval::Args {
                format,
                detail,
                units: &unit,
                output: output.as_deref(),
            },
        ),
        Command::Explain { rules, data, unit } => cmd::explain::run(&rules, &data, &unit),
        Command::Test { files } => cmd::test::run(&files),
        Command::Diff { old, new } => cmd::diff::run(&old, &new),
        Command::Fmt { files, check } => cmd::fmt::run(&files, check),
        Command::Import { doc, output, base } => {
            cmd::import::run(&doc, output.as_deref(), base.as_deref())
        }
        Command::Rename { old, new, files } => cmd::rename::run(&old, &new, &files),
        Command::Lsp => match rulebook_lsp::run_stdio() {
            Ok(()) => cmd::OK,
            Err(e) => cmd::usage_error(&format!("the language server stopped: {e}")),
        },
        Command::Serve {
            dir,
            addr,
            edit,
            token,
            max_upload,
        } => cmd::serve::run(&dir, addr, edit, token, max_upload),
        Command::Template {
            rules,
            format,
            output,
        } => cmd::template::run(&rules, format, output.as_deref()),
    };
    ExitCode::from(code)
}
