//! The compiled evaluator against the reference model (the tree-walking
//! interpreter, `eval::reference`), as Cedar tests its engine: random
//! rulebooks built from every pattern of the language (awards and
//! deductions with conditions, per step, each, in proportion, formulas,
//! tiers and cases, tables, caps on rules, blocks, nodes and bonus nodes,
//! pools with and without overflow, to total, vetoes, grades, ranks,
//! aggregates across units, times/unless/round, floors, records with
//! `where` and `grouped by`, record fields that may be missing, dates,
//! parameters by year), kept when the checker accepts them, and random
//! units for them — extreme numbers
//! included — must give results equal to the last digit: every value with
//! the same scale (compared through `Debug`, which prints it), every trace
//! entry, every error. The shipped rulebooks get random units the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use rulebook_eval::data::{Batch, UnitData};
use rulebook_eval::eval::{self, reference, Options};
use rulebook_eval::Value;
use rulebook_lang::ir::{Program, Type, Unit};
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;

/// A small deterministic generator (splitmix64): one seed from proptest
/// makes a whole rulebook or batch.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

// ---- random units ---------------------------------------------------------

/// A number of `unit`: mostly ordinary figures, sometimes extreme ones
/// (near rust_decimal's limit, many places, negative) to push arithmetic
/// to overflow and to inexact division.
fn number(r: &mut Rng, unit: Unit) -> Decimal {
    let integral = unit.is_integral();
    let v = match r.below(10) {
        0 => *r.pick(&[
            Decimal::MAX,
            Decimal::from_i128_with_scale(10_i128.pow(25), 0),
            Decimal::from_i128_with_scale(123_456_789_012_345_678_901, 2),
            Decimal::new(1, 20),
            Decimal::new(-7, 3),
            Decimal::from_i128_with_scale(-(10_i128.pow(20)), 0),
            Decimal::new(33_333_333, 7),
            // Equal to 1 and 5, printed with more places.
            Decimal::new(100, 2),
            Decimal::new(50, 1),
            Decimal::new(50, 2),
        ]),
        1 => Decimal::ZERO,
        2 | 3 => Decimal::from(r.below(6)),
        4 | 5 => Decimal::new(r.below(10_000) as i64, 2),
        6 => Decimal::new(r.below(1_000_000) as i64, 4),
        7 => Decimal::new(9000 + r.below(1000) as i64, 2),
        _ => Decimal::from(r.below(200)),
    };
    let v = if integral { v.trunc() } else { v };
    match unit {
        Unit::Rank if v < Decimal::ONE => Decimal::ONE,
        Unit::Count if v.is_sign_negative() => -v,
        _ => v,
    }
}

fn value(r: &mut Rng, ty: &Type, optional: bool, depth: u32) -> Value {
    if optional && r.chance(4) {
        return Value::Missing;
    }
    match ty {
        Type::Bool => Value::Bool(r.chance(2)),
        Type::Num(u) => Value::Num(number(r, *u)),
        // Around 2024 (19 700 – 20 200 days since 1970).
        Type::Date => Value::Date(19_700 + r.below(500) as i32),
        Type::Text => Value::Text(Arc::from(*r.pick(&["A", "B", "C", "甲"]))),
        Type::Enum(names) => match names.is_empty() {
            true => Value::Missing,
            false => Value::Text(Arc::from(r.pick(names).as_str())),
        },
        Type::List(t) if depth < 3 => {
            let n = r.below(5);
            Value::List((0..n).map(|_| value(r, t, false, depth + 1)).collect())
        }
        Type::Record(fields) if depth < 3 => Value::Record(
            fields
                .iter()
                .map(|f| value(r, &f.ty, f.optional, depth + 1))
                .collect(),
        ),
        _ => Value::Missing,
    }
}

fn batch(program: &Program, seed: u64, units: usize) -> Batch {
    let mut r = Rng(seed);
    let globals = program
        .globals
        .iter()
        .map(|g| match (&g.ty, g.name.as_str()) {
            // The year parameters by year are read for.
            (_, "yr" | "assess_year") if !r.chance(4) => {
                Value::Num(Decimal::from(2023 + r.below(3)))
            }
            (ty, _) => value(&mut r, ty, g.optional, 0),
        })
        .collect();
    let names = ["U0", "U1", "甲", "乙", "丙"];
    let units = (0..units)
        .map(|k| UnitData {
            name: names
                .get(k)
                .map_or_else(|| format!("U{k}"), |n| n.to_string()),
            inputs: program
                .inputs
                .iter()
                .map(|d| value(&mut r, &d.ty, d.optional, 0))
                .collect(),
            params: program
                .params
                .iter()
                .map(|p| match r.below(3) {
                    0 => value(&mut r, &p.input.ty, false, 0),
                    _ => Value::Missing,
                })
                .collect(),
        })
        .collect();
    Batch { globals, units }
}

/// Both evaluators on one batch, with and without traces, whole and one
/// unit at a time: the same results, to the printed digit.
fn agree(program: &Program, batch: &Batch, context: &str) {
    for trace in [false, true] {
        let opts = Options {
            trace,
            parallel: false,
        };
        let compiled = eval::evaluate_batch(program, batch, opts);
        let reference = reference::evaluate_batch(program, batch, opts);
        assert_eq!(
            format!("{compiled:#?}"),
            format!("{reference:#?}"),
            "trace {trace}: compiled and reference disagree\n{context}"
        );
        // Each result lent and copied, its lists left behind to be filled
        // again for the next unit: nothing of one unit's stays in the next.
        let lent = eval::evaluate_batch_map(program, batch, opts, &|| {}, &|u| u.clone()).map(
            |mut units| {
                eval::rank_by_total(&mut units);
                units
            },
        );
        assert_eq!(
            format!("{lent:#?}"),
            format!("{compiled:#?}"),
            "trace {trace}: lent results differ from whole ones\n{context}"
        );
        for index in [0, batch.units.len().saturating_sub(1)] {
            let a = eval::evaluate_one(program, batch, index, trace);
            let b = reference::evaluate_one(program, batch, index, trace);
            assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "unit #{index}, trace {trace}\n{context}"
            );
            // One unit scored alone, its ranks and aggregates taken over
            // the batch, is what scoring the batch gives it.
            if let (Ok(all), Ok(mut one)) = (&compiled, a) {
                if let Some(want) = all.get(index) {
                    one.rank = want.rank;
                    assert_eq!(
                        format!("{one:?}"),
                        format!("{want:?}"),
                        "unit #{index} alone, trace {trace}\n{context}"
                    );
                }
            }
        }
    }
}

// ---- random rulebooks ------------------------------------------------------

/// Declarations every random rulebook shares; rules pick from these.
const DECLS: &str = r#"
input b1: bool "甲项完成"
input b2: bool "乙项完成"
input n1: count "次数一"
input n2: count "次数二"
input nm: optional count "次数（可不填）"
input p1: pct in 0..100 "比率一"
input p2: optional pct in 0..100 "比率二"
input x: number in 0..100 "指标值"
input big: number "任意数"
input u: ug "浓度"
input place: rank "排名"
input d: optional date "完成日期"
input ds: list of date "检查日期"
input recs: list of { id: text "编号", kind: "a" | "b" | "c" "类别", v: points in 0..10 "分值", ok: bool "合格", level: optional "x" | "y" "等级", found: date "发现日期", done: optional date "办结日期" } "记录"
input pts: list of points "各次得分"
global g1: bool "全市完成"
global yr: count "考核年度"
param t: pct in 0..100 { "U0": 90, "甲": 95 } "目标"
param ty: count "年度目标" { 2023: 3, 2024: 4, "U1" 2024: 6 }
table tk "类别扣分" {
  "a": 1
  "b": 0.5
  "c": 0.25
}
table tk3 "等级扣分" {
  "x": 0.5
  "y": 0.2
}
table tk2 "两键表" {
  "a", "A": 2
  "b", "B": 0.3
  "c", "A": 0.1
}
let ratio = n1 / max(1, n2) "完成比例"
let short = count(g in gaps(ds) where g <= 30 days) "间隔不足次数"
"#;

const NUMS: [&str; 11] = [
    "0.1", "0.2", "0.25", "0.3", "0.5", "1", "1.5", "2", "3", "0.05", "0.125",
];

fn num(r: &mut Rng) -> &'static str {
    NUMS[r.below(NUMS.len() as u64) as usize]
}

fn cond(r: &mut Rng) -> String {
    match r.below(14) {
        0 => "b1".into(),
        1 => "not b2".into(),
        2 => format!("p1 >= {}", r.pick(&["60", "80", "90", "95.5"])),
        3 => "b1 and p1 < 90".into(),
        4 => "b2 or n1 > 2".into(),
        5 => "g1".into(),
        6 => "p2 is missing".into(),
        7 => "d is missing or d > 2024-09-30".into(),
        8 => "any(r in recs where r.kind = \"a\")".into(),
        9 => "x > 50 and not (n2 = 0)".into(),
        10 => "ratio >= 0.8".into(),
        11 => "p2 >= 80".into(),
        12 => "any(r in recs where r.level != \"y\")".into(),
        _ => "u < mean(u across units)".into(),
    }
}

/// A deduction (its text after `deduct`).
fn deduction(r: &mut Rng) -> String {
    let mut s = match r.below(20) {
        0 => format!("{} each n1", num(r)),
        1 => format!("{} if {}", num(r), cond(r)),
        2 => format!(
            "{} per {} of p1 below t{}",
            num(r),
            r.pick(&["0.1", "1", "0.05"]),
            if r.chance(2) {
                " partial steps count"
            } else {
                ""
            }
        ),
        3 => "tiers u { > 150: 3, > 115: 2, > 75: 1 }".into(),
        4 => "0.5 each count(r in recs where r.ok)".into(),
        5 => "sum(tk[r.kind] for r in recs where not r.ok)".into(),
        6 => "sum(max(tk[r.kind] for r in g) for g in recs grouped by id)".into(),
        7 => "sum(ladder(g.count, 0.2, 0.5, 1) for g in recs grouped by id)".into(),
        8 => format!("{} each short", num(r)),
        9 => "1.5 per 10% of ratio below 90%".into(),
        10 => format!("{} each n2 times 0.5 when b1", num(r)),
        11 => format!("{} each max(0, 3 - count(ds))", num(r)),
        12 => "1 per 1 of n1 below ty".into(),
        13 => "sum(tk2[r.kind, r.id] for r in recs)".into(),
        14 => "big / 3".into(),
        15 => format!("{} each nm", num(r)),
        // Fields that may be missing: a look-up by one, a date difference
        // with one, a text compared with one.
        16 => "sum(tk3[r.level] for r in recs)".into(),
        17 => {
            "0.4 each count(r in recs where r.done is missing or r.done - r.found > 30 days)".into()
        }
        18 => "1 each count(r in recs where r.level = \"x\" and not r.ok)".into(),
        _ => "0.5 each n1 + n2".into(),
    };
    if r.chance(3) {
        s.push_str(&format!(" cap {}", r.pick(&["1", "2", "0.5"])));
    }
    if r.chance(5) {
        s.push_str(&format!(" unless {}", cond(r)));
    }
    if r.chance(6) {
        s.push_str(&format!(" round {}", r.pick(&["0", "1", "2"])));
    }
    s
}

/// An award (its text after `award`), worth at most about 10.
fn award(r: &mut Rng) -> String {
    let mut s = match r.below(15) {
        0 => format!("{} if {}", num(r), cond(r)),
        1 => r.pick(&["1", "2", "5"]).to_string(),
        2 => "5 in proportion to ratio, nothing below 0.8".into(),
        3 => "2 in proportion to n1 / max(1, n2)".into(),
        4 => "tiers rank(x) { 1 to 3: 2, 4 to 6: 1, else: 0 }".into(),
        5 => "10 * min(1, x / max(x across units)) if max(x across units) > 0".into(),
        6 => "cases { p1 >= 100: 5, p1 >= 80: 3, p1 >= 60: 1 }".into(),
        7 => "mean(pts) / 10 cap 1".into(),
        8 => "5 if b1 else p1 / 100% * 5 * 0.6".into(),
        9 => "4 * min(1, ratio) times 0.9 when not b1".into(),
        10 => "3 * x / 100 + min(x, 0.50) - min(0.5, x)".into(),
        11 => "1 if rank(u ascending) <= 2".into(),
        12 => format!("{} each n1 cap 1", num(r)),
        // A division by a count that may be 0: some units of a batch
        // cannot be scored, the others are.
        13 => "2 in proportion to n1 / n2".into(),
        _ => "0.1 per 5 of x above 50 cap 1".into(),
    };
    if r.chance(6) {
        s.push_str(&format!(" round {}", r.pick(&["0", "1", "2"])));
    }
    s
}

fn rules(r: &mut Rng, out: &mut String, indent: &str, awards: bool) {
    let n = 1 + r.below(3);
    for _ in 0..n {
        if awards && r.chance(2) {
            out.push_str(&format!("{indent}award {}\n", award(r)));
        } else {
            out.push_str(&format!("{indent}deduct {}\n", deduction(r)));
        }
    }
}

fn item(r: &mut Rng, out: &mut String, id: &str) {
    let p = r.pick(&["2", "5", "10"]);
    out.push_str(&format!("  item {id} \"第{id}项\" {{\n"));
    match r.below(9) {
        // Points, awards and deductions.
        // (Points follow from the awards.)
        0 | 1 => {
            out.push_str(&format!("    award {}\n", award(r)));
            rules(r, out, "    ", true);
        }
        // Starts full, deductions only; sometimes a node cap (最高扣N分).
        2 => {
            out.push_str(&format!("    points {p}\n"));
            if r.chance(2) {
                out.push_str("    cap 1.5\n");
            }
            rules(r, out, "    ", false);
        }
        // A block of rules capped together.
        3 => {
            out.push_str(&format!("    points {p}\n    cap 2 {{\n"));
            rules(r, out, "      ", false);
            out.push_str("    }\n");
        }
        // No base, to the total, capped.
        4 => {
            out.push_str("    no base\n    to total\n");
            if r.chance(2) {
                out.push_str("    cap 3\n");
            }
            rules(r, out, "    ", false);
        }
        // Parts and a pool, maybe overflowing to the total.
        5 => {
            out.push_str("    points 4\n");
            // Sometimes a bonus part first: the pool's members are then
            // not the first of the parts the walk keeps.
            if r.chance(2) {
                out.push_str(&format!(
                    "    part {id}.0 \"加分\" {{\n      bonus\n      cap 1\n      award 1 each n1\n    }}\n"
                ));
            }
            out.push_str(&format!(
                "    part {id}.1 \"甲\" {{ points 2  award 2 if b1 }}\n"
            ));
            out.push_str(&format!("    part {id}.2 \"乙\" {{ points 2 }}\n"));
            let then = if r.chance(2) { " then total" } else { "" };
            out.push_str(&format!(
                "    part {id}.3 \"丙\" {{\n      no base\n      off {id}.1..{id}.2{then}\n"
            ));
            rules(r, out, "      ", false);
            out.push_str("    }\n");
            if r.chance(2) {
                out.push_str(&format!(
                    "    part {id}.4 \"丁\" {{\n      no base\n      off {id}.1..{id}.2\n      deduct 1 each n2\n    }}\n"
                ));
            }
        }
        // A part without points deducting off its item; a clause under it.
        6 => {
            out.push_str(&format!("    points {p}\n"));
            out.push_str(&format!("    part {id}.1 \"甲\" {{\n"));
            rules(r, out, "      ", false);
            out.push_str("    }\n");
            out.push_str(&format!(
                "    part {id}.2 \"乙\" {{\n      no base\n      cap 1\n"
            ));
            out.push_str(&format!("      clause {id}.2.1 \"①\" {{\n"));
            rules(r, out, "        ", false);
            out.push_str("      }\n    }\n");
        }
        // Bonus points inside a scored item.
        7 => {
            out.push_str(&format!("    points {p}\n"));
            out.push_str(&format!("    part {id}.1 \"得分\" {{\n      points {p}\n"));
            rules(r, out, "      ", false);
            out.push_str("    }\n");
            out.push_str(&format!(
                "    part {id}.2 \"加分\" {{\n      bonus\n      cap 3\n      award 1 each n1\n    }}\n"
            ));
            // Parts without rules: the same for every unit.
            if r.chance(2) {
                out.push_str(&format!(
                    "    part {id}.3 \"另计\" {{\n      bonus\n      cap 1\n    }}\n"
                ));
                out.push_str(&format!(
                    "    part {id}.4 \"说明\" {{\n      by \"县委办\"\n    }}\n"
                ));
            }
        }
        // A veto.
        _ => {
            out.push_str(&format!(
                "    veto if {}\n",
                r.pick(&[
                    "n1 > 3",
                    "any(r in recs where r.kind = \"c\" and not r.ok)",
                    "b1 and b2"
                ])
            ));
        }
    }
    out.push_str("  }\n");
}

fn rulebook(seed: u64) -> String {
    let mut r = Rng(seed);
    let mut out = String::from("rulebook \"随机考核表\"\ndocument \"测试\"\n");
    match r.below(4) {
        0 => out.push_str("floor none\n"),
        1 => out.push_str("floor -5\n"),
        _ => {}
    }
    if r.chance(2) {
        out.push_str("round 2\n");
    }
    out.push_str("year from yr\n");
    out.push_str(DECLS);
    match r.below(3) {
        0 => out.push_str(
            "grade \"不合格\" if vetoed\ngrade \"优秀\" if total >= 20\ngrade \"合格\" otherwise\n",
        ),
        1 => out.push_str("grade \"不合格\" if vetoed or base < 5\ngrade \"合格\" otherwise\n"),
        _ => {}
    }
    let sections = 1 + r.below(3);
    let mut k = 1;
    for s in 0..sections {
        out.push_str(&format!("section S{s} \"第{s}部分\" {{\n"));
        for _ in 0..1 + r.below(4) {
            item(&mut r, &mut out, &k.to_string());
            k += 1;
        }
        out.push_str("}\n");
    }
    if r.chance(2) {
        out.push_str("section 加 \"加分项\" {\n  bonus\n  cap 4\n");
        out.push_str("  item B1 \"加分一\" { cap 3  award 2 each n2 }\n");
        out.push_str(&format!(
            "  item B2 \"加分二\" {{ award {} }}\n",
            award(&mut r)
        ));
        out.push_str("}\n");
    }
    out
}

fn shipped() -> Vec<(String, Program)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["rulebooks", "tests/eval", "examples/small"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rules"))
            .collect();
        files.sort();
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap();
            let name = f.display().to_string();
            let program = rulebook_lang::check(&name, &src)
                .program
                .unwrap_or_else(|| panic!("{name} checks"));
            out.push((name, program));
        }
    }
    out
}

fn shipped_programs() -> &'static [(String, Program)] {
    static S: std::sync::OnceLock<Vec<(String, Program)>> = std::sync::OnceLock::new();
    S.get_or_init(shipped)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_rulebooks_agree(seed in any::<u64>(), data in any::<u64>(), units in 1usize..20) {
        let src = rulebook(seed);
        let checked = rulebook_lang::check("random.rules", &src);
        // Only what the checker accepts is a rulebook.
        prop_assume!(checked.program.is_some());
        let program = checked.program.unwrap();
        let b = batch(&program, data, units);
        agree(&program, &b, &format!("rulebook:\n{src}\nunits: {b:#?}"));
    }

    #[test]
    fn shipped_rulebooks_agree(which in any::<prop::sample::Index>(), data in any::<u64>(), units in 1usize..12) {
        let all = shipped_programs();
        let (name, program) = &all[which.index(all.len())];
        let b = batch(program, data, units);
        agree(program, &b, &format!("{name}\nunits: {b:#?}"));
    }
}

/// The generator reaches the checker's acceptance often enough for the
/// property above to mean something, and makes every kind of item.
#[test]
fn most_random_rulebooks_check() {
    let accepted = (0..200u64)
        .filter(|s| {
            rulebook_lang::check("random.rules", &rulebook(*s))
                .program
                .is_some()
        })
        .count();
    assert!(
        accepted >= 150,
        "only {accepted} of 200 random rulebooks check"
    );
}

/// Units are walked several at a time: one that cannot be scored stops at
/// its own first error, alone, and the units beside it in its chunk and
/// in the next are scored as if it were not there.
#[test]
fn a_unit_that_fails_stops_alone_at_its_first_error() {
    let src = "rulebook \"分批\"\n\
               input a: count \"甲\"\n\
               input b: count \"乙\"\n\
               input c: count \"丙\"\n\
               input d: count \"丁\"\n\
               item 1 \"一\" {\n  points 2\n  award 1 in proportion to a / b\n  award 1 in proportion to c / d\n}\n\
               item 2 \"二\" {\n  points 1\n  award 1 if a >= 1\n}\n";
    let program = rulebook_lang::check("fails.rules", src).program.unwrap();
    let num = |n: i64| Value::Num(Decimal::from(n));
    let failing = [2usize, 9, 17];
    let unit = |k: usize| UnitData {
        name: format!("U{k}"),
        // A failing unit divides 3 by 0, then 5 by 0: its first error is the first.
        inputs: if failing.contains(&k) {
            vec![num(3), num(0), num(5), num(0)]
        } else {
            vec![num(1), num(2), num(1), num(4)]
        },
        params: vec![],
    };
    let all = Batch {
        globals: vec![],
        units: (0..20).map(unit).collect(),
    };
    for trace in [false, true] {
        for parallel in [false, true] {
            let opts = Options { trace, parallel };
            let errors = eval::evaluate_batch(&program, &all, opts).unwrap_err();
            let got: Vec<(&str, &str)> = errors
                .iter()
                .map(|e| (e.unit.as_str(), e.message.as_str()))
                .collect();
            assert_eq!(
                got,
                [
                    ("U2", "3 ÷ 0: division by zero"),
                    ("U9", "3 ÷ 0: division by zero"),
                    ("U17", "3 ÷ 0: division by zero")
                ],
                "trace {trace}, parallel {parallel}"
            );
            assert_eq!(
                format!("{:?}", Err::<(), _>(errors)),
                format!("{:?}", reference::evaluate_batch(&program, &all, opts)),
            );
        }
    }
    // The others, scored in chunks with the failing ones or without them:
    // 1/2 + 1/4 of item 1 and item 2's 1 each.
    let each = |units: Vec<UnitData>| {
        let batch = Batch {
            globals: vec![],
            units,
        };
        let opts = Options {
            trace: false,
            parallel: false,
        };
        eval::evaluate_batch_map(&program, &batch, opts, &|| {}, &|u| {
            (u.unit.clone(), u.total)
        })
    };
    let ok: Vec<usize> = (0..20).filter(|k| !failing.contains(k)).collect();
    let scored = each(ok.iter().map(|&k| unit(k)).collect()).unwrap();
    assert_eq!(scored.len(), 17);
    for ((name, total), k) in scored.iter().zip(&ok) {
        assert_eq!(name, &format!("U{k}"));
        assert_eq!(total.to_string(), "1.75");
    }
    let mut with = each((0..20).map(unit).collect()).unwrap_err();
    with.retain(|e| e.unit != "U2" && e.unit != "U9" && e.unit != "U17");
    assert!(with.is_empty(), "{with:?}");
}

/// What a node starts from is kept within 0 and its points, which the walk
/// skips for a node whose awards and parts cannot come to more
/// (`CNode::never_over`): that must not skip it where they can — an award
/// in proportion whose rounding goes past its most, and a compiled program
/// whose points were edited below its awards.
#[test]
fn a_node_whose_awards_could_pass_its_points_is_kept_within_them() {
    let src = "rulebook \"封顶\"\n\
               input a: count \"甲\"\n\
               input b: count \"乙\"\n\
               input c: bool \"丙\"\n\
               item 1 \"一\" {\n  points 0.125\n  award 0.125 in proportion to a / b\n}\n\
               item 2 \"二\" {\n  points 2\n  award 2 if c\n}\n";
    let mut program = rulebook_lang::check("over.rules", src).program.unwrap();
    // Item 2 as a hand-edited compiled file could have it: 1 point, for an
    // award of 2.
    let two = program.nodes.iter().position(|n| n.id == "2").unwrap();
    program.nodes[two].points = Some(Decimal::ONE);
    let num = |n: i64| Value::Num(Decimal::from(n));
    let batch = Batch {
        globals: vec![],
        units: vec![UnitData {
            name: "U".into(),
            inputs: vec![num(3), num(3), Value::Bool(true)],
            params: vec![],
        }],
    };
    for trace in [false, true] {
        let opts = Options {
            trace,
            parallel: false,
        };
        let got = eval::evaluate_batch(&program, &batch, opts).unwrap();
        let score = |id: &str| {
            let i = program.nodes.iter().position(|n| n.id == id).unwrap();
            got[0].nodes[i].score.to_string()
        };
        // 0.125 × 3/3, rounded to two places, is 0.13: kept within 0.125.
        assert_eq!(score("1"), "0.125");
        // 2 awarded, kept within the 1 point left.
        assert_eq!(score("2"), "1");
        assert_eq!(
            format!("{got:?}"),
            format!(
                "{:?}",
                reference::evaluate_batch(&program, &batch, opts).unwrap()
            )
        );
    }
}
