//! The checks behind every Rust fuzz target, shared by the fuzz targets (`fuzz/fuzz_targets/`,
//! through `fuzz/src/lib.rs`) and by their stable replay (`rust/tests/fuzz_regressions.rs`,
//! which includes this file with `#[path]`). It uses only `hyperparameter` and `std`, so both
//! can build it, and every input is decoded here by hand: one byte string means the same
//! operations under libFuzzer and under `cargo test`.
//!
//! Each check either returns or panics with a message naming the broken invariant; libFuzzer
//! reports the panic as a crash and keeps the input.

#![allow(clippy::float_cmp)]

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr};
use std::ptr;
use std::sync::Mutex;

use hyperparameter::ffi::*;
use hyperparameter::{
    checked_hash, format_float, hash_bytes, hash_key, parse_definition, parse_value, to_bool,
    to_f64, to_i64, to_str, validate_key, Error, KeyError, Param, ParamScope, Scope, Value,
    MAX_KEY_LEN,
};

// =============================================================================================
// Input decoding: total (every byte string decodes), zero-padded at the end.

/// Reads structured choices from fuzz bytes. Past the end every read gives zeros.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        let n = self.data.len().min(8);
        bytes[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        u64::from_le_bytes(bytes)
    }

    /// Up to `max` bytes, the count taken from the next byte.
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = (self.byte() as usize % (max + 1)).min(self.data.len());
        let (taken, rest) = self.data.split_at(n);
        self.data = rest;
        taken
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.byte() as usize % items.len()]
    }

    /// An integer, often one of the interesting ones.
    pub fn int(&mut self) -> i64 {
        const INTERESTING: [i64; 12] = [
            0,
            1,
            -1,
            2,
            3,
            1000,
            i64::MAX,
            i64::MIN,
            (1 << 53) + 1,
            -(1 << 53) - 1,
            i32::MAX as i64 + 1,
            u32::MAX as i64,
        ];
        match self.byte() % 3 {
            0 => self.pick(&INTERESTING),
            1 => self.byte() as i8 as i64,
            _ => self.u64() as i64,
        }
    }

    /// A float, often one of the interesting ones.
    pub fn float(&mut self) -> f64 {
        const INTERESTING: [f64; 20] = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            3.0,
            3.5,
            0.1,
            1e20,
            -1e-300,
            9_223_372_036_854_775_808.0,  // 2^63: just out of i64
            -9_223_372_036_854_775_808.0, // -2^63: i64::MIN exactly
            9_223_372_036_854_774_784.0,  // the largest float below 2^63
            9_007_199_254_740_993.0,      // 2^53 + 1 (rounds to 2^53)
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            f64::MAX,
            5e-324,
        ];
        match self.byte() % 3 {
            0 => self.pick(&INTERESTING),
            1 => self.byte() as i8 as f64 / 4.0,
            _ => f64::from_bits(self.u64()),
        }
    }

    /// Text: a word with a meaning to the conversion rules, raw (lossy UTF-8) bytes, or a
    /// number in the decimal grammar (sign, digits, fraction, exponent, blanks).
    pub fn text(&mut self) -> String {
        const WORDS: [&str; 24] = [
            "", "true", "False", " yes ", "on", "1", "0", "t", "n", "maybe", "42", " -7 ", "+5",
            "3.0", "3.5", "1e3", "1e999", "-0", "nan", "inf", "-inf", "null", "None", "adam",
        ];
        match self.byte() % 3 {
            0 => self.pick(&WORDS).to_owned(),
            1 => String::from_utf8_lossy(self.bytes(24)).into_owned(),
            _ => self.number_text(),
        }
    }

    fn number_text(&mut self) -> String {
        let shape = self.byte();
        let mut text = String::new();
        if shape & 1 != 0 {
            text.push(if shape & 2 != 0 { '-' } else { '+' });
        }
        let digits = |input: &mut Self, text: &mut String, max: u8| {
            for _ in 0..input.byte() % max {
                text.push(char::from(b'0' + input.byte() % 10));
            }
        };
        digits(self, &mut text, 24);
        if shape & 4 != 0 {
            text.push('.');
            digits(self, &mut text, 24);
        }
        if shape & 8 != 0 {
            text.push(if shape & 16 != 0 { 'E' } else { 'e' });
            if shape & 32 != 0 {
                text.push('-');
            }
            digits(self, &mut text, 5);
        }
        if shape & 64 != 0 {
            text = format!(" {text}\t");
        }
        text
    }
}

// =============================================================================================
// Independent models

/// The key rules, written as a character scan (the engine splits on '.'): which error, if any.
pub fn model_key_error(key: &str) -> Option<KeyError> {
    if key.is_empty() {
        return Some(KeyError::Empty);
    }
    if key.len() > 1024 {
        return Some(KeyError::TooLong(key.len()));
    }
    let mut segment = 0usize;
    for c in key.chars() {
        if c == '.' {
            if segment == 0 {
                return Some(KeyError::EmptySegment);
            }
            segment = 0;
        } else if c.is_alphanumeric() || c == '_' || c == '-' {
            segment += 1;
        } else {
            return Some(KeyError::BadChar(c));
        }
    }
    (segment == 0).then_some(KeyError::EmptySegment)
}

/// XXH64, written from the specification (not the `xxhash-rust` code the engine uses).
pub fn reference_xxh64(data: &[u8], seed: u64) -> u64 {
    const P1: u64 = 0x9E37_79B1_85EB_CA87;
    const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    const P3: u64 = 0x1656_67B1_9E37_79F9;
    const P4: u64 = 0x85EB_CA77_C2B2_AE63;
    const P5: u64 = 0x27D4_EB2F_1656_67C5;
    fn round(acc: u64, lane: u64) -> u64 {
        acc.wrapping_add(lane.wrapping_mul(P2))
            .rotate_left(31)
            .wrapping_mul(P1)
    }
    fn merge(acc: u64, val: u64) -> u64 {
        (acc ^ round(0, val)).wrapping_mul(P1).wrapping_add(P4)
    }
    let u64_at = |i: usize| u64::from_le_bytes(data[i..i + 8].try_into().unwrap());
    let u32_at = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().unwrap()) as u64;
    let mut i = 0;
    let mut h = if data.len() >= 32 {
        let mut v = [
            seed.wrapping_add(P1).wrapping_add(P2),
            seed.wrapping_add(P2),
            seed,
            seed.wrapping_sub(P1),
        ];
        while i + 32 <= data.len() {
            for (lane, acc) in v.iter_mut().enumerate() {
                *acc = round(*acc, u64_at(i + 8 * lane));
            }
            i += 32;
        }
        let mut h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        for acc in v {
            h = merge(h, acc);
        }
        h
    } else {
        seed.wrapping_add(P5)
    };
    h = h.wrapping_add(data.len() as u64);
    while i + 8 <= data.len() {
        h ^= round(0, u64_at(i));
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        i += 8;
    }
    if i + 4 <= data.len() {
        h ^= u32_at(i).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        i += 4;
    }
    for &b in &data[i..] {
        h ^= (b as u64).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

/// The exact value of a decimal number text (Rust's float grammar without `inf`/`nan`) as an
/// i64: `None` if the text is no such number, `Some(None)` if it is a number but not exactly an
/// i64 (a fraction, or out of range), `Some(Some(n))` if it is exactly `n`.
pub fn exact_decimal_int(text: &str) -> Option<Option<i64>> {
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
        return None;
    }
    let mut exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let (sign, magnitude) = match e.as_bytes().first() {
                Some(b'-') => (-1, &e[1..]),
                Some(b'+') => (1, &e[1..]),
                _ => (1, e),
            };
            if magnitude.is_empty() || !digits_only(magnitude) {
                return None;
            }
            // Saturating: beyond a few hundred the answer no longer changes.
            let m = magnitude.trim_start_matches('0');
            sign * if m.len() > 6 {
                1_000_000
            } else {
                m.parse::<i64>().unwrap_or(0)
            }
        }
    };
    exp -= fraction.len() as i64;
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    if significant.is_empty() {
        return Some(Some(0));
    }
    let kept = significant.trim_end_matches('0');
    exp += (significant.len() - kept.len()) as i64;
    if exp < 0 || kept.len() as i64 + exp > 19 {
        return Some(None);
    }
    let magnitude = kept.parse::<i128>().ok()? * 10i128.pow(exp as u32);
    Some(i64::try_from(if negative { -magnitude } else { magnitude }).ok())
}

/// Two values are the same: same variant, same payload (floats bit for bit).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Host(x), Value::Host(y)) => x.pointer() == y.pointer(),
        _ => false,
    }
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

// =============================================================================================
// Target `key_validation`: arbitrary bytes as a key.

pub fn key_validation(data: &[u8]) {
    // The C ABI takes any bytes: hashing never fails, checking reports invalid UTF-8.
    let mut hash = 0u64;
    // SAFETY: `data` is `data.len()` readable bytes and `hash` is writable.
    let status = unsafe { hp_hash(data.as_ptr().cast(), data.len(), &mut hash) };
    assert_eq!(status, HP_OK, "hp_hash");
    assert_eq!(hash, hash_bytes(data), "hp_hash differs from hash_bytes");
    assert_eq!(
        hash,
        reference_xxh64(data, 42),
        "hash differs from the reference XXH64"
    );
    // SAFETY: as above.
    let checked = unsafe { hp_key_check(data.as_ptr().cast(), data.len()) };
    // SAFETY: NULL is an allowed argument.
    assert_eq!(
        unsafe { hp_key_check(ptr::null(), data.len()) },
        HP_NULL_POINTER
    );

    let Ok(key) = std::str::from_utf8(data) else {
        assert_eq!(checked, HP_INVALID_UTF8, "hp_key_check of invalid UTF-8");
        return;
    };
    let valid = check_key(key);
    assert_eq!(
        checked,
        if valid { HP_OK } else { HP_INVALID_KEY },
        "hp_key_check({key:?})"
    );

    // The same text joined with itself around the 1024-byte limit: long keys, many segments.
    if !key.is_empty() && key.len() <= MAX_KEY_LEN {
        let copies = MAX_KEY_LEN / (key.len() + 1) + 1;
        for n in [copies - 1, copies, copies + 1] {
            if n > 0 {
                check_key(&vec![key; n].join("."));
            }
        }
    }
}

/// Check one key against the model; whether it is valid.
fn check_key(key: &str) -> bool {
    let expected = model_key_error(key);
    let got = validate_key(key);
    assert_eq!(got.clone().err(), expected, "validate_key({key:?})");
    match checked_hash(key) {
        Ok(h) => {
            assert!(got.is_ok(), "checked_hash accepted {key:?}");
            assert_eq!(h, hash_key(key), "checked_hash({key:?}) != hash_key");
            assert_eq!(h, hash_bytes(key.as_bytes()), "hash_key != hash_bytes");
            assert!(key.len() <= MAX_KEY_LEN, "a valid key over the limit");
            assert!(
                key.split('.').all(|s| !s.is_empty()),
                "a valid key with an empty segment: {key:?}"
            );
            assert!(
                !key.contains(['=', ' ', '\0']),
                "a valid key with =, space or NUL"
            );
        }
        Err(Error::InvalidKey { key: k, reason }) => {
            assert_eq!(k, key);
            assert_eq!(Some(reason.clone()), expected);
            let message = Error::InvalidKey { key: k, reason }.to_string();
            assert!(message.starts_with("invalid key "), "{message}");
        }
        Err(other) => panic!("checked_hash({key:?}) gave {other:?}"),
    }
    expected.is_none()
}

// =============================================================================================
// Target `definition_parser`: arbitrary text as `key=value` definitions and value texts.

pub fn definition_parser(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        // Through the C ABI, invalid UTF-8 is refused before anything else.
        with_empty_scope(|scope| {
            // SAFETY: live handle, readable bytes.
            let status = unsafe { hp_set_parsed(scope, data.as_ptr().cast(), data.len()) };
            assert_eq!(status, HP_INVALID_UTF8);
        });
        return;
    };
    check_definition(text);
    check_parse_value(text);

    // Each line a definition, all of them as one ParamScope.
    let lines: Vec<&str> = text.split('\n').collect();
    for line in &lines {
        check_definition(line);
        if let Some((_, value)) = line.split_once('=') {
            check_parse_value(value);
        }
    }
    check_param_scope(&lines);

    // Round trips of numbers taken from the input.
    let mut input = Input::new(data);
    let n = input.int();
    for spelled in [n.to_string(), format!(" {n}\t"), format!("+{n}")] {
        if spelled.starts_with("+-") {
            continue;
        }
        let parsed = parse_value(&spelled);
        assert!(
            same_value(&parsed, &Value::Int(n)),
            "parse_value({spelled:?}) = {parsed:?}, not Int({n})"
        );
    }
    let x = input.float();
    if x.is_finite() {
        let spelled = format_float(x);
        let parsed = parse_value(&spelled);
        assert!(
            same_value(&parsed, &Value::Float(x)),
            "parse_value({spelled:?}) = {parsed:?}, not Float({x:?})"
        );
    }
}

fn check_definition(text: &str) {
    let result = parse_definition(text);
    let Some(eq) = text.find('=') else {
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "parse_definition({text:?}) without '=' gave {result:?}"
        );
        return;
    };
    let key = text[..eq].trim();
    let value_text = &text[eq + 1..];
    match (model_key_error(key), result) {
        (None, Ok((k, v))) => {
            assert_eq!(k, key, "parse_definition({text:?}) key");
            assert!(validate_key(&k).is_ok(), "accepted invalid key {k:?}");
            assert!(
                same_value(&v, &parse_value(value_text)),
                "parse_definition({text:?}) value {v:?}"
            );
        }
        (Some(reason), Err(Error::InvalidKey { key: k, reason: r })) => {
            assert_eq!((k.as_str(), r), (key, reason), "parse_definition({text:?})");
        }
        (expected, got) => panic!("parse_definition({text:?}) = {got:?}, model {expected:?}"),
    }

    // The same through the C ABI, into a scope of its own, read back with its label.
    with_empty_scope(|scope| {
        // SAFETY: live handle, readable bytes.
        let status = unsafe { hp_set_parsed(scope, text.as_ptr().cast(), text.len()) };
        match parse_definition(text) {
            Err(err) => assert_eq!(status, status_code(&err), "hp_set_parsed({text:?})"),
            Ok((k, v)) => {
                assert_eq!(status, HP_OK, "hp_set_parsed({text:?})");
                let mut out = zero_value();
                // SAFETY: live handle, readable key, writable out.
                let got = unsafe { hp_get(scope, k.as_ptr().cast(), k.len(), &mut out) };
                assert_eq!(got, HP_OK);
                check_value_out(&out, &MValue::of(&v), &format!("hp_set_parsed({text:?})"));
                // SAFETY: filled by the library.
                unsafe { hp_value_clear(&mut out) };
                let source = get_source(scope, &k).expect("hp_get_source");
                assert_eq!(source, "key=value"); // as Python labels hp.scope("k=v")
            }
        }
    });
}

fn check_parse_value(text: &str) {
    let value = parse_value(text);
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        assert!(same_value(&value, &Value::Int(i)), "parse_value({text:?})");
    }
    let as_text = Value::Str(text.into());
    match &value {
        Value::Int(i) => {
            assert_eq!(to_i64(&as_text).ok(), Some(*i), "to_i64 of {text:?}");
            let back = to_str(&value).unwrap();
            assert!(same_value(&parse_value(&back), &value), "{back:?}");
        }
        Value::Float(x) => {
            assert!(t.parse::<i64>().is_err());
            assert!(t.bytes().any(|b| b.is_ascii_digit()), "float without digit");
            assert_eq!(t.parse::<f64>().map(f64::to_bits), Ok(x.to_bits()));
            let converted = to_f64(&as_text).expect("to_f64 of a float definition");
            assert!(same_f64(converted, *x), "to_f64 of {text:?}");
            if x.is_finite() {
                let back = to_str(&value).unwrap();
                assert!(same_value(&parse_value(&back), &value), "{back:?}");
            }
        }
        Value::Bool(b) => {
            assert!(t.eq_ignore_ascii_case(if *b { "true" } else { "false" }));
            assert_eq!(to_bool(&as_text).ok(), Some(*b), "to_bool of {text:?}");
        }
        Value::Null => {
            assert!(t.eq_ignore_ascii_case("null") || t.eq_ignore_ascii_case("none"))
        }
        Value::Str(s) => {
            assert_eq!(&**s, text, "a text definition is kept as written");
            assert!(t.parse::<i64>().is_err());
            assert!(t.parse::<f64>().is_err() || !t.bytes().any(|b| b.is_ascii_digit()));
            for word in ["true", "false", "null", "none"] {
                assert!(!t.eq_ignore_ascii_case(word), "{text:?} left as text");
            }
        }
        Value::Host(_) => panic!("parse_value made a host object"),
    }
}

fn check_param_scope(lines: &[&str]) {
    let parsed = ParamScope::parse(lines);
    let each: Result<Vec<_>, _> = lines.iter().map(|l| parse_definition(l)).collect();
    let (params, definitions) = match (parsed, each) {
        (Ok(params), Ok(definitions)) => (params, definitions),
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "first bad definition");
            return;
        }
        (a, b) => panic!("ParamScope::parse {a:?}, definitions {b:?}"),
    };
    let mut last = BTreeMap::new();
    for (key, value) in definitions {
        last.insert(key, value);
    }
    let scope = Scope::empty();
    params.apply_to(&scope).expect("apply_to");
    for (key, value) in &last {
        let entry = scope.get(key).expect("a parsed key is set");
        assert!(same_value(&entry.value, value), "{key}: {:?}", entry.value);
        assert_eq!(entry.source.as_deref(), Some("-D"));
    }
    let keys: Vec<String> = scope.entries().iter().map(|e| e.key.to_string()).collect();
    assert_eq!(keys, last.keys().cloned().collect::<Vec<_>>(), "entries()");

    let depth = Scope::depth();
    {
        let _guard = params.enter().expect("enter");
        assert_eq!(Scope::depth(), depth + 1);
        for (key, value) in &last {
            let entry = Scope::current().get(key).expect("set in the entered scope");
            assert!(same_value(&entry.value, value), "{key}: {:?}", entry.value);
        }
    }
    assert_eq!(Scope::depth(), depth, "the guard exited its scope");
}

// =============================================================================================
// Target `value_conversion`: values through to_bool / to_i64 / to_f64 / to_str.

/// One value decoded from the input (a null, bool, int, float or string).
pub fn decode_value(input: &mut Input) -> Value {
    match input.byte() % 5 {
        0 => Value::Null,
        1 => Value::Bool(input.byte() & 1 == 1),
        2 => Value::Int(input.int()),
        3 => Value::Float(input.float()),
        _ => Value::Str(input.text().into()),
    }
}

pub fn value_conversion(data: &[u8]) {
    let mut input = Input::new(data);
    loop {
        let value = decode_value(&mut input);
        check_conversions(&value);
        if input.is_empty() {
            break;
        }
    }
}

fn check_conversions(value: &Value) {
    let what = format!("{value:?}");
    let b = to_bool(value);
    let i = to_i64(value);
    let f = to_f64(value);
    let s = to_str(value);
    for err in [
        b.as_ref().err(),
        i.as_ref().err(),
        f.as_ref().err(),
        s.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(matches!(err, Error::TypeMismatch { .. }), "{what}: {err:?}");
        let _ = err.to_string();
    }
    match value {
        Value::Null => assert!(b.is_err() && i.is_err() && f.is_err() && s.is_err()),
        Value::Bool(x) => {
            assert_eq!(b.as_ref().ok(), Some(x));
            assert_eq!(i.as_ref().ok(), Some(&(*x as i64)));
            assert_eq!(f.as_ref().ok(), Some(&(*x as i64 as f64)));
            let text = s.as_ref().unwrap();
            assert_eq!(to_bool(&Value::Str(text.as_str().into())).ok(), Some(*x));
        }
        Value::Int(n) => {
            let bool_ok = matches!(n, 0 | 1);
            assert_eq!(b.is_ok(), bool_ok, "{what} to bool");
            if bool_ok {
                assert_eq!(b.as_ref().ok(), Some(&(*n == 1)));
            }
            assert_eq!(i.as_ref().ok(), Some(n));
            assert_eq!(f.as_ref().ok(), Some(&(*n as f64)));
            let text = s.as_ref().unwrap();
            assert_eq!(text, &n.to_string());
            assert_eq!(to_i64(&Value::Str(text.as_str().into())).ok(), Some(*n));
        }
        Value::Float(x) => {
            let bool_ok = *x == 0.0 || *x == 1.0;
            assert_eq!(b.is_ok(), bool_ok, "{what} to bool");
            // Never truncated: an int only from an integral value within range, exactly.
            let integral =
                x.is_finite() && x.fract() == 0.0 && *x >= -(2f64.powi(63)) && *x < 2f64.powi(63);
            assert_eq!(i.is_ok(), integral, "{what} to int");
            if let Ok(n) = &i {
                assert_eq!(*n as f64, *x, "{what} to int changed the value");
            }
            assert!(same_f64(*f.as_ref().unwrap(), *x));
            // The text reads back as the same float, and is always recognisably a float.
            let text = s.as_ref().unwrap();
            let back = to_f64(&Value::Str(text.as_str().into()))
                .unwrap_or_else(|e| panic!("{what} -> {text:?} does not read back: {e}"));
            assert!(same_f64(back, *x), "{what} -> {text:?} -> {back:?}");
            assert!(
                text.contains(['.', 'e', 'n']),
                "{what} spelled {text:?}, which reads as an int"
            );
        }
        Value::Str(text) => {
            let t = text.trim();
            assert_eq!(b.as_ref().ok().copied(), hyperparameter::parse_bool(text));
            if let Ok(n) = t.parse::<i64>() {
                assert_eq!(i.as_ref().ok(), Some(&n), "{what} to int");
            } else {
                // Else only from a number text that is exactly that integer: nothing rounded.
                assert_eq!(
                    i.as_ref().ok().copied(),
                    exact_decimal_int(t).flatten(),
                    "{what} to int: the conversion differs from the exact value of the text"
                );
            }
            assert_eq!(
                f.as_ref().ok().map(|x| x.to_bits()),
                t.parse::<f64>().ok().map(f64::to_bits),
                "{what} to float"
            );
            assert_eq!(s.as_deref().ok(), Some(&**text));
        }
        Value::Host(_) => unreachable!(),
    }

    // The typed reads of the Rust API narrow without wrapping.
    macro_rules! narrow {
        ($($t:ty),*) => {$(
            match <$t as Param>::convert(value) {
                Ok(n) => assert_eq!(Ok(n as i64), i.clone().map_err(|_| ()), "{} as {}", what, stringify!($t)),
                Err(_) => assert!(i.as_ref().map_or(true, |&w| <$t>::try_from(w).is_err()), "{} as {}", what, stringify!($t)),
            }
        )*};
    }
    narrow!(i32, i16, i8, u32, u16, u8);
    match <u64 as Param>::convert(value) {
        Ok(n) => assert_eq!(i.as_ref().ok().map(|&w| w as u64), Some(n)),
        Err(_) => assert!(i.as_ref().map_or(true, |&w| w < 0)),
    }
    match <f32 as Param>::convert(value) {
        Ok(x) => {
            let wide = *f.as_ref().unwrap();
            assert!(same_f64(x as f64, wide as f32 as f64));
            assert!(
                x.is_finite() || !wide.is_finite(),
                "{what} as f32 overflowed"
            );
        }
        Err(_) => assert!(f
            .as_ref()
            .map_or(true, |w| w.is_finite() && (*w as f32).is_infinite())),
    }

    // The C ABI's hp_convert applies the same rules.
    let text_storage;
    let mut given = zero_value();
    match value {
        Value::Null => {}
        Value::Bool(x) => (given.kind, given.boolean) = (HP_KIND_BOOL, *x),
        Value::Int(n) => (given.kind, given.integer) = (HP_KIND_INT, *n),
        Value::Float(x) => (given.kind, given.number) = (HP_KIND_FLOAT, *x),
        Value::Str(t) => {
            text_storage = t.to_string();
            given.kind = HP_KIND_STR;
            given.string = hp_string {
                ptr: text_storage.as_ptr() as *mut c_char,
                len: text_storage.len(),
            };
        }
        Value::Host(_) => unreachable!(),
    }
    let expected: [(i32, Result<Value, ()>); 5] = [
        (HP_KIND_BOOL, b.map(Value::Bool).map_err(drop)),
        (HP_KIND_INT, i.map(Value::Int).map_err(drop)),
        (HP_KIND_FLOAT, f.map(Value::Float).map_err(drop)),
        (HP_KIND_STR, s.map(|t| Value::Str(t.into())).map_err(drop)),
        (HP_KIND_HOST, Err(())),
    ];
    for (kind, want) in expected {
        let mut out = zero_value();
        // SAFETY: `given` is initialised, its string borrowed from `text_storage`.
        let status = unsafe { hp_convert(&given, kind, &mut out) };
        match want {
            Ok(v) => {
                assert_eq!(status, HP_OK, "hp_convert({what}, {kind})");
                check_value_out(&out, &MValue::of(&v), &what);
            }
            Err(()) if kind == HP_KIND_HOST => assert_eq!(status, HP_INVALID_ARGUMENT),
            Err(()) => assert_eq!(status, HP_TYPE_MISMATCH, "hp_convert({what}, {kind})"),
        }
        // SAFETY: filled by the library, or untouched zeroes.
        unsafe { hp_value_clear(&mut out) };
    }
}

// =============================================================================================
// Target `abi_sequences`: operation sequences through the C ABI against a model of scopes.

/// A model value; host objects by their id, floats by their bits.
#[derive(Clone, Debug, PartialEq)]
pub enum MValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
    Host(usize),
}

impl MValue {
    pub fn of(value: &Value) -> MValue {
        match value {
            Value::Null => MValue::Null,
            Value::Bool(b) => MValue::Bool(*b),
            Value::Int(i) => MValue::Int(*i),
            Value::Float(x) => MValue::Float(x.to_bits()),
            Value::Str(s) => MValue::Str(s.to_string()),
            Value::Host(h) => MValue::Host(h.pointer() as usize),
        }
    }

    /// The engine value, for the conversion oracle (host objects convert to nothing).
    fn engine(&self) -> Option<Value> {
        Some(match self {
            MValue::Null => Value::Null,
            MValue::Bool(b) => Value::Bool(*b),
            MValue::Int(i) => Value::Int(*i),
            MValue::Float(x) => Value::Float(f64::from_bits(*x)),
            MValue::Str(s) => Value::Str(s.as_str().into()),
            MValue::Host(_) => return None,
        })
    }
}

#[derive(Clone, Debug)]
struct MEntry {
    value: MValue,
    source: Option<String>,
}

struct MNode {
    parent: Option<usize>,
    reads_baseline: bool,
    entries: BTreeMap<String, MEntry>,
    generation: u64,
    /// The tag writes to it are reported under (0: not watched).
    watch: u64,
}

/// The model: every scope node ever made in this run, the thread's root, base and stack, and
/// the baseline.
struct Model {
    nodes: Vec<MNode>,
    root: usize,
    base: Option<usize>,
    stack: Vec<usize>,
    baseline: BTreeMap<String, MEntry>,
}

impl Model {
    fn node(&mut self, parent: Option<usize>, reads_baseline: bool) -> usize {
        self.nodes.push(MNode {
            parent,
            reads_baseline,
            entries: BTreeMap::new(),
            generation: 0,
            watch: 0,
        });
        self.nodes.len() - 1
    }

    fn current(&self) -> usize {
        self.stack
            .last()
            .copied()
            .or(self.base)
            .unwrap_or(self.root)
    }

    fn lookup(&self, node: usize, key: &str) -> Option<&MEntry> {
        let mut id = node;
        loop {
            if let Some(entry) = self.nodes[id].entries.get(key) {
                return Some(entry);
            }
            match self.nodes[id].parent {
                Some(parent) => id = parent,
                None => break,
            }
        }
        if self.nodes[id].reads_baseline {
            self.baseline.get(key)
        } else {
            None
        }
    }

    fn visible(&self, node: usize) -> BTreeMap<String, MEntry> {
        let mut chain = vec![node];
        while let Some(parent) = self.nodes[chain[chain.len() - 1]].parent {
            chain.push(parent);
        }
        let mut flat = if self.nodes[chain[chain.len() - 1]].reads_baseline {
            self.baseline.clone()
        } else {
            BTreeMap::new()
        };
        for id in chain.iter().rev() {
            flat.extend(self.nodes[*id].entries.clone());
        }
        flat
    }
}

/// Host objects made by the ABI run: how often each was released (index = pointer value).
static RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// What the write hook reported since it was last asked: (tag, key; None for a clear).
static HEARD: Mutex<Vec<(u64, Option<String>)>> = Mutex::new(Vec::new());

unsafe extern "C-unwind" fn heard_write(tag: u64, key: *const c_char, key_len: usize) {
    let key = (!key.is_null()).then(|| {
        // SAFETY: the library passes `key_len` readable bytes of UTF-8 for a non-NULL key.
        let bytes = unsafe { std::slice::from_raw_parts(key.cast::<u8>(), key_len) };
        String::from_utf8(bytes.to_vec()).expect("a reported key is UTF-8")
    });
    HEARD
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((tag, key));
}

/// Check the write hook reported exactly one write to `node` (if it is watched) or nothing.
fn check_heard(model: &Model, node: Option<usize>, key: Option<&str>, ctx: &str) {
    let heard = std::mem::take(&mut *HEARD.lock().unwrap_or_else(|e| e.into_inner()));
    let expected: Vec<(u64, Option<String>)> = node
        .map(|n| model.nodes[n].watch)
        .filter(|&tag| tag != 0)
        .map(|tag| (tag, key.map(str::to_owned)))
        .into_iter()
        .collect();
    assert_eq!(heard, expected, "{ctx}: write hook");
}

unsafe extern "C-unwind" fn release_host(object: *mut c_void) {
    let mut released = RELEASED.lock().unwrap_or_else(|e| e.into_inner());
    let id = object as usize;
    if id < released.len() {
        released[id] += 1;
    } else {
        // Not ours: remember as an overflow so the check fails loudly.
        released.push(u32::MAX);
    }
}

fn released(id: usize) -> u32 {
    RELEASED.lock().unwrap_or_else(|e| e.into_inner())[id]
}

/// A text argument: real bytes, or a NULL pointer with some length.
#[derive(Clone, Debug)]
enum Arg {
    Null(usize),
    Bytes(Vec<u8>),
}

impl Arg {
    fn ptr_len(&self) -> (*const c_char, usize) {
        match self {
            Arg::Null(len) => (ptr::null(), *len),
            Arg::Bytes(b) => (b.as_ptr().cast(), b.len()),
        }
    }

    /// The text as the ABI sees it: NULL and invalid UTF-8 are their status codes.
    fn text(&self) -> Result<&str, i32> {
        match self {
            Arg::Null(_) => Err(HP_NULL_POINTER),
            Arg::Bytes(b) => std::str::from_utf8(b).map_err(|_| HP_INVALID_UTF8),
        }
    }
}

const VALID_KEYS: [&str; 10] = [
    "a",
    "b",
    "a.b",
    "a.b.c",
    "A",
    "train.lr",
    "x_1",
    "x-1",
    "模型.学习率",
    "a.B",
];
const INVALID_KEYS: [&str; 8] = ["", "a..b", ".a", "a.", "a b", "a=b", "\n", "a\0b"];

fn key_arg(input: &mut Input) -> Arg {
    let choice = input.byte();
    match choice % 16 {
        0..=9 => Arg::Bytes(input.pick(&VALID_KEYS).into()),
        10 => Arg::Bytes(input.pick(&INVALID_KEYS).into()),
        11 => Arg::Bytes(input.bytes(12).to_vec()),
        12 => Arg::Null(input.byte() as usize % 4),
        13 => Arg::Bytes(vec![b'a', 0xff, b'b']),
        14 => Arg::Bytes(vec![b'k'; 1024 + (choice as usize / 16) % 2]),
        _ => Arg::Bytes(format!("{}.{}", input.pick(&VALID_KEYS), input.pick(&VALID_KEYS)).into()),
    }
}

fn text_arg(input: &mut Input) -> Arg {
    match input.byte() % 8 {
        0 => Arg::Null(input.byte() as usize % 4),
        1 => Arg::Bytes(vec![0xc3, 0x28]),
        2 => Arg::Bytes(input.bytes(16).to_vec()),
        _ => Arg::Bytes(input.text().into_bytes()),
    }
}

fn definition_arg(input: &mut Input) -> Arg {
    match input.byte() % 6 {
        0 => Arg::Null(input.byte() as usize % 4),
        1 => Arg::Bytes(input.bytes(24).to_vec()),
        2 => {
            // no '='
            let key = key_arg(input);
            Arg::Bytes(key.text().unwrap_or("k").as_bytes().to_vec())
        }
        _ => {
            let key = match key_arg(input) {
                Arg::Bytes(b) => b,
                Arg::Null(_) => b" a.b ".to_vec(),
            };
            let mut def = key;
            def.push(b'=');
            def.extend(input.text().into_bytes());
            Arg::Bytes(def)
        }
    }
}

/// The live handles of a run, with the model node each names.
struct Handles {
    live: Vec<(*mut hp_scope, usize)>,
}

const MAX_HANDLES: usize = 24;

impl Handles {
    /// A handle argument: NULL, or one of the live handles.
    fn pick(&self, input: &mut Input) -> Option<(*mut hp_scope, usize)> {
        let b = input.byte() as usize;
        if self.live.is_empty() || b % (self.live.len() + 1) == self.live.len() {
            None
        } else {
            Some(self.live[b % (self.live.len() + 1)])
        }
    }

    fn add(&mut self, handle: *mut hp_scope, node: usize) {
        assert!(!handle.is_null(), "a scope constructor returned NULL");
        self.live.push((handle, node));
    }
}

fn zero_value() -> hp_value {
    hp_value {
        kind: HP_KIND_NULL,
        boolean: false,
        integer: 0,
        number: 0.0,
        string: hp_string {
            ptr: ptr::null_mut(),
            len: 0,
        },
        host: ptr::null_mut(),
    }
}

/// The text of an `hp_string` the library returned (NULL pointer: empty).
fn string_text(s: &hp_string) -> String {
    if s.ptr.is_null() {
        assert_eq!(s.len, 0, "NULL hp_string with a length");
        return String::new();
    }
    // SAFETY: the library made it: `len` bytes plus a NUL.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr.cast::<u8>(), s.len + 1) };
    assert_eq!(bytes[s.len], 0, "hp_string without its NUL");
    String::from_utf8(bytes[..s.len].to_vec()).expect("hp_string is UTF-8")
}

fn check_value_out(out: &hp_value, want: &MValue, what: &str) {
    match want {
        MValue::Null => assert_eq!(out.kind, HP_KIND_NULL, "{what}"),
        MValue::Bool(b) => assert_eq!((out.kind, out.boolean), (HP_KIND_BOOL, *b), "{what}"),
        MValue::Int(i) => assert_eq!((out.kind, out.integer), (HP_KIND_INT, *i), "{what}"),
        MValue::Float(x) => assert_eq!(
            (out.kind, out.number.to_bits()),
            (HP_KIND_FLOAT, *x),
            "{what}"
        ),
        MValue::Str(s) => {
            assert_eq!(out.kind, HP_KIND_STR, "{what}");
            assert_eq!(&string_text(&out.string), s, "{what}");
        }
        MValue::Host(id) => {
            assert_eq!((out.kind, out.host as usize), (HP_KIND_HOST, *id), "{what}");
            assert_eq!(
                released(*id),
                0,
                "{what}: a host object read after its release"
            );
        }
    }
}

fn get_source(scope: *const hp_scope, key: &str) -> Result<String, i32> {
    let mut out = hp_string {
        ptr: ptr::null_mut(),
        len: 0,
    };
    // SAFETY: the caller passes NULL or a live handle; the key is readable.
    let status = unsafe { hp_get_source(scope, key.as_ptr().cast(), key.len(), &mut out) };
    if status != HP_OK {
        return Err(status);
    }
    let text = string_text(&out);
    // SAFETY: made by the library, freed once.
    unsafe { hp_string_free(out) };
    Ok(text)
}

fn status_code(err: &Error) -> i32 {
    hyperparameter::ffi::status_of(err)
}

fn with_empty_scope(f: impl FnOnce(*mut hp_scope)) {
    let scope = hp_scope_new_empty();
    assert!(!scope.is_null());
    f(scope);
    // SAFETY: made above, freed once.
    unsafe { hp_scope_free(scope) };
}

/// The expected status of a key argument up to validation, and the key text.
fn key_status(key: &Arg) -> Result<&str, i32> {
    let text = key.text()?;
    match model_key_error(text) {
        Some(_) => Err(HP_INVALID_KEY),
        None => Ok(text),
    }
}

/// What a typed read of `value` gives, by the engine's rules, as a model value.
fn convert_as(value: &MValue, kind: u8) -> Result<MValue, i32> {
    let engine = value.engine().ok_or(HP_TYPE_MISMATCH)?;
    let converted = match kind {
        0 => to_bool(&engine).map(Value::Bool),
        1 => to_i64(&engine).map(Value::Int),
        2 => to_f64(&engine).map(Value::Float),
        _ => to_str(&engine).map(|s| Value::Str(s.into())),
    };
    converted
        .map(|v| MValue::of(&v))
        .map_err(|_| HP_TYPE_MISMATCH)
}

/// Bring this thread and the baseline back to a clean state: nothing entered or activated,
/// the thread root empty, an empty baseline (and no cached copy of the old one).
pub fn reset_engine() {
    while hp_scope_depth() > 0 {
        let top = hp_scope_current();
        // SAFETY: a fresh handle to the innermost scope, freed once.
        unsafe {
            assert_eq!(hp_scope_exit(top), HP_OK, "exit the innermost scope");
            hp_scope_free(top);
        }
    }
    // SAFETY: NULL is allowed; the root handle is fresh and freed once.
    unsafe {
        hp_scope_activate(ptr::null());
        let root = hp_scope_thread_root();
        assert_eq!(hp_scope_watch(root, 0), HP_OK);
        hp_scope_free(root);
        assert_eq!(hp_scope_clear(ptr::null()), HP_OK);
    }
    let empty = hp_scope_new_empty();
    // SAFETY: a live handle, exited and freed once.
    unsafe {
        assert_eq!(hp_scope_enter(empty), HP_OK);
        assert_eq!(hp_frozen(), HP_OK);
        assert_eq!(hp_scope_exit(empty), HP_OK);
        hp_scope_free(empty);
    }
    // A read through the root refreshes this thread's copy of the baseline, dropping the old.
    let mut out = hp_string {
        ptr: ptr::null_mut(),
        len: 0,
    };
    // SAFETY: writable out; the result is freed once.
    unsafe {
        assert_eq!(hp_keys(ptr::null(), &mut out), HP_OK);
        assert_eq!(string_text(&out), "", "after a reset, nothing is visible");
        hp_string_free(out);
    }
}

pub fn abi_sequences(data: &[u8]) {
    reset_engine();
    let live_before = hp_live_host_objects();
    assert_eq!(live_before, 0, "host objects left over from before");
    RELEASED.lock().unwrap_or_else(|e| e.into_inner()).clear();
    RELEASED.lock().unwrap_or_else(|e| e.into_inner()).push(0); // id 0 is NULL: never used
    HEARD.lock().unwrap_or_else(|e| e.into_inner()).clear();
    hp_host_write_register(Some(heard_write));

    let root_handle = hp_scope_thread_root();
    // SAFETY: a live handle.
    let root_generation = unsafe { *hp_scope_generation(root_handle) };
    // SAFETY: made above, freed once.
    unsafe { hp_scope_free(root_handle) };

    let mut model = Model {
        nodes: Vec::new(),
        root: 0,
        base: None,
        stack: Vec::new(),
        baseline: BTreeMap::new(),
    };
    model.root = model.node(None, true);
    model.nodes[0].generation = root_generation;
    let mut handles = Handles { live: Vec::new() };
    let mut stored_hosts: Vec<usize> = Vec::new();

    let mut input = Input::new(data);
    let mut step = 0;
    while !input.is_empty() {
        step += 1;
        run_op(
            &mut input,
            &mut model,
            &mut handles,
            &mut stored_hosts,
            step,
        );
        assert_eq!(hp_scope_depth(), model.stack.len(), "step {step}: depth");
    }

    // Tear down: every handle freed, every scope exited, the baseline emptied. Then every
    // host object that was stored must have been released exactly once, the others never.
    for (handle, _) in handles.live.drain(..) {
        // SAFETY: live, freed once.
        unsafe { hp_scope_free(handle) };
    }
    reset_engine();
    assert_eq!(hp_live_host_objects(), 0, "host objects leaked");
    let counts = RELEASED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (id, &count) in counts.iter().enumerate().skip(1) {
        let expected = u32::from(stored_hosts.contains(&id));
        assert_eq!(count, expected, "host object {id} released {count} times");
    }
}

fn run_op(
    input: &mut Input,
    model: &mut Model,
    handles: &mut Handles,
    stored_hosts: &mut Vec<usize>,
    step: usize,
) {
    let op = input.byte() % 23;
    let ctx = format!("step {step}, op {op}");
    let ptr_of = |sel: Option<(*mut hp_scope, usize)>| sel.map_or(ptr::null_mut(), |s| s.0);
    match op {
        // Scope constructors.
        0..=5 => {
            if handles.live.len() >= MAX_HANDLES {
                let (handle, _) = handles.live.remove(0);
                // SAFETY: live, freed once.
                unsafe { hp_scope_free(handle) };
            }
            match op {
                0 => {
                    let node = model.node(Some(model.current()), false);
                    handles.add(hp_scope_push(), node);
                    model.stack.push(node);
                }
                1 => {
                    let parent = handles.pick(input);
                    let parent_node = parent.map_or(model.current(), |p| p.1);
                    let node = model.node(Some(parent_node), false);
                    // SAFETY: NULL or live.
                    handles.add(unsafe { hp_scope_new(ptr_of(parent)) }, node);
                }
                2 => {
                    let node = model.node(None, false);
                    handles.add(hp_scope_new_empty(), node);
                }
                3 => {
                    let node = model.node(None, true);
                    handles.add(hp_scope_new_root(), node);
                }
                4 => handles.add(hp_scope_current(), model.current()),
                _ => handles.add(hp_scope_thread_root(), model.root),
            }
        }
        6 => {
            let sel = handles.pick(input);
            // SAFETY: NULL or live.
            let status = unsafe { hp_scope_enter(ptr_of(sel)) };
            match sel {
                None => assert_eq!(status, HP_NULL_POINTER, "{ctx}"),
                Some((_, node)) => {
                    assert_eq!(status, HP_OK, "{ctx}");
                    model.stack.push(node);
                }
            }
        }
        7 => {
            let sel = handles.pick(input);
            // SAFETY: NULL or live.
            let status = unsafe { hp_scope_exit(ptr_of(sel)) };
            match sel {
                None => assert_eq!(status, HP_NULL_POINTER, "{ctx}"),
                Some((_, node)) if model.stack.last() == Some(&node) => {
                    assert_eq!(status, HP_OK, "{ctx}: exit");
                    model.stack.pop();
                }
                Some(_) => assert_eq!(status, HP_SCOPE_ORDER, "{ctx}: exit out of order"),
            }
        }
        8 => {
            if !handles.live.is_empty() {
                let index = input.byte() as usize % handles.live.len();
                let (handle, _) = handles.live.remove(index);
                // SAFETY: live, freed once.
                unsafe { hp_scope_free(handle) };
            }
        }
        9 => {
            let sel = handles.pick(input);
            // SAFETY: NULL or live.
            unsafe { hp_scope_activate(ptr_of(sel)) };
            model.base = sel.map(|s| s.1);
        }
        10 => op_set(input, model, handles, stored_hosts, &ctx),
        11 => {
            let sel = handles.pick(input);
            let def = definition_arg(input);
            let (p, len) = def.ptr_len();
            // SAFETY: NULL or live; `len` readable bytes or NULL.
            let status = unsafe { hp_set_parsed(ptr_of(sel), p, len) };
            let expected = def
                .text()
                .and_then(|text| parse_definition(text).map_err(|e| status_code(&e)));
            match expected {
                Err(code) => {
                    assert_eq!(status, code, "{ctx}: hp_set_parsed({def:?})");
                    check_heard(model, None, None, &ctx);
                }
                Ok((key, value)) => {
                    assert_eq!(status, HP_OK, "{ctx}: hp_set_parsed({def:?})");
                    let node = sel.map_or(model.current(), |s| s.1);
                    check_heard(model, Some(node), Some(&key), &ctx);
                    let entry = MEntry {
                        value: MValue::of(&value),
                        source: Some("key=value".into()),
                    };
                    model.nodes[node].entries.insert(key, entry);
                    model.nodes[node].generation += 1;
                }
            }
        }
        12 => {
            let sel = handles.pick(input);
            let key = key_arg(input);
            let source = text_arg(input);
            let ((kp, kl), (sp, sl)) = (key.ptr_len(), source.ptr_len());
            // SAFETY: NULL or live; readable bytes or NULL.
            let status = unsafe { hp_set_source(ptr_of(sel), kp, kl, sp, sl) };
            let node = sel.map_or(model.current(), |s| s.1);
            let expected = key
                .text()
                .and_then(|_| source.text())
                .and_then(|source| key_status(&key).map(|k| (k, source)));
            match expected {
                Err(code) => {
                    assert_eq!(status, code, "{ctx}: hp_set_source");
                    check_heard(model, None, None, &ctx);
                }
                Ok((k, source)) => match model.nodes[node].entries.get_mut(k) {
                    Some(entry) => {
                        assert_eq!(status, HP_OK, "{ctx}: hp_set_source");
                        entry.source = Some(source.to_owned());
                        check_heard(model, Some(node), Some(k), &ctx);
                    }
                    None => {
                        assert_eq!(status, HP_NOT_FOUND, "{ctx}: hp_set_source {k}");
                        check_heard(model, None, None, &ctx);
                    }
                },
            }
        }
        13 => op_get(input, model, handles, &ctx),
        14 => op_get_by_hash(input, model, &ctx),
        15 => {
            let key = key_arg(input);
            let hash = match key.text() {
                Ok(_) | Err(HP_INVALID_UTF8) => match &key {
                    Arg::Bytes(b) => reference_xxh64(b, 42),
                    Arg::Null(_) => unreachable!(),
                },
                Err(_) => input.u64(),
            };
            let found = key
                .text()
                .ok()
                .and_then(|k| model.lookup(model.current(), k))
                .map(|e| e.value.clone());
            let kind = input.byte() % 3;
            let want = found.and_then(|v| convert_as(&v, kind).ok());
            match kind {
                0 => {
                    let default = input.byte() & 1 == 1;
                    let got = hp_get_bool_or(hash, default);
                    let expected = want.map_or(default, |v| v == MValue::Bool(true));
                    assert_eq!(got, expected, "{ctx}: hp_get_bool_or({key:?})");
                }
                1 => {
                    let default = input.int();
                    let got = hp_get_i64_or(hash, default);
                    let expected = match want {
                        Some(MValue::Int(i)) => i,
                        _ => default,
                    };
                    assert_eq!(got, expected, "{ctx}: hp_get_i64_or({key:?})");
                }
                _ => {
                    let default = input.float();
                    let got = hp_get_f64_or(hash, default);
                    let expected = match want {
                        Some(MValue::Float(x)) => f64::from_bits(x),
                        _ => default,
                    };
                    assert!(
                        same_f64(got, expected),
                        "{ctx}: hp_get_f64_or({key:?}) = {got:?}, model {expected:?}"
                    );
                }
            }
        }
        16 => {
            let sel = handles.pick(input);
            let null_out = input.byte() % 8 == 0;
            let mut out = hp_string {
                ptr: ptr::null_mut(),
                len: 0,
            };
            let out_ptr: *mut hp_string = if null_out { ptr::null_mut() } else { &mut out };
            // SAFETY: NULL or live; NULL or writable.
            let status = unsafe { hp_keys(ptr_of(sel), out_ptr) };
            if null_out {
                assert_eq!(status, HP_NULL_POINTER, "{ctx}: hp_keys to NULL");
            } else {
                assert_eq!(status, HP_OK, "{ctx}: hp_keys");
                let node = sel.map_or(model.current(), |s| s.1);
                let expected: Vec<String> = model.visible(node).into_keys().collect();
                assert_eq!(string_text(&out), expected.join("\n"), "{ctx}: hp_keys");
                // SAFETY: made by the library, freed once.
                unsafe { hp_string_free(out) };
            }
        }
        17 => {
            assert_eq!(hp_frozen(), HP_OK, "{ctx}: hp_frozen");
            model.baseline = model.visible(model.current());
        }
        18 => {
            let sel = handles.pick(input);
            // SAFETY: NULL or live.
            let status = unsafe { hp_scope_clear(ptr_of(sel)) };
            assert_eq!(status, HP_OK, "{ctx}: hp_scope_clear");
            let node = sel.map_or(model.current(), |s| s.1);
            check_heard(model, Some(node), None, &ctx);
            model.nodes[node].entries.clear();
            model.nodes[node].generation += 1;
        }
        19 => {
            let sel = handles.pick(input);
            // SAFETY: NULL or live.
            let counter = unsafe { hp_scope_generation(ptr_of(sel)) };
            match sel {
                None => assert!(counter.is_null(), "{ctx}: generation of NULL"),
                Some((_, node)) => {
                    // SAFETY: valid while the handle lives.
                    let got = unsafe { *counter };
                    assert_eq!(got, model.nodes[node].generation, "{ctx}: generation");
                }
            }
        }
        20 => {
            // Another thread: it cannot exit our scopes, and sees the baseline, not our scopes.
            let sel = handles.pick(input).map(|s| s.0 as usize);
            let key = input.pick(&VALID_KEYS);
            let expected = model.baseline.get(key).map(|e| e.value.clone());
            let (exit_status, read) = std::thread::spawn(move || {
                // SAFETY: the handle stays live until the thread is joined.
                let exit_status = sel.map(|h| unsafe { hp_scope_exit(h as *const hp_scope) });
                let mut out = zero_value();
                // SAFETY: readable key, writable out.
                let status =
                    unsafe { hp_get(ptr::null(), key.as_ptr().cast(), key.len(), &mut out) };
                let read = (status == HP_OK).then(|| {
                    let value = match out.kind {
                        HP_KIND_NULL => MValue::Null,
                        HP_KIND_BOOL => MValue::Bool(out.boolean),
                        HP_KIND_INT => MValue::Int(out.integer),
                        HP_KIND_FLOAT => MValue::Float(out.number.to_bits()),
                        HP_KIND_STR => MValue::Str(string_text(&out.string)),
                        _ => MValue::Host(out.host as usize),
                    };
                    // SAFETY: filled by the library.
                    unsafe { hp_value_clear(&mut out) };
                    value
                });
                assert!(status == HP_OK || status == HP_NOT_FOUND, "status {status}");
                (exit_status, read)
            })
            .join()
            .expect("the other thread panicked");
            if let Some(status) = exit_status {
                assert_eq!(status, HP_SCOPE_ORDER, "{ctx}: exit on another thread");
            }
            assert_eq!(read, expected, "{ctx}: another thread reads {key}");
        }
        21 => {
            // Watch a scope (tag 0 stops): later writes to it on this thread are reported.
            let sel = handles.pick(input);
            let tag = u64::from(input.byte() % 4);
            // SAFETY: NULL or live.
            let status = unsafe { hp_scope_watch(ptr_of(sel), tag) };
            match sel {
                None => assert_eq!(status, HP_NULL_POINTER, "{ctx}: watch NULL"),
                Some((_, node)) => {
                    assert_eq!(status, HP_OK, "{ctx}: watch");
                    model.nodes[node].watch = tag;
                }
            }
        }
        _ => {
            assert_eq!(hp_scope_depth(), model.stack.len(), "{ctx}: depth");
        }
    }
}

fn op_set(
    input: &mut Input,
    model: &mut Model,
    handles: &mut Handles,
    stored_hosts: &mut Vec<usize>,
    ctx: &str,
) {
    let sel = handles.pick(input);
    let scope = sel.map_or(ptr::null_mut(), |s| s.0);
    let key = key_arg(input);
    let (kp, kl) = key.ptr_len();
    let kind = input.byte() % 6;
    let (status, value, value_status) = match kind {
        0 => {
            // SAFETY: NULL or live; readable bytes or NULL.
            let status = unsafe { hp_set_null(scope, kp, kl) };
            (status, MValue::Null, Ok(()))
        }
        1 => {
            let b = input.byte() & 1 == 1;
            // SAFETY: as above.
            (
                unsafe { hp_set_bool(scope, kp, kl, b) },
                MValue::Bool(b),
                Ok(()),
            )
        }
        2 => {
            let i = input.int();
            // SAFETY: as above.
            (
                unsafe { hp_set_i64(scope, kp, kl, i) },
                MValue::Int(i),
                Ok(()),
            )
        }
        3 => {
            let x = input.float();
            // SAFETY: as above.
            let status = unsafe { hp_set_f64(scope, kp, kl, x) };
            (status, MValue::Float(x.to_bits()), Ok(()))
        }
        4 => {
            let text = text_arg(input);
            let (vp, vl) = text.ptr_len();
            // SAFETY: as above.
            let status = unsafe { hp_set_str(scope, kp, kl, vp, vl) };
            let value = MValue::Str(text.text().unwrap_or_default().to_owned());
            (status, value, text.text().map(drop))
        }
        _ => {
            let id = {
                let mut released = RELEASED.lock().unwrap_or_else(|e| e.into_inner());
                released.push(0);
                released.len() - 1
            };
            // SAFETY: as above; the release callback may run on any thread.
            let status =
                unsafe { hp_set_host(scope, kp, kl, id as *mut c_void, Some(release_host)) };
            if status == HP_OK {
                stored_hosts.push(id);
            }
            (status, MValue::Host(id), Ok(()))
        }
    };
    let expected = key.text().and(value_status).and_then(|()| key_status(&key));
    match expected {
        Err(code) => {
            assert_eq!(status, code, "{ctx}: set {key:?} kind {kind}");
            check_heard(model, None, None, ctx);
        }
        Ok(k) => {
            assert_eq!(status, HP_OK, "{ctx}: set {key:?} kind {kind}");
            let node = sel.map_or(model.current(), |s| s.1);
            check_heard(model, Some(node), Some(k), ctx);
            let entry = MEntry {
                value,
                source: None,
            };
            model.nodes[node].entries.insert(k.to_owned(), entry);
            model.nodes[node].generation += 1;
        }
    }
}

fn op_get(input: &mut Input, model: &Model, handles: &Handles, ctx: &str) {
    let sel = handles.pick(input);
    let scope = sel.map_or(ptr::null_mut(), |s| s.0);
    let key = key_arg(input);
    let (kp, kl) = key.ptr_len();
    let kind = input.byte() % 6;
    let null_out = input.byte() % 8 == 0;
    let node = sel.map_or(model.current(), |s| s.1);
    // The expected outcome, up to the conversion.
    let found = key_status(&key).and_then(|k| model.lookup(node, k).ok_or(HP_NOT_FOUND));
    let what = format!("{ctx}: get kind {kind} of {key:?}");
    macro_rules! typed {
        ($f:ident, $t:ty, $init:expr, $conv:literal, $check:expr) => {{
            let mut out: $t = $init;
            let out_ptr: *mut $t = if null_out { ptr::null_mut() } else { &mut out };
            // SAFETY: NULL or live; readable bytes or NULL; NULL or writable.
            let status = unsafe { $f(scope, kp, kl, out_ptr) };
            let expected = found.and_then(|e| convert_as(&e.value, $conv));
            match expected {
                Err(code) => assert_eq!(status, code, "{what}"),
                Ok(_) if null_out => assert_eq!(status, HP_NULL_POINTER, "{what}"),
                Ok(want) => {
                    assert_eq!(status, HP_OK, "{what}");
                    #[allow(clippy::redundant_closure_call)]
                    ($check)(&mut out, want);
                }
            }
        }};
    }
    match kind {
        0 => typed!(
            hp_get_bool,
            bool,
            false,
            0,
            |out: &mut bool, want| assert_eq!(MValue::Bool(*out), want, "{what}")
        ),
        1 => typed!(hp_get_i64, i64, 0, 1, |out: &mut i64, want| assert_eq!(
            MValue::Int(*out),
            want,
            "{what}"
        )),
        2 => typed!(hp_get_f64, f64, 0.0, 2, |out: &mut f64, want| assert_eq!(
            MValue::Float(out.to_bits()),
            want,
            "{what}"
        )),
        3 => typed!(
            hp_get_str,
            hp_string,
            hp_string {
                ptr: ptr::null_mut(),
                len: 0
            },
            3,
            |out: &mut hp_string, want| {
                assert_eq!(MValue::Str(string_text(out)), want, "{what}");
                // SAFETY: made by the library, freed once.
                unsafe {
                    hp_string_free(std::mem::replace(
                        out,
                        hp_string {
                            ptr: ptr::null_mut(),
                            len: 0,
                        },
                    ))
                };
            }
        ),
        4 => {
            let mut out = zero_value();
            let out_ptr: *mut hp_value = if null_out { ptr::null_mut() } else { &mut out };
            // SAFETY: as above.
            let status = unsafe { hp_get(scope, kp, kl, out_ptr) };
            match found {
                Err(code) => assert_eq!(status, code, "{what}"),
                Ok(_) if null_out => assert_eq!(status, HP_NULL_POINTER, "{what}"),
                Ok(entry) => {
                    assert_eq!(status, HP_OK, "{what}");
                    check_value_out(&out, &entry.value, &what);
                    // SAFETY: filled by the library.
                    unsafe { hp_value_clear(&mut out) };
                }
            }
        }
        _ => {
            let mut out = hp_string {
                ptr: ptr::null_mut(),
                len: 0,
            };
            let out_ptr: *mut hp_string = if null_out { ptr::null_mut() } else { &mut out };
            // SAFETY: as above.
            let status = unsafe { hp_get_source(scope, kp, kl, out_ptr) };
            match found {
                Err(code) => assert_eq!(status, code, "{what}"),
                Ok(_) if null_out => assert_eq!(status, HP_NULL_POINTER, "{what}"),
                Ok(entry) => {
                    assert_eq!(status, HP_OK, "{what}");
                    let source = entry.source.clone().unwrap_or_default();
                    assert_eq!(string_text(&out), source, "{what}");
                    // SAFETY: made by the library, freed once.
                    unsafe { hp_string_free(out) };
                }
            }
        }
    }
}

fn op_get_by_hash(input: &mut Input, model: &Model, ctx: &str) {
    let key = key_arg(input);
    let hash = match &key {
        Arg::Bytes(b) => reference_xxh64(b, 42),
        Arg::Null(_) => input.u64(),
    };
    let kind = input.byte() % 4;
    let null_out = input.byte() % 8 == 0;
    // By hash the key text is not checked: an invalid key is simply never set.
    let found = key
        .text()
        .ok()
        .and_then(|k| model.lookup(model.current(), k))
        .ok_or(HP_NOT_FOUND);
    let expected = found.and_then(|e| convert_as(&e.value, kind));
    let what = format!("{ctx}: by hash, kind {kind}, {key:?}");
    let check = |status: i32, got: Option<MValue>| match &expected {
        Err(code) => assert_eq!(status, *code, "{what}"),
        Ok(_) if null_out => assert_eq!(status, HP_NULL_POINTER, "{what}"),
        Ok(want) => {
            assert_eq!(status, HP_OK, "{what}");
            assert_eq!(got.as_ref(), Some(want), "{what}");
        }
    };
    // SAFETY (all four): `out` is NULL or writable.
    match kind {
        0 => {
            let mut out = false;
            let p: *mut bool = if null_out { ptr::null_mut() } else { &mut out };
            let status = unsafe { hp_get_bool_by_hash(hash, p) };
            check(status, Some(MValue::Bool(out)));
        }
        1 => {
            let mut out = 0i64;
            let p: *mut i64 = if null_out { ptr::null_mut() } else { &mut out };
            let status = unsafe { hp_get_i64_by_hash(hash, p) };
            check(status, Some(MValue::Int(out)));
        }
        2 => {
            let mut out = 0f64;
            let p: *mut f64 = if null_out { ptr::null_mut() } else { &mut out };
            let status = unsafe { hp_get_f64_by_hash(hash, p) };
            check(status, Some(MValue::Float(out.to_bits())));
        }
        _ => {
            let mut out = hp_string {
                ptr: ptr::null_mut(),
                len: 0,
            };
            let p: *mut hp_string = if null_out { ptr::null_mut() } else { &mut out };
            let status = unsafe { hp_get_str_by_hash(hash, p) };
            let text = (status == HP_OK).then(|| string_text(&out));
            check(status, text.map(MValue::Str));
            // SAFETY: made by the library (or zeroed), freed once.
            unsafe { hp_string_free(out) };
        }
    }
    // Reading by hash, the message of a miss names the hash.
    if expected == Err(HP_NOT_FOUND) {
        // SAFETY: a NUL-terminated string owned by the library.
        let message = unsafe { CStr::from_ptr(hp_last_error()) }.to_string_lossy();
        assert!(
            message.contains(&format!("{hash:016x}")),
            "{what}: {message}"
        );
    }
}
