"""The command line: ``hp.launch`` (a program built from ``@hp.param`` functions) and the ``hp``
tool (parameters of code that is not run).

Each module depends only on modules above it in this list:

- ``text``: what every message shares: ``table()``, the one "did you mean", ``printable()``
  for text from files and the command line, and paths shown relative to the working folder.
- ``dump``: ``--dump-params``: parameters written back as TOML, YAML or JSON.
- ``scan``: the static scan of Python sources (no user code runs) and ``SourceScan``, what a
  program's own files declare and read.
- ``command``: ``Command``, one function as a command: its parameters, their types, options
  and help.
- ``report``: ``RunReport`` (``-lps``, ``-ep``, ``--dump-params``) and the unknown ``-D`` key
  warnings.
- ``options``: the parser, the options every program has, and ``parse()``, which turns
  ``argv`` into an ``Invocation``.
- ``layers``: the values of a run, weakest first: ``--config`` files, ``-D``, options.
- ``launch``: ``run()``, what ``hp.launch`` does: parse, read the layers, execute.
- ``tool``: the ``hp`` console script (``hp list``, ``hp explain``).

Nothing is imported here, so ``hyperparameter._schema`` can take ``text`` alone cheaply and
``hp.launch --help`` loads only what an ordinary run needs (``report``, ``scan``, ``dump``
and config files are loaded when used).
"""
