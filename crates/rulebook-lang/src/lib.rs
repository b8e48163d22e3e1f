//! The `.rules` language: parse → check → IR.
//!
//! `parse` turns text into a syntax tree with spans; `check` resolves names,
//! checks units of measure and the table's arithmetic, and lowers to the
//! serde-serializable IR the evaluator runs. No IO happens here.

pub mod ast;
pub mod bounds;
pub mod check;
mod check_nodes;
mod check_tests;
pub mod date;
pub mod diag;
pub mod format;
pub mod ir;
pub mod parse;
mod todo;
pub mod validate;

pub use check::{check, Checked};
pub use diag::{Diagnostic, Severity, Source};
