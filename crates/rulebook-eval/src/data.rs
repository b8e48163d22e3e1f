//! Unit data in: JSON, CSV and rulebook-test literals → slot vectors.
//!
//! In: a checked [`Program`] and data in one of three shapes — a JSON file
//! (`{"globals": {...}, "units": [{"unit": NAME, <inputs>, "params": {...}}]}`),
//! a folder of CSV files, or a test's `given`/`globals` literal. Out: a
//! [`Batch`] whose vectors are indexed like `program.inputs`,
//! `program.globals` and `program.params`, or every [`DataError`] found.
//!
//! Guarantees: numbers are read exactly (never through a float) and
//! normalized (`96.50` and `"96.5"` give the same value); every value has its
//! declared type, unit bound and range; every non-optional input, global
//! and parameter has a value; nothing is returned from a file with any
//! error; no input makes it panic. Each reader only turns its text into a
//! located datum tree; the checking itself is one shared pass (`check`).

pub mod check;
mod csv_files;
mod json;
mod number;

use crate::value::Value;
use check::{Checker, Loc, Node, Origin, Schema, UnitIn};
use rulebook_lang::ir::Program;
use std::fmt;

/// Everything a batch evaluation needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Indexed like `program.globals`.
    pub globals: Vec<Value>,
    /// In the order the data gives them.
    pub units: Vec<UnitData>,
}

/// One unit's checked data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitData {
    pub name: String,
    /// Indexed like `program.inputs`; `Value::Missing` for an optional input not given.
    pub inputs: Vec<Value>,
    /// Indexed like `program.params`: the unit's own value if given, else the
    /// rulebook's value for this unit's name.
    pub params: Vec<Value>,
}

/// A problem with the data, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The unit's name, when known.
    pub unit: Option<String>,
    /// The input, parameter or global id, or a path below it
    /// (`town_plants[2].load_rate`).
    pub field: Option<String>,
    /// `data.json:41:17 (units[3].pm25)`, `units.csv:5:12` (file:row:column),
    /// `given.cases[0].found` for a test literal, or a file name alone.
    pub location: String,
    /// Lowercase, no final period, user text in backticks.
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for DataError {
    /// One line, without the help (shown by the caller, e.g. on a line of
    /// its own): control characters in user text are shown escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::new();
        if !self.location.is_empty() {
            line.push_str(&self.location);
            line.push_str(": ");
        }
        match (&self.unit, &self.field) {
            (Some(u), Some(x)) => line.push_str(&format!("unit `{u}`, field `{x}`: ")),
            (Some(u), None) => line.push_str(&format!("unit `{u}`: ")),
            (None, Some(x)) => line.push_str(&format!("field `{x}`: ")),
            (None, None) => {}
        }
        line.push_str(&self.message);
        for c in line.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}

/// Read a JSON data file. `file_name` is used in locations only.
pub fn load_json(program: &Program, file_name: &str, text: &str) -> Result<Batch, Vec<DataError>> {
    json::load(program, file_name, text)
}

/// Read a folder of CSV files: `files` pairs each file's name (e.g.
/// `units.csv`; a directory part is ignored when matching) with its text.
/// Files not ending in `.csv` are ignored.
pub fn load_csv(program: &Program, files: &[(String, String)]) -> Result<Batch, Vec<DataError>> {
    csv_files::load(program, files)
}

/// A unit from a test's `given` literal: the given inputs (and optional
/// `params` object) checked like a data file's, the rest taken from `base`.
/// Without a base every non-optional input must be given. Parameters not
/// given come from `base`, else from the rulebook's values for `name`.
pub fn unit_from_value(
    program: &Program,
    name: &str,
    base: Option<&UnitData>,
    given: &rulebook_lang::ast::Value,
) -> Result<UnitData, Vec<DataError>> {
    let schema = Schema::new(program);
    let mut ck = Checker::new(Origin::Given);
    ck.scope(Some(name), "given");
    let Some(d) = check::from_ast(given, 0) else {
        return Err(too_deep(ck));
    };
    let entries = match &d.node {
        Node::Object(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            ck.report(Loc::None, None, "expected an object of input values", None);
            return Err(ck.finish());
        }
    };
    let params = entries.iter().find(|e| e.key == "params").map(|e| &e.value);
    let unit = ck.unit(
        &schema,
        UnitIn {
            name: Some(name),
            at: Loc::None,
            inputs: entries.iter().filter(|e| e.key != "params").collect(),
            params,
            base,
            prefix: "given".into(),
            params_prefix: "given.params".into(),
        },
    );
    if ck.has_errors() {
        Err(ck.finish())
    } else {
        Ok(unit)
    }
}

/// The shared facts from a test's `globals` literal, over `base`.
pub fn globals_from_value(
    program: &Program,
    base: Option<&[Value]>,
    given: &rulebook_lang::ast::Value,
) -> Result<Vec<Value>, Vec<DataError>> {
    let schema = Schema::new(program);
    let mut ck = Checker::new(Origin::Given);
    ck.scope(None, "globals");
    let Some(d) = check::from_ast(given, 0) else {
        return Err(too_deep(ck));
    };
    let entries = match &d.node {
        Node::Object(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            ck.report(Loc::None, None, "expected an object of global facts", None);
            return Err(ck.finish());
        }
    };
    let globals = ck.globals(&schema, Loc::None, entries, base, "globals");
    if ck.has_errors() {
        Err(ck.finish())
    } else {
        Ok(globals)
    }
}

fn too_deep(mut ck: Checker<'_, '_>) -> Vec<DataError> {
    let message = format!(
        "lists and objects nest deeper than {} levels",
        check::MAX_DEPTH
    );
    ck.report(Loc::None, None, message, None);
    ck.finish()
}
