//! Running the `test` blocks written inside a rulebook.
//!
//! A test names a data file and a unit in it, and/or gives the unit's
//! inputs (`given`), the globals, or a batch of units (`units [ … ]`, each
//! over the file's unit of that name); the test's unit is scored with the
//! rest of its batch (so ranks and batch figures are those of a real run)
//! and each `expect` (`expect "乙" total = …` for another unit of the
//! batch) is compared exactly. A test with `expect error FIELD` passes only
//! when the data is refused with an error naming FIELD. Reading files is
//! the caller's job: `load` maps a path (relative to the rulebook) to a
//! batch, or to the errors that refused it.

use crate::data::{self, Batch, DataError, UnitData};
use crate::eval::{evaluate_batch, Options, UnitResult};
use rulebook_lang::ast::Value as Lit;
use rulebook_lang::ir::{ExpectDef, ExpectKey, Program, TestDef};
use rust_decimal::Decimal;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub what: String,
    pub expected: String,
    pub actual: String,
    pub line: usize,
}

impl std::fmt::Display for Mismatch {
    /// `line 12: total expected 38, got 37`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: {} expected {}, got {}",
            self.line, self.what, self.expected, self.actual
        )
    }
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

/// Reads a data file named relative to the rulebook; a file that cannot be
/// read is one error with its location and no field.
pub type Loader<'a> = dyn FnMut(&str) -> Result<Batch, Vec<DataError>> + 'a;

type Cache = HashMap<String, Result<Batch, Vec<DataError>>>;

pub fn run_tests(program: &Program, load: &mut Loader<'_>) -> Vec<TestOutcome> {
    let mut cache = Cache::new();
    program
        .tests
        .iter()
        .map(|t| {
            let mut outcome = TestOutcome {
                name: t.name.clone(),
                line: t.line,
                mismatches: Vec::new(),
                error: None,
                checks: t.expects.len() + t.expect_errors.len(),
            };
            match run_one(program, t, load, &mut cache) {
                Ok(mut m) => outcome.mismatches.append(&mut m),
                Err(e) => outcome.error = Some(e),
            }
            outcome
        })
        .collect()
}

/// Why a test's batch could not be built.
enum Unbuilt {
    /// The data was refused: every error found.
    Refused(Vec<DataError>),
    /// The test itself does not fit its data (an unknown unit).
    Unfit(String),
}

fn lines(es: &[DataError]) -> String {
    es.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_one(
    program: &Program,
    t: &TestDef,
    load: &mut Loader<'_>,
    cache: &mut Cache,
) -> Result<Vec<Mismatch>, String> {
    let built = build_batch(program, t, load, cache);
    if !t.expect_errors.is_empty() {
        return Ok(match built {
            Ok((batch, index)) => accepted(program, t, &batch, index),
            Err(Unbuilt::Refused(errors)) => refused(t, &errors),
            Err(Unbuilt::Unfit(e)) => return Err(e),
        });
    }
    let (batch, index) = built.map_err(|u| match u {
        Unbuilt::Refused(errors) => lines(&errors),
        Unbuilt::Unfit(e) => e,
    })?;
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
    let mut out = Vec::new();
    for x in &t.expects {
        let r = match &x.unit {
            Some(name) => results.iter().find(|r| &r.unit == name).ok_or_else(|| {
                format!(
                    "line {}: there is no unit `{name}` in this test's batch",
                    x.line
                )
            })?,
            None => index.and_then(|i| results.get(i)).ok_or_else(|| {
                format!(
                    "line {}: the batch has several units: say which one, `expect \"name\" …`",
                    x.line
                )
            })?,
        };
        out.extend(compare(program, x, r));
    }
    Ok(out)
}

/// The test's batch, and the index of the test's own unit in it (`None`
/// for a batch of several units and no `data … unit`).
fn build_batch(
    program: &Program,
    t: &TestDef,
    load: &mut Loader<'_>,
    cache: &mut Cache,
) -> Result<(Batch, Option<usize>), Unbuilt> {
    let mut batch = match &t.data {
        Some((path, _)) => cache
            .entry(path.clone())
            .or_insert_with(|| load(path))
            .clone()
            .map_err(Unbuilt::Refused)?,
        None => Batch {
            globals: Vec::new(),
            units: Vec::new(),
        },
    };
    let mut errors = Vec::new();
    if let Some(g) = &t.globals {
        let base = t.data.is_some().then_some(batch.globals.as_slice());
        match data::globals_from_value(program, base, g) {
            Ok(v) => batch.globals = v,
            Err(mut e) => errors.append(&mut e),
        }
    } else if t.data.is_none() {
        match data::globals_from_value(program, None, &Lit::Object(Vec::new())) {
            Ok(v) => batch.globals = v,
            Err(mut e) => errors.append(&mut e),
        }
    }
    // `units [ … ]`: each over the file's unit of that name, or new.
    if let Some(Lit::List(entries)) = &t.units {
        for e in entries {
            let Lit::Object(pairs) = e else { continue };
            let Some(Lit::Str(name)) = pairs.iter().find(|(k, _)| k == "unit").map(|(_, v)| v)
            else {
                continue;
            };
            let inputs = Lit::Object(pairs.iter().filter(|(k, _)| k != "unit").cloned().collect());
            let at = batch.units.iter().position(|u| &u.name == name);
            let base: Option<&UnitData> = at.and_then(|i| batch.units.get(i));
            match data::unit_from_value(program, name, base, &inputs) {
                Ok(unit) => match at.and_then(|i| batch.units.get_mut(i)) {
                    Some(slot) => *slot = unit,
                    None => batch.units.push(unit),
                },
                Err(mut e) => errors.append(&mut e),
            }
        }
    }
    let index = match &t.data {
        Some((path, Some(name))) => Some(
            batch
                .units
                .iter()
                .position(|u| &u.name == name)
                .ok_or_else(|| Unbuilt::Unfit(format!("there is no unit `{name}` in `{path}`")))?,
        ),
        _ if batch.units.len() == 1 => Some(0),
        Some((path, None)) if t.units.is_none() && !batch.units.is_empty() => {
            return Err(Unbuilt::Unfit(format!(
                "`{path}` has several units: name one with `unit \"...\"`"
            )))
        }
        None if batch.units.is_empty() => Some(0),
        _ => None,
    };
    if let Some(given) = &t.given {
        let base: Option<&UnitData> = index.and_then(|i| batch.units.get(i));
        let name = base
            .map(|u| u.name.clone())
            .unwrap_or_else(|| t.name.clone());
        match data::unit_from_value(program, &name, base, given) {
            Ok(unit) => match index.and_then(|i| batch.units.get_mut(i)) {
                Some(slot) => *slot = unit,
                None => batch.units.push(unit),
            },
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok((batch, index))
    } else {
        Err(Unbuilt::Refused(errors))
    }
}

/// Does this error name `field` (or a path below it)?
fn names_field(e: &DataError, field: &str) -> bool {
    e.field.as_deref().is_some_and(|f| {
        f.strip_prefix(field)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

/// `expect error FIELD` when the data was refused: each FIELD must be named.
fn refused(t: &TestDef, errors: &[DataError]) -> Vec<Mismatch> {
    t.expect_errors
        .iter()
        .filter(|x| !errors.iter().any(|e| names_field(e, &x.field)))
        .map(|x| Mismatch {
            what: format!("`expect error {}`", x.field),
            expected: format!("the data to be refused for `{}`", x.field),
            actual: format!("refused only for: {}", lines(errors).replace('\n', "; ")),
            line: x.line,
        })
        .collect()
}

/// `expect error FIELD` when the data was accepted: every one fails, saying
/// what the test's unit scored instead.
fn accepted(program: &Program, t: &TestDef, batch: &Batch, index: Option<usize>) -> Vec<Mismatch> {
    let scored = evaluate_batch(
        program,
        batch,
        Options {
            trace: false,
            parallel: false,
        },
    )
    .ok()
    .and_then(|rs| index.and_then(|i| rs.into_iter().nth(i)))
    .map(|r| format!(" (unit `{}` scored total {})", r.unit, num(r.total)))
    .unwrap_or_default();
    t.expect_errors
        .iter()
        .map(|x| Mismatch {
            what: format!("`expect error {}`", x.field),
            expected: format!("the data to be refused for `{}`", x.field),
            actual: format!("accepted{scored}"),
            line: x.line,
        })
        .collect()
}

fn num(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".into()
    } else {
        n.to_string()
    }
}

fn compare(program: &Program, x: &ExpectDef, r: &UnitResult) -> Option<Mismatch> {
    {
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
                    ExpectKey::Rank => ("rank".to_string(), Some(Decimal::from(r.rank))),
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
        let what = match &x.unit {
            Some(u) => format!("`{u}` {what}"),
            None => what,
        };
        (actual != expected).then_some(Mismatch {
            what,
            expected,
            actual,
            line: x.line,
        })
    }
}
