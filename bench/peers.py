"""hyperparameter beside its peers: the same workloads, each library in its own process.

    python bench/peers.py [--venvs DIR] [--rounds N]

Installs hyperparameter 0.6.0 (the original library; it shares this package's name, so it gets
a venv of its own) and OmegaConf + gin-config (another venv) under DIR (default
``~/.cache/hyperparameter-bench``; made once, reused), then runs every workload in each
library's own interpreter and prints one table. Each process also measures the plain-Python
floors (a dict ``get``, a plain 3-keyword call), and every ratio is to the floor measured in
that same process, in interleaved rounds (best of N), so a noisy machine changes the
nanoseconds more than the ratios. This package is measured as installed in the running
interpreter. Not part of the test suite: it needs the network the first time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

#: Workload name -> (setup, statement) per library; a missing entry is "—" in the table.
WORKLOADS = {
    "hp.scope.model.layers._0.size | 10": {
        "ours": ("", "hp.scope.model.layers._0.size | 10"),
        "upstream 0.6.0": ("", "hp.scope.model.layers._0.size | 10"),
        "OmegaConf": ("", "cfg.model.layers[0].size"),
    },
    "ps.model.layers._0.size | 10 (a Scope object)": {
        "ours": ("", "ps.model.layers._0.size | 10"),
        "upstream 0.6.0": ("", "ps.model.layers._0.size | 10"),
    },
    'ps["model.layers._0.size"] | 10 (a Scope object)': {
        "ours": ("", 'ps["model.layers._0.size"] | 10'),
        "upstream 0.6.0": ("", 'ps["model.layers._0.size"] | 10'),
        "OmegaConf": ("", 'OmegaConf.select(cfg, "model.layers.0.size", default=10)'),
    },
    "3-parameter injected call in a scope": {
        "ours": ("", "injected()"),
        "upstream 0.6.0": ("", "injected()"),
        "gin": ("", "gin_injected()"),
    },
    "with scope(one override): pass": {
        "ours": ("", 'with hp.scope(**{"a.b": 1}): pass'),
        "upstream 0.6.0": ("", 'with hp.scope(**{"a.b": 1}): pass'),
        "gin": ("", 'with gin.config_scope("s"): pass'),
    },
}

#: Run in each library's process: sets up the objects the statements use, times them with
#: the floors in interleaved rounds, prints JSON {statement: best ns}.
RUNNER = textwrap.dedent(
    """
    import json, sys, timeit
    library, rounds, statements = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    env = {"table": {"model.layers._0.size": 20}}
    def plain(a=1, b=2, c=3):
        return a
    env["plain"] = plain
    if library in ("ours", "upstream 0.6.0"):
        import hyperparameter as hp
        @hp.param("inj")
        def injected(a=1, b=2, c=3):
            return a
        env.update(hp=hp, injected=injected)
        scope = hp.scope(**{"model.layers._0.size": 20, "inj.a": 2})
        env["ps"] = scope.__enter__()
    else:
        from omegaconf import OmegaConf
        import gin
        @gin.configurable
        def gin_injected(a=1, b=2, c=3):
            return a
        gin.parse_config("gin_injected.a = 2")
        cfg = OmegaConf.create({"model": {"layers": [{"size": 20}]}})
        env.update(OmegaConf=OmegaConf, gin=gin, cfg=cfg, gin_injected=gin_injected)
    statements = ["table.get('model.layers._0.size', 10)", "plain()"] + statements
    timers = [timeit.Timer(s, globals=env) for s in statements]
    loops = [max(1, t.autorange()[0] // 10) for t in timers]
    best = [float("inf")] * len(timers)
    for _ in range(rounds):
        for i, t in enumerate(timers):
            best[i] = min(best[i], t.timeit(loops[i]) / loops[i] * 1e9)
    print(json.dumps(dict(zip(statements, best))))
    """
)

VENVS = {
    "upstream 0.6.0": ["hyperparameter==0.6.0"],
    "peers": ["omegaconf", "gin-config"],
}


def python_of(name: str, root: Path) -> str:
    """The interpreter of the bench venv ``name``, made and filled on first use."""
    where = root / name.replace(" ", "-")
    python = where / ("Scripts" if os.name == "nt" else "bin") / "python"
    if not python.exists():
        print(f"making the bench venv {where} ...", file=sys.stderr)
        venv.create(where, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *VENVS[name]], check=True)
    return str(python)


def measure(library: str, python: str, rounds: int, cwd: Path) -> dict:
    statements = [per[library][1] for per in WORKLOADS.values() if library in per]
    done = subprocess.run(
        [python, "-c", RUNNER, library, str(rounds), json.dumps(statements)],
        capture_output=True,
        text=True,
        cwd=cwd,  # not the repository: its source tree would shadow the venv's package
    )
    if done.returncode:
        raise SystemExit(f"{library}: the bench failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venvs", type=Path, default=Path.home() / ".cache" / "hyperparameter-bench")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    args.venvs.mkdir(parents=True, exist_ok=True)
    interpreters = {
        "ours": sys.executable,
        "upstream 0.6.0": python_of("upstream 0.6.0", args.venvs),
        "OmegaConf": python_of("peers", args.venvs),
        "gin": python_of("peers", args.venvs),
    }
    results = {}
    for library, python in interpreters.items():
        print(f"measuring {library} ...", file=sys.stderr)
        results[library] = measure(library, python, args.rounds, args.venvs)
    libraries = list(interpreters)
    print("| workload | " + " | ".join(libraries) + " |")
    print("|---" * (len(libraries) + 1) + "|")
    for name, per in WORKLOADS.items():
        cells = []
        for library in libraries:
            if library not in per:
                cells.append("—")
                continue
            times = results[library]
            statement = per[library][1]
            floor = "plain()" if "injected" in statement else "table.get('model.layers._0.size', 10)"
            cells.append(f"{times[statement]:,.0f} ns ({times[statement] / times[floor]:.1f}×)")
        shown = name.replace("|", "\\|")  # a table cell cannot hold a bare |
        print(f"| `{shown}` | " + " | ".join(cells) + " |")
    print(
        "\nRatios are to the floor measured in the same process: a dict `get` for reads and "
        "scopes, a plain 3-keyword call for injected calls."
    )


if __name__ == "__main__":
    main()
