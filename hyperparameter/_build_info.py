"""Where the installed headers and shared library are, for building native extensions."""

from __future__ import annotations

import os
import sys
from typing import Optional

# os.path rather than pathlib: `import hyperparameter` loads this module, and pathlib would
# add milliseconds to every program's start.
_PACKAGE = os.path.dirname(os.path.realpath(__file__))

#: The file a build with ``HYPERPARAMETER_BACKEND=python`` writes into the package: the
#: pure-Python backend was chosen then, so using it at run time is no fallback to warn about.
PURE_BUILD_MARKER = "PURE_BUILD"


def built_without_engine() -> bool:
    """Whether this package was built on purpose without the native engine."""
    return os.path.isfile(os.path.join(_PACKAGE, PURE_BUILD_MARKER))


def library_name(platform: str = sys.platform) -> str:
    """The engine's file name in the package on ``platform`` (a ``sys.platform`` value).

    Linux records ``libhyperparameter.so.0`` (its SONAME) in every program linked against it,
    macOS ``@rpath/libhyperparameter.0.dylib``; Windows loads ``hyperparameter.dll`` and links
    its import library ``hyperparameter.lib``, both in the package.

    >>> library_name("linux"), library_name("darwin"), library_name("win32")
    ('libhyperparameter.so.0', 'libhyperparameter.0.dylib', 'hyperparameter.dll')
    """
    if platform == "win32":
        return "hyperparameter.dll"
    if platform == "darwin":
        return "libhyperparameter.0.dylib"
    return "libhyperparameter.so.0"


def get_include() -> str:
    """The directory holding ``hyperparameter.h`` and ``hyperparameter.hpp``.

    >>> import hyperparameter as hp, os
    >>> os.path.exists(os.path.join(hp.get_include(), "hyperparameter.h"))
    True
    """
    return os.path.join(_PACKAGE, "include")


def get_library() -> str:
    """The path of the installed engine, the one the Python package uses
    (``library_name()``: ``libhyperparameter.so.0`` on Linux).

    >>> import hyperparameter as hp, os
    >>> os.path.basename(hp.get_library()) == library_name()
    True
    """
    return os.path.join(_PACKAGE, library_name())


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


def link_flags(lib_dir: Optional[str] = None, platform: str = sys.platform) -> list[str]:
    """Linker flags for a program or extension that uses the engine in ``lib_dir`` (by default
    the installed one).

    The engine is linked by its exact file name (a plain ``-lhyperparameter`` would look for
    ``libhyperparameter.so``, which is not installed), and the rpath lets a program find it
    without ``LD_LIBRARY_PATH``. An extension shipped as a wheel drops the rpath and imports
    ``hyperparameter`` first (docs/c-api.md).

    >>> link_flags("/x", "linux")
    ['-L/x', '-l:libhyperparameter.so.0', '-Wl,-rpath,/x']
    """
    if lib_dir is None:
        lib_dir = os.path.dirname(get_library())
    if platform == "win32":
        return [f"{lib_dir}/hyperparameter.lib"]
    if platform == "darwin":
        return [f"{lib_dir}/{library_name(platform)}", f"-Wl,-rpath,{lib_dir}"]
    return [f"-L{lib_dir}", f"-l:{library_name(platform)}", f"-Wl,-rpath,{lib_dir}"]
