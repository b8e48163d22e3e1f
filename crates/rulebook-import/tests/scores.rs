//! Proposed rules score like the hand-written ones: every node listed in
//! tests/import/ziyuan-2024/names.map gets the draft's rules (with the draft's
//! input names mapped to the real rulebook's), and the example units must
//! score exactly as under rulebooks/ziyuan-2024.rules — totals, grades,
//! vetoes and every node's score.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

#[test]
fn proposed_rules_score_the_examples_like_the_hand_written_ones() {
    let (proposed, scored) = common::verify_proposals(
        "tests/import/ziyuan-2024/source.txt",
        "rulebooks/ziyuan-2024.rules",
        "tests/import/ziyuan-2024/names.map",
        "examples/ziyuan-2024/data.json",
    );
    assert!(proposed * 100 >= scored * 60, "{proposed} of {scored}");
    // Nothing scored is passed over in silence: every node gets rules or a
    // to-do saying what is left (6.5.1 once got neither).
    let doc = rulebook_import::read_document(&common::source()).unwrap();
    let silent: Vec<String> = rulebook_import::write::propose(&doc)
        .into_iter()
        .filter(|(_, p)| !p.proposed() && p.todo.is_none())
        .map(|(id, _)| id)
        .collect();
    assert!(silent.is_empty(), "neither rules nor a to-do: {silent:?}");
}
