//! Values: null, bool, i64, f64, UTF-8 string, and opaque host objects.

use std::ffi::c_void;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

pub use crate::host::ReleaseFn;

/// A value as stored in a scope. Cloning is cheap: strings and host objects are shared.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Host(Arc<HostObject>),
}

impl Value {
    /// The name of the value's type, as used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Host(_) => "host object",
        }
    }
}

impl fmt::Display for Value {
    /// A readable rendering for messages: strings quoted, host objects by address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Host(h) => write!(f, "<host object {:p}>", h.pointer()),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$variant(v.into())
            }
        }
    )*};
}
value_from!(bool => Bool, i64 => Int, i32 => Int, u32 => Int, i16 => Int, u16 => Int, i8 => Int, u8 => Int, f64 => Float, f32 => Float, &str => Str, String => Str);

/// How many host objects are alive in the engine, for leak tests.
static LIVE_HOST_OBJECTS: AtomicUsize = AtomicUsize::new(0);

/// An object owned by a host runtime (a Python object, say): a pointer the engine never reads,
/// and the callback that gives it back to its owner.
pub struct HostObject {
    pointer: *mut c_void,
    release: Option<ReleaseFn>,
    /// Cleared when the object goes back to its owner unstored (a write that failed).
    armed: AtomicBool,
}

// SAFETY: the engine never dereferences `pointer`; it only hands it back to the host, whose
// release callback is documented to be callable from any thread.
unsafe impl Send for HostObject {}
// SAFETY: as above, shared access only copies the pointer value.
unsafe impl Sync for HostObject {}

impl HostObject {
    pub fn new(pointer: *mut c_void, release: Option<ReleaseFn>) -> Self {
        LIVE_HOST_OBJECTS.fetch_add(1, Ordering::Relaxed);
        HostObject {
            pointer,
            release,
            armed: AtomicBool::new(true),
        }
    }

    /// Give the object back to its owner: dropping it will not call the release callback.
    pub(crate) fn disarm(&self) {
        self.armed.store(false, Ordering::Release);
    }

    pub fn pointer(&self) -> *mut c_void {
        self.pointer
    }
}

impl Drop for HostObject {
    fn drop(&mut self) {
        LIVE_HOST_OBJECTS.fetch_sub(1, Ordering::Relaxed);
        if let Some(release) = self.release {
            if self.armed.load(Ordering::Acquire) {
                crate::host::release(release, self.pointer);
            }
        }
    }
}

impl fmt::Debug for HostObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostObject({:p})", self.pointer)
    }
}

/// The number of host objects the engine still holds.
pub fn live_host_objects() -> usize {
    LIVE_HOST_OBJECTS.load(Ordering::Relaxed)
}
