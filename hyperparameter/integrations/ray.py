"""Ray: tasks and actors that run in their caller's scope, for Python and native code alike.

``remote`` is ``ray.remote`` whose calls carry the caller's scope: ``f.remote(...)`` runs ``f``
in the worker inside a snapshot of everything the caller sees at that call (its scopes and its
baseline); an actor reads the scope of its ``Cls.remote(...)`` for its whole life, and each
method call runs in the calling scope laid over it. ``GET_PARAM`` in a C++ extension called
there reads the same values.

Needs Ray: ``pip install hyperparameter[ray]``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from inspect import Parameter
from typing import Any, Callable, Optional

from .. import Scope, scope

try:
    import ray
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError("hyperparameter.integrations.ray needs Ray: pip install hyperparameter[ray]") from exc

__all__ = ["ScopedActorClass", "remote"]


def remote(target: Any = None, /, **ray_options: Any) -> Any:
    """``ray.remote``, whose calls carry the caller's scope.

    ``remote(fn)`` (or ``@remote``, ``@remote(num_cpus=1)``, ``remote(fn, num_cpus=1)``) is a
    Ray remote function: ``fn.remote(...)`` takes a snapshot of what the caller sees, its
    scopes and its baseline, and the task runs ``fn`` inside it. ``.options(...)`` and the
    object refs it returns are Ray's own (``ray.get``, ``ray.wait``); generator functions
    stream as with Ray.

    ``remote(Cls)`` is a ``ScopedActorClass``: ``Cls.remote(...)`` makes an actor whose
    process reads the scope current at that call for the actor's life (its baseline there, so
    threads the actor starts read it too), and ``actor.method.remote(...)`` runs the method in
    the caller's scope laid over it, the caller's values winning. Each call enters a scope of
    its own, so concurrent calls of a threaded (``max_concurrency``) or async actor never see
    each other's. The actor handle is Ray's own: it pickles, ``ray.kill`` takes it, and a handle
    from ``ray.get_actor`` carries the scope too.

    >>> import hyperparameter as hp
    >>> from hyperparameter.integrations.ray import remote
    >>> @remote
    ... def lr():
    ...     return hp.scope.train.lr | 0.001
    >>> with hp.scope(**{"train.lr": 0.1}):
    ...     ref = lr.remote()                      # the scope of this call goes with it
    >>> ray.get([ref, lr.options(num_cpus=1).remote()])
    [0.1, 0.001]
    >>> @remote(max_concurrency=2)
    ... class Trainer:
    ...     def lr(self):
    ...         return hp.scope.train.lr | 0.001
    ...     def bs(self):
    ...         return hp.scope.train.bs | 32
    >>> with hp.scope(**{"train.lr": 0.2, "train.bs": 64}):
    ...     trainer = Trainer.remote()             # the actor's scope, for its life
    >>> with hp.scope(**{"train.lr": 0.3}):
    ...     ray.get([trainer.lr.remote(), trainer.bs.remote()])
    [0.3, 64]
    >>> ray.get(trainer.lr.remote())
    0.2
    """
    if target is None:
        return functools.partial(_remote, options=ray_options)
    return _remote(target, ray_options)


def _remote(target: Any, options: dict) -> Any:
    if inspect.isclass(target):
        made = _runs_in_scope_class(target)
        return ScopedActorClass(ray.remote(**options)(made) if options else ray.remote(made))
    if inspect.isfunction(target):
        task = _runs_in_scope(target, at=0)
        return ray.remote(**options)(task) if options else ray.remote(task)
    hint = (
        " (give it the function or class itself, not ray.remote's result)"
        if hasattr(target, "remote")
        else ""
    )
    raise TypeError(f"remote() takes a function or a class, not {type(target).__name__} {target!r}{hint}")


class ScopedActorClass:
    """An actor class made by ``remote(Cls)``: ``.remote(...)`` makes an actor in the caller's
    scope (see ``remote``); ``.options(...)`` is Ray's, and gives a ``ScopedActorClass`` too.

    ``actor_class`` is the Ray actor class underneath, whose constructor takes the scope
    first (``ScopedActorClass`` passes it).

    >>> import hyperparameter as hp
    >>> from hyperparameter.integrations.ray import remote
    >>> @remote
    ... class Worker:
    ...     def seed(self):
    ...         return hp.scope.seed | 0
    >>> with hp.scope(seed=7):
    ...     worker = Worker.options(num_cpus=0).remote()
    >>> ray.get(worker.seed.remote())
    7
    """

    __slots__ = ("actor_class",)

    def __init__(self, actor_class: Any) -> None:
        self.actor_class = actor_class

    def remote(self, *args: Any, **kwargs: Any) -> Any:
        """Make an actor (``Cls(*args, **kwargs)`` in its own process) in the current scope."""
        return self.actor_class.remote(_Carried(scope.snapshot()), *args, **kwargs)

    def options(self, **actor_options: Any) -> ScopedActorClass:
        """This class with Ray's actor options (``num_cpus``, ``max_concurrency``, ``name``...)."""
        return ScopedActorClass(self.actor_class.options(**actor_options))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("an actor class is not called: make an actor with .remote(...)")

    def __repr__(self) -> str:
        return f"<ScopedActorClass {self.actor_class!r}>"


# --- the caller's side: Ray's invocation hook adds the scope to every call ----------------------


class _Carried:
    """The hidden first argument of a call: the caller's scope on its way to the worker. Its own
    type, so that the actor's own code calling a method directly (``self.reset()``) is told
    apart from a call through Ray."""

    __slots__ = ("snapshot",)

    def __init__(self, snapshot: Scope) -> None:
        self.snapshot = snapshot

    def __reduce__(self) -> tuple:
        return (_Carried, (self.snapshot,))


def _carry_scope(invocation: Callable[[Any, dict], Any]) -> Callable[[Any, dict], Any]:
    """Ray's invocation decorator (``__ray_invocation_decorator__``): wraps how a task or an
    actor method call is submitted, so the caller's scope goes as its first argument. Ray keeps
    it with the function and with every actor handle, wherever the handle travels."""

    def invoke(args: Any, kwargs: dict) -> Any:
        return invocation([_Carried(scope.snapshot()), *args], kwargs)

    return invoke


def _carry_scope_under(outer: Callable, invocation: Callable) -> Callable:
    """A function's own invocation decorator, over ours: it sees the arguments as given."""
    return outer(_carry_scope(invocation))


# --- the worker's side: the callable Ray runs takes the scope and enters it --------------------

#: What a direct call, from the actor's own code, runs in: the scope it is made in.
_NO_SCOPE = contextlib.nullcontext()


def _runs_in_scope(fn: Callable, at: int) -> Callable:
    """``fn`` taking a snapshot as argument ``at`` (after ``self`` for a method), run inside it.

    It is the same kind of callable as ``fn`` (a coroutine function, a generator...), as Ray
    tells async actors and streaming tasks by that; a coroutine or generator enters the scope
    in its own frame, in the task or thread that runs it.
    """

    def split(args: tuple) -> tuple:
        if len(args) > at and type(args[at]) is _Carried:
            return args[at].snapshot, args[:at] + args[at + 1 :]
        return _NO_SCOPE, args

    if inspect.isasyncgenfunction(fn):

        async def call(*args: Any, **kwargs: Any) -> Any:
            snapshot, args = split(args)
            with snapshot:
                async for item in fn(*args, **kwargs):
                    yield item

    elif inspect.iscoroutinefunction(fn):

        async def call(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            snapshot, args = split(args)
            with snapshot:
                return await fn(*args, **kwargs)

    elif inspect.isgeneratorfunction(fn):

        def call(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            snapshot, args = split(args)
            with snapshot:
                return (yield from fn(*args, **kwargs))

    else:

        def call(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            snapshot, args = split(args)
            with snapshot:
                return fn(*args, **kwargs)

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(call, name, getattr(fn, name, None))
    # Ray's options set on the function (@ray.method's __ray_num_returns__ ...). Not __wrapped__:
    # Ray reads the signature of what it unwraps, and it must be this one, scope included.
    call.__dict__.update({k: v for k, v in vars(fn).items() if k.startswith("__ray_")})
    signature = _signature_with_scope(fn, at)
    if signature is not None:
        call.__signature__ = signature  # type: ignore[attr-defined]
    outer = getattr(fn, "__ray_invocation_decorator__", None)
    call.__ray_invocation_decorator__ = (  # type: ignore[attr-defined]
        _carry_scope if outer is None else functools.partial(_carry_scope_under, outer)
    )
    return call


def _signature_with_scope(fn: Callable, at: int) -> Optional[inspect.Signature]:
    """``fn``'s signature with a positional-only scope parameter at ``at``: Ray checks each
    call's arguments against it, so a wrong call fails where it is made, naming the parameter."""
    try:
        signature = inspect.signature(fn)
        params = list(signature.parameters.values())
        names = {param.name for param in params}
        name = "hp_scope"
        while name in names:
            name = "_" + name
        head = [param.replace(kind=Parameter.POSITIONAL_ONLY) for param in params[:at]]
        hidden = Parameter(name, Parameter.POSITIONAL_ONLY)
        return signature.replace(parameters=[*head, hidden, *params[at:]])
    except (TypeError, ValueError):  # no signature, or one this cannot extend: Ray checks none
        return None


def _runs_in_scope_class(cls: type) -> type:
    """A subclass of ``cls`` whose constructor makes the scope it is given its process's
    baseline, and whose methods run in the scope each call brings."""
    namespace: dict = {"__init__": _init_in_scope(cls), "__doc__": cls.__doc__}
    for name in dir(cls):
        member = inspect.getattr_static(cls, name)
        if not name.startswith("__") and inspect.isfunction(member):
            namespace[name] = _runs_in_scope(member, at=1)
    made = type(cls)(cls.__name__, (cls,), namespace)
    made.__module__, made.__qualname__ = cls.__module__, cls.__qualname__
    return made


def _init_in_scope(cls: type) -> Callable:
    original = cls.__init__  # type: ignore[misc]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if args and type(args[0]) is _Carried:
            # An actor has a process of its own: its construction scope becomes that process's
            # baseline, read by every call and every thread (native ones too) for its life.
            scope.init(args[0].snapshot)
            args = args[1:]
        original(self, *args, **kwargs)

    signature = _signature_with_scope(original, at=1)
    if signature is not None:
        __init__.__signature__ = signature  # type: ignore[attr-defined]
    return __init__
