"""hp.scope: every form of MISSION §1 (reading, scopes, writes) and the §2 contract in Python."""

from __future__ import annotations

import gc
import pickle
import sys
import weakref

import pytest

import hyperparameter as hp
from hyperparameter import (
    ConversionError,
    HyperparameterError,
    InvalidKeyError,
    MissingParameterError,
    ScopeOrderError,
)

NATIVE = hp.backend_name() == "native"
native_only = pytest.mark.skipif(not NATIVE, reason="needs the native engine")

if NATIVE:
    from hyperparameter._backends.native import NativeBackend

    native_get = NativeBackend.native_get
    live_host_objects = NativeBackend.live_host_objects


# --- reading with defaults ------------------------------------------------------------------


def test_pipe_and_call_defaults_when_missing():
    assert (hp.scope.train.lr | 0.001) == 0.001
    assert hp.scope.train.lr(0.001) == 0.001
    assert hp.scope["train.lr"] | 0.001 == 0.001
    assert hp.scope["train.lr"](0.001) == 0.001


def test_pipe_and_call_read_the_set_value():
    with hp.scope(**{"train.lr": 0.01}):
        assert (hp.scope.train.lr | 0.001) == 0.01
        assert hp.scope.train.lr(0.001) == 0.01
        assert hp.scope.train.lr() == 0.01
        assert hp.scope["train.lr"] | 0.001 == 0.01
        assert hp.scope["train.lr"]() == 0.01


def test_required_read_raises_missing_parameter_naming_the_key():
    with pytest.raises(MissingParameterError) as info:
        hp.scope.model.required_key()
    assert "model.required_key" in str(info.value)
    # It is a KeyError, as the original library's users catch it.
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, HyperparameterError)
    with pytest.raises(KeyError, match=r"dyn\.key"):
        hp.scope["dyn.key"]()
    with hp.scope() as ps, pytest.raises(KeyError, match=r"via\.ps"):
        ps.via.ps()


def test_call_with_two_defaults_is_a_type_error():
    with pytest.raises(TypeError, match=r"a\.b"):
        hp.scope.a.b(1, 2)


def test_accessor_truth_is_refused_with_advice():
    with pytest.raises(TypeError, match=r"a\.flag"):
        bool(hp.scope.a.flag)


def test_accessor_is_not_a_sequence():
    with hp.scope(**{"train.lr": [1, 2]}):
        for use in (list, len, lambda accessor: accessor[0]):
            with pytest.raises(TypeError):
                use(hp.scope.train.lr)  # read it first: (hp.scope.train.lr | [])[0]


def test_accessor_is_not_picklable_its_value_is():
    import pickle

    with pytest.raises(TypeError, match=r"train\.lr.*pickle the value"):
        pickle.dumps(hp.scope.train.lr)


@pytest.mark.parametrize("name", ["get", "pop", "copy", "setdefault", "fromkeys", "popitem"])
def test_parameters_named_like_dict_methods_are_parameters(name):
    with hp.scope(**{f"train.{name}": 3, name: 4}):
        assert (getattr(hp.scope.train, name) | 0) == 3
        assert (getattr(hp.scope, name) | 0) == 4


def test_reads_through_a_scope_object():
    with hp.scope(**{"train.lr": 0.5}) as ps:
        assert (ps.train.lr | 0.001) == 0.5
        assert ps["train.lr"] | 0.001 == 0.5
        assert ps["train.lr"]() == 0.5
        assert (ps.train.missing | "dflt") == "dflt"
        assert ps.train.lr == 0.5  # the original library's `ps.a == 1`
        assert ps.train.lr != 0.4


def test_nested_scope_objects_read_their_own_view():
    # The seed's example: reads through a scope object see that scope's view.
    with hp.scope(a=1) as ps:
        with hp.scope(a=2) as ps2:
            assert ps2.a == 2
            assert ps.a == 1
            assert (hp.scope.a | 0) == 2
        assert ps.a == 1
        assert (hp.scope.a | 0) == 1
    assert (hp.scope.a | 0) == 0


# --- ways to fill a scope -------------------------------------------------------------------


def test_dotted_keyword_keys():
    with hp.scope(**{"train.lr": 0.01, "train.bs": 64}):
        assert (hp.scope.train.lr | 0.0) == 0.01
        assert (hp.scope.train.bs | 0) == 64
    assert (hp.scope.train.lr | 0.0) == 0.0


def test_plain_keyword():
    with hp.scope(lr=0.01):
        assert (hp.scope.lr | 0.0) == 0.01


@pytest.mark.parametrize(
    "text, expected",
    [
        ("64", 64),
        ("-3", -3),
        ("5e-4", 5e-4),
        ("0.5", 0.5),
        ("true", True),
        ("False", False),
        ("sigmoid", "sigmoid"),
        ("None", None),
        ("null", None),
        ("", ""),
    ],
)
def test_key_value_strings_are_parsed_by_type(text, expected):
    with hp.scope(f"x.v={text}"):
        value = hp.scope.x.v()
        assert value == expected
        assert type(value) is type(expected)


def test_key_value_strings_seed_example():
    with hp.scope("dnn.layers=4", "dnn.activation=sigmoid", " train.bs = 64 "):
        assert hp.scope.dnn.layers() == 4
        assert hp.scope.dnn.activation() == "sigmoid"
        assert hp.scope.train.bs() == 64


def test_key_value_string_splits_on_first_equals_sign():
    with hp.scope("expr=a=b"):
        assert hp.scope.expr() == "a=b"


def test_definition_without_equals_is_an_error_naming_it():
    with pytest.raises(ValueError, match="novalue"):
        hp.scope("novalue")


def test_positional_non_string_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="12345"):
        hp.scope(12345)


def test_nested_dicts_flatten_to_dotted_keys():
    cfg = {"train": {"lr": 0.01, "opt": {"name": "adam", "beta": 0.9}}, "seed": 1}
    with hp.scope(**cfg) as ps:
        assert ps.to_dict() == {
            "train.lr": 0.01,
            "train.opt.name": "adam",
            "train.opt.beta": 0.9,
            "seed": 1,
        }
        assert hp.scope.train.opt.name() == "adam"
    with hp.scope(cfg):  # a positional dict too
        assert hp.scope.train.opt.beta() == 0.9


def test_empty_nested_dict_is_a_value():
    with hp.scope(opts={}):
        assert hp.scope.opts() == {}


def test_positional_and_keyword_forms_combine_keywords_last():
    with hp.scope("a=1", {"b": 2}, a=3):
        assert hp.scope.a() == 3
        assert hp.scope.b() == 2


# --- writes ---------------------------------------------------------------------------------


def test_attribute_write_goes_to_the_scope_and_vanishes_on_exit():
    with hp.scope() as ps:
        ps.foo.x = 1
        ps.bar = "b"
        assert hp.scope.foo.x() == 1
        assert hp.scope.bar() == "b"
        assert (ps.foo.x | 0) == 1
    assert (hp.scope.foo.x | 0) == 0
    assert (hp.scope.bar | "none") == "none"


def test_write_through_outer_scope_goes_to_the_innermost():
    # The seed case: ps.foo.y = 2 inside the 2nd scope writes into the 2nd scope.
    with hp.scope() as ps:
        ps.foo.x = 1
        with hp.scope() as ps2:
            ps.foo.y = 2
            assert (hp.scope.foo.y | 0) == 2
            assert (ps2.foo.y | 0) == 2
            assert "foo.y" in ps2.to_dict()
        # The 2nd scope ended: its write is gone, the outer one's write stays.
        assert (hp.scope.foo.y | 0) == 0
        assert (hp.scope.foo.x | 0) == 1
    assert (hp.scope.foo.x | 0) == 0


def test_write_through_outer_scope_under_an_empty_scope_goes_to_the_innermost():
    with hp.scope(x=1) as outer:
        with hp.scope.empty() as inner:
            outer.y = 2
            outer["z"] = 3
            outer.set("w", 4)
            assert inner.to_dict() == {"y": 2, "z": 3, "w": 4}
        # Writes vanished with the innermost scope; the outer scope did not change.
        assert outer.to_dict() == {"x": 1}


def test_class_level_writes_go_to_the_innermost_scope():
    with hp.scope():
        hp.scope.train.lr = 0.1
        hp.scope["train.bs"] = 8
        hp.scope.seed = 3
        assert hp.scope.to_dict() == {"train.lr": 0.1, "train.bs": 8, "seed": 3}
    assert hp.scope.to_dict() == {}


def test_item_write_and_read():
    with hp.scope() as ps:
        ps["task.cls.lr"] = 1e-3
        assert ps["task.cls.lr"] | 0.0 == 1e-3
        assert hp.scope["task.cls.lr"] | 0.0 == 1e-3
        assert "task.cls.lr" in ps
        assert "task.cls.lr" in hp.scope
        assert "task.other" not in ps
        assert 42 not in ps


def test_inner_write_shadows_outer_and_rolls_back():
    with hp.scope(a=1):
        with hp.scope() as inner:
            inner.a = 2
            assert hp.scope.a() == 2
        assert hp.scope.a() == 1


def test_write_to_a_scope_that_is_not_entered_stays_in_it():
    ps = hp.scope(a=1)
    ps.b = 2
    assert (hp.scope.b | 0) == 0
    with ps:
        assert hp.scope.b() == 2
    assert (hp.scope.b | 0) == 0


def test_scope_object_can_be_entered_again_after_exit():
    ps = hp.scope(a=1)
    with ps:
        assert hp.scope.a() == 1
    with ps:
        assert hp.scope.a() == 1
    assert (hp.scope.a | 0) == 0


def test_reads_through_a_scope_object_convert_and_walk_as_current_scope_reads_do():
    with hp.scope(**{"w.n": "3", "w.outer": 1}):
        with hp.scope(**{"w.f": 2, "w.none": None}) as ps:
            for read in (ps.w, hp.scope.w, ps["w"]):  # bound to ps, and of the current scope
                assert (read.n | 0) == 3 and (read.f | 0.0) == 2.0 and (read.outer | 0) == 1
                assert (read.missing | 7) == 7 and (read.none | 7) is None
                with pytest.raises(ConversionError):
                    read.n | True
    with hp.scope(a=1), hp.scope.empty(b=2) as ps:
        assert (ps.a | 0) == 0 and (hp.scope.a | 0) == 0 and (ps["b"] | 0) == 2


def test_scope_made_in_one_place_inherits_where_it_is_entered():
    @hp.param("f")
    def f(x=0, y=0):
        return x, y

    made = hp.scope(**{"f.x": 1})
    with hp.scope(**{"f.y": 2}):
        with made as ps:
            assert f() == (1, 2)
            assert (ps.f.y | 0) == 2
    with hp.scope(**{"f.y": 3}):
        with made:
            assert f() == (1, 3)  # not the parent of its first entry
    assert f() == (0, 0)


# --- empty, current, init ---------------------------------------------------------------------


def test_empty_scope_inherits_nothing(baseline):
    with hp.scope(**{"base.v": 1}):
        hp.scope.frozen()
    with hp.scope(a=1):
        with hp.scope.empty(b=2) as ps:
            assert (ps.a | None) is None
            assert (hp.scope.a | None) is None
            assert (hp.scope.base.v | None) is None  # not even the frozen baseline
            assert hp.scope.b() == 2
            assert ps.to_dict() == {"b": 2}
        assert hp.scope.a() == 1
        assert (hp.scope.b | None) is None


def test_empty_scope_accepts_definitions():
    with hp.scope.empty("a.b=5", {"c": {"d": 1}}) as ps:
        assert ps.to_dict() == {"a.b": 5, "c.d": 1}


def test_current_is_the_innermost_scope():
    root = hp.scope.current()
    with hp.scope() as a:
        assert hp.scope.current() is a
        with hp.scope() as b:
            assert hp.scope.current() is b
        assert hp.scope.current() is a
    assert hp.scope.current() is root


def test_init_sets_the_thread_root():
    import threading

    seen = []

    def worker():
        hp.scope.init({"worker": {"id": 3}}, extra="x")
        seen.append((hp.scope.worker.id | -1, hp.scope.extra | "", hp.scope.current().to_dict()))
        with hp.scope(**{"worker.id": 4}):
            seen.append(hp.scope.worker.id | -1)
        seen.append(hp.scope.worker.id | -1)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [(3, "x", {"worker.id": 3, "extra": "x"}), 4, 3]
    assert (hp.scope.worker.id | -1) == -1  # the main thread is untouched


# --- keys, update, clear, to_dict, dict(), items, len, iteration ----------------------------


def test_keys_items_values_len_iter():
    with hp.scope(**{"b.x": 1, "a.y": 2}) as ps:
        assert ps.keys() == ["a.y", "b.x"]
        assert hp.scope.keys() == ["a.y", "b.x"]
        assert ps.items() == [("a.y", 2), ("b.x", 1)]
        assert ps.values() == [2, 1]
        assert list(ps) == ["a.y", "b.x"]
        assert len(ps) == 2
        with hp.scope(c=3) as inner:
            assert inner.keys() == ["a.y", "b.x", "c"]
            assert ps.keys() == ["a.y", "b.x"]


def test_to_dict_and_dict_give_values():
    with hp.scope(a=1, b="x"):
        with hp.scope(a=2, c=[1]) as ps:
            expected = {"a": 2, "b": "x", "c": [1]}
            assert ps.to_dict() == expected
            assert hp.scope.to_dict() == expected
            as_dict = dict(ps)
            assert as_dict == expected
            # The values themselves, not lazy accessors: usable after the scope is gone.
            assert [type(v) for v in as_dict.values()] == [int, str, list]
            assert dict(hp.scope) == expected
    assert as_dict == {"a": 2, "b": "x", "c": [1]}
    assert as_dict["a"] + 1 == 3


def test_update_flattens_and_writes_the_innermost():
    with hp.scope() as outer:
        outer.update({"train": {"lr": 0.1}}, seed=1)
        assert outer.to_dict() == {"train.lr": 0.1, "seed": 1}
        with hp.scope() as inner:
            outer.update(seed=2)  # through the outer object: to the innermost scope
            hp.scope.update({"x.y": 3})
            assert inner.to_dict() == {"train.lr": 0.1, "seed": 2, "x.y": 3}
        assert outer.to_dict() == {"train.lr": 0.1, "seed": 1}


def test_clear_removes_only_the_own_values():
    with hp.scope(a=1, b=2):
        with hp.scope(a=2, c=3) as inner:
            inner.clear()
            assert hp.scope.to_dict() == {"a": 1, "b": 2}
            inner.d = 4
            assert hp.scope.d() == 4
        with hp.scope(e=5):
            hp.scope.clear()
            assert hp.scope.to_dict() == {"a": 1, "b": 2}
        assert hp.scope.to_dict() == {"a": 1, "b": 2}


@native_only
def test_clear_is_seen_by_native_code():
    with hp.scope(a=1):
        with hp.scope(a=2) as inner:
            assert native_get("a") == 2
            inner.clear()
            assert native_get("a") == 1


@native_only
def test_native_writes_come_back_and_python_writes_do_not_echo(monkeypatch):
    from hyperparameter import _scope
    from hyperparameter._backends.native import ffi, lib

    reads = []
    real_read = _scope.backend.read
    monkeypatch.setattr(_scope.backend, "read", lambda node, key: reads.append(key) or real_read(node, key))
    with hp.scope(a=1) as ps:
        assert native_get("a") == 1  # native code looked: the scope is mirrored now
        ps.b = 2  # a Python write goes through to the engine ...
        ps.set("b", 3, source="code")
        ps.clear()
        assert reads == []  # ... and is not read back
        assert lib.hp_set_str(ffi.NULL, b"c", 1, b"x", 1) == lib.HP_OK  # a native write ...
        assert reads == ["c"] and hp.scope.c() == "x"  # ... is taken over at once
        assert lib.hp_set_source(ffi.NULL, b"c", 1, b"kernel", 6) == lib.HP_OK
        assert ps.source("c") == "kernel"
    assert (hp.scope.c | None) is None


# --- provenance -----------------------------------------------------------------------------


def test_set_with_source_and_source_lookup():
    with hp.scope() as outer:
        outer.set("train.lr", 0.1, source="-D")
        outer.set("train.bs", 8)
        assert hp.scope.train.lr() == 0.1
        assert outer.source("train.lr") == "-D"
        assert outer.source("train.bs") is None
        assert outer.source("never.set") is None
        with hp.scope() as inner:
            assert inner.source("train.lr") == "-D"  # seen through the parent
            inner.set("train.lr", 0.2, source="config.yaml:train.lr")
            assert inner.source("train.lr") == "config.yaml:train.lr"
        assert outer.source("train.lr") == "-D"


def test_overwrite_without_source_drops_the_old_source():
    with hp.scope() as ps:
        ps.set("a", 1, source="-D")
        ps.a = 2  # set by code now: the -D label no longer describes the value
        assert ps.source("a") is None
        ps.set("b", 1, source="-D")
        ps.clear()
        ps.b = 2
        assert ps.source("b") is None


def test_set_with_source_on_a_scope_then_entered():
    ps = hp.scope()
    ps.set("k", 5, source="file.toml:k")
    with ps:
        assert hp.scope.k() == 5
        assert hp.scope.current().source("k") == "file.toml:k"


# --- repr -----------------------------------------------------------------------------------


def test_readable_reprs():
    root = hp.scope.current()
    assert "thread root" in repr(root)
    with hp.scope(**{"train.lr": 0.1}, name="x") as ps:
        text = repr(ps)
        assert "'train.lr': 0.1" in text and "'name': 'x'" in text
        assert "entered" in text and "sees 2 keys" in text
        assert repr(ps.train.lr) == "<hp.scope.train.lr = 0.1>"
        assert repr(hp.scope.name) == "<hp.scope.name = 'x'>"
        missing = repr(hp.scope.nothing.here)
        assert missing.startswith("<hp.scope.nothing.here = <") and "1" not in missing
        pending = hp.scope(b=2)
        assert "not entered" in repr(pending) and "'b': 2" in repr(pending)


# --- only a missing key falls back -----------------------------------------------------------


# A default of the value's own type (so no conversion happens), different from the value.
_OTHER = {type(None): "DEFAULT", bool: True, int: 7, float: 7.5, str: "DEFAULT", list: ["D"]}


@pytest.mark.parametrize("value", [None, False, 0, 0.0, "", []], ids=repr)
def test_falsy_values_are_values_not_missing(value):
    default = _OTHER[type(value)]
    with hp.scope(**{"k.v": value}) as ps:
        assert hp.scope.k.v() == value
        assert (hp.scope.k.v | default) == value
        assert type(hp.scope.k.v | default) is type(value)
        assert hp.scope.k.v(default) == value
        assert hp.scope["k.v"] | default == value
        assert (ps.k.v | default) == value
        assert (hp.scope.k.v | None) == value
        assert ps.k.v == value
        assert "k.v" in ps
        with hp.scope() as inner:
            assert (inner.k.v | default) == value  # also seen from an inner scope


def test_explicit_none_hides_the_outer_value():
    with hp.scope(a=5):
        with hp.scope(a=None):
            assert (hp.scope.a | 7) is None
            assert hp.scope.a() is None


def test_explicit_false_and_zero_read_with_typed_defaults():
    with hp.scope(flag=False, n=0, s=""):
        assert (hp.scope.flag | True) is False
        assert (hp.scope.n | 10) == 0
        assert (hp.scope.s | "x") == ""


# --- conversions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored, default, expected",
    [
        ("64", 32, 64),
        ("1e3", 1, 1000),
        ("3.0", 1, 3),
        (3.0, 1, 3),
        (True, 1, 1),
        ("5e-4", 0.1, 5e-4),
        (2, 0.5, 2.0),
        ("inf", 0.5, float("inf")),
        ("true", False, True),
        ("YES", False, True),
        (" off ", True, False),
        (1, False, True),
        (0.0, True, False),
        (64, "s", "64"),
        (0.1, "s", "0.1"),
        (1e20, "s", "1e+20"),  # Python's repr, in every language
        (True, "s", "true"),
        ("text", ["list default"], "text"),  # a non-scalar default asks for no conversion
    ],
)
def test_conversion_to_the_default_type(stored, default, expected):
    with hp.scope(**{"c.v": stored}):
        got = hp.scope.c.v | default
        assert got == expected
        assert type(got) is type(expected)
        assert hp.scope.c.v(default) == expected
        assert hp.scope["c.v"] | default == expected


@pytest.mark.parametrize(
    "stored, default, shown, wanted",
    [
        ("3.5", 32, "'3.5'", "int"),
        (3.5, 32, "3.5", "int"),
        ("maybe", True, "'maybe'", "bool"),
        (2, True, "2", "bool"),
        ("fast", 0.1, "'fast'", "float"),
        ([1, 2], 1, "list", "int"),
        ({"a": 1}.keys(), "s", "dict_keys", "str"),
        ("9223372036854775808", 1, "'9223372036854775808'", "int"),  # beyond i64
    ],
)
def test_conversion_error_names_key_value_and_type(stored, default, shown, wanted):
    with hp.scope(**{"train.bs": stored}):
        with pytest.raises(ConversionError) as info:
            hp.scope.train.bs | default
        message = str(info.value)
        assert "train.bs" in message
        assert shown in message
        assert wanted in message
        assert isinstance(info.value, ValueError)
        with pytest.raises(ConversionError, match=r"train\.bs"):
            hp.scope.train.bs(default)


def test_required_read_does_no_conversion():
    with hp.scope(**{"a": "3.5"}):
        assert hp.scope.a() == "3.5"


def test_none_default_does_no_conversion():
    with hp.scope(a="64"):
        assert (hp.scope.a | None) == "64"


# --- invalid keys ---------------------------------------------------------------------------

BAD_KEYS = ["a..b", "", "a b", ".a", "a.", "a=b", "x" * 2000]


def _named(key: str, message: str) -> bool:
    return key[:50] in message


@pytest.mark.parametrize("key", BAD_KEYS, ids=lambda k: repr(k[:8]))
def test_invalid_key_on_read(key):
    with pytest.raises(InvalidKeyError) as info:
        hp.scope[key] | 1
    assert _named(key, str(info.value)) and "invalid key" in str(info.value)
    with hp.scope() as ps, pytest.raises(InvalidKeyError):
        ps[key] | 1


@pytest.mark.parametrize("key", BAD_KEYS, ids=lambda k: repr(k[:8]))
def test_invalid_key_on_write(key):
    for write in (
        lambda: hp.scope(**{key: 1}),
        lambda: hp.scope({key: 1}),
        lambda: hp.scope.empty(**{key: 1}),
        lambda: hp.scope.current().set(key, 1),
        lambda: hp.scope.current().update({key: 1}),
    ):
        with pytest.raises(InvalidKeyError) as info:
            write()
        assert _named(key, str(info.value))
    with hp.scope() as ps:
        with pytest.raises(InvalidKeyError):
            ps[key] = 1
        with pytest.raises(InvalidKeyError):
            hp.scope[key] = 1
        assert ps.to_dict() == {}
    if "=" not in key:
        with pytest.raises(InvalidKeyError):
            hp.scope(f"{key}=1")


def test_invalid_key_messages_say_why():
    with pytest.raises(InvalidKeyError, match="empty segment"):
        hp.scope["a..b"] | 1
    with pytest.raises(InvalidKeyError, match="empty"):
        hp.scope[""] | 1
    with pytest.raises(InvalidKeyError, match="2000 bytes"):
        hp.scope["x" * 2000] | 1
    with pytest.raises(InvalidKeyError, match="' '"):
        hp.scope["a b"] | 1


def test_invalid_attribute_segment():
    with pytest.raises(InvalidKeyError, match="a b"):
        getattr(hp.scope.train, "a b")
    with hp.scope() as ps, pytest.raises(InvalidKeyError, match="a b"):
        setattr(ps.train, "a b", 1)


def test_unicode_keys_are_valid():
    with hp.scope(**{"模型.学习率": 0.1, "über.größe": 2, "a-b.c_d._0": 3}):
        assert hp.scope["模型.学习率"]() == 0.1
        assert hp.scope.über.größe() == 2
        assert hp.scope["a-b.c_d._0"]() == 3


def test_longest_valid_key():
    key = ".".join(["k" * 100] * 10) + "." + "z" * 14  # 1024 bytes
    assert len(key.encode()) == 1024
    with hp.scope(**{key: 1}):
        assert hp.scope[key]() == 1
    with pytest.raises(InvalidKeyError, match="1025 bytes"):
        hp.scope[key + "z"] | 1


def test_non_str_dict_keys_are_type_errors_naming_the_key():
    with pytest.raises(TypeError, match=r"int 1\b"):
        hp.scope({1: "x"})
    with pytest.raises(TypeError) as info:
        hp.scope({"train": {2.5: "x"}})
    assert "2.5" in str(info.value) and "train" in str(info.value)
    with hp.scope() as ps:
        with pytest.raises(TypeError, match="7"):
            ps.update({7: 1})
        with pytest.raises(TypeError, match="7"):
            ps[7] = 1
        with pytest.raises(TypeError, match="7"):
            ps[7] | 1
        with pytest.raises(TypeError, match="None"):
            hp.scope[None] | 1
        assert ps.to_dict() == {}


# --- LIFO -----------------------------------------------------------------------------------


def test_exit_out_of_order_is_refused_and_state_stays_intact():
    outer = hp.scope(a=1)
    inner = hp.scope(b=2)
    outer.__enter__()
    inner.__enter__()
    try:
        with pytest.raises(ScopeOrderError, match="out of order"):
            outer.__exit__(None, None, None)
        # Nothing changed: both scopes still entered, values visible, writes still work.
        assert hp.scope.current() is inner
        assert hp.scope.to_dict() == {"a": 1, "b": 2}
        inner.c = 3
        assert hp.scope.c() == 3
        if NATIVE:
            assert native_get("a") == 1 and native_get("b") == 2 and native_get("c") == 3
    finally:
        inner.__exit__(None, None, None)
    assert hp.scope.current() is outer
    assert hp.scope.to_dict() == {"a": 1}
    outer.__exit__(None, None, None)
    assert hp.scope.to_dict() == {}
    if NATIVE:
        with pytest.raises(KeyError):
            native_get("a")


def test_exiting_twice_is_refused():
    ps = hp.scope(a=1)
    with ps:
        pass
    with pytest.raises(ScopeOrderError, match="not entered"):
        ps.__exit__(None, None, None)
    assert (hp.scope.a | 0) == 0


def test_exit_without_enter_is_refused():
    with pytest.raises(ScopeOrderError):
        hp.scope(a=1).__exit__(None, None, None)


def test_entering_an_entered_scope_is_refused():
    with hp.scope(a=1) as ps:
        with pytest.raises(ScopeOrderError, match="already entered"):
            ps.__enter__()
        assert hp.scope.current() is ps


def test_scope_exits_on_exception():
    with pytest.raises(RuntimeError, match="boom"):
        with hp.scope(a=1):
            raise RuntimeError("boom")
    assert (hp.scope.a | 0) == 0


def test_scope_order_error_is_a_runtime_error():
    assert issubclass(ScopeOrderError, RuntimeError)
    assert issubclass(ScopeOrderError, HyperparameterError)


# --- any Python value, by identity, with exact reference counts ----------------------------


class Thing:
    pass


@pytest.mark.parametrize(
    "make",
    [list, dict, Thing, lambda: Thing, lambda: (1, [2]), lambda: 2**100, lambda: "\ud800x"],
    ids=["list", "dict", "instance", "class", "tuple", "bigint", "lone-surrogate-str"],
)
def test_any_value_round_trips_by_identity_with_refcounts(make):
    value = make()
    start = sys.getrefcount(value)
    live = live_host_objects() if NATIVE else 0
    with hp.scope(**{"obj.v": value}) as ps:
        assert hp.scope.obj.v() is value
        assert (hp.scope.obj.v | None) is value
        assert ps["obj.v"]() is value
        ps.other = value
        assert hp.scope.other() is value
        if NATIVE:
            assert native_get("obj.v") is value  # what C holds is the same object
            assert native_get("other") is value
    del ps  # a scope object keeps its own values (it can be entered again)
    gc.collect()
    assert sys.getrefcount(value) == start
    if NATIVE:
        assert live_host_objects() == live


def test_value_set_by_write_is_released_after_exit():
    value = Thing()
    start = sys.getrefcount(value)
    live = live_host_objects() if NATIVE else 0
    with hp.scope() as ps:
        ps.a.b = value
        hp.scope["c"] = value
        ps.set("d", value, source="code")
        with hp.scope():
            ps.e = value  # into the inner scope
        ps.update({"f": value})
        ps.a.b = 1  # overwriting drops the reference
    del ps
    gc.collect()
    assert sys.getrefcount(value) == start
    if NATIVE:
        assert live_host_objects() == live


def test_clear_releases_values():
    value = Thing()
    start = sys.getrefcount(value)
    with hp.scope() as ps:
        ps.v = value
        ps.clear()
        gc.collect()
        assert sys.getrefcount(value) == start


def test_weakref_dies_after_exit_and_no_early_free():
    value = Thing()
    ref = weakref.ref(value)
    with hp.scope(**{"obj.v": value}):
        del value
        gc.collect()
        got = hp.scope.obj.v()  # no early free: the scope keeps it alive
        assert ref() is got
        del got
    gc.collect()
    assert ref() is None


@native_only
def test_weakref_dies_after_exit_when_only_native_code_read_it():
    value = Thing()
    ref = weakref.ref(value)
    with hp.scope() as ps:
        ps.v = value
        del value
        gc.collect()
        assert native_get("v") is ref()
    del ps
    gc.collect()
    assert ref() is None


def test_weakref_dies_after_exit_even_if_an_injected_function_read_it():
    @hp.param("fn")
    def fn(model=None):
        return model

    value = Thing()
    ref = weakref.ref(value)
    with hp.scope(**{"fn.model": value}):
        assert fn() is value
        del value
    gc.collect()
    assert ref() is None


# --- snapshots ------------------------------------------------------------------------------


def test_snapshot_pickles_and_restores():
    with hp.scope(**{"train.lr": 0.1, "train.tags": ["a"]}):
        with hp.scope(seed=7):
            snap = hp.scope.current().snapshot()
    assert snap.to_dict() == {"train.lr": 0.1, "train.tags": ["a"], "seed": 7}
    restored = pickle.loads(pickle.dumps(snap))
    with hp.scope(other=1):
        with restored:
            assert hp.scope.train.lr() == 0.1
            assert hp.scope.train.tags() == ["a"]
            assert hp.scope.seed() == 7
            assert hp.scope.other() == 1
    assert (hp.scope.seed | 0) == 0


def test_scope_itself_pickles():
    with hp.scope(a=1, b="x") as ps:
        copy = pickle.loads(pickle.dumps(ps))
    with copy:
        assert hp.scope.to_dict() == {"a": 1, "b": "x"}


def test_a_scope_made_on_the_fast_path_has_every_node_field_set():
    # Scope() makes its node field by field (no second Python call per ``with``): it must set
    # exactly what Node.__init__ sets, whatever fields the node gains.
    from hyperparameter import _state

    reference = _state.Node({}, None)
    made = hp.scope(a=1)._hp_node
    for field in _state.Node.__slots__:
        if field == "__weakref__":
            continue
        assert hasattr(made, field), f"Scope() leaves Node.{field} unset"
        if field not in ("values", "parent"):
            assert getattr(made, field) == getattr(reference, field), field


def test_item_reads_on_a_scope_object_are_cached_and_never_hide_its_methods():
    with hp.scope(**{"keys": 1, "a.b": 2}) as ps:
        assert ps["a.b"] is ps["a.b"]  # built and checked once
        assert ps["keys"] | 0 == 1
        assert ps.keys() == ["a.b", "keys"]  # still the method
        ps.set("c", 3)
        assert ps["c"] | 0 == 3 and dict(ps) == {"a.b": 2, "c": 3, "keys": 1}
        with pytest.raises(TypeError, match="parameter keys are str"):
            ps[["not", "a", "key"]]
