//! Runtime values: what a unit's inputs hold and what expressions produce.
//!
//! Numbers are exact decimals; dates are days since 1970-01-01; lists and
//! records are reference-counted so copying a value never copies its data.

use rust_decimal::Decimal;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An optional input or field that was not given (null).
    Missing,
    Bool(bool),
    Num(Decimal),
    /// Days since 1970-01-01.
    Date(i32),
    /// Text, and names from a listed set.
    Text(Arc<str>),
    List(Arc<[Value]>),
    /// A record's fields in declaration order.
    Record(Arc<[Value]>),
    /// A group from `grouped by`: its key and its records.
    Group(Arc<(Value, Vec<Value>)>),
}

impl Value {
    pub fn as_num(&self) -> Option<Decimal> {
        match self {
            Value::Num(d) => Some(*d),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// Whether the value holds anything on the heap (shared text, lists,
    /// records, groups). Every kind is named, so a new one must be placed.
    pub(crate) fn owns_heap(&self) -> bool {
        match self {
            Value::Missing | Value::Bool(_) | Value::Num(_) | Value::Date(_) => false,
            Value::Text(_) | Value::List(_) | Value::Record(_) | Value::Group(_) => true,
        }
    }
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

pub use rulebook_lang::date::{format_date, parse_date};
