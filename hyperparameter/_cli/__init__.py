"""The command line: ``hp.launch`` (a program built from ``@hp.param`` functions) and the ``hp``
tool (parameters of code that is not run).

Each module depends only on modules above it in this list:

- ``text``: what every message shares: ``table()``, the one "did you mean", ``printable()``
  for text from files and the command line, and paths shown relative to the working folder.
- ``dump``: ``--dump-params``: parameters written back as TOML, YAML or JSON.
- ``scan``: the static scan of Python sources (no user code runs) and ``SourceScan``, what a
  program's own files declare and read.
- ``sweeps``: what ``-m`` adds to a command line, as text: the sweep options and the sweep
  values of ``-D`` (lists, ``range``, distributions).
- ``command``: ``Command``, one function as a command: its parameters, their types, options
  and help.
- ``report``: ``RunReport`` (``-lps``, ``-ep``, ``--dump-params``) and the unknown ``-D`` key
  warnings.
- ``options``: the parser, the options every program has, and ``parse()``, which turns
  ``argv`` into an ``Invocation``.
- ``layers``: the values of a run, weakest first: ``--config`` files, ``-D``, options.
- ``runs``: one run of a sweep, in this process or in a worker (``run_one``), and the files
  of its folder.
- ``launchers``: where the runs of a sweep go (``local``, ``dask``, ``ray``).
- ``sweepers``: which runs a sweep makes (``grid``, ``optuna``).
- ``multirun``: ``sweep()``, what ``-m`` does: check, run, show progress and a summary.
- ``launch``: ``run()``, what ``hp.launch`` does: parse, read the layers, execute (or sweep).
- ``tool``: the ``hp`` console script (``hp list``, ``hp explain``).

Nothing is imported here, so ``hyperparameter._schema`` can take ``text`` alone cheaply and
``hp.launch --help`` loads only what an ordinary run needs (``report``, ``scan``, ``dump``,
config files and everything a sweep runs with are loaded when used).
"""
