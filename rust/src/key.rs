//! Key validation: the one documented character set.
//!
//! A key is one or more segments joined by `.`. A segment is one or more characters, each a
//! Unicode letter or digit (`char::is_alphanumeric`), `_` or `-`. Case is preserved. A key is at
//! most [`MAX_KEY_LEN`] bytes of UTF-8. Anything else (empty key, empty segment such as `a..b`
//! or `.a`, spaces, `=`, control characters) is an invalid key, in every language.

use std::fmt;

/// The longest key accepted, in UTF-8 bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    Empty,
    TooLong(usize),
    EmptySegment,
    BadChar(char),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => write!(f, "key is empty"),
            KeyError::TooLong(n) => {
                write!(f, "key is {n} bytes long, the limit is {MAX_KEY_LEN}")
            }
            KeyError::EmptySegment => write!(f, "key has an empty segment"),
            KeyError::BadChar(c) => write!(
                f,
                "key contains {c:?}; allowed are letters, digits, '_' and '-' in segments joined by '.'"
            ),
        }
    }
}

/// Check a key against the character set.
///
/// ```
/// use hyperparameter::validate_key;
/// assert!(validate_key("model.layers._0.size").is_ok());
/// assert!(validate_key("模型.学习率").is_ok());
/// assert!(validate_key("a..b").is_err());
/// ```
pub fn validate_key(key: &str) -> Result<(), KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong(key.len()));
    }
    for segment in key.split('.') {
        if segment.is_empty() {
            return Err(KeyError::EmptySegment);
        }
        if let Some(bad) = segment.chars().find(|&c| !is_key_char(c)) {
            return Err(KeyError::BadChar(bad));
        }
    }
    Ok(())
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_set() {
        for key in [
            "a",
            "a.b",
            "Train.LR",
            "a-b.c_d",
            "_0",
            "über.größe",
            "12345",
        ] {
            assert_eq!(validate_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(validate_key(""), Err(KeyError::Empty));
        assert_eq!(validate_key("a..b"), Err(KeyError::EmptySegment));
        assert_eq!(validate_key(".a"), Err(KeyError::EmptySegment));
        assert_eq!(validate_key("a."), Err(KeyError::EmptySegment));
        assert_eq!(validate_key("a b"), Err(KeyError::BadChar(' ')));
        assert_eq!(validate_key("a=b"), Err(KeyError::BadChar('=')));
        assert_eq!(validate_key("a\n"), Err(KeyError::BadChar('\n')));
        let long = "x".repeat(MAX_KEY_LEN + 1);
        assert_eq!(validate_key(&long), Err(KeyError::TooLong(MAX_KEY_LEN + 1)));
        assert!(validate_key(&"x".repeat(MAX_KEY_LEN)).is_ok());
    }
}
