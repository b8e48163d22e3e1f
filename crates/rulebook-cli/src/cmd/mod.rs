//! One module per command; shared helpers for reading and reporting.

pub mod check;
pub mod compile;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod load;
pub mod template;
pub mod test;

use rulebook_lang::diag::{render_plain, Diagnostic, Source};
use std::io::IsTerminal;
use std::path::Path;

/// Exit codes: 0 ok, 1 findings, 2 usage errors.
pub const OK: u8 = 0;
pub const FINDINGS: u8 = 1;
pub const USAGE: u8 = 2;

pub fn read_source(path: &Path) -> Result<Source, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not UTF-8 text (bad byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(Source::new(path.display().to_string(), text))
}

/// Print diagnostics to stderr: graphical with colour on a terminal, plain otherwise.
pub fn print_diagnostics(source: &Source, diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode())
            .with_links(false);
        for d in diagnostics {
            let report = rulebook_lang::diag::Report {
                diagnostic: d.clone(),
                source: source.clone(),
            };
            let mut s = String::new();
            if handler.render_report(&mut s, &report).is_ok() {
                eprintln!("{s}");
            }
        }
    } else {
        eprint!("{}", render_plain(source, diagnostics));
    }
}

pub fn usage_error(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    USAGE
}

/// Write a file atomically: a temporary file beside it, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in `{}`: {e}", dir.display()))?;
    tmp.write_all(bytes)
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    // A temporary file is private (0600); a report is meant to be shared.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| format!("cannot write `{}`: {}", path.display(), e.error))?;
    Ok(())
}
