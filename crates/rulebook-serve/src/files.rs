//! The rulebooks of the served folder: listed, read and saved by name.
//!
//! A NAME is a file name without `.rules`; it never holds a path separator,
//! never starts with a dot, and its file must sit directly in the folder (a
//! symbolic link is followed only when it stays inside the folder, and is
//! never saved over). A save is atomic (a temporary file in the folder,
//! then a rename) and keeps the previous version as `NAME.rules.bak`.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Rulebooks {
    /// The folder, canonical.
    dir: PathBuf,
}

#[derive(Debug)]
pub enum FileError {
    /// Not a name this server reads (a path, a hidden file, too long).
    BadName(String),
    NotFound(String),
    /// The file changed on disk since the editor loaded it.
    Conflict(String),
    Io(String),
}

impl FileError {
    pub fn message(&self) -> &str {
        match self {
            FileError::BadName(m)
            | FileError::NotFound(m)
            | FileError::Conflict(m)
            | FileError::Io(m) => m,
        }
    }
}

const MAX_NAME: usize = 120;

/// A short fingerprint of a text, so a save can tell the file changed
/// since it was loaded.
pub fn version(text: &str) -> String {
    let mut h = std::hash::DefaultHasher::new();
    text.hash(&mut h);
    format!("{:016x}", h.finish())
}

impl Rulebooks {
    pub fn new(dir: &Path) -> Result<Rulebooks, String> {
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("cannot open the folder `{}`: {e}", dir.display()))?;
        if !dir.is_dir() {
            return Err(format!("`{}` is not a folder", dir.display()));
        }
        Ok(Rulebooks { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The names of the rulebooks, sorted.
    pub fn names(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let file = e.file_name().into_string().ok()?;
                let name = file.strip_suffix(".rules")?.to_owned();
                self.path(&name).ok().map(|_| name)
            })
            .collect();
        names.sort();
        names
    }

    /// The file of a rulebook that exists and may be read.
    pub fn path(&self, name: &str) -> Result<PathBuf, FileError> {
        let path = self.candidate(name)?;
        let meta = fs::symlink_metadata(&path)
            .map_err(|_| FileError::NotFound(format!("there is no rulebook `{name}`")))?;
        if meta.file_type().is_symlink() {
            let target = path
                .canonicalize()
                .map_err(|_| FileError::NotFound(format!("there is no rulebook `{name}`")))?;
            if target.parent() != Some(self.dir.as_path()) || !target.is_file() {
                return Err(FileError::NotFound(format!(
                    "`{name}.rules` is a link to outside the served folder; it is not served"
                )));
            }
        } else if !meta.is_file() {
            return Err(FileError::NotFound(format!(
                "there is no rulebook `{name}`"
            )));
        }
        Ok(path)
    }

    /// `DIR/NAME.rules` for a well-formed name, whether it exists or not.
    fn candidate(&self, name: &str) -> Result<PathBuf, FileError> {
        let bad = name.is_empty()
            || name.len() > MAX_NAME
            || name.starts_with('.')
            || name.contains(['/', '\\', ':', '\0'])
            || name.chars().any(char::is_control);
        if bad {
            return Err(FileError::BadName(format!(
                "`{}` is not a rulebook name: give a file name in the folder, without `.rules`",
                name.escape_default()
            )));
        }
        Ok(self.dir.join(format!("{name}.rules")))
    }

    pub fn read(&self, name: &str) -> Result<String, FileError> {
        let path = self.path(name)?;
        let bytes = fs::read(&path)
            .map_err(|e| FileError::Io(format!("cannot read `{name}.rules`: {e}")))?;
        String::from_utf8(bytes).map_err(|e| {
            FileError::Io(format!(
                "`{name}.rules` is not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })
    }

    /// Save a rulebook over its file, keeping the previous text as
    /// `NAME.rules.bak`. With `base`, refuse when the file no longer has
    /// that version (someone else saved in between).
    pub fn save(&self, name: &str, text: &str, base: Option<&str>) -> Result<(), FileError> {
        let path = self.path(name)?;
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(FileError::Conflict(format!(
                "`{name}.rules` is a link; open the rulebook it points to and save that"
            )));
        }
        let old = self.read(name)?;
        if base.is_some_and(|b| b != version(&old)) {
            return Err(FileError::Conflict(format!(
                "`{name}.rules` changed on disk since you opened it; reload it, then make your changes again"
            )));
        }
        self.write_atomic(&self.dir.join(format!("{name}.rules.bak")), old.as_bytes())?;
        self.write_atomic(&path, text.as_bytes())
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), FileError> {
        let io =
            |e: std::io::Error| FileError::Io(format!("cannot save `{}`: {e}", path.display()));
        let mut tmp = tempfile::Builder::new()
            .prefix(".rulebook-save-")
            .tempfile_in(&self.dir)
            .map_err(io)?;
        tmp.write_all(bytes).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = tmp
                .as_file()
                .set_permissions(fs::Permissions::from_mode(0o644));
        }
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }
}
