//! The Rust face: typed reads with defaults, definitions from the command line, scope guards.

use std::cell::Cell;
use std::marker::PhantomData;

use crate::cache::{self, Cached};
use crate::convert::{parse_value, to_bool, to_f64, to_i64, to_str};
use crate::error::{Error, Result};
use crate::scope::{cached_of, read_current_value, value_of, Scope};
use crate::value::Value;

pub use crate::scope::frozen;

/// A Rust type a parameter can be read as; the default's type decides the conversion.
pub trait Param {
    /// What a read returns (`&str` defaults read as `String`).
    type Output;
    /// Convert a stored value by the engine's rule set.
    fn convert(value: &Value) -> Result<Self::Output>;
    /// The default, as an output.
    fn into_output(self) -> Self::Output;
}

macro_rules! param_via {
    ($conv:ident: $($t:ty),*) => {$(
        impl Param for $t {
            type Output = $t;
            fn convert(value: &Value) -> Result<$t> {
                let wide = $conv(value)?;
                // Out of the narrower type's range: name that type, not the rule set's "int".
                <$t>::try_from(wide).map_err(|_| Error::type_mismatch("", value, stringify!($t)))
            }
            fn into_output(self) -> $t {
                self
            }
        }
    )*};
}
param_via!(to_i64: i64, i32, i16, i8, u64, u32, u16, u8, usize, isize);
param_via!(to_bool: bool);
param_via!(to_str: String);

impl Param for f64 {
    type Output = f64;
    fn convert(value: &Value) -> Result<f64> {
        to_f64(value)
    }
    fn into_output(self) -> f64 {
        self
    }
}

impl Param for f32 {
    type Output = f32;
    fn convert(value: &Value) -> Result<f32> {
        let wide = to_f64(value)?;
        let narrow = wide as f32;
        // A finite value beyond f32's range would silently become infinity.
        if wide.is_finite() && narrow.is_infinite() {
            return Err(Error::type_mismatch("", value, "f32"));
        }
        Ok(narrow)
    }
    fn into_output(self) -> f32 {
        self
    }
}

impl Param for &str {
    type Output = String;
    fn convert(value: &Value) -> Result<String> {
        to_str(value)
    }
    fn into_output(self) -> String {
        self.to_owned()
    }
}

/// Read a parameter of the calling thread's current scope by its precomputed hash.
///
/// Returns `default` when the key is missing. A value that cannot convert to the default's
/// type is a bug in the configuration, never silently replaced: this panics with the key,
/// the value and the wanted type. Use [`Scope::get`] to handle that case yourself.
pub fn get_param<D: Param>(hash: u64, key: &str, default: D) -> D::Output {
    finish(read_current_value(hash), key, default)
}

fn finish<D: Param>(found: Option<Value>, key: &str, default: D) -> D::Output {
    match found.map(|value| D::convert(&value)) {
        None => default.into_output(),
        Some(Ok(value)) => value,
        Some(Err(err)) => panic!("{}", err.with_key(key)),
    }
}

/// One `get` of `with_params!` keeps its latest answer per thread here: valid while the
/// thread's read word (see `hp_read_word` in the C ABI) is the one taken before the answer was
/// read, so a repeated read of an unchanged scope costs a word check and a conversion.
#[doc(hidden)]
pub struct KeptAnswer {
    word: Cell<u64>,
    answer: Cell<Cached>,
}

impl KeptAnswer {
    /// Nothing kept yet (no read word is 0).
    #[allow(clippy::new_without_default)]
    pub const fn new() -> KeptAnswer {
        KeptAnswer {
            word: Cell::new(0),
            answer: Cell::new(Cached::Missing),
        }
    }
}

/// [`get_param`] through the answer `kept` at the call site (what `with_params!`'s `get` uses).
#[doc(hidden)]
#[inline]
pub fn get_param_kept<D: Param>(kept: &KeptAnswer, hash: u64, key: &str, default: D) -> D::Output {
    let word = cache::word();
    if kept.word.get() == word {
        return finish(value_of(kept.answer.get()), key, default);
    }
    let found = read_current_value(hash);
    if let Some(answer) = cached_of(found.as_ref()) {
        kept.answer.set(answer);
        kept.word.set(word);
    }
    finish(found, key, default)
}

/// Split a `key=value` definition (as given to `-D`) into a checked key and a parsed value.
///
/// ```
/// let (key, value) = hyperparameter::parse_definition("train.lr=5e-4").unwrap();
/// assert_eq!(key, "train.lr");
/// assert_eq!(hyperparameter::to_f64(&value).unwrap(), 5e-4);
/// assert!(hyperparameter::parse_definition("train.lr").is_err());
/// ```
pub fn parse_definition(text: &str) -> Result<(String, Value)> {
    let (key, value) = text.split_once('=').ok_or_else(|| {
        Error::InvalidArgument(format!(
            "definition {text:?} has no '=': expected key=value"
        ))
    })?;
    let key = key.trim();
    crate::scope::checked_hash(key)?;
    Ok((key.to_owned(), parse_value(value)))
}

/// A set of values to enter as one scope, such as the `-D key=value` list of a command line.
///
/// ```
/// use hyperparameter::*;
/// let define = vec!["example.a=1".to_string(), "example.b=two".to_string()];
/// with_params! {
///     params ParamScope::from(&define);
///     get a = example.a or 0i64;
///     get b = example.b or "one";
///     assert_eq!((a, b.as_str()), (1, "two"));
/// }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ParamScope {
    /// Key, value, and provenance label (`"-D"` for parsed definitions, none for code).
    entries: Vec<(String, Value, Option<&'static str>)>,
}

impl ParamScope {
    /// Parse `key=value` definitions, reporting the first bad one.
    pub fn parse<S: AsRef<str>>(definitions: &[S]) -> Result<ParamScope> {
        let entries = definitions
            .iter()
            .map(|d| parse_definition(d.as_ref()).map(|(key, value)| (key, value, Some("-D"))))
            .collect::<Result<_>>()?;
        Ok(ParamScope { entries })
    }

    /// Add one value (set from code: no provenance label).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ParamScope {
        self.entries.push((key.to_owned(), value.into(), None));
        self
    }

    /// Write every value into `scope`.
    pub fn apply_to(&self, scope: &Scope) -> Result<()> {
        self.entries
            .iter()
            .try_for_each(|(key, value, source)| scope.set_entry(key, value.clone(), *source))
    }

    /// Enter a new scope holding these values.
    pub fn enter(&self) -> Result<ScopeGuard> {
        let guard = ScopeGuard::enter_new();
        self.apply_to(guard.scope())?;
        Ok(guard)
    }
}

impl<S: AsRef<str>> From<&Vec<S>> for ParamScope {
    /// Parse `key=value` definitions; panics naming the bad definition (use
    /// [`ParamScope::parse`] to handle it instead).
    fn from(definitions: &Vec<S>) -> ParamScope {
        ParamScope::parse(definitions).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A scope entered for the guard's lifetime: a new child of the current scope on creation,
/// exited when dropped.
///
/// Not `Send`: a scope is entered on one thread's stack and must be exited there, so the guard
/// cannot move to another thread (or be held across an `.await` of a work-stealing runtime).
///
/// ```compile_fail
/// let guard = hyperparameter::ScopeGuard::enter_new();
/// std::thread::spawn(move || drop(guard));
/// ```
pub struct ScopeGuard {
    scope: Scope,
    _not_send: PhantomData<*const ()>,
}

impl ScopeGuard {
    /// Enter a new child of the calling thread's current scope.
    pub fn enter_new() -> ScopeGuard {
        let scope = Scope::child_of_current();
        scope.enter();
        ScopeGuard {
            scope,
            _not_send: PhantomData,
        }
    }

    /// The guarded scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Write a value into the guarded scope; panics on an invalid key.
    pub fn set(&self, key: &str, value: impl Into<Value>) {
        if let Err(err) = self.scope.set(key, value.into()) {
            panic!("{err}");
        }
    }

    /// Write all of a [`ParamScope`]'s values into the guarded scope; panics on a bad one.
    pub fn apply(&self, params: &ParamScope) {
        if let Err(err) = params.apply_to(&self.scope) {
            panic!("{err}");
        }
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        if let Err(err) = self.scope.exit() {
            // Guards exit in reverse order unless one was moved or leaked; say so, don't panic.
            eprintln!("hyperparameter: {err}");
        }
    }
}
