//! The JSON reader accepts exactly what serde_json accepts (issue 10): on
//! documents generated from JSON's pieces, right and wrong, both parsers
//! must agree on accept or reject.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;

/// Pieces of JSON, most of them valid somewhere, some never.
const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\t",
    "\"units\"",
    "\"unit\"",
    "\"甲县\"",
    "\"a\\\"b\"",
    "\"\\u00e9\"",
    "\"\\ud83d\\ude00\"",
    "\"\\x\"",
    "\"\\ud800\"",
    "\"tab\tin\"",
    "\"",
    "0",
    "1",
    "-0.5",
    "1e3",
    "1E-2",
    "01",
    "1.",
    ".5",
    "-",
    "+1",
    "1e",
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "NaN",
    "\u{feff}",
    "\u{a0}",
    "//",
    "'a'",
];

fn doc() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..14).prop_map(|v| v.concat())
}

/// Well-formed documents, to make sure acceptance is exercised too.
fn value(depth: u32) -> BoxedStrategy<String> {
    let leaf =
        prop::sample::select(&["0", "-1.25", "1e5", "true", "null", "\"x\"", "\"\\n甲\""][..])
            .prop_map(str::to_owned);
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        leaf,
        prop::collection::vec(value(depth - 1), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
        prop::collection::vec(value(depth - 1), 0..4).prop_map(|v| {
            let entries: Vec<String> = v
                .iter()
                .enumerate()
                .map(|(i, x)| format!("\"k{i}\" : {x}"))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }),
    ]
    .boxed()
}

fn agree(text: &str) -> Result<(), TestCaseError> {
    let ours = rulebook_eval::data::json_syntax(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    prop_assert_eq!(
        ours.is_ok(),
        theirs.is_ok(),
        "{:?}: ours {:?}, serde_json {:?}",
        text,
        ours,
        theirs.map(|_| ())
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn pieces_accepted_and_refused_alike(text in doc()) {
        agree(&text)?;
    }

    #[test]
    fn well_formed_documents_accepted_alike(text in value(4)) {
        agree(&text)?;
        prop_assert!(rulebook_eval::data::json_syntax(&text).is_ok());
    }
}
