//! `with_params!` as the guides use it: `get`/`@get`, `set`/`@set`, `params`, defaults of every
//! type, the block's value, rollback, and thread isolation.

use std::thread;

use hyperparameter::*;

// The guides' `foo`: reads foo.x with default 1.
fn foo() -> i32 {
    with_params! {
        @get x = foo.x or 1i32;
        x
    }
}

fn foo_plain() -> i32 {
    with_params! {
        get x = foo.x or 1i32;
        x
    }
}

#[test]
fn both_spellings_read_and_write() {
    assert_eq!((foo(), foo_plain()), (1, 1));
    with_params! {
        @set foo.x = 2i32;
        assert_eq!((foo(), foo_plain()), (2, 2));
    }
    with_params! {
        set foo.x = 3i32;
        assert_eq!((foo(), foo_plain()), (3, 3));
    }
    assert_eq!((foo(), foo_plain()), (1, 1));
}

#[test]
fn the_seed_thread_example_sees_the_default() {
    with_params! {
        @set foo.x = 2; // an untyped literal, as in the guides
        assert_eq!(foo(), 2);
        let handle = thread::spawn(foo);
        assert_eq!(handle.join().unwrap(), 1, "a new thread is not affected by this scope");
    }
    assert_eq!(foo(), 1);
}

#[test]
fn defaults_of_every_type_when_missing() {
    with_params! {
        get a = macros.missing.a or 7i32;
        get b = macros.missing.b or 8i64;
        get c = macros.missing.c or 0.25f64;
        get d = macros.missing.d or true;
        get e = macros.missing.e or "text";
        get f = macros.missing.f or 1; // untyped integer: i32
        let (a, b, c, d, e, f): (i32, i64, f64, bool, String, i32) = (a, b, c, d, e, f);
        assert_eq!((a, b, c, d, e.as_str(), f), (7, 8, 0.25, true, "text", 1));
    }
}

#[test]
fn set_values_of_every_type_read_back() {
    with_params! {
        set macros.typed.a = 7i32;
        set macros.typed.b = -8i64;
        set macros.typed.c = 0.125f64;
        set macros.typed.d = false;
        set macros.typed.e = "hello";
        set macros.typed.f = String::from("owned");
        get a = macros.typed.a or 0i32;
        get b = macros.typed.b or 0i64;
        get c = macros.typed.c or 0.0f64;
        get d = macros.typed.d or true;
        get e = macros.typed.e or "";
        get f = macros.typed.f or "";
        assert_eq!((a, b, c, d, e.as_str(), f.as_str()), (7, -8, 0.125, false, "hello", "owned"));
    }
}

#[test]
fn the_default_type_converts_the_stored_value() {
    with_params! {
        set macros.conv.n = "64";
        set macros.conv.flag = "on";
        set macros.conv.x = 3i64;
        get n = macros.conv.n or 0i64;
        get flag = macros.conv.flag or false;
        get x_float = macros.conv.x or 0.0f64;
        get x_text = macros.conv.x or "";
        assert_eq!((n, flag, x_float, x_text.as_str()), (64, true, 3.0, "3"));
    }
}

#[test]
fn keys_with_underscore_digit_segments() {
    with_params! {
        set model.layers._0.size = 3i64;
        set model.layers._1.size = 5i64;
        get s0 = model.layers._0.size or 10i64;
        get s1 = model.layers._1.size or 10i64;
        get s2 = model.layers._2.size or 10i64;
        assert_eq!((s0, s1, s2), (3, 5, 10));
        // The key text is the dotted path, readable from every front end.
        let entry = Scope::current().get("model.layers._0.size").unwrap();
        assert_eq!(to_i64(&entry.value).unwrap(), 3);
    }
}

#[test]
fn params_from_command_line_definitions() {
    let define: Vec<String> = vec!["example.a=5".into(), "example.c=adam".into()];
    let read = || {
        with_params! {
            @get a = example.a or 0;
            @get b = example.b or 1;
            @get c = example.c or "sgd";
            (a, b, c)
        }
    };
    let inside = with_params! {
        params ParamScope::from(&define);
        read()
    };
    assert_eq!(inside, (5, 1, "adam".to_string()));
    assert_eq!(read(), (0, 1, "sgd".to_string()));
    // Directives combine, in order: a later `set` overrides a definition.
    with_params! {
        params ParamScope::from(&define);
        set example.a = 6;
        assert_eq!(read().0, 6);
        assert_eq!(Scope::current().get("example.c").unwrap().source.as_deref(), Some("-D"));
    }
}

#[test]
fn the_block_value_is_returned() {
    let value = with_params! {
        set macros.ret.v = 41i64;
        get v = macros.ret.v or 0i64;
        v + 1
    };
    assert_eq!(value, 42);
    let unit: () = with_params! {};
    assert_eq!(unit, ());
}

#[test]
fn everything_rolls_back_after_the_block() {
    let depth = Scope::depth();
    with_params! {
        set macros.rb.a = 1i64;
        with_params! {
            set macros.rb.a = 2i64;
            set macros.rb.b = 3i64;
            get a = macros.rb.a or 0i64;
            get b = macros.rb.b or 0i64;
            assert_eq!((a, b), (2, 3));
            assert_eq!(Scope::depth(), depth + 2);
        }
        let after_inner = with_params! {
            get a = macros.rb.a or 0i64;
            get b = macros.rb.b or 0i64;
            (a, b)
        };
        assert_eq!(after_inner, (1, 0), "the inner block's writes are gone");
    }
    with_params! {
        get a = macros.rb.a or 0i64;
        assert_eq!(a, 0);
    }
    assert_eq!(Scope::depth(), depth);
    assert!(Scope::current().get("macros.rb.a").is_err());
}

#[test]
fn an_early_return_still_rolls_back() {
    fn find(limit: i64) -> Option<i64> {
        with_params! {
            set macros.early.k = 1i64;
            for i in 0..limit {
                if i == 3 {
                    return Some(i);
                }
            }
            None
        }
    }
    let depth = Scope::depth();
    assert_eq!(find(10), Some(3));
    assert_eq!(find(2), None);
    assert_eq!(Scope::depth(), depth);
    assert!(Scope::current().get("macros.early.k").is_err());
}

// The quick-start's first example (section 6.1).
fn train() -> (f64, i64) {
    with_params! {
        get lr = train.lr or 0.001f64;
        get batch_size = train.batch_size or 32i64;
        (lr, batch_size)
    }
}

#[test]
fn the_quick_start_example() {
    assert_eq!(train(), (0.001, 32));
    with_params! {
        set train.lr = 0.0005f64;
        set train.batch_size = 64i64;
        assert_eq!(train(), (0.0005, 64));
    };
    assert_eq!(train(), (0.001, 32));
}

// The quick-start's thread example (section 6.2), without frozen() (threads.rs covers it).
fn worker(id: i64) -> Vec<(i64, i64)> {
    with_params! {
        set worker.id = id;
        (0..5)
            .map(|i| {
                with_params! {
                    set worker.iter = i;
                    get wid = worker.id or -1i64;
                    get witer = worker.iter or -1i64;
                    (wid, witer)
                }
            })
            .collect()
    }
}

#[test]
fn the_quick_start_workers_are_isolated() {
    let handles: Vec<_> = (0..4).map(|id| thread::spawn(move || worker(id))).collect();
    for (id, handle) in handles.into_iter().enumerate() {
        let seen = handle.join().unwrap();
        let expected: Vec<(i64, i64)> = (0..5).map(|i| (id as i64, i)).collect();
        assert_eq!(seen, expected);
    }
}

#[test]
fn a_bad_definition_panics_naming_it() {
    let define: Vec<String> = vec!["example.a".into()];
    let depth = Scope::depth();
    let err = std::panic::catch_unwind(|| {
        with_params! {
            params ParamScope::from(&define);
        }
    })
    .unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("\"example.a\"") && message.contains("key=value"),
        "{message}"
    );
    assert_eq!(Scope::depth(), depth);
}
