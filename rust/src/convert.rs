//! The one conversion rule set, used by every front end.
//!
//! | wanted | from bool | from int | from float | from str | null / host object |
//! |--------|-----------|----------|------------|----------|-------------------|
//! | bool   | itself | `0` false, `1` true, else error | `0.0` false, `1.0` true, else error | `true/yes/on/1/t/y` true, `false/no/off/0/f/n` false (any case, surrounding blanks ignored), else error | error |
//! | int    | `0` / `1` | itself | exact integral values only (`3.0` gives 3, `3.5` is an error) | decimal integer (`+`/`-` sign, blanks ignored); failing that, a float text with an integral value (`"1e3"`, `"3.0"`); `"3.5"` is an error | error |
//! | float  | `0.0` / `1.0` | nearest float | itself | float text (`"1e-3"`, `"inf"`, `"nan"`) | error |
//! | str    | `"true"` / `"false"` | decimal | shortest round-trip text (`0.1`, `1.0`, `1e20`) | itself | error |
//!
//! Nothing is ever truncated or guessed: a value that does not fit is an error naming the
//! value and the wanted type.

use crate::error::{Error, Result};
use crate::value::Value;

/// The largest float strictly below 2^63, the i64 range bound for exact conversion.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

pub fn to_bool(value: &Value) -> Result<bool> {
    let parsed = match value {
        Value::Bool(b) => Some(*b),
        Value::Int(0) => Some(false),
        Value::Int(1) => Some(true),
        Value::Float(x) if *x == 0.0 => Some(false),
        Value::Float(x) if *x == 1.0 => Some(true),
        Value::Str(s) => parse_bool(s),
        _ => None,
    };
    parsed.ok_or_else(|| Error::type_mismatch("", value, "bool"))
}

pub fn to_i64(value: &Value) -> Result<i64> {
    let parsed = match value {
        Value::Bool(b) => Some(*b as i64),
        Value::Int(i) => Some(*i),
        Value::Float(x) => float_to_i64(*x),
        Value::Str(s) => parse_i64(s),
        _ => None,
    };
    parsed.ok_or_else(|| Error::type_mismatch("", value, "int"))
}

pub fn to_f64(value: &Value) -> Result<f64> {
    let parsed = match value {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Int(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        Value::Str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| Error::type_mismatch("", value, "float"))
}

pub fn to_str(value: &Value) -> Result<String> {
    match value {
        Value::Bool(b) => Ok(b.to_string()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Float(x) => Ok(format_float(*x)),
        Value::Str(s) => Ok(s.to_string()),
        _ => Err(Error::type_mismatch("", value, "str")),
    }
}

/// Parse a boolean word: `true/yes/on/1/t/y` and `false/no/off/0/f/n`, in any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    const TRUE: [&str; 6] = ["true", "yes", "on", "1", "t", "y"];
    const FALSE: [&str; 6] = ["false", "no", "off", "0", "f", "n"];
    let word = text.trim();
    if TRUE.iter().any(|t| word.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|t| word.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

fn parse_i64(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Some(i);
    }
    // A decimal integer that did not parse is out of range: reading it as a float would round
    // it ("-9223372036854775809" to -2^63), a silently wrong number.
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    exact_integer(text)
}

/// The integer a number text (`"1e3"`, `"3.0"`, `"-2.50e1"`) denotes exactly, or `None` for a
/// fraction or a value out of range. Worked out on the decimal digits: going through `f64`
/// would round `"1e-400"` to 0 and `"9007199254740993.0"` to 9007199254740992 (found by
/// fuzzing, `fuzz/regressions/value_conversion/`).
fn exact_integer(text: &str) -> Option<i64> {
    // The float grammar decides what is a number: [+-] digits [. digits] [e [+-] digits].
    text.parse::<f64>().ok().filter(|x| x.is_finite())?;
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = body.split_once(['e', 'E']).unwrap_or((body, "0"));
    let exponent = exponent
        .parse::<i64>()
        .unwrap_or(if exponent.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        });
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    let kept = significant.trim_end_matches('0');
    let shift = exponent
        .saturating_sub(fraction.len() as i64)
        .saturating_add((significant.len() - kept.len()) as i64);
    if shift < 0 || kept.len() as i64 + shift > 19 {
        return None;
    }
    let magnitude = kept.parse::<i128>().ok()? * 10i128.pow(shift as u32);
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

fn float_to_i64(x: f64) -> Option<i64> {
    let integral = x.is_finite() && x.fract() == 0.0 && (-I64_BOUND..I64_BOUND).contains(&x);
    integral.then_some(x as i64)
}

/// Shortest text that reads back as the same float, always with a `.`, `e`, `inf` or `nan`.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{x:?}")
}

/// Parse the text of a `key=value` definition into the most specific value:
/// int, then float, then `true`/`false` (exactly, any case), then `null`/`none`, else a string.
///
/// ```
/// use hyperparameter::{parse_value, Value};
/// assert!(matches!(parse_value("64"), Value::Int(64)));
/// assert!(matches!(parse_value("5e-4"), Value::Float(_)));
/// assert!(matches!(parse_value("adam"), Value::Str(_)));
/// ```
pub fn parse_value(text: &str) -> Value {
    let trimmed = text.trim();
    if let Ok(i) = trimmed.parse::<i64>() {
        return Value::Int(i);
    }
    if let Ok(x) = trimmed.parse::<f64>() {
        if looks_numeric(trimmed) {
            return Value::Float(x);
        }
    }
    if trimmed.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if trimmed.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if trimmed.eq_ignore_ascii_case("null") || trimmed.eq_ignore_ascii_case("none") {
        return Value::Null;
    }
    Value::Str(text.into())
}

/// Words like "inf", "-inf" and "nan" parse as floats but are kept as text in definitions
/// unless they contain a digit (`1e999`), so a parameter named `"nan"` stays a string; read
/// with a float default, the text still converts ("-inf" gives -inf).
fn looks_numeric(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::Str(text.into())
    }

    #[test]
    fn bool_words() {
        for word in ["true", "YES", " on ", "1", "T", "y"] {
            assert!(to_bool(&s(word)).unwrap(), "{word}");
        }
        for word in ["false", "No", "OFF", "0", "f", "n"] {
            assert!(!to_bool(&s(word)).unwrap(), "{word}");
        }
        assert!(to_bool(&s("maybe")).is_err());
        assert!(to_bool(&Value::Int(2)).is_err());
        assert!(to_bool(&Value::Null).is_err());
    }

    #[test]
    fn ints_are_never_truncated() {
        assert_eq!(to_i64(&s("42")).unwrap(), 42);
        assert_eq!(to_i64(&s(" -7 ")).unwrap(), -7);
        assert_eq!(to_i64(&s("1e3")).unwrap(), 1000);
        assert_eq!(to_i64(&s("3.0")).unwrap(), 3);
        assert_eq!(to_i64(&Value::Float(3.0)).unwrap(), 3);
        assert_eq!(to_i64(&Value::Bool(true)).unwrap(), 1);
        assert!(to_i64(&s("3.5")).is_err());
        assert!(to_i64(&Value::Float(3.5)).is_err());
        assert!(to_i64(&s("abc")).is_err());
        assert!(to_i64(&Value::Float(f64::NAN)).is_err());
        assert!(to_i64(&Value::Float(1e19)).is_err());
        assert!(to_i64(&s("99999999999999999999")).is_err());
        // Just beyond the range, yet rounding to -2^63 as a float: still refused.
        assert!(to_i64(&s("-9223372036854775809")).is_err());
        assert!(to_i64(&s("+9223372036854775808")).is_err());
        assert_eq!(to_i64(&s("-9223372036854775808")).unwrap(), i64::MIN);
        assert_eq!(to_i64(&s("-9.223372036854775808e18")).unwrap(), i64::MIN);
        // Exact on the digits, never rounded through a float (found by fuzzing).
        assert!(to_i64(&s("1e-400")).is_err());
        assert!(to_i64(&s("0.99999999999999999999")).is_err());
        assert_eq!(
            to_i64(&s("9007199254740993.0")).unwrap(),
            9_007_199_254_740_993
        );
        assert_eq!(to_i64(&s("9223372036854775807.0")).unwrap(), i64::MAX);
        assert!(to_i64(&s("9223372036854775808.0")).is_err());
        assert_eq!(to_i64(&s("-2.50e1")).unwrap(), -25);
        assert_eq!(to_i64(&s("12300e-2")).unwrap(), 123);
        assert_eq!(to_i64(&s("0e-99999999999999999999")).unwrap(), 0);
        assert!(to_i64(&s("1e99999999999999999999")).is_err());
    }

    #[test]
    fn floats_and_strings() {
        assert_eq!(to_f64(&s("1e-3")).unwrap(), 0.001);
        assert_eq!(to_f64(&Value::Int(3)).unwrap(), 3.0);
        assert!(to_f64(&s("fast")).is_err());
        assert_eq!(to_str(&Value::Float(1.0)).unwrap(), "1.0");
        assert_eq!(to_str(&Value::Float(0.1)).unwrap(), "0.1");
        assert_eq!(to_str(&Value::Int(-3)).unwrap(), "-3");
        assert_eq!(to_str(&Value::Bool(true)).unwrap(), "true");
        assert!(to_str(&Value::Null).is_err());
    }

    #[test]
    fn error_names_value_and_type() {
        let err = to_i64(&s("3.5")).unwrap_err().with_key("train.bs");
        assert_eq!(
            err.to_string(),
            "parameter \"train.bs\": cannot convert \"3.5\" to int"
        );
    }

    #[test]
    fn definitions_take_the_most_specific_type() {
        assert!(matches!(parse_value("64"), Value::Int(64)));
        assert!(matches!(parse_value("0.5"), Value::Float(x) if x == 0.5));
        assert!(matches!(parse_value("True"), Value::Bool(true)));
        assert!(matches!(parse_value("null"), Value::Null));
        assert!(matches!(parse_value("nan"), Value::Str(_)));
        assert!(matches!(parse_value("inf"), Value::Str(_)));
        assert!(matches!(parse_value("-inf"), Value::Str(_)));
        assert!(matches!(parse_value("1e999"), Value::Float(x) if x == f64::INFINITY));
        assert!(matches!(parse_value("sigmoid"), Value::Str(ref t) if &**t == "sigmoid"));
    }
}
