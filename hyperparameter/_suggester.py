"""The suggester: a parameter value that is computed again on every read.

It is its own module, importing nothing of the package, because the read paths of
``_state``, ``_scope`` and ``_param`` test for it by its exact type; the public module that
makes suggesters is ``hyperparameter.tune``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional


class Suggester:
    """A parameter value that reads as ``callback()``, called again on every read.

    ``hp.scope.x | 0``, ``hp.scope.x()`` and each call of an ``@hp.param`` function call it;
    listings (``to_dict``, ``items``, ``-lps``, ``--dump-params``, ``hp.effective_params``)
    show it and never call it. Native code sees a host object (a typed read is a type
    mismatch). Made by ``hyperparameter.tune.suggest_from`` and ``lazy_dispatch``.

    >>> import hyperparameter as hp
    >>> from hyperparameter.tune import Suggester
    >>> values = iter([3, 5])
    >>> def take():
    ...     return next(values)
    >>> with hp.scope(n=Suggester(take)) as ps:
    ...     (hp.scope.n | 0, hp.scope.n | 0, ps.to_dict())
    (3, 5, {'n': suggest_from(<function take>)})
    """

    __slots__ = ("callback", "label")

    def __init__(self, callback: Callable[[], Any], label: Optional[str] = None) -> None:
        if not callable(callback):
            raise TypeError(f"a suggester needs a callable taking no arguments, got {callback!r}")
        self.callback = callback
        self.label = label

    def __call__(self) -> Any:
        return self.callback()

    def __repr__(self) -> str:
        if self.label is not None:
            return self.label
        return f"suggest_from({describe(self.callback)})"


#: How ``describe`` names the callables it shows by name.
_KINDS = {
    "function": "function",
    "builtin_function_or_method": "function",
    "method": "method",
    "type": "class",
}


def describe(target: Any) -> str:
    """A short, address-free description of a callable or object: ``<function counter>``,
    ``<Trial>``; an object with a repr of its own keeps it (shortened)."""
    kind = type(target).__name__
    shown = _KINDS.get(kind)
    if shown is not None:
        name = getattr(target, "__qualname__", None) or getattr(target, "__name__", "?")
        return f"<{shown} {name}>"
    text = repr(target)
    if " object at 0x" in text or len(text) > 80:
        return f"<{kind}>"
    return text
