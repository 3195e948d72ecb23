//! `awk`'s values: a string, a number or both (a numeric string from input), and how
//! one turns into the other (CONVFMT).

use super::*;
use alloc::format;
use alloc::string::String;

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Num(f64),
    Str(String),
    /// Text from input that looks like a number: compares as one.
    StrNum(String, f64),
}

impl Value {
    pub(crate) fn from_input(s: String) -> Value {
        if looks_numeric(&s) {
            let v = str_to_num(&s);
            Value::StrNum(s, v)
        } else {
            Value::Str(s)
        }
    }

    pub(crate) fn num(&self) -> f64 {
        match self {
            Value::Num(v) | Value::StrNum(_, v) => *v,
            Value::Str(s) => str_to_num(s),
        }
    }

    pub(crate) fn truth(&self) -> bool {
        match self {
            Value::Num(v) | Value::StrNum(_, v) => *v != 0.0,
            Value::Str(s) => !s.is_empty(),
        }
    }
}

pub(crate) fn int_part(v: f64) -> f64 {
    if v.is_nan() || v.abs() >= 9.0e15 {
        v
    } else {
        (v as i64) as f64
    }
}

/// A number as awk writes it: an integer plainly, anything else through `fmt`.
pub(crate) fn num_to_string(v: f64, fmt: &str) -> String {
    if v == int_part(v) && v.abs() < 1e16 {
        if v == 0.0 {
            return String::from("0");
        }
        return format!("{}", v as i64);
    }
    sprintf(fmt, &[Value::Num(v)], "%.6g")
}
