"""``hp.param``: a function's (or class's) keyword defaults read from the current scope.

The wrapper is generated with the function's own parameter list, so a call binds its
arguments exactly as the original would, and the resolved values are cached per
(current scope, version): an unchanged scope costs one identity check and one integer compare.
"""

from __future__ import annotations

import functools
import types
import weakref
from typing import Any, Callable, Optional, Sequence, TypeVar, Union, overload

from ._errors import ConversionError
from ._state import MISSING, baseline, changes, coerce, current_get, thread_root, valid_key
from ._suggester import Suggester
from ._types import annotated_type, convert, converts, evaluated, on_register, registrations

F = TypeVar("F", bound=Callable[..., Any])

# A type registered later may change what a cached value converts to: drop every cache.
on_register.append(changes.bump)


#: Marks an argument the caller did not give.
class _NotGiven:
    """The default of an injectable parameter in a wrapper's signature: "take the scope's"."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<not given>"

    def __reduce__(self) -> str:
        return "_NOT_GIVEN"  # the one marker of the receiving process


_NOT_GIVEN: Any = _NotGiven()


class ParamInfo:
    """One injectable parameter: its key, name, default and annotation (what ``-lps`` lists).

    The function is held weakly: a function made per request (a closure) must not live on in
    the registry. When it is collected, its parameters leave the registry and the listings.
    """

    __slots__ = ("key", "name", "default", "annotation", "_function", "__weakref__")

    def __init__(self, key: str, name: str, default: Any, annotation: Any, function: Any) -> None:
        self.key, self.name, self.default, self.annotation = key, name, default, annotation
        try:
            self._function: Any = weakref.ref(function, self._collected)
        except TypeError:  # a callable that takes no weak references stays
            self._function = lambda: function
        declarations.setdefault(key, []).append(self)

    @property
    def function(self) -> Any:
        """The decorated function (None once it was collected)."""
        return self._function()

    def _collected(self, _ref: Any) -> None:
        if registry.get(self.key) is self:
            del registry[self.key]
        live = declarations.get(self.key, [])
        if self in live:
            live.remove(self)
            if not live:
                del declarations[self.key]

    def __repr__(self) -> str:
        return f"ParamInfo({self.key!r}, default={self.default!r})"


#: Every parameter declared with @hp.param in this process, by key.
registry: dict[str, ParamInfo] = {}
#: Every live declaration of each key, oldest first (``registry`` holds the last):
#: ``hp.effective_params`` warns when their defaults differ.
declarations: dict[str, list[ParamInfo]] = {}


class _Failed:
    """A scope value that cannot convert: an error only if the call uses it."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class _Suggested:
    """A scope value that is a suggester: the call that uses it calls it, and converts what it
    suggests as any scope value is converted (see ``_Injector.check``)."""

    __slots__ = ("key", "suggester", "default", "kind")

    def __init__(self, key: str, suggester: Suggester, default: Any, kind: Any) -> None:
        self.key, self.suggester, self.default, self.kind = key, suggester, default, kind

    def value(self) -> Any:
        value = self.suggester()
        if self.kind is None:
            return coerce(self.key, value, self.default)
        return convert(self.key, value, self.kind)


class _Injector:
    """Resolved values of a function's injectable parameters, cached per (scope, version).

    The cache is (node, version, values, bound): ``bound`` is a copy of the function whose
    defaults are the resolved values, so a call that passes none of the injectable parameters
    binds them in C (until the first such call it is ``first_call``, which makes the copy).
    The cache holds only values that all converted and none of which is a suggester: a call
    that meets either goes the slow way every time, where a failed conversion raises and a
    suggester is called only if the call uses that value. A node that exits drops the
    caches holding it (see ``forget``), so they never keep the values of an exited scope alive.
    """

    __slots__ = (
        "keys",
        "defaults",
        "cache",
        "function",
        "places",
        "first",
        "annotations",
        "kinds",
        "__weakref__",
    )
    EMPTY: tuple = (object(), -1, (), None)  # a node that is never current

    def __init__(
        self,
        keys: list[str],
        defaults: list[Any],
        function: Callable,
        names: list[str],
        annotations: list[Any],
    ) -> None:
        self.keys = keys
        self.defaults = defaults
        self.annotations = annotations
        self.kinds: tuple = (-1, [])  # (registrations seen, read_types()), made on the first resolve
        self.cache: tuple = self.EMPTY
        self.function = function
        self.places = _default_places(function, names, defaults)
        self.first = self.first_call

    def __reduce__(self) -> tuple:
        # A wrapper pickled by value (cloudpickle, for functions in __main__) takes its injector
        # along: rebuild it on the other side, registered there, without the cached values.
        return (_revive, (self.keys, self.defaults, self.function, self.annotations))

    def resolve(self) -> tuple:
        """The values for the current scope, caching them when every one converted.

        All are read from one view: each scope's dict is taken once, so a baseline another
        thread publishes meanwhile (a new dict, swapped in whole) is either all in or all out.
        """
        node = current_get() or thread_root()
        version = changes.value
        view = []
        walk = node
        while walk is not None:
            view.append(walk.values)
            walk = walk.parent
        resolved = []
        uncached = False  # a value that failed to convert, or a suggester
        seen, kinds = self.kinds
        if seen != registrations[0]:
            kinds = self.read_types()
            self.kinds = (registrations[0], kinds)
        for key, default, kind in zip(self.keys, self.defaults, kinds):
            value = MISSING
            for own in view:
                value = own.get(key, MISSING)
                if value is not MISSING:
                    break
            if value is MISSING:
                resolved.append(default)
                continue
            if type(value) is Suggester:  # called by the call that uses it; never cached
                resolved.append(_Suggested(key, value, default, kind))
                uncached = True
                continue
            try:
                resolved.append(coerce(key, value, default) if kind is None else convert(key, value, kind))
            except ConversionError as exc:
                # Raised only if the caller does not pass this argument explicitly.
                resolved.append(_Failed(str(exc)))
                uncached = True
        values = tuple(resolved)
        if not uncached:
            # The copy is made on the first call that can use it: a function called once per
            # scope never pays for one.
            self.cache = (node, version, values, self.first)
            if node.parent is not baseline:  # a thread root never exits: nothing to forget
                _forget_on_exit(node, self)
        return values

    def read_types(self) -> list:
        """Per parameter, the type its values convert to when the default cannot say: for a
        ``None`` default (or one of a type that does not convert), the annotation's ``T`` or
        ``Optional[T]``; None where the default's type decides (``coerce``). Worked out when
        first needed (annotations may name what the module defines after the function), and
        again after ``hp.register_type``."""
        import inspect  # on first use: it costs milliseconds at import, and decorating loaded it

        kinds = []
        for default, annotation in zip(self.defaults, self.annotations):
            kind = None
            if annotation is not inspect.Parameter.empty and (default is None or not converts(type(default))):
                kind = annotated_type(evaluated(annotation, self.function))[0]
            kinds.append(kind)
        return kinds

    def forget(self, node: Any) -> None:
        """``node`` exited or was retired: drop the cache if it holds that node's values."""
        if self.cache[0] is node:
            self.cache = self.EMPTY

    def first_call(self, *args: Any, **kwargs: Any) -> Any:
        """The first call in a scope that passes no injectable argument: make the copy of the
        function bound to this scope's values, keep it in the cache, and call it."""
        node, version, values, _ = self.cache
        if node is not (current_get() or thread_root()) or version != changes.value:
            # Another thread changed the cache meanwhile. None was given, so every value is
            # used: one that failed to convert raises, a suggester is called.
            values = self.check(self.resolve())
        bound = self.bind(values)
        if self.cache[0] is node and self.cache[2] is values:
            self.cache = (node, version, values, bound)
        return bound(*args, **kwargs)

    def bind(self, values: Sequence[Any]) -> Callable:
        """A copy of the function with ``values`` as its defaults (``places`` says where)."""
        func = self.function
        positional = list(func.__defaults__ or ())
        keyword = dict(func.__kwdefaults__ or {})
        for place, value in zip(self.places, values):
            if type(place) is int:
                positional[place] = value
            else:
                keyword[place] = value
        bound = types.FunctionType(
            func.__code__, func.__globals__, func.__name__, tuple(positional), func.__closure__
        )
        bound.__kwdefaults__ = keyword or None
        bound.__qualname__ = func.__qualname__
        return bound

    @staticmethod
    def check(arguments: tuple) -> tuple:
        """The injectable arguments a call receives, from those it binds: a scope value that
        failed to convert raises, a suggester's value is suggested now (the same tuple when
        neither is there)."""
        for argument in arguments:
            if type(argument) in _MARKERS:
                break
        else:
            return arguments
        final = list(arguments)
        for place, argument in enumerate(arguments):
            if type(argument) is _Failed:
                raise ConversionError(argument.message)
            if type(argument) is _Suggested:
                final[place] = argument.value()
        return tuple(final)


#: What ``_Injector.resolve`` leaves for the call to settle: ``check`` looks for these.
_MARKERS = frozenset({_Failed, _Suggested})

#: The injectors a scope notes are swept of dead ones at each multiple of this many.
_NOTED = 64


def _forget_on_exit(node: Any, injector: _Injector) -> None:
    """Note in ``node`` that ``injector`` caches its values, so that its exit drops the cache.

    The note is a plain weak reference (``weakref.ref`` gives back the one an object has), so
    a long-lived scope keeps no request's function alive; the notes of functions that are
    gone are dropped whenever the set grows to a multiple of ``_NOTED``. (A ``WeakSet`` does
    the same at several times the cost, which every ``with`` around a call would pay.)
    """
    noted = node.injectors
    if noted is None:
        node.injectors = {weakref.ref(injector)}
        return
    size = len(noted)
    noted.add(weakref.ref(injector))
    if len(noted) > size and len(noted) % _NOTED == 0:
        noted.difference_update([ref for ref in tuple(noted) if ref() is None])


def _revive(keys: list[str], defaults: list[Any], function: Callable, annotations: list[Any]) -> _Injector:
    """The injector of an unpickled wrapper, its parameters registered in this process."""
    names = [key.rpartition(".")[2] for key in keys]
    for key, name, default, annotation in zip(keys, names, defaults, annotations):
        registry[key] = ParamInfo(key, name, default, annotation, function)
    return _Injector(keys, defaults, function, names, annotations)


def _default_places(function: Callable, names: list[str], defaults: list[Any]) -> Optional[list]:
    """Where each injectable default sits in ``function``'s own defaults: an index into
    ``__defaults__`` or a name in ``__kwdefaults__``; None when that is not a plain function
    whose code declares them (a callable object, or a wrapper reporting another signature).
    """
    if type(function) is not types.FunctionType:
        return None
    code = function.__code__
    positional = code.co_varnames[: code.co_argcount]
    keyword_only = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    own_defaults = function.__defaults__ or ()
    own_kwdefaults = function.__kwdefaults__ or {}
    first_default = len(positional) - len(own_defaults)
    places: list = []
    for name, default in zip(names, defaults):
        if name in positional and positional.index(name) >= first_default:
            place: Any = positional.index(name) - first_default
            declared = own_defaults[place]
        elif name in keyword_only and name in own_kwdefaults:
            place, declared = name, own_kwdefaults[name]
        else:
            return None
        if declared is not default:
            return None
        places.append(place)
    return places


# The fast path is as short as it can be: one cache check, then either a call of the bound
# copy (no injectable argument given) or one test per injectable parameter. Anything else
# (a changed scope, a value that failed to convert, a suggester) takes ``_hp_slow``.
_TEMPLATE = """\
def _hp_make(_hp_f, _hp_inj, _hp_cur, _hp_versions, _hp_NG):
    {defaults}
    {kind}def _hp_slow({params}):
        _hp_v = _hp_inj.resolve()
{fills}
        {checked}_hp_inj.check(({names}))
        return {awaits}_hp_f({call})
    {kind}def {name}({params}):
        _hp_c = _hp_inj.cache
        if _hp_c[0] is not _hp_cur() or _hp_c[1] != _hp_versions.value:
            return {awaits}_hp_slow({call})
{shortcut}
        _hp_v = _hp_c[2]
{fills}
        return {awaits}_hp_f({call})
    return {name}
"""


def _generate(func: Callable, namespace: str) -> Callable:
    """A wrapper with ``func``'s parameter list whose injectable defaults come from the scope."""
    import inspect  # here, not at import: ``import hyperparameter`` stays milliseconds lighter

    _Kind = inspect.Parameter
    injectable = (_Kind.POSITIONAL_OR_KEYWORD, _Kind.KEYWORD_ONLY)
    signature = inspect.signature(func)
    params, call, fills, keys, defaults, originals = [], [], [], [], [], []
    annotations: list[Any] = []
    passed = []  # the call without the injectable parameters
    names = []
    star_seen = False
    for name, p in signature.parameters.items():
        if name.startswith("_hp_"):
            raise TypeError(f"@hp.param: parameter names starting with '_hp_' are reserved, got {name!r}")
        text = name
        if p.kind in injectable and p.default is not _Kind.empty:
            key = valid_key(f"{namespace}.{name}")
            registry[key] = ParamInfo(key, name, p.default, p.annotation, func)
            fills.append(f"        if {name} is _hp_NG: {name} = _hp_v[{len(keys)}]")
            names.append(name)
            keys.append(key)
            defaults.append(p.default)
            annotations.append(p.annotation)
            text = f"{name}=_hp_NG"
        elif p.default is not _Kind.empty:
            text = f"{name}=_hp_d{len(originals)}"
            originals.append(p.default)
        if name not in names:
            passed.append(len(call))
        if p.kind is _Kind.VAR_POSITIONAL:
            text, star_seen = f"*{name}", True
            call.append(f"*{name}")
        elif p.kind is _Kind.VAR_KEYWORD:
            text = f"**{name}"
            call.append(f"**{name}")
        elif p.kind is _Kind.KEYWORD_ONLY:
            if not star_seen:
                params.append("*")
                star_seen = True
            call.append(f"{name}={name}")
        else:
            call.append(name)
        params.append(text)
        if p.kind is _Kind.POSITIONAL_ONLY and (
            len(params) == len(signature.parameters)
            or list(signature.parameters.values())[len(params)].kind is not _Kind.POSITIONAL_ONLY
        ):
            params.append("/")
    injector = _Injector(keys, defaults, func, names, annotations)
    # Without an injectable argument, *args after one is empty too (positions fill in order),
    # so leaving them out of the call shifts nothing.
    shortcut = ""
    if names and injector.places is not None:
        given = " and ".join(f"{name} is _hp_NG" for name in names)
        shortcut = f"        if {given}: return {{awaits}}_hp_c[3]({', '.join(call[i] for i in passed)})"
    source = _TEMPLATE.format(
        defaults="; ".join(f"_hp_d{i} = _hp_defaults[{i}]" for i in range(len(originals))) or "pass",
        kind="async " if inspect.iscoroutinefunction(func) else "",
        name=func.__name__ if func.__name__.isidentifier() and func.__name__[:4] != "_hp_" else "wrapper",
        params=", ".join(params),
        fills="\n".join(fills) or "        pass",
        names="".join(f"{name}, " for name in names),
        checked="".join(f"{name}, " for name in names) + "= " if names else "",
        awaits="await " if inspect.iscoroutinefunction(func) else "",
        call=", ".join(call),
        shortcut=shortcut.format(awaits="await " if inspect.iscoroutinefunction(func) else ""),
    )
    scope_vars: dict = {"_hp_defaults": originals}
    exec(compile(source, f"<hp.param {namespace}>", "exec"), scope_vars)  # noqa: S102
    wrapper = scope_vars["_hp_make"](func, injector, current_get, changes, _NOT_GIVEN)
    functools.update_wrapper(wrapper, func)
    wrapper.__hp_namespace__ = namespace  # type: ignore[attr-defined]
    return wrapper


def _wrap_class(cls: type, namespace: str) -> type:
    # self is positional and has no default, so it is never injected.
    cls.__init__ = _generate(cls.__init__, namespace)  # type: ignore[misc]
    cls.__hp_namespace__ = namespace  # type: ignore[attr-defined]
    return cls


def _decorate(target: Any, namespace: Optional[str]) -> Any:
    name = namespace if namespace is not None else target.__name__
    if isinstance(target, type):
        return _wrap_class(target, name)
    if callable(target):
        return _generate(target, name)
    raise TypeError(f"@hp.param decorates functions and classes, not {target!r}")


@overload
def param(target: F) -> F: ...
@overload
def param(target: Optional[str] = None) -> Callable[[F], F]: ...


def param(target: Union[Callable, str, None] = None) -> Any:
    """Read a function's keyword defaults from the current scope, as ``<namespace>.<name>``.

    Resolution order: an explicit argument, then the innermost scope that sets the key, then
    outer scopes and the frozen baseline, then the signature's default. Values are converted
    to the default's type (bool/int/float/str by the engine's rules; ``Path``, ``Decimal``,
    dates and the other types of ``hp.register_type``'s list likewise), or, for a ``None``
    default, to the annotation's ``T`` / ``Optional[T]``.

    >>> import hyperparameter as hp
    >>> @hp.param("train")
    ... def train(lr=1e-3, batch_size=32):
    ...     return lr, batch_size
    >>> train()
    (0.001, 32)
    >>> with hp.scope(**{"train.lr": 5e-4, "train.batch_size": "64"}):
    ...     train()
    (0.0005, 64)
    >>> train(lr=1e-2)
    (0.01, 32)

    Bare ``@hp.param`` uses the function's (or class's) name as the namespace; on a class,
    ``__init__``'s keyword defaults are injected. ``async def`` functions work the same.
    """
    if callable(target):
        return _decorate(target, None)
    if target is not None and not isinstance(target, str):
        raise TypeError(f"@hp.param takes a namespace string, got {target!r}")
    return lambda func: _decorate(func, target)
