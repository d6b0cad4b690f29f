//! `with_params!`: a scope for the enclosed block, with `get`, `set` and `params` directives.

/// Open a scope for the block; inside it:
///
/// - `get NAME = a.b.c or DEFAULT;` reads `a.b.c` (hashed at compile time) converted to the
///   default's type (`@get` is the same);
/// - `set a.b.c = VALUE;` writes into this block's scope (`@set` is the same);
/// - `params EXPR;` writes every value of a [`ParamScope`](crate::ParamScope);
///
/// then any Rust code. Everything written is rolled back when the block ends.
///
/// ```
/// use hyperparameter::*;
///
/// fn foo() -> i32 {
///     with_params! {
///         @get x = foo.x or 1i32;
///         x
///     }
/// }
///
/// assert_eq!(foo(), 1);
/// with_params! {
///     @set foo.x = 2i32;
///     assert_eq!(foo(), 2);
///     // a new thread starts from the frozen baseline, not from this scope
///     assert_eq!(std::thread::spawn(foo).join().unwrap(), 1);
/// }
/// assert_eq!(foo(), 1);
/// ```
#[macro_export]
macro_rules! with_params {
    (@body $g:ident; $(@)? get $name:ident = $first:ident $(. $rest:ident)* or $default:expr; $($tail:tt)*) => {{
        let $name = {
            const KEY: &str = $crate::__hp_key!($first $(. $rest)*);
            const HASH: u64 = $crate::hash_key(KEY);
            ::std::thread_local! {
                static KEPT: $crate::KeptAnswer = const { $crate::KeptAnswer::new() };
            }
            KEPT.with(|kept| $crate::get_param_kept(kept, HASH, KEY, $default))
        };
        $crate::with_params!(@body $g; $($tail)*)
    }};
    (@body $g:ident; $(@)? set $first:ident $(. $rest:ident)* = $value:expr; $($tail:tt)*) => {{
        $g.set($crate::__hp_key!($first $(. $rest)*), $value);
        $crate::with_params!(@body $g; $($tail)*)
    }};
    (@body $g:ident; params $params:expr; $($tail:tt)*) => {{
        $g.apply(&$params);
        $crate::with_params!(@body $g; $($tail)*)
    }};
    (@body $g:ident; $($tail:tt)*) => {{
        $($tail)*
    }};
    ($($body:tt)*) => {{
        let __hp_guard = $crate::ScopeGuard::enter_new();
        $crate::with_params!(@body __hp_guard; $($body)*)
    }};
}

/// The text of a dotted key path, e.g. `a.b.c` → `"a.b.c"`.
#[doc(hidden)]
#[macro_export]
macro_rules! __hp_key {
    ($first:ident $(. $rest:ident)*) => {
        concat!(stringify!($first) $(, ".", stringify!($rest))*)
    };
}
