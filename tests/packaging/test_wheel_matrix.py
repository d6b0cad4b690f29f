"""Where wheels are built: cibuildwheel's configuration in pyproject.toml and the workflow in
.github/workflows/wheels.yml. The builds themselves need Docker, macOS and Windows runners, so
what the suite checks is what cibuildwheel would build, what the workflow runs and publishes,
and that the tests each wheel gets pass against an installed wheel."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml
from builds import ROOT, Venv, clean_env, copy_tests, run, tool

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CIBW = PYPROJECT["tool"]["cibuildwheel"]
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "wheels.yml").read_text(encoding="utf-8"))
CPYTHONS = ["cp39", "cp310", "cp311", "cp312", "cp313"]
EXPECTED = {
    "linux": {f"{cp}-manylinux_{arch}" for cp in CPYTHONS for arch in ("x86_64", "aarch64")},
    "macos": {f"{cp}-macosx_{arch}" for cp in CPYTHONS for arch in ("x86_64", "arm64")},
    "windows": {f"{cp}-win_amd64" for cp in CPYTHONS},
}


def pinned_cibuildwheel() -> str:
    (requirement,) = [
        r for r in PYPROJECT["project"]["optional-dependencies"]["test"] if r.startswith("cibuildwheel")
    ]
    return re.match(r"cibuildwheel==([\d.]+)", requirement).group(1)


@pytest.mark.skipif(tool("cibuildwheel") is None, reason="cibuildwheel (test extra) runs on Python >= 3.11")
@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_cibuildwheel_builds_cpython_39_to_313_for_each_platform(platform: str) -> None:
    env = clean_env()
    env.pop("CIBW_ARCHS", None)
    listed = run(
        [tool("cibuildwheel"), "--print-build-identifiers", "--platform", platform], cwd=ROOT, env=env
    )
    assert set(listed.stdout.split()) == EXPECTED[platform], listed.stdout + listed.stderr


def test_cibuildwheel_installs_rust_in_the_linux_container_and_tests_with_the_test_extra() -> None:
    linux = CIBW["linux"]
    assert "sh.rustup.rs" in linux["before-all"]
    assert linux["environment"]["PATH"].startswith("$HOME/.cargo/bin:")
    assert CIBW["test-extras"] == ["test"]
    for command in (CIBW["test-command"], CIBW["windows"]["test-command"]):
        assert command.startswith("python -m pytest tests/python ")
    assert "tests" in CIBW["test-sources"]


def test_the_workflow_builds_every_platform_and_the_sdist() -> None:
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["tags"] == ["v*"] and "pull_request" in triggers
    jobs = WORKFLOW["jobs"]
    assert set(jobs) == {"wheels", "sdist", "publish"}
    matrix = jobs["wheels"]["strategy"]["matrix"]["include"]
    runners = {(entry["runner"].split("-")[0], entry["archs"]) for entry in matrix}
    assert runners == {
        ("ubuntu", "x86_64"),
        ("ubuntu", "aarch64"),
        ("macos", "x86_64"),
        ("macos", "arm64"),
        ("windows", "AMD64"),
    }
    uses = [step["uses"] for step in jobs["wheels"]["steps"] if "uses" in step]
    assert f"pypa/cibuildwheel@v{pinned_cibuildwheel()}" in uses, "the workflow and the test extra disagree"
    sdist_steps = " ".join(step.get("run", "") for step in jobs["sdist"]["steps"])
    assert "python -m build --sdist" in sdist_steps and "--backend" in sdist_steps


def test_the_workflow_publishes_only_from_a_tag_with_trusted_publishing() -> None:
    publish = WORKFLOW["jobs"]["publish"]
    assert set(publish["needs"]) == {"wheels", "sdist"}
    condition = publish["if"].replace(" ", "")
    assert condition == "github.event_name=='push'&&startsWith(github.ref,'refs/tags/v')"
    assert publish["permissions"] == {"id-token": "write"}  # no stored token
    assert [s["uses"] for s in publish["steps"]][-1].startswith("pypa/gh-action-pypi-publish@")
    assert WORKFLOW["permissions"] == {"contents": "read"}


def test_the_tests_each_wheel_gets_pass_against_the_installed_wheel(installed: Venv, tmp_path: Path) -> None:
    """cibuildwheel's test step, here: its test-sources copied into a folder of their own, and
    its test-command run there by the Python of a venv that holds the wheel."""
    tree = copy_tests(tmp_path / "tree", CIBW["test-sources"])
    command = shlex.split(CIBW["test-command"])
    assert command[0] == "python"
    ran = run([installed.python, *command[1:]], cwd=tree, env=clean_env(), check=False, timeout=1200)
    tail = "\n".join((ran.stdout + ran.stderr).splitlines()[-30:])
    assert ran.returncode == 0, tail
    assert " passed" in ran.stdout and " failed" not in ran.stdout, tail
