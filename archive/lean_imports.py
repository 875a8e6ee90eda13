"""What a fresh read command (`archive search`, `show`, `export`, `stats`) does
not load: standard-library modules its dependencies import but never use
here, and OpenBLAS's thread pool.

Measured on the 2-core machine (`python -X importtime`, load ~0.5), a fresh
`archive search` spent, besides its own work:

* ~45 ms in ``whoosh.compat``'s ``from urllib.request import urlretrieve``
  (http.client, email, ssl): a download helper no code of Whoosh we call,
  and none of ours, uses;
* ~25 ms in ``cached_property``'s ``import asyncio`` (whoosh.reading uses
  it): asyncio is only touched for coroutine properties, which Whoosh has
  none of;
* ~0.04 s of CPU starting OpenBLAS's threads when numpy loads: nothing in
  the archive multiplies matrices (its array work is elementwise, sorting
  and searching), so one thread loses nothing;
* ~20 ms in numpy's ``_core._add_newdocs`` and ``_add_newdocs_scalars``
  (51 M of the 913 M instructions a fresh `archive search 台风` runs,
  valgrind --tool=callgrind): modules imported only to attach docstrings
  to numpy's C functions and scalar types (``help(np.add)``).  No search
  reads a docstring, so numpy is imported without them; importing either
  module afterwards still runs it and adds the docstrings;
* 50-100 ms exiting: the interpreter's last garbage collections walk every
  object the imports and the opened index made (numpy, Whoosh, the fold
  table).  Frozen at exit (`gc.freeze`, atexit), they are not walked: the
  exit took 11-19 ms instead of 65-112 (load ~3.5), files and output still
  closed and flushed as usual.

`prepare_read_process` must run before the first import of numpy or Whoosh
and only in a single-threaded command: the CLI calls it; the web server,
whose import time is paid once, does not.
"""
from __future__ import annotations

import atexit
import gc
import importlib
import inspect
import os
import sys
import types
from contextlib import contextmanager

_prepared = False


def prepare_read_process() -> None:
    """Defer what a read command's imports would load for nothing (see above).
    Later imports still get the real modules, and the stand-ins Whoosh and
    cached_property keep hand every attribute over to the real module,
    imported on first use."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        _import_numpy_without_docstrings()
    atexit.register(gc.freeze)
    wanted = [name for name in ("asyncio", "urllib.request") if name not in sys.modules]
    if "whoosh.compat" in sys.modules or not wanted:
        return
    stand_ins = {name: _StandIn(name) for name in wanted}
    if "urllib.request" in stand_ins:
        # `from urllib.request import urlretrieve` reads it at import time.
        stand_ins["urllib.request"].urlretrieve = _urlretrieve
    if "asyncio" in stand_ins:
        # cached_property asks it of every cached attribute it computes
        # (whoosh's reader.postings: every posting list ranking reads).
        stand_ins["asyncio"].iscoroutinefunction = _iscoroutinefunction
    with _standing_in(stand_ins):
        import cached_property  # noqa: F401  (import asyncio)
        import whoosh.compat  # noqa: F401  (from urllib.request import urlretrieve)


NUMPY_DOCSTRING_MODULES = ("numpy._core._add_newdocs", "numpy._core._add_newdocs_scalars")


def _import_numpy_without_docstrings() -> None:
    """Import numpy with empty modules in place of the two that only set
    docstrings; they leave sys.modules afterwards, so a later import of
    either gets (and runs) the real one."""
    with _standing_in({name: types.ModuleType(name) for name in NUMPY_DOCSTRING_MODULES}):
        import numpy  # noqa: F401


@contextmanager
def _standing_in(modules: dict[str, types.ModuleType]):
    """`modules` in sys.modules for the imports of the block, gone after it
    (unless an import replaced one)."""
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, module in modules.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


class _StandIn(types.ModuleType):
    """A module object that imports the real module when one of its
    attributes is first read (after it left sys.modules), and hands it over."""

    def __getattr__(self, attr: str):
        if attr.startswith("__") or sys.modules.get(self.__name__) is self:
            raise AttributeError(attr)
        return getattr(importlib.import_module(self.__name__), attr)


def _iscoroutinefunction(func) -> bool:
    """asyncio.iscoroutinefunction without importing asyncio for a plain
    function: asyncio's also answers True for an object marked with its
    private `_is_coroutine` sentinel, which only asyncio itself can tell."""
    if inspect.iscoroutinefunction(func):
        return True
    if getattr(func, "_is_coroutine", None) is None:
        return False
    import asyncio

    return asyncio.iscoroutinefunction(func)


def _urlretrieve(*args, **kwargs):
    """urllib.request.urlretrieve, imported when first called."""
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)
