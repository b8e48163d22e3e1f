//! One module per command; shared helpers for reading and reporting.

pub mod check;
pub mod compile;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod import;
pub mod load;
pub mod rename;
pub mod serve;
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

/// Refuse an output file that is also one of the command's inputs (the
/// same file by path, link or hard link), or a file in an input folder of
/// CSV files: writing it would destroy what it was computed from.
pub fn refuse_input_as_output(output: &Path, inputs: &[&Path]) -> Result<(), String> {
    let out = resolve(output);
    for input in inputs {
        let same = if input.is_dir() {
            let in_dir = out
                .parent()
                .and_then(|p| p.canonicalize().ok())
                .zip(input.canonicalize().ok())
                .is_some_and(|(a, b)| a == b);
            in_dir
                && out
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        } else {
            same_file(&out, input)
        };
        if same {
            return Err(format!(
                "the output `{}` is also an input (`{}`): writing it would destroy it; give another file name",
                output.display(),
                input.display()
            ));
        }
    }
    Ok(())
}

/// Where writing `path` really goes: through symbolic links to their target.
fn resolve(path: &Path) -> std::path::PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) => {
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                }
            }
            Err(_) => break,
        }
    }
    p
}

fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Write a file safely, the one way every command writes one: through a
/// symbolic link to its target (the link stays); never over a FIFO, a
/// device or a folder; keeping an existing file's permissions (a new file
/// gets 0644); the bytes in a temporary file beside the target, flushed to
/// disk, then renamed over it, so a failed write never leaves half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomic_with(path, &mut |w| w.write_all(bytes).map_err(|e| e.to_string()))
}

/// [`write_atomic`], the bytes written by `fill` as they come (through a
/// buffer), so a large output never sits whole in memory.
pub fn write_atomic_with(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<(), String>,
) -> Result<(), String> {
    use std::io::Write;
    let target = resolve(path);
    let existing = match std::fs::metadata(&target) {
        Ok(m) if m.is_file() => Some(m.permissions()),
        Ok(m) => {
            let what = if m.is_dir() {
                "a folder"
            } else {
                "not a regular file (a pipe, socket or device)"
            };
            return Err(format!(
                "cannot write `{}`: it is {what}; give the name of a file",
                path.display()
            ));
        }
        Err(_) => None,
    };
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in `{}`: {e}", dir.display()))?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        w.flush().map_err(fail)?;
    }
    // A temporary file is private (0600): keep the replaced file's mode,
    // and make a new report readable as reports are meant to be.
    #[cfg(unix)]
    let existing = {
        use std::os::unix::fs::PermissionsExt;
        Some(existing.unwrap_or_else(|| std::fs::Permissions::from_mode(0o644)))
    };
    if let Some(p) = existing {
        tmp.as_file().set_permissions(p).map_err(fail)?;
    }
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(&target).map_err(|e| fail(e.error))?;
    // The rename itself reaches the disk with the folder.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Write a command's output to standard output. On a terminal, control
/// characters from names and texts are shown escaped rather than obeyed
/// (redirected output keeps every byte). A failed write is an error
/// (exit 2, with the reason); a closed pipe (`rulebook … | head`) ends
/// quietly: the reader has all it wanted.
pub fn print_out(bytes: &[u8]) -> u8 {
    print_out_with(&mut |w| w.write_all(bytes))
}

/// [`print_out`], the bytes written by `fill` as they come (buffered).
pub fn print_out_with(fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>) -> u8 {
    use std::io::Write;
    if stdout_closed() {
        return usage_error(
            "standard output is closed, so the output would be lost; give a file with -o, or redirect the output",
        );
    }
    if std::io::stdout().is_terminal() {
        // What a person reads on a terminal is small; made safe whole.
        let mut all = Vec::new();
        if let Err(e) = fill(&mut all) {
            return usage_error(&format!("cannot write the output: {e}"));
        }
        let shown = rulebook_report::safe::terminal(&String::from_utf8_lossy(&all)).into_owned();
        let mut out = std::io::stdout().lock();
        return match out.write_all(shown.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => OK,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => OK,
            Err(e) => usage_error(&format!("cannot write the output: {e}")),
        };
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match fill(&mut out).and_then(|()| out.flush()) {
        Ok(()) => OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => OK,
        Err(e) => usage_error(&format!("cannot write the output: {e}")),
    }
}

/// Whether the command was started with its standard output closed. Rust's
/// runtime then opens /dev/null in its place, for reading and writing, so
/// every write would succeed into nothing; a shell's `> /dev/null` opens it
/// for writing only, and is respected.
fn stdout_closed() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let stdout = std::io::stdout();
        let Ok(fd) = stdout.as_fd().try_clone_to_owned() else {
            return true;
        };
        let read_write = rustix::fs::fcntl_getfl(&fd)
            .is_ok_and(|f| f & rustix::fs::OFlags::RWMODE == rustix::fs::OFlags::RDWR);
        let file = std::fs::File::from(fd);
        let null = std::fs::metadata("/dev/null");
        match (file.metadata(), null) {
            (Ok(a), Ok(b)) => {
                read_write && a.dev() == b.dev() && a.ino() == b.ino() && a.rdev() == b.rdev()
            }
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        false
    }
}
