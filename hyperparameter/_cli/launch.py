"""``hp.launch``: a command line built from ``@hp.param`` signatures and docstrings.

``run()`` parses the command line (``options``), reads the layers of values (``layers``) and
executes the chosen command inside one scope holding them; with ``-m``, ``multirun`` runs it
once per swept value instead. Startup matters (``--help`` must be quick), so what only some
runs need — the static scan behind ``-lps``/``-ep``/``--strict``, the report, config files,
dumping, sweeps — is imported where it is used.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from .._scope import scope
from . import layers, sweeps
from .command import Command, collect
from .layers import Layers
from .options import Invocation, parse


def run(
    target: Union[Callable, Sequence[Callable], None],
    argv: Optional[Sequence[str]],
    prog: Optional[str],
    caller_globals: Mapping[str, Any],
) -> Any:
    """What ``hp.launch(target, argv, prog)`` does; its docstring describes the program.

    ``caller_globals`` are the globals of ``hp.launch``'s caller: with no ``target``, every
    ``@hp.param`` function defined in that module becomes a subcommand.

    In a worker process of a sweep that is importing the program (which calls ``hp.launch`` at
    import when it has no ``if __name__ == "__main__":`` guard), it does nothing and returns
    None: the worker runs its runs itself.
    """
    if sweeps.starting_a_worker():
        return None
    functions = collect(target, caller_globals)
    commands = [Command(f) for f in functions]
    invocation = parse(commands, list(sys.argv[1:] if argv is None else argv), prog)
    if invocation.sweep is not None:
        from .multirun import sweep

        return sweep(invocation, functions, prog)
    return execute(invocation, layers.read(invocation))


def execute(invocation: Invocation, values: Layers) -> Any:
    """Run the chosen command in a scope holding ``values`` (or, for ``-lps``/``-ep``, report
    and exit); then write ``--dump-params`` and warn of ``-D`` keys that nothing read."""
    options = invocation.options
    with scope() as ps:
        values.apply(ps)
        if options.inspecting:
            from .report import RunReport

            report = RunReport(invocation.listed, ps, invocation.source_scan, invocation.commands)
            raise SystemExit(
                report.report(options.list_params, options.explain_param, values.unknown, values.defined())
            )
        assert invocation.chosen is not None  # parse() asks for a command unless inspecting
        try:
            result = invocation.chosen.call(invocation.args)
            if options.dump_params:
                from .report import RunReport

                report = RunReport(invocation.listed, ps, invocation.source_scan, invocation.commands)
                report.dump(options.dump_params)
            return result
        finally:
            if values.unknown:
                from .report import warn_unread

                warn_unread(values.unknown, lambda: invocation.source_scan)
