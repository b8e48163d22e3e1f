//! Reports: scored units → words, tables and files.
//!
//! `reason` turns a trace entry's numbers into a sentence a policy officer
//! can check against the document; `json`, `csv`, `table`, `markdown` and
//! `explain` lay out whole batches; `official` builds the document's table
//! that `xlsx` (the official table with scores) and `html` (a report with
//! charts) lay out; `safe` is the one place user text is made harmless for
//! spreadsheets, Markdown and terminals. Everything returns text or bytes;
//! the CLI decides where it goes.

pub mod csv_out;
pub mod diff;
pub mod explain;
pub mod html;
pub mod json;
pub mod markdown;
pub mod official;
pub mod reason;
pub mod safe;
pub mod table;
pub mod xlsx;

use rust_decimal::Decimal;

/// A decimal as people write it: no trailing zeros, no exponent.
pub fn fmt_dec(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}
