//! `rulebook import DOC [-o draft.rules] [--base LAST.rules]`: the document
//! (text, .docx, .xlsx, .csv or .html) to a draft rulebook; with `--base`,
//! last year's rules carried over and a summary of what changed.

use super::{read_source, usage_error, write_atomic, FINDINGS, OK};
use std::path::Path;

pub fn run(doc: &Path, output: Option<&Path>, base: Option<&Path>) -> u8 {
    let document = match rulebook_import::read_document(doc) {
        Ok(d) => d,
        Err(e) => return usage_error(&e.to_string()),
    };
    let (text, summary) = match base {
        Some(b) => {
            let source = match read_source(b) {
                Ok(s) => s,
                Err(e) => return usage_error(&e),
            };
            match rulebook_import::carry::carry_over(&document, &source.text) {
                Ok(c) => (c.text, c.summary.render()),
                Err(e) => return usage_error(&format!("`{}`: {e}", b.display())),
            }
        }
        None => {
            let (text, proposals) = rulebook_import::draft(&document);
            (text, rulebook_import::summary_fresh(&document, &proposals))
        }
    };
    match output {
        Some(o) => {
            if let Err(e) = write_atomic(o, text.as_bytes()) {
                return usage_error(&e);
            }
            eprint!("{summary}");
            let name = o.display().to_string();
            let checked = rulebook_lang::check(&name, &text);
            let todos = checked
                .diagnostics
                .iter()
                .filter(|d| d.code == rulebook_lang::diag::Code::Todo)
                .count();
            let other = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error() && d.code != rulebook_lang::diag::Code::Todo)
                .count();
            eprintln!(
                "wrote {name}: `rulebook check {name}` lists {todos} to do{}",
                match other {
                    0 => String::new(),
                    1 => " and 1 other error".to_string(),
                    n => format!(" and {n} other errors"),
                }
            );
        }
        None => {
            print!("{text}");
            eprint!("{summary}");
        }
    }
    if text.contains("\ntodo ") || text.contains(" todo \"") {
        FINDINGS
    } else {
        OK
    }
}
