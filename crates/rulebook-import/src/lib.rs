//! `rulebook import`: a published assessment document (plain text, Word,
//! spreadsheet, CSV or web page) to a draft rulebook.
//!
//! read (any form → [`model::Table`]) → build (table → [`model::Document`],
//! the tree of sections, items, parts and clauses) → recognise (sentences →
//! rules and the inputs they read, or `todo`) → write (a formatted
//! `.rules` draft). With last year's rulebook, [`carry`] keeps every rule
//! whose sentence is unchanged, updates the numbers of those whose sentence
//! changed only in its numbers, and reports what changed.

pub mod build;
pub mod carry;
pub mod model;
pub mod read;
pub mod recognise;
pub mod rename;
pub mod text;
pub mod write;

use std::fmt;
use std::path::Path;

/// A document that cannot be read, with the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub message: String,
}

impl ImportError {
    pub fn new(file: &Path, message: String) -> Self {
        ImportError {
            file: file.display().to_string(),
            message,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.file, self.message)
    }
}

impl std::error::Error for ImportError {}

/// Read a document in any of its forms into its tree.
pub fn read_document(path: &Path) -> Result<model::Document, ImportError> {
    let table = read::read(path)?;
    Ok(build::build(&table))
}

/// A fresh draft of a document: its text (formatted) and what was proposed.
pub fn draft(doc: &model::Document) -> (String, write::Proposals) {
    let proposals = write::propose(doc);
    let text = write::draft(doc, &proposals);
    (text, proposals)
}

/// The summary of a fresh draft: how many scored nodes got rules and how
/// many are left to write.
pub fn summary_fresh(doc: &model::Document, proposals: &write::Proposals) -> String {
    let nodes = doc.nodes().len();
    let proposed = proposals.values().filter(|p| p.proposed()).count();
    let todo = proposals.values().filter(|p| p.todo.is_some()).count();
    format!(
        "{nodes} nodes read; rules proposed for {proposed} of {} scored nodes, {todo} to do\n",
        proposals.len()
    )
}
