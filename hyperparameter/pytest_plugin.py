"""A pytest plugin: the ``hp_scope`` fixture runs a test in a scope of its own.

Installing the package registers it (the ``pytest11`` entry point named ``hyperparameter``);
without the package's metadata, load it with ``pytest -p hyperparameter.pytest_plugin``. Turn
it off with ``-p no:hyperparameter``. Nothing in it is autouse: a test that does not ask for the
fixture runs as it would without the plugin.

The plugin imports nothing of the library when pytest loads it (Python still runs the package's
``__init__``, which is light): the library's modules are imported by the fixture, when a test
first asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from ._scope import Scope
    from ._state import Node


@pytest.fixture
def hp_scope() -> Iterator[Scope]:
    """The test runs in a fresh scope, entered for it: what it sets there vanishes after it.

    ``hp_scope["k.v"] = 1`` (or ``hp_scope.k.v = 1``) writes into that scope;
    ``hp_scope.k.v | 0``, ``hp.scope.k.v | 0`` and ``@hp.param`` functions read it. The scope
    sees the outer scopes and the frozen baseline, as any scope does. After the test the scope
    is left, and the frozen baseline and this thread's root scope are put back as they were
    before it, so a test that calls ``hp.scope.frozen()`` or writes at the root
    (``hp.scope.init(...)``) does not leak into the next one. Scopes the test entered and did
    not leave are left for it, and reported as an error of the test (``ScopeOrderError``).

    .. code-block:: python

        import hyperparameter as hp

        @hp.param("train")
        def train(lr=0.1):
            return lr

        def test_lr(hp_scope):
            hp_scope["train.lr"] = 0.5
            assert train() == 0.5
            hp.scope.frozen()          # every thread sees 0.5, until this test ends

        def test_lr_again(hp_scope):
            assert train() == 0.1      # nothing leaked
    """
    import hyperparameter as hp
    from hyperparameter._state import baseline, current_node, thread_root

    root = thread_root()
    root_values = dict(root.values)
    root_sources = dict(root.sources or {})
    baseline.refresh()
    published = baseline.values
    made = hp.scope()
    made.__enter__()
    node = current_node()
    try:
        yield made
    finally:
        left = _leave_to(node)
        if current_node() is node:
            made.__exit__(None, None, None)
        _put_back_root(root, root_values, root_sources)
        baseline.refresh()
        if baseline.values is not published:
            with hp.scope.empty() as blank:
                for key, value in published.items():
                    blank.set(key, value)
                hp.scope.frozen()
        if left:
            raise hp.ScopeOrderError(
                f"the test left {len(left)} scope(s) entered, innermost first: {'; '.join(left)}. "
                "hp_scope left them after it; leave each scope the test enters (use `with`)"
            )


def _leave_to(node: Node) -> list[str]:
    """Leave the scopes entered above ``node``, innermost first; what each held, as text."""
    from hyperparameter import ScopeOrderError
    from hyperparameter._state import current_node

    left = []
    while True:
        current = current_node()
        if current is node or current.token is None or current.scope is None:
            return left
        left.append(repr(current.scope))
        try:
            current.scope.__exit__(None, None, None)
        except ScopeOrderError:  # entered in another context: nothing here can leave it
            return left
        if current_node() is current:
            return left


def _put_back_root(root: Node, values: dict, sources: dict) -> None:
    """Make the thread's root node hold exactly ``values`` (and their source labels) again."""
    now = root.values
    same = len(now) == len(values) and all(now.get(key, now) is value for key, value in values.items())
    if same and (root.sources or {}) == sources:
        return
    root.clear()
    for key, value in values.items():
        root.set(key, value, sources.get(key))
