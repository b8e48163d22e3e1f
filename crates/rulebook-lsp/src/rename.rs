//! Rename (F2 in most editors): the same renaming as `rulebook rename`, on
//! the open document — an input, parameter, `let` or table, everywhere it
//! is used, and nowhere else.

use crate::range;
use lsp_types::{TextEdit, Url, WorkspaceEdit};
use rulebook_lang::ast::Span;
use rulebook_lang::diag::LineIndex;
use std::collections::HashMap;

/// The edits that rename the name at `at` to `new`.
pub fn edits(text: &str, at: usize, new: &str) -> std::result::Result<Vec<TextEdit>, String> {
    let old = rulebook_import::rename::name_at(text, at)
        .ok_or("put the cursor on an input, parameter, `let` or table name")?;
    // Refused the same way as `rulebook rename` (a bad or taken name).
    rulebook_import::rename::rename(text, &old, new)?;
    let file = rulebook_lang::parse::parse(text)
        .map_err(|_| "the rulebook has syntax errors; fix them first".to_string())?;
    let spans: Vec<Span> = rulebook_import::rename::references(&file, text, &old);
    let index = LineIndex::new(text);
    Ok(spans
        .into_iter()
        .map(|s| TextEdit {
            range: range(&index, text, s),
            new_text: new.to_string(),
        })
        .collect())
}

/// The LSP answer to a rename request (an error message for the client).
pub fn workspace_edit(
    uri: Url,
    text: Option<String>,
    at: impl Fn(&str) -> usize,
    new: &str,
) -> Result<Option<WorkspaceEdit>, String> {
    let Some(text) = text else {
        return Ok(None);
    };
    match edits(&text, at(&text), new) {
        Ok(e) => Ok(Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri, e)])),
            ..WorkspaceEdit::default()
        })),
        Err(msg) => Err(msg),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn renames_declaration_and_uses() {
        let text = "input reports: count \"reports 次数\"\nitem 1 \"x\" {\n  points 1\n  deduct 0.1 each reports cap 1\n}\n";
        let at = text.rfind("reports cap").unwrap() + 2;
        let e = edits(text, at, "burn_reports").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].range.start.line, 0);
        assert_eq!(e[1].range.start.line, 3);
        assert!(edits(text, 3, "x").is_err());
    }
}
