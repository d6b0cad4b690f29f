"""Where the installed headers and shared library are, for building native extensions."""

from __future__ import annotations

import os

# os.path rather than pathlib: `import hyperparameter` loads this module, and pathlib would
# add milliseconds to every program's start.
_PACKAGE = os.path.dirname(os.path.realpath(__file__))


def get_include() -> str:
    """The directory holding ``hyperparameter.h`` and ``hyperparameter.hpp``.

    >>> import hyperparameter as hp, os
    >>> os.path.exists(os.path.join(hp.get_include(), "hyperparameter.h"))
    True
    """
    return os.path.join(_PACKAGE, "include")


def get_library() -> str:
    """The path of the installed ``libhyperparameter.so`` (the one the Python package uses).

    >>> import hyperparameter as hp
    >>> hp.get_library().endswith("libhyperparameter.so")
    True
    """
    return os.path.join(_PACKAGE, "libhyperparameter.so")


def get_cmake_dir() -> str:
    """The directory of ``hyperparameterConfig.cmake`` (``-Dhyperparameter_DIR=...``).

    >>> import hyperparameter as hp, os
    >>> os.path.exists(os.path.join(hp.get_cmake_dir(), "hyperparameterConfig.cmake"))
    True
    """
    return os.path.join(_PACKAGE, "cmake")


def get_pkgconfig_dir() -> str:
    """The directory of ``hyperparameter.pc`` (add it to ``PKG_CONFIG_PATH``).

    >>> import hyperparameter as hp, os
    >>> os.path.exists(os.path.join(hp.get_pkgconfig_dir(), "hyperparameter.pc"))
    True
    """
    return os.path.join(_PACKAGE, "pkgconfig")


def compile_flags() -> list[str]:
    return [f"-I{get_include()}"]


def link_flags() -> list[str]:
    lib_dir = os.path.dirname(get_library())
    return [f"-L{lib_dir}", "-lhyperparameter", f"-Wl,-rpath,{lib_dir}"]
