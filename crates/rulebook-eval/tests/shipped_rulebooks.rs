//! Every rulebook in `rulebooks/` checks with no error and no warning and is
//! laid out the one way `rulebook fmt` writes it. (Their own `test` blocks
//! are run by the CLI's `every_shipped_rulebook_passes_its_own_tests`, which
//! globs the same folder.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

#[test]
fn every_shipped_rulebook_checks_clean_and_is_formatted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rulebooks");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    let mut problems = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(f).unwrap();
        let checked = rulebook_lang::check(&name, &src);
        for d in &checked.diagnostics {
            problems.push(format!("{name}: {} {}", d.code, d.message));
        }
        if rulebook_lang::format::format(&src) != src {
            problems.push(format!("{name}: not formatted (run `rulebook fmt {name}`)"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
