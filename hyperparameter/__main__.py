"""``python -m hyperparameter --includes --libs``: flags to build against the installed engine."""

from __future__ import annotations

import argparse
import os
import sys

from . import _build_info
from ._backends import backend


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hyperparameter",
        description="Print what a C or C++ build needs to use the installed hyperparameter engine.",
        epilog="Example: g++ -std=c++17 kernel.cpp -shared -fPIC "
        "$(python -m hyperparameter --includes --libs) -o kernel.so",
    )
    parser.add_argument("--includes", action="store_true", help="compiler flags (-I...)")
    parser.add_argument(
        "--libs",
        action="store_true",
        help="linker flags (on Linux: -L... -l:libhyperparameter.so.0 -Wl,-rpath,...)",
    )
    parser.add_argument("--cmakedir", action="store_true", help="directory of hyperparameterConfig.cmake")
    parser.add_argument("--pkgconfigdir", action="store_true", help="directory of hyperparameter.pc")
    parser.add_argument("--backend", action="store_true", help="the backend in use: native or python")
    parser.add_argument("--version", action="store_true", help="the version of the package")
    parser.add_argument(
        "--abi",
        action="store_true",
        help="the C ABI version of the loaded engine (HP_ABI_VERSION); the pure-Python backend has none",
    )
    args = parser.parse_args(argv)
    if (args.includes or args.libs or args.cmakedir or args.pkgconfigdir) and not os.path.isfile(
        _build_info.get_library()
    ):
        print(
            f"no native engine is installed ({_build_info.get_library()} is missing): this "
            "hyperparameter was built without it (HYPERPARAMETER_BACKEND=python at build time) or "
            "not built yet, so there is nothing to compile against; install it with the Rust "
            "toolchain present to get the engine, headers, CMake and pkg-config files",
            file=sys.stderr,
        )
        return 1
    words: list[str] = []
    if args.includes:
        words += _build_info.compile_flags()
    if args.libs:
        words += _build_info.link_flags()
    if args.cmakedir:
        words.append(_build_info.get_cmake_dir())
    if args.pkgconfigdir:
        words.append(_build_info.get_pkgconfig_dir())
    if args.backend:
        words.append(backend.name)
    if args.version:
        from . import __version__

        words.append(__version__)
    if args.abi:
        abi = backend.abi_version()
        if abi is None:
            print("the pure-Python backend is in use: there is no native engine, so no ABI", file=sys.stderr)
            return 1
        words.append(str(abi))
    if not words:
        parser.print_help()
        return 0
    print(" ".join(words))
    return 0


if __name__ == "__main__":
    sys.exit(main())
