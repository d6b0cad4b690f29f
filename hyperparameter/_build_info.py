"""Where the installed headers and shared library are, for building native extensions."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def get_include() -> str:
    """The directory holding ``hyperparameter.h`` and ``hyperparameter.hpp``.

    >>> import hyperparameter as hp, os
    >>> os.path.exists(os.path.join(hp.get_include(), "hyperparameter.h"))
    True
    """
    return str(_PACKAGE / "include")


def get_library() -> str:
    """The path of the installed ``libhyperparameter.so`` (the one the Python package uses).

    >>> import hyperparameter as hp
    >>> hp.get_library().endswith("libhyperparameter.so")
    True
    """
    return str(_PACKAGE / "libhyperparameter.so")


def get_cmake_dir() -> str:
    """The directory of ``hyperparameterConfig.cmake`` (``-Dhyperparameter_DIR=...``)."""
    return str(_PACKAGE / "cmake")


def get_pkgconfig_dir() -> str:
    """The directory of ``hyperparameter.pc`` (add it to ``PKG_CONFIG_PATH``)."""
    return str(_PACKAGE / "pkgconfig")


def compile_flags() -> list[str]:
    return [f"-I{get_include()}"]


def link_flags() -> list[str]:
    lib_dir = str(Path(get_library()).parent)
    return [f"-L{lib_dir}", "-lhyperparameter", f"-Wl,-rpath,{lib_dir}"]
