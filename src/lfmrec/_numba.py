"""numba's ``njit`` for the package's kernels, with their on-disk cache kept per environment.

numba caches a compiled kernel next to its source file (``__pycache__``), so every clone or
checkout of the project compiles all kernels again (about 30 s of CPU at the default config), even
in an environment that has compiled the very same code before. The kernels of this package are
cached instead in one folder per Python environment::

    $LFMREC_NUMBA_CACHE, if set, else <sys.prefix>/var/cache/lfmrec-numba (a venv, a conda env)

laid out by the module's path inside the package (not by the clone's path), and stamped with a
hash of *all* the package's Python sources, not only the kernel's own file: a kernel links in
kernels of other modules (``rerank`` uses ``topn._push``), so a change anywhere in the package
recompiles every kernel rather than risk loading one built against older code. Two clones of the
same commit share the kernels; clones of different commits overwrite each other's (a compile
costs what it costs today, never a wrong kernel). Where that folder cannot be written (a system
Python), or where the user has set ``NUMBA_CACHE_DIR`` or ``NUMBA_CACHE_LOCATOR_CLASSES``,
numba's own locators apply, as before.

Processes that need the same kernel at the same time compile it once: a ``cache=True`` kernel is
compiled (or loaded) holding a lock file of its own in that folder, so a job that calls a kernel
the background compile (:mod:`lfmrec.kernels`) or another job is compiling waits for it and loads
it from the cache instead of compiling it a second time on a busy core. The locks follow the call
graph (a kernel's callees are compiled inside its lock), which has no cycles, and within a process
they are taken under numba's own compiler lock, so they cannot deadlock.

Import ``njit`` from here in every module with ``cache=True`` kernels: the locator must be in
place before a kernel is decorated.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import sys
from pathlib import Path

import numba
from numba.core import caching, config
from numba.core.compiler_lock import global_compiler_lock

PACKAGE = Path(__file__).resolve().parent


def cache_root() -> Path:
    """Where this environment keeps the package's compiled kernels."""
    env = os.environ.get("LFMREC_NUMBA_CACHE")
    return Path(env) if env else Path(sys.prefix) / "var" / "cache" / "lfmrec-numba"


@functools.lru_cache(maxsize=1)
def sources_stamp() -> str:
    """sha256 of every Python source of the package (relative path and content), read once."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class EnvironmentCacheLocator(caching.InTreeCacheLocator):
    """numba cache locator for the package's kernels (see the module doc); other files: None."""

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        relative = Path(py_file).resolve().parent.relative_to(PACKAGE)
        self._cache_path = str(cache_root().joinpath("lfmrec", *relative.parts))

    def get_source_stamp(self):
        return sources_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            Path(py_file).resolve().relative_to(PACKAGE)
        except ValueError:
            return None
        return super().from_function(py_func, py_file)


def _install() -> None:
    """Put :class:`EnvironmentCacheLocator` before numba's own locators, unless the user chose."""
    if config.CACHE_DIR or config.CACHE_LOCATOR_CLASSES:
        return
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    classes = getattr(impl, "_locator_classes", None)
    if isinstance(classes, list) and EnvironmentCacheLocator not in classes:
        classes.insert(0, EnvironmentCacheLocator)


_install()


# the kernels whose lock this process holds (a nested compile of the same kernel re-enters), read
# and written under numba's compiler lock
_HELD: dict[str, int] = {}


@contextlib.contextmanager
def compile_lock(name: str):
    """Hold the lock file of kernel ``name`` (``<cache root>/locks/<name>.lock``); where it cannot
    be created, no lock (numba's behaviour)."""
    if _HELD.get(name):
        _HELD[name] += 1
        try:
            yield
        finally:
            _HELD[name] -= 1
        return
    try:
        path = cache_root() / "locks" / f"{name}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        fd = None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD[name] = 1
        yield
    finally:
        _HELD.pop(name, None)
        if fd is not None:
            os.close(fd)  # releases the lock


def njit(*args, **options):
    """numba's ``njit``; a ``cache=True`` kernel is compiled or loaded under its
    :func:`compile_lock` (see the module doc)."""

    def decorate(func):
        dispatcher = numba.njit(**options)(func)
        if options.get("cache"):
            name = f"{func.__module__}.{func.__qualname__}"
            compile_ = dispatcher.compile

            def compile(sig):
                with global_compiler_lock, compile_lock(name):
                    return compile_(sig)

            dispatcher.compile = compile
        return dispatcher

    return decorate(args[0]) if args else decorate
