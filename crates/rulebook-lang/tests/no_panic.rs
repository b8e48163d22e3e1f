//! No input makes the checker panic, and every diagnostic it gives points
//! inside the file. The shipped rulebooks are mutated at random: characters
//! deleted and inserted (CJK punctuation among them), lines duplicated and
//! swapped, the file cut short, numbers made huge or tiny.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;

fn shipped() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ["rulebooks/ziyuan-2024.rules", "examples/small/small.rules"]
        .iter()
        .map(|p| std::fs::read_to_string(root.join(p)).unwrap())
        .collect()
}

fn assert_located(src: &str) {
    let checked = rulebook_lang::check("mutant.rules", src);
    for d in &checked.diagnostics {
        assert!(!d.labels.is_empty(), "`{}` has no location", d.code);
        for l in &d.labels {
            assert!(
                l.span.start <= l.span.end && l.span.end <= src.len(),
                "`{}` points outside the file",
                d.code
            );
            assert!(
                src.is_char_boundary(l.span.start) && src.is_char_boundary(l.span.end),
                "`{}` splits a character",
                d.code
            );
        }
    }
    if checked.diagnostics.iter().any(|d| d.is_error()) {
        assert!(checked.program.is_none());
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    Number(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let junk = prop_oneof![
        Just("，".to_string()),
        Just("。".to_string()),
        Just("（".to_string()),
        Just("）".to_string()),
        Just("“".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\"".to_string()),
        Just("..".to_string()),
        Just(" off 9.9 ".to_string()),
        Just(" cap ".to_string()),
        Just(" to total ".to_string()),
        Just("资源县".to_string()),
        "[a-z0-9 .:,(){}\\[\\]\"#=<>+*/-]{1,8}",
    ];
    let number = prop_oneof![
        Just("99999999999999999999999999999999999".to_string()),
        Just("0.0000000000000000000000000000001".to_string()),
        Just("0".to_string()),
        Just("-0".to_string()),
        Just("79228162514264337593543950335".to_string()),
        Just("1e10".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), junk).prop_map(|(a, s)| Mutation::Insert(a, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), number).prop_map(|(a, s)| Mutation::Number(a, s)),
    ]
}

fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(src: &str, m: &Mutation) -> String {
    match m {
        Mutation::Delete(a, n) => {
            let start = boundary(src, *a);
            let end = boundary(src, (start + n).min(src.len()));
            format!("{}{}", &src[..start], &src[end.max(start)..])
        }
        Mutation::Insert(a, s) => {
            let at = boundary(src, *a);
            format!("{}{}{}", &src[..at], s, &src[at..])
        }
        Mutation::DuplicateLine(a) => {
            let mut lines: Vec<&str> = src.lines().collect();
            if !lines.is_empty() {
                let i = a % lines.len();
                lines.insert(i, lines[i]);
            }
            lines.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = src.lines().collect();
            if !lines.is_empty() {
                let (i, j) = (a % lines.len(), b % lines.len());
                lines.swap(i, j);
            }
            lines.join("\n")
        }
        Mutation::Truncate(a) => src[..boundary(src, *a)].to_string(),
        Mutation::Number(a, s) => {
            // Replace the first number at or after a random place.
            let start = boundary(src, *a);
            match src[start..].find(|c: char| c.is_ascii_digit()) {
                Some(off) => {
                    let i = start + off;
                    let end = src[i..]
                        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                        .map_or(src.len(), |e| i + e);
                    format!("{}{}{}", &src[..i], s, &src[end..])
                }
                None => src.to_string(),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_rulebooks_never_panic(which in 0usize..2, ms in proptest::collection::vec(mutation(), 1..4)) {
        let sources = shipped();
        let mut src = sources[which % sources.len()].clone();
        for m in &ms {
            src = apply(&src, m);
        }
        assert_located(&src);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        assert_located(&s);
    }
}

#[test]
fn very_long_and_deep_input_is_refused_not_overflowed() {
    let head = "input a: count \"次数\"\nitem 1 \"x\" { points 2 clause 1.1 \"y\" { deduct ";
    let tail = " cap 2 } }\n";
    let long_sum = format!("{head}{}a{tail}", "a + ".repeat(100_000));
    let nots = format!("{head}0 if {}true{tail}", "not ".repeat(100_000));
    let negs = format!("{head}{}a{tail}", "- ".repeat(100_000));
    let parens = format!(
        "{head}{}a{}{tail}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let braces = "item 1 \"x\" {".repeat(50_000);
    for src in [long_sum, nots, negs, parens, braces] {
        let checked = rulebook_lang::check("deep.rules", &src);
        assert!(
            checked.program.is_none(),
            "a pathological file must not compile"
        );
        assert_located(&src);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// `rulebook fmt` only moves whitespace: formatting twice changes nothing
    /// more, and the formatted file checks to the same codes and the same IR.
    #[test]
    fn format_keeps_meaning(which in 0usize..2, ms in proptest::collection::vec(mutation(), 0..3)) {
        let sources = shipped();
        let mut src = sources[which % sources.len()].clone();
        for m in &ms {
            src = apply(&src, m);
        }
        let once = rulebook_lang::format::format(&src);
        prop_assert_eq!(rulebook_lang::format::format(&once), once.clone());
        let before = rulebook_lang::check("f.rules", &src);
        let after = rulebook_lang::check("f.rules", &once);
        let codes = |c: &rulebook_lang::Checked| c.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>();
        let syntax = |c: &rulebook_lang::Checked| c.diagnostics.iter().any(|d| d.code == "rulebook::syntax");
        if syntax(&before) {
            // How far recovery gets depends on which lines start in the first
            // column, which formatting may change; the file stays broken.
            prop_assert!(syntax(&after));
        } else {
            prop_assert_eq!(codes(&before), codes(&after));
            prop_assert_eq!(before.program, after.program);
        }
    }
}
