//! No input makes the loader panic; numbers survive exactly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod data_common;

use data_common::*;
use proptest::prelude::*;
use rulebook_eval::data::{
    globals_from_value, load_csv, load_json, load_json_path, load_json_whole, unit_from_value,
};
use rulebook_eval::Value;
use rulebook_lang::ast::Value as Lit;
use rust_decimal::Decimal;

/// Apply byte-level edits to a text, keeping it valid UTF-8 (lossily).
fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(at, kind, b) in edits {
        if bytes.is_empty() {
            bytes.push(b);
            continue;
        }
        let at = at % bytes.len();
        match kind % 4 {
            0 => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, b),
            2 => bytes[at] = b,
            _ => {
                // Duplicate a slice: repeats keys, brackets, whole entries.
                let end = (at + (b as usize % 40)).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                bytes.splice(at..at, piece);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Bytes drawn mostly from JSON's own alphabet, so edits reach deep paths.
fn json_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b"{}[],:\"\\-+.eE0123456789 \ntrufalsn".to_vec()),
        any::<u8>(),
    ]
}

/// Any rulebook literal, with keys mostly the program's own names.
fn literal() -> impl Strategy<Value = Lit> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "plan_done",
            "reports_late",
            "good_days_rate",
            "pm25",
            "fines",
            "level",
            "cases",
            "town_plants",
            "found",
            "inspected",
            "situations",
            "load_rate",
            "params",
            "task",
            "city_met",
            "pm_25",
        ])
        .prop_map(str::to_string),
        "[a-z]{0,4}",
    ];
    let leaf = prop_oneof![
        Just(Lit::Null),
        any::<bool>().prop_map(Lit::Bool),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Lit::Number(Decimal::new(m, s))),
        "[a-z0-9 .-]{0,12}".prop_map(Lit::Str),
        "[0-9-]{0,12}".prop_map(Lit::Date),
        prop::sample::select(vec!["national", "relapse", "2024-02-29", "1e400"])
            .prop_map(|s| Lit::Str(s.into())),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Lit::List),
            prop::collection::vec((key.clone(), inner), 0..8).prop_map(Lit::Object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = load_json(&program(), "data.json", &text);
        let _ = load_csv(&program(), &[("units.csv".into(), text.to_string())]);
    }

    #[test]
    fn mutated_json_never_panics(edits in prop::collection::vec((any::<usize>(), any::<u8>(), json_byte()), 1..6)) {
        let text = mutate(GOOD, &edits);
        let in_memory = load_json_whole(&program(), "data.json", &text);
        // Text in memory is streamed too, and gives what the whole-text reader gives.
        prop_assert_eq!(&load_json(&program(), "data.json", &text), &in_memory);
        // Read from disk in pieces, the same file gives the same batch or
        // the same errors, located the same way.
        let path = std::env::temp_dir().join(format!("rulebook-props-{}.json", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let from_disk = load_json_path(&program(), "data.json", &path).unwrap();
        prop_assert_eq!(&from_disk, &in_memory);
        match in_memory {
            Ok(b) => prop_assert_eq!(b.units.len() <= 2, true),
            Err(es) => {
                prop_assert!(!es.is_empty());
                for e in &es {
                    prop_assert!(!e.message.is_empty());
                    prop_assert!(e.location.to_string().starts_with("data.json"), "{}", e);
                    prop_assert!(!e.to_string().contains('\n'), "{}", e);
                }
            }
        }
    }

    #[test]
    fn mutated_csv_never_panics(
        which in 0usize..4,
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(b",;\"\r\n\xef\xbb\xbftrue0-.x".to_vec())), 1..6),
    ) {
        let mut files = vec![
            ("units.csv".to_string(), "unit,plan_done,reports_late,good_days_rate,pm25,change,place,done_on,fines,level,note,road_dates\n甲县,true,2,96.35,26.5,-1.25,3,2024-09-30,1500;800.50,national,\"a,b\",2024-03-01\n".to_string()),
            ("cases.csv".to_string(), "unit,found,inspected,level,situations\n甲县,2024-01-01,,national,relapse;overdue\n".to_string()),
            ("town_plants.csv".to_string(), "unit,li_river,load_rate,cod_in\n甲县,是,120.5,95\n".to_string()),
            ("globals.csv".to_string(), "key,value\ncity_met,true\ncity_pm25,3\n".to_string()),
        ];
        files[which].1 = mutate(&files[which].1, &edits);
        let _ = load_csv(&program(), &files);
    }

    #[test]
    fn decimals_read_exactly(m in any::<i64>(), scale in 0u32..=18, as_string in any::<bool>()) {
        let d = Decimal::new(m, scale);
        let written = if as_string { format!("\"{d}\"") } else { d.to_string() };
        let text = GOOD.replacen(r#""change": -1.25"#, &format!(r#""change": {written}"#), 1);
        let b = load_json(&program(), "data.json", &text).unwrap();
        prop_assert_eq!(&b.units[0].inputs[slot("change")], &Value::Num(d.normalize()));
    }

    #[test]
    fn any_literal_never_panics(given in literal(), with_base in any::<bool>()) {
        let program = program();
        let file = load_json(&program, "data.json", GOOD).unwrap();
        let base = with_base.then(|| &file.units[0]);
        let _ = unit_from_value(&program, "甲县", base, &given);
        let _ = globals_from_value(&program, with_base.then_some(file.globals.as_slice()), &given);
    }
}
