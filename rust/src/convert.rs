//! The one conversion rule set, used by every front end.
//!
//! | wanted | from bool | from int | from float | from str | null / host object |
//! |--------|-----------|----------|------------|----------|-------------------|
//! | bool   | itself | `0` false, `1` true, else error | `0.0` false, `1.0` true, else error | `true/yes/on/1/t/y` true, `false/no/off/0/f/n` false (any case, surrounding blanks ignored), else error | error |
//! | int    | `0` / `1` | itself | exact integral values only (`3.0` gives 3, `3.5` is an error) | decimal integer (`+`/`-` sign, blanks ignored); failing that, a float text with an integral value (`"1e3"`, `"3.0"`); `"3.5"` is an error | error |
//! | float  | `0.0` / `1.0` | nearest float | itself | float text (`"1e-3"`, `"inf"`, `"nan"`) | error |
//! | str    | `"true"` / `"false"` | decimal | Python's `repr` ([`format_float`]: `0.1`, `1.0`, `1e+20`) | itself | error |
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

/// A float as Python's `repr` spells it, in every language: the shortest digits that read
/// back as the same float (the nearest such digits; an exact tie goes to the even digit),
/// positional from `1e-4` up to below `1e16` (`0.0001`, `1.0`, `-0.0`), otherwise in exponent
/// form with a signed exponent of at least two digits (`1e-05`, `1.5e+16`), and `inf`, `-inf`,
/// `nan`.
///
/// ```
/// use hyperparameter::format_float;
/// assert_eq!(format_float(0.1), "0.1");
/// assert_eq!(format_float(1e16), "1e+16");
/// assert_eq!(format_float(1e-5), "1e-05");
/// assert_eq!(format_float(1113178120592002.25), "1113178120592002.2");
/// ```
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    // Ryu gives the same digits as Python's repr (shortest, nearest, ties to even), which
    // Rust's own `{}` does not: it rounds an exact tie up (`…2.25` gives `…2.3`, repr `…2.2`).
    let mut buffer = ryu::Buffer::new();
    let (digits, exponent) = decimal_digits(buffer.format_finite(x.abs()));
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{point}{rest}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        );
    }
    if exponent < 0 {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = exponent as usize + 1;
    if point >= digits.len() {
        let zeros = "0".repeat(point - digits.len());
        format!("{sign}{digits}{zeros}.0")
    } else {
        let (whole, fraction) = digits.split_at(point);
        format!("{sign}{whole}.{fraction}")
    }
}

/// The significant digits of a positive, non-zero number text (`"1.5e-7"`, `"0.001"`,
/// `"120.0"`), without leading or trailing zeros, and the power of ten of the first one.
fn decimal_digits(text: &str) -> (String, i32) {
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    let leading_zeros = (all.len() - significant.len()) as i32;
    let digits = significant.trim_end_matches('0').to_owned();
    (digits, exponent + whole.len() as i32 - 1 - leading_zeros)
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
    // The tie cases are written as the exact values of their doubles, more digits than the
    // shortest spelling: that is the point of them.
    #[allow(clippy::excessive_precision)]
    fn floats_are_spelled_as_python_repr_spells_them() {
        let cases: [(f64, &str); 22] = [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e15, "1000000000000000.0"),
            (9_999_999_999_999_998.0, "9999999999999998.0"),
            (1e16, "1e+16"),
            (-1.5e16, "-1.5e+16"),
            (1e22, "1e+22"),
            (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            // Exact ties between two shortest spellings go to the even digit, as in repr.
            (1_113_178_120_592_002.25, "1113178120592002.2"),
            (233_891_771_783_429.625, "233891771783429.62"),
            (2.980_232_238_769_531_25e-8, "2.9802322387695312e-08"),
            (0.001_435_279_846_191_406_25, "0.0014352798461914062"),
        ];
        for (x, spelled) in cases {
            assert_eq!(format_float(x), spelled, "{x:e}");
            assert_eq!(to_str(&Value::Float(x)).unwrap(), spelled);
        }
    }

    #[test]
    fn long_number_texts_convert_exactly() {
        let padded = format!("{}42", "0".repeat(5000));
        assert_eq!(to_i64(&s(&padded)).unwrap(), 42);
        assert_eq!(to_i64(&s(&format!("-{padded}"))).unwrap(), -42);
        assert!(matches!(parse_value(&padded), Value::Int(42)));
        assert_eq!(to_f64(&s(&padded)).unwrap(), 42.0);
        let exponent = format!("5e{}2", "0".repeat(5000));
        assert_eq!(to_i64(&s(&exponent)).unwrap(), 500);
        let nines = "9".repeat(5000);
        assert!(to_i64(&s(&nines)).is_err());
        assert_eq!(to_f64(&s(&nines)).unwrap(), f64::INFINITY);
        assert!(matches!(parse_value(&nines), Value::Float(x) if x == f64::INFINITY));
    }

    #[test]
    fn long_values_are_cut_short_in_messages() {
        let huge = "x".repeat(10_000_000);
        let message = to_i64(&s(&huge)).unwrap_err().with_key("k").to_string();
        let kept = "x".repeat(200);
        assert_eq!(
            message,
            format!("parameter \"k\": cannot convert \"{kept}\"... (10000000 characters) to int")
        );
        // Counted in characters, not bytes; up to 256 characters the value is quoted whole.
        let wide = "é".repeat(257);
        let message = to_i64(&s(&wide)).unwrap_err().to_string();
        assert!(
            message.ends_with("... (257 characters) to int"),
            "{message}"
        );
        let whole = "y".repeat(256);
        let message = to_i64(&s(&whole)).unwrap_err().to_string();
        assert_eq!(message, format!("cannot convert \"{whole}\" to int"));
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
