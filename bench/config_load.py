"""Loading a 2,000-key YAML file with 100 ``${...}`` references, in ms per load.

Run by hand: ``python bench/config_load.py``. One run times, on the same generated file:

* ``yaml.safe_load`` alone (the floor the target is stated against: within 1.5x);
* ``yaml.load(..., CSafeLoader)`` alone, for context (libyaml; what ``hp.config`` uses when
  PyYAML was built with it);
* ``hp.config(path)``: read, parse, check, merge, resolve the references, track provenance;
  and again with libyaml hidden, as when PyYAML was built without it;
* OmegaConf ``load`` + ``to_container(resolve=True)``, if installed (target: hp.config ahead).
"""

from __future__ import annotations

import sys
import tempfile
import timeit
from pathlib import Path

import yaml

import hyperparameter as hp

SECTIONS = 40
KEYS_PER_SECTION = 50  # 40 x 50 = 2,000 keys
REFERENCES = 100
REPEAT = 7


def generate(path: Path) -> None:
    """2,000 leaves in 40 sections; 100 of them refer to other values (whole or inside text)."""
    lines = []
    count = 0
    for s in range(SECTIONS):
        lines.append(f"section_{s}:")
        for k in range(KEYS_PER_SECTION):
            if k % 20 == 9 and (k < 40 or s % 2):
                target = f"section_{(s + 1) % SECTIONS}.key_{k - 9}"
                value = f"${{{target}}}" if count % 2 else f"'run-${{{target}}}-{k}'"
                count += 1
            elif k % 4 == 0:
                value = str(k * 7 + s)
            elif k % 4 == 1:
                value = f"{(k + s) / 1000}"
            elif k % 4 == 2:
                value = "true" if (k + s) % 2 else "false"
            else:
                value = f"name_{s}_{k}"
            lines.append(f"  key_{k}: {value}")
    assert count == REFERENCES, count
    path.write_text("\n".join(lines) + "\n")


def best_ms(func, number: int) -> float:
    return min(timeit.repeat(func, repeat=REPEAT, number=number)) / number * 1e3


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "big.yaml"
    generate(path)

    def safe_load():
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)

    def c_safe_load():
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=yaml.CSafeLoader)

    def hp_config():
        return hp.config(path)

    cfg = hp_config()
    assert cfg["section_0"]["key_9"] == f"run-{cfg['section_1']['key_0']}-9"
    assert cfg["section_0"]["key_29"] == cfg["section_1"]["key_20"]
    leaves = sum(1 for _ in cfg.flat())
    print(f"file: {leaves:,} keys, {REFERENCES} references, {path.stat().st_size:,} bytes")
    print(f"python {sys.version.split()[0]}, PyYAML {yaml.__version__} "
          f"(libyaml: {'yes' if yaml.__with_libyaml__ else 'no'}), backend {hp.backend_name()}")

    rows = [("yaml.safe_load (floor)", best_ms(safe_load, 5))]
    if yaml.__with_libyaml__:
        rows.append(("yaml.load CSafeLoader (context)", best_ms(c_safe_load, 20)))
    rows.append(("hp.config", best_ms(hp_config, 20)))
    if yaml.__with_libyaml__:
        # hp.config falls back to the pure-Python SafeLoader when PyYAML lacks libyaml.
        c_loader = yaml.CSafeLoader
        del yaml.CSafeLoader
        try:
            rows.append(("hp.config without libyaml", best_ms(hp_config, 5)))
        finally:
            yaml.CSafeLoader = c_loader
    try:
        from omegaconf import OmegaConf
    except ImportError:
        print("note: omegaconf is not installed; skipping the OmegaConf comparison")
    else:
        def omegaconf_load():
            return OmegaConf.to_container(OmegaConf.load(path), resolve=True)

        expected = omegaconf_load()
        assert expected == cfg, "OmegaConf and hp.config disagree on the resolved values"
        rows.append(("OmegaConf.load + to_container", best_ms(omegaconf_load, 3)))

    floor = rows[0][1]
    print(f"{'loader':34} {'ms/load':>9} {'vs safe_load':>13}")
    for name, ms in rows:
        print(f"{name:34} {ms:9.2f} {ms / floor:12.2f}x")
    times = dict(rows)
    for name in ("hp.config", "hp.config without libyaml"):
        if name in times:
            ratio = times[name] / floor
            verdict = "meets" if ratio <= 1.5 else "MISSES"
            print(f"target {name} <= 1.5x yaml.safe_load: {ratio:.2f}x ({verdict})")
    if "OmegaConf.load + to_container" in times:
        speedup = times["OmegaConf.load + to_container"] / times["hp.config"]
        print(f"target hp.config ahead of OmegaConf: {speedup:.1f}x faster"
              f" ({'meets' if speedup > 1 else 'MISSES'})")


if __name__ == "__main__":
    main()
