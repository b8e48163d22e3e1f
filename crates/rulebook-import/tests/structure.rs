//! The draft's structure on the 2024 Ziyuan document against the
//! hand-written rulebook: ids, sentences, points and responsible units.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

#[test]
fn structure_matches_the_hand_written_rulebook() {
    let doc = rulebook_import::read_document(&common::source()).unwrap();
    let (draft, _) = rulebook_import::draft(&doc);
    let (matched, total, extra, report) = common::compare(&draft);
    let recall = matched as f64 / total as f64 * 100.0;
    let union = total + extra.len();
    let both = matched as f64 / union as f64 * 100.0;
    eprintln!("{report}extra: {extra:?}");
    eprintln!(
        "structure (text): {matched} of {total} hand-written nodes match ({recall:.1}%); {} extra draft nodes; {matched} of {union} in either ({both:.1}%)",
        extra.len()
    );
    assert!(recall >= 95.0, "{recall:.1}% of nodes match");
    // The draft checks but for its to-dos and what the document leaves open.
    let checked = rulebook_lang::check("draft.rules", &draft);
    assert!(checked
        .diagnostics
        .iter()
        .any(|d| d.code == "rulebook::todo"));
}
