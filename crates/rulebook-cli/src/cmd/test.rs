//! `rulebook test RULES...`: run the tests written inside rulebooks.

use super::load::{self, LoadError};
use super::{usage_error, FINDINGS, OK};
use rulebook_eval::data::{Batch, DataError};
use rulebook_eval::tests_run::run_tests;
use std::path::{Path, PathBuf};

pub fn run(files: &[PathBuf]) -> u8 {
    use std::fmt::Write;
    // Everything printed at the end, through the one writer that knows a
    // closed pipe from a failed write.
    let mut out = String::new();
    let mut passed = 0;
    let mut failed = 0;
    for file in files {
        let program = match load::program(file) {
            Ok(p) => p,
            Err(LoadError::Usage(e)) => return usage_error(&e),
            Err(LoadError::Findings) => {
                failed += 1;
                continue;
            }
        };
        let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut loader = |rel: &str| -> Result<Batch, Vec<DataError>> {
            let path = base.join(rel);
            let unreadable = |message: String| {
                vec![DataError {
                    unit: None,
                    field: None,
                    location: rulebook_eval::data::Location::File(path.display().to_string()),
                    message,
                    help: None,
                }]
            };
            match load::batch_quiet(&program, &path) {
                Ok((Ok(b), _)) => Ok(b),
                Ok((Err(errs), _)) => Err(errs),
                Err(LoadError::Usage(e)) => Err(unreadable(e)),
                Err(LoadError::Findings) => Err(unreadable("cannot read this file".into())),
            }
        };
        let outcomes = run_tests(&program, &mut loader);
        for o in outcomes {
            if o.passed() {
                passed += 1;
                let _ = writeln!(out, "ok      {} ({} checks)", o.name, o.checks);
            } else {
                failed += 1;
                let _ = writeln!(out, "FAILED  {}  ({}:{})", o.name, file.display(), o.line);
                if let Some(e) = &o.error {
                    for line in e.lines() {
                        let _ = writeln!(out, "        {line}");
                    }
                }
                for m in &o.mismatches {
                    let _ = writeln!(out, "        {m}");
                }
            }
        }
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    let code = super::print_out(out.as_bytes());
    if code != OK {
        code
    } else if failed > 0 {
        FINDINGS
    } else {
        OK
    }
}
