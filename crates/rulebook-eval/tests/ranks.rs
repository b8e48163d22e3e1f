//! Competition ranking (`rank(…)`, and places by total) against its
//! definition: a unit's rank is 1 and the number of units whose value is
//! greater than its own; a unit without a number ranks after every unit
//! that has one. Values are drawn with many ties, written at different
//! scales (2 and 2.0 are the same value), negatives and zeros.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use proptest::prelude::*;
use rulebook_eval::eval::competition_ranks;
use rulebook_eval::Value;
use rust_decimal::Decimal;

fn by_definition(values: &[Value]) -> Vec<u32> {
    let numbers: Vec<Decimal> = values.iter().filter_map(Value::as_num).collect();
    values
        .iter()
        .map(|v| match v.as_num() {
            Some(x) => 1 + numbers.iter().filter(|y| **y > x).count() as u32,
            None => 1 + numbers.len() as u32,
        })
        .collect()
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Missing),
        8 => (-4i64..5, 0u32..3).prop_map(|(n, scale)| {
            // The same few values at different scales: n, n.0, n.00.
            Value::Num(Decimal::new(n * 10i64.pow(scale), scale))
        }),
        2 => (-50i64..50, 0u32..3).prop_map(|(n, scale)| Value::Num(Decimal::new(n, scale))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn ranks_follow_the_definition(values in prop::collection::vec(value(), 0..40)) {
        prop_assert_eq!(competition_ranks(&values), by_definition(&values));
    }
}

#[test]
fn ties_share_the_better_rank() {
    let n = |s: &str| Value::Num(s.parse().unwrap());
    let values = [n("3"), n("5"), Value::Missing, n("5.0"), n("1"), n("3.00")];
    // 5 and 5.0 first; 3 and 3.00 after both (third); 1 fifth; missing last.
    assert_eq!(competition_ranks(&values), vec![3, 1, 6, 1, 5, 3]);
}
