//! `rulebook fmt FILE... [--check]`: re-indent rulebooks in place, or with
//! `--check` list those that are not laid out the one way (exit 1).

use super::{read_source, usage_error, write_atomic, FINDINGS, OK};
use std::path::PathBuf;

pub fn run(files: &[PathBuf], check: bool) -> u8 {
    let mut unformatted = 0;
    for f in files {
        let source = match read_source(f) {
            Ok(s) => s,
            Err(e) => return usage_error(&e),
        };
        let formatted = rulebook_lang::format::format(&source.text);
        if formatted == *source.text {
            continue;
        }
        if check {
            unformatted += 1;
            println!("{} is not formatted", f.display());
        } else if let Err(e) = write_atomic(f, formatted.as_bytes()) {
            return usage_error(&e);
        } else {
            println!("formatted {}", f.display());
        }
    }
    if unformatted > 0 {
        FINDINGS
    } else {
        OK
    }
}
