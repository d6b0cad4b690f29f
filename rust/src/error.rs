//! The one error type of the engine; every variant maps to one C status code.

use std::fmt;

use crate::key::KeyError;
use crate::value::Value;

/// Everything that can go wrong in the engine, with the details a message needs.
#[derive(Debug, Clone)]
pub enum Error {
    /// The key is not set in the scope or any scope it reads through.
    NotFound { key: String },
    /// The value exists but cannot be converted to the wanted type.
    TypeMismatch {
        key: String,
        value: String,
        wanted: &'static str,
    },
    /// The key breaks the character set.
    InvalidKey { key: String, reason: KeyError },
    /// Two different keys hash to the same value in one scope.
    KeyCollision { key: String, existing: String },
    /// A scope was exited out of order or on another thread; `open`: how many scopes were open
    /// on the thread (its native scopes, for [`ScopeOrderKind::HostScopeOpen`]).
    ScopeOrder { kind: ScopeOrderKind, open: usize },
    /// Any other bad argument (a malformed `key=value` string, say).
    InvalidArgument(String),
    /// A required pointer argument was NULL.
    NullPointer(&'static str),
    /// A text argument was not valid UTF-8.
    InvalidUtf8 { what: &'static str, detail: String },
    /// The host runtime could not bring the thread's scopes up to date (its reason).
    Host(String),
    /// Another copy of the engine is loaded in this process: this one refuses to work.
    OtherEngine { ours: String, other: String },
}

/// Why `Scope::exit` refused: the `kind` of [`Error::ScopeOrder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeOrderKind {
    /// The scope is open on this thread, but scopes entered after it are still open.
    OutOfOrder,
    /// Scopes are open on this thread, but not this one: exited twice, never entered, or
    /// entered on another thread.
    NotOpen,
    /// No scope is open on this thread at all.
    NoneOpen,
    /// A scope the host runtime (Python) entered inside it is still open on this thread.
    HostScopeOpen,
}

/// The engine's result. The error parameter defaults to [`Error`] but stays open, so code that
/// does `use hyperparameter::*;` (as the examples do) can still write `Result<T, E>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn type_mismatch(key: &str, value: &Value, wanted: &'static str) -> Self {
        Error::TypeMismatch {
            key: key.to_owned(),
            value: shown_value(value),
            wanted,
        }
    }

    /// Attach the key to a conversion error produced without one.
    pub(crate) fn with_key(self, key: &str) -> Self {
        match self {
            Error::TypeMismatch { value, wanted, .. } => Error::TypeMismatch {
                key: key.to_owned(),
                value,
                wanted,
            },
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound { key } => write!(f, "parameter {key:?} is not set"),
            Error::TypeMismatch { key, value, wanted } if key.is_empty() => {
                write!(f, "cannot convert {value} to {wanted}")
            }
            Error::TypeMismatch { key, value, wanted } => {
                write!(f, "parameter {key:?}: cannot convert {value} to {wanted}")
            }
            Error::InvalidKey { key, reason } => write!(f, "invalid key {}: {reason}", Shown(key)),
            Error::KeyCollision { key, existing } => write!(
                f,
                "key {key:?} has the same hash as {existing:?}, already set in this scope"
            ),
            Error::ScopeOrder { kind, open } => scope_order(f, *kind, *open),
            Error::InvalidArgument(msg) => write!(f, "{msg}"),
            Error::NullPointer(what) => write!(f, "{what} is NULL"),
            Error::InvalidUtf8 { what, detail } => write!(f, "{what} is not valid UTF-8: {detail}"),
            Error::Host(reason) => write!(f, "{reason}"),
            Error::OtherEngine { ours, other } => write!(
                f,
                "two copies of the hyperparameter engine are loaded in this process: {ours} \
                 and {other}. Each would keep scopes of its own, so values set through one \
                 would be invisible to code reading through the other; this copy refuses to \
                 work. Load one: build extensions against the engine of the installed \
                 hyperparameter package, import hyperparameter before them, and keep wheel \
                 repair tools from bundling a copy (auditwheel repair --exclude \
                 'libhyperparameter.so.0')"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The message of [`Error::ScopeOrder`]: what happened and what to do instead.
fn scope_order(f: &mut fmt::Formatter<'_>, kind: ScopeOrderKind, open: usize) -> fmt::Result {
    match kind {
        ScopeOrderKind::OutOfOrder => write!(
            f,
            "scope exited out of order: it is not the innermost scope of this thread \
             ({open} scopes are open here); exit the inner scopes first"
        ),
        ScopeOrderKind::NotOpen => write!(
            f,
            "scope exited but it is not the innermost scope of this thread, nor open on it \
             at all: exited twice, never entered, or entered on another thread \
             ({open} scopes are open here)"
        ),
        ScopeOrderKind::NoneOpen => write!(
            f,
            "scope exited but no scope is open on this thread (exited twice, or entered on \
             another thread)"
        ),
        ScopeOrderKind::HostScopeOpen => write!(
            f,
            "scope exited while a scope the host runtime (Python) entered inside it is still \
             open on this thread ({open} native scopes are open here); leave that scope first"
        ),
    }
}

/// A text value of more than this many characters is cut short in messages; the Python
/// front end cuts at the same place (`hyperparameter/_backends/wording.py`, `SHOWN_LIMIT`).
const SHOWN_LIMIT: usize = 256;
/// How many characters of a long text value a message keeps.
const SHOWN_KEEP: usize = 200;

/// A value rendered for a message: as [`Value`]'s `Display`, except that a text of more than
/// [`SHOWN_LIMIT`] characters keeps its first [`SHOWN_KEEP`] and says how long it was, so a
/// 10 MB value is not quoted whole.
fn shown_value(value: &Value) -> String {
    if let Value::Str(text) = value {
        if let Some((limit, _)) = text.char_indices().nth(SHOWN_LIMIT) {
            let cut = text
                .char_indices()
                .nth(SHOWN_KEEP)
                .map_or(limit, |(cut, _)| cut);
            let length = SHOWN_LIMIT + text[limit..].chars().count();
            return format!("{:?}... ({length} characters)", &text[..cut]);
        }
    }
    value.to_string()
}

/// A key quoted for a message; a very long one (up to 1 MB can arrive) is cut short.
struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KEEP: usize = 60;
        match self.0.char_indices().nth(KEEP) {
            Some((cut, _)) if self.0.len() > 80 => {
                write!(f, "{:?}... ({} bytes)", &self.0[..cut], self.0.len())
            }
            _ => write!(f, "{:?}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wording of a refused exit, word for word: the C, C++ and Python tests match on it.
    #[test]
    fn scope_order_messages() {
        let message = |kind| Error::ScopeOrder { kind, open: 3 }.to_string();
        assert_eq!(
            message(ScopeOrderKind::OutOfOrder),
            "scope exited out of order: it is not the innermost scope of this thread (3 scopes \
             are open here); exit the inner scopes first"
        );
        assert_eq!(
            message(ScopeOrderKind::NotOpen),
            "scope exited but it is not the innermost scope of this thread, nor open on it at \
             all: exited twice, never entered, or entered on another thread (3 scopes are open \
             here)"
        );
        assert_eq!(
            message(ScopeOrderKind::NoneOpen),
            "scope exited but no scope is open on this thread (exited twice, or entered on \
             another thread)"
        );
        assert_eq!(
            message(ScopeOrderKind::HostScopeOpen),
            "scope exited while a scope the host runtime (Python) entered inside it is still \
             open on this thread (3 native scopes are open here); leave that scope first"
        );
    }
}
