//! Evaluation: unit data + checked IR → scores with traces.
//!
//! `data` reads and validates unit data (JSON, CSV) into slot vectors;
//! `value` holds runtime values. No terminal or file IO happens here.

pub mod compiled;
pub mod data;
pub mod eval;
pub mod tests_run;
pub mod value;

pub use value::Value;
