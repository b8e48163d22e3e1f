//! `rulebook rename OLD NEW FILE…`: rename a name everywhere it is used.

use super::{read_source, usage_error, write_atomic, FINDINGS, OK};
use std::path::PathBuf;

pub fn run(old: &str, new: &str, files: &[PathBuf]) -> u8 {
    let mut total = 0;
    let mut failed = false;
    for f in files {
        let source = match read_source(f) {
            Ok(s) => s,
            Err(e) => return usage_error(&e),
        };
        match rulebook_import::rename::rename(&source.text, old, new) {
            Ok((_, 0)) => eprintln!("{}: `{old}` is not declared here; unchanged", f.display()),
            Ok((text, n)) => {
                if let Err(e) = write_atomic(f, text.as_bytes()) {
                    return usage_error(&e);
                }
                total += n;
                eprintln!("{}: `{old}` → `{new}` in {n} places", f.display());
            }
            Err(e) => {
                eprintln!("error: {}: {e}", f.display());
                failed = true;
            }
        }
    }
    if total > 0 {
        eprintln!("data files name inputs too: rename `{old}` to `{new}` in them (and in templates made before)");
    }
    if failed {
        FINDINGS
    } else {
        OK
    }
}
