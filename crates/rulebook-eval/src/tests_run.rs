//! Running the `test` blocks written inside a rulebook.
//!
//! A test names a data file and a unit in it, and/or gives the unit's
//! inputs (`given`) and globals; it is scored with the rest of its batch
//! (so ranks are taken as they would be in a real run) and each `expect`
//! is compared exactly. Reading files is the caller's job: `load` maps a
//! path (relative to the rulebook) to a batch.

use crate::data::{self, Batch, UnitData};
use crate::eval::{evaluate_batch, Options, UnitResult};
use rulebook_lang::ast::Value as Lit;
use rulebook_lang::ir::{ExpectKey, Program, TestDef};
use rust_decimal::Decimal;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub what: String,
    pub expected: String,
    pub actual: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    pub name: String,
    pub line: usize,
    pub mismatches: Vec<Mismatch>,
    /// The test could not run (bad data, unknown unit): why.
    pub error: Option<String>,
    pub checks: usize,
}

impl TestOutcome {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.mismatches.is_empty()
    }
}

pub type Loader<'a> = dyn FnMut(&str) -> Result<Batch, String> + 'a;

pub fn run_tests(program: &Program, load: &mut Loader<'_>) -> Vec<TestOutcome> {
    let mut cache: HashMap<String, Result<Batch, String>> = HashMap::new();
    program
        .tests
        .iter()
        .map(|t| {
            let mut outcome = TestOutcome {
                name: t.name.clone(),
                line: t.line,
                mismatches: Vec::new(),
                error: None,
                checks: t.expects.len(),
            };
            match run_one(program, t, load, &mut cache) {
                Ok(mut m) => outcome.mismatches.append(&mut m),
                Err(e) => outcome.error = Some(e),
            }
            outcome
        })
        .collect()
}

fn run_one(
    program: &Program,
    t: &TestDef,
    load: &mut Loader<'_>,
    cache: &mut HashMap<String, Result<Batch, String>>,
) -> Result<Vec<Mismatch>, String> {
    let errors = |es: Vec<data::DataError>| {
        es.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (mut batch, index) = match &t.data {
        Some((path, unit)) => {
            let b = cache
                .entry(path.clone())
                .or_insert_with(|| load(path))
                .clone()?;
            let idx = match unit {
                Some(name) => b
                    .units
                    .iter()
                    .position(|u| &u.name == name)
                    .ok_or_else(|| format!("there is no unit `{name}` in `{path}`"))?,
                None if b.units.len() == 1 => 0,
                None => {
                    return Err(format!(
                        "`{path}` has several units: name one with `unit \"...\"`"
                    ))
                }
            };
            (b, idx)
        }
        None => (
            Batch {
                globals: Vec::new(),
                units: Vec::new(),
            },
            0,
        ),
    };
    if let Some(g) = &t.globals {
        let base = if t.data.is_some() {
            Some(batch.globals.as_slice())
        } else {
            None
        };
        batch.globals = data::globals_from_value(program, base, g).map_err(errors)?;
    } else if t.data.is_none() {
        batch.globals =
            data::globals_from_value(program, None, &Lit::Object(Vec::new())).map_err(errors)?;
    }
    if let Some(given) = &t.given {
        let base: Option<&UnitData> = batch.units.get(index);
        let name = base
            .map(|u| u.name.clone())
            .unwrap_or_else(|| t.name.clone());
        let unit = data::unit_from_value(program, &name, base, given).map_err(errors)?;
        match batch.units.get_mut(index) {
            Some(slot) => *slot = unit,
            None => batch.units.push(unit),
        }
    }
    let results = evaluate_batch(
        program,
        &batch,
        Options {
            trace: false,
            parallel: false,
        },
    )
    .map_err(|es| {
        es.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let r = results.get(index).ok_or("the unit was not scored")?;
    Ok(compare(program, t, r))
}

fn num(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".into()
    } else {
        n.to_string()
    }
}

fn compare(program: &Program, t: &TestDef, r: &UnitResult) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for x in &t.expects {
        let (what, actual, expected) = match (&x.key, &x.value) {
            (ExpectKey::Grade, Lit::Str(s)) => ("grade".to_string(), r.grade.clone(), s.clone()),
            (ExpectKey::Vetoes, Lit::List(items)) => {
                let mut want: Vec<String> = items
                    .iter()
                    .map(|v| match v {
                        Lit::Str(s) => s.clone(),
                        Lit::Number(n) => num(*n),
                        other => format!("{other:?}"),
                    })
                    .collect();
                want.sort();
                let mut got: Vec<String> = r.vetoes.iter().map(|v| v.id.clone()).collect();
                got.sort();
                (
                    "vetoes".to_string(),
                    format!("[{}]", got.join(", ")),
                    format!("[{}]", want.join(", ")),
                )
            }
            (key, Lit::Number(n)) => {
                let (what, got) = match key {
                    ExpectKey::Total => ("total".to_string(), Some(r.total)),
                    ExpectKey::Base => ("base".to_string(), Some(r.base)),
                    ExpectKey::Bonus => ("bonus".to_string(), Some(r.bonus)),
                    ExpectKey::Deductions => ("deductions".to_string(), Some(r.total_deductions)),
                    ExpectKey::Node { id, to_total } => {
                        let s = program.node_index(id).and_then(|i| r.nodes.get(i as usize));
                        let v = s.map(|s| if *to_total { s.to_total } else { s.score });
                        (
                            if *to_total {
                                format!("{id} to total")
                            } else {
                                id.clone()
                            },
                            v,
                        )
                    }
                    _ => ("?".to_string(), None),
                };
                (what, got.map(num).unwrap_or_else(|| "—".into()), num(*n))
            }
            (_, other) => ("?".to_string(), String::new(), format!("{other:?}")),
        };
        if actual != expected {
            out.push(Mismatch {
                what,
                expected,
                actual,
                line: x.line,
            });
        }
    }
    out
}
