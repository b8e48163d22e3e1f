//! The adversarial corpus: every folder in `tests/attack/` is one hostile
//! input and the outcome it must have, written in its `case.txt`.
//!
//! Each case runs in a fresh temporary folder holding a copy of
//! `tests/attack/_shared/` and then of the case's own files, so a case that
//! tries to overwrite its inputs can never damage the repository. Lines of
//! `case.txt` (`key: value`, `#` starts a comment):
//!
//! - `run:` the arguments, split at spaces (`$ROOT` is the repository)
//! - `setup:` before running: `symlink LINK TARGET`, `chmod OCTAL FILE`,
//!   `fifo NAME`
//! - `stdin:` a file fed to standard input
//! - `stdout-to:` `full` (writes fail: /dev/full) or `closed-pipe` (the
//!   reader is gone before the first write) or `closed` (no standard
//!   output at all)
//! - `tty:` `yes` runs the command with a terminal as standard output
//! - `exit:` the exit code (a signal never passes)
//! - `stdout:` / `stderr:` a fragment that must appear; `no-stdout:` /
//!   `no-stderr:` one that must not
//! - `unchanged:` a file whose bytes must be as before
//! - `mode:` `FILE OCTAL` the file's permissions after the run
//! - `symlink:` `LINK` still a symbolic link after the run
//! - `file-has:` `FILE fragment` a file written by the run contains it
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

struct Case {
    lines: Vec<(String, String)>,
}

impl Case {
    fn read(path: &Path) -> Case {
        let text = std::fs::read_to_string(path).unwrap();
        let lines = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (k, v) = l
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{}: `{l}` is not `key: value`", path.display()));
                (k.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        Case { lines }
    }
    fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn one<'a>(&'a self, key: &'a str) -> Option<&'a str> {
        self.all(key).next()
    }
}

#[cfg(unix)]
fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn run_case(dir: &Path) -> Result<(), String> {
    let case = Case::read(&dir.join("case.txt"));
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    copy_dir(&root().join("tests/attack/_shared"), work);
    copy_dir(dir, work);
    for s in case.all("setup") {
        let words: Vec<&str> = s.split_whitespace().collect();
        match words.as_slice() {
            ["symlink", link, target] => {
                #[cfg(unix)]
                std::os::unix::fs::symlink(target, work.join(link)).unwrap();
            }
            ["chmod", mode, file] => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let m = u32::from_str_radix(mode, 8).unwrap();
                    std::fs::set_permissions(work.join(file), std::fs::Permissions::from_mode(m))
                        .unwrap();
                }
            }
            ["fifo", name] => {
                let st = Command::new("mkfifo")
                    .arg(work.join(name))
                    .status()
                    .unwrap();
                assert!(st.success());
            }
            _ => return Err(format!("unknown setup `{s}`")),
        }
    }
    let before: Vec<(String, Vec<u8>)> = case
        .all("unchanged")
        .map(|f| {
            (
                f.to_owned(),
                std::fs::read(work.join(f)).unwrap_or_default(),
            )
        })
        .collect();
    let root_s = root().display().to_string();
    let args: Vec<String> = case
        .one("run")
        .ok_or("no `run:` line")?
        .split_whitespace()
        .map(|a| a.replace("$ROOT", &root_s))
        .collect();
    let exe = env!("CARGO_BIN_EXE_rulebook");
    let tty = case.one("tty") == Some("yes");
    let mut cmd = if tty {
        // `script` gives the command a terminal and copies what it prints.
        let line: Vec<String> = std::iter::once(exe.to_owned())
            .chain(args.iter().cloned())
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect();
        let mut c = Command::new("script");
        c.args(["-qefc", &line.join(" "), "/dev/null"]);
        c
    } else {
        let mut c = Command::new(exe);
        c.args(&args);
        c
    };
    cmd.current_dir(work).env("NO_COLOR", "1");
    cmd.stdin(match case.one("stdin") {
        Some(f) => Stdio::from(std::fs::File::open(work.join(f)).unwrap()),
        None => Stdio::null(),
    });
    let (code, out, err) = match case.one("stdout-to") {
        Some("full") => {
            cmd.stdout(Stdio::from(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            ));
            let o = cmd.stderr(Stdio::piped()).output().unwrap();
            (o.status, Vec::new(), o.stderr)
        }
        Some("closed-pipe") => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            drop(child.stdout.take());
            let o = child.wait_with_output().unwrap();
            (o.status, Vec::new(), o.stderr)
        }
        Some("closed") => {
            // The shell closes the descriptor before starting the command.
            let prog = cmd.get_program().to_owned();
            let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
            let o = Command::new("sh")
                .arg("-c")
                .arg("exec \"$0\" \"$@\" >&-")
                .arg(prog)
                .args(args)
                .current_dir(work)
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            (o.status, Vec::new(), o.stderr)
        }
        Some(other) => return Err(format!("unknown stdout-to `{other}`")),
        None => {
            let o = cmd.output().unwrap();
            (o.status, o.stdout, o.stderr)
        }
    };
    let out = String::from_utf8_lossy(&out).into_owned();
    let err = String::from_utf8_lossy(&err).into_owned();
    let shown = || format!("\n--- stdout\n{out}\n--- stderr\n{err}");
    let mut problems = Vec::new();
    match code.code() {
        None => problems.push(format!("ended by a signal: {code:?}")),
        Some(c) => {
            if let Some(want) = case.one("exit") {
                if want.parse::<i32>().ok() != Some(c) {
                    problems.push(format!("exit {c}, expected {want}"));
                }
            }
        }
    }
    for f in case.all("stdout") {
        if !out.contains(f) {
            problems.push(format!("stdout lacks `{f}`"));
        }
    }
    for f in case.all("stderr") {
        if !err.contains(f) {
            problems.push(format!("stderr lacks `{f}`"));
        }
    }
    for f in case.all("no-stdout") {
        if out.contains(f) {
            problems.push(format!("stdout has `{f}`"));
        }
    }
    for f in case.all("no-stderr") {
        if err.contains(f) {
            problems.push(format!("stderr has `{f}`"));
        }
    }
    for (f, bytes) in &before {
        if std::fs::read(work.join(f)).unwrap_or_default() != *bytes {
            problems.push(format!("`{f}` was changed"));
        }
    }
    #[cfg(unix)]
    for m in case.all("mode") {
        let (file, mode) = m.split_once(' ').ok_or("mode: FILE OCTAL")?;
        let want = u32::from_str_radix(mode.trim(), 8).map_err(|e| e.to_string())?;
        let got = mode_of(&work.join(file));
        if got != want {
            problems.push(format!("`{file}` has mode {got:o}, expected {want:o}"));
        }
    }
    for l in case.all("symlink") {
        let is_link = std::fs::symlink_metadata(work.join(l))
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if !is_link {
            problems.push(format!("`{l}` is no longer a symbolic link"));
        }
    }
    for fh in case.all("file-has") {
        let (file, frag) = fh.split_once(' ').ok_or("file-has: FILE fragment")?;
        let text = String::from_utf8_lossy(&std::fs::read(work.join(file)).unwrap_or_default())
            .into_owned();
        if !text.contains(frag.trim()) {
            problems.push(format!("`{file}` lacks `{}`", frag.trim()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}{}", problems.join("; "), shown()))
    }
}

#[test]
fn attack_corpus() {
    let base = root().join("tests/attack");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.txt").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases in {}", base.display());
    let mut failed = Vec::new();
    for d in &dirs {
        if let Err(e) = run_case(d) {
            failed.push(format!("{}: {e}", d.file_name().unwrap().to_string_lossy()));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} attack cases failed:\n\n{}",
        failed.len(),
        dirs.len(),
        failed.join("\n\n")
    );
}
