"""Decorator presets for every kernel.

One place decides how kernels are compiled:

* ``nopython`` and ``nogil`` always, so kernels can run in threads;
* ``cache=True`` so a warm worker does not recompile (set ``NUMBA_CACHE_DIR`` for
  read-only installs);
* one named fast-math set that leaves out ``nnan`` and ``ninf``: silence gives
  ``-inf`` dB and unvoiced frames give NaN pitch, and both must survive;
* a cached kernel loads without Numba's compiler registries (``load_cached``).
"""

import contextlib
import importlib
import os
import struct
import sys

import llvmlite.binding as ll
import numba
from llvmlite.binding import ffi
from numba.core import environment
from numba.core.runtime import rtsys

FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def kernel(fn=None, *, parallel=False, inline=False):
    """Compile ``fn`` with the project's preset (usable bare or with arguments).

    ``inline=True`` inlines a small helper into the kernels that call it (at Numba's IR
    level; LLVM does not inline calls between kernels by itself).
    """

    def wrap(f):
        return load_cached(numba.njit(cache=True, nogil=True, fastmath=set(FASTMATH), parallel=parallel,
                                      inline="always" if inline else "never")(f))

    return wrap if fn is None else wrap(fn)


def load_cached(dispatcher):
    """Let ``dispatcher`` load its cached machine code without a compiler refresh.

    Before reading a cache file, Numba refreshes its target context: it imports and
    installs every typing and lowering registry (NumPy, typed containers, random,
    jitclass, ...), about 0.3 CPU s once per process, though the code on disk is
    already compiled and needs only the runtime (NRT) and the C helpers, which are in
    place once the target exists. This loads the file with the runtime initialised and
    nothing else; a kernel that has to be compiled still gets the full refresh, since
    Numba's compiler runs it itself. Where Numba's cache object does not have the
    expected parts (another Numba version), the dispatcher is left as it is.

    Parameters
    ----------
    dispatcher : numba.core.registry.CPUDispatcher

    Returns
    -------
    numba.core.registry.CPUDispatcher
        The same dispatcher.
    """
    cache = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "_load_overload", None)
    guard = getattr(cache, "_guard_against_spurious_io_errors", None)
    if load is None or guard is None:
        return dispatcher

    def load_overload(sig, target_context):
        rtsys.initialize(target_context)
        with guard(), _llvm_lock_held(), _numba_environments_unimported(), \
                _bitcode_parsed_on_demand(target_context.codegen()):
            return load(sig, target_context)

    cache.load_overload = load_overload
    return dispatcher


@contextlib.contextmanager
def _llvm_lock_held():
    """Hold llvmlite's lock over a whole load, with its callbacks run once.

    Every call into LLVM takes llvmlite's lock and runs the callbacks registered on it; Numba
    registers a pair that records "numba:llvm_lock" events (a compilation's timings), a few
    Python calls each time. Loading one kernel makes 100-400 calls into LLVM (one per function
    and global of its module): about 0.03 CPU s for the 40 kernels of a call. Held here, the lock
    (re-entrant) is taken and its callbacks run once for the load, so the event still spans it
    and no other thread enters LLVM meanwhile; the calls inside skip the callbacks. Where
    llvmlite's lock lacks the expected parts (another version) the load is left as it is.
    """
    lock = getattr(getattr(ffi, "lib", None), "_lock", None)
    callbacks = getattr(lock, "_cblist", None)
    if not isinstance(callbacks, list) or not hasattr(lock, "__enter__"):
        yield
        return
    with lock:
        saved = callbacks[:]
        callbacks.clear()
        try:
            yield
        finally:
            callbacks[:] = saved


def _stand_in_environment(modname, consts, env_name):
    """``numba.core.environment._rebuild_env``, without importing a Numba module to get its globals.

    A cached kernel names the environment of every function compiled into it, among them
    Numba's own implementations of NumPy functions (``numba.np.arraymath`` for
    ``np.percentile``, ``numba.np.arrayobj``, ...), and Numba imports each module named to
    take its ``__dict__`` as the environment's globals. Compiled nopython code reads only the
    environment's constants, never its globals (only object-mode code does, which Numba's own
    modules do not hold), so a module not imported yet gets a stand-in holding its name (what
    the environment needs to be cached again) rather than an import: ``numba.np.arraymath``
    alone imports ``scipy.linalg`` (``numba.np.linalg.ensure_blas``), and together these were
    about 0.04-0.06 CPU s of the first call. Any other module is imported as Numba does.
    """
    env = environment.lookup_environment(env_name)
    if env is not None:
        return env
    if modname in sys.modules or not modname.startswith("numba."):
        globals_ = importlib.import_module(modname).__dict__
    else:
        globals_ = {"__name__": modname}
    env = environment.Environment(globals_)
    env.consts[:] = consts
    env.env_name = env_name
    environment.Environment._memo[env_name] = env
    return env


@contextlib.contextmanager
def _numba_environments_unimported():
    """Unpickle a cached kernel with :func:`_stand_in_environment` as Numba's ``_rebuild_env``.

    The cache file's pickle names ``numba.core.environment._rebuild_env``, looked up when it is
    loaded: swapped for the load only (the compiler lock serialises loads and compilations).
    Where Numba's environment module lacks the expected parts it is left as it is.
    """
    original = getattr(environment, "_rebuild_env", None)
    if original is None or not all(hasattr(environment, n) for n in ("lookup_environment", "Environment")):
        yield
        return
    environment._rebuild_env = _stand_in_environment
    try:
        yield
    finally:
        environment._rebuild_env = original



def elf_defined_symbols(obj):
    """Names of the symbols that an ELF64 little-endian object file defines, or None when
    ``obj`` is not one.

    Every symbol of the symbol table with a section (not undefined), other than those that
    name a section or the source file.

    Parameters
    ----------
    obj : bytes

    Returns
    -------
    set of str, or None
    """
    if len(obj) < 64 or obj[:4] != b"\x7fELF" or obj[4] != 2 or obj[5] != 1:
        return None
    (shoff,) = struct.unpack_from("<Q", obj, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", obj, 0x3A)
    if shentsize != 64 or shoff + shnum * shentsize > len(obj):
        return None
    # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize
    sections = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize) for i in range(shnum)]
    for sec in sections:
        if sec[1] != 2 or sec[6] >= shnum:  # SHT_SYMTAB, and its string table
            continue
        strtab = sections[sec[6]]
        names = obj[strtab[4]:strtab[4] + strtab[5]]
        out = set()
        for name, info, _other, shndx, _value, _size in struct.iter_unpack("<IBBHQQ", obj[sec[4]:sec[4] + sec[5]]):
            if shndx != 0 and name and (info & 0xF) not in (3, 4):  # defined; not STT_SECTION, STT_FILE
                out.add(names[name:names.index(b"\0", name)].decode())
        return out
    return None


@contextlib.contextmanager
def _bitcode_parsed_on_demand(codegen):
    """Unserialize a cached library without parsing its LLVM bitcode unless it is linked.

    A cached kernel holds its machine code and, to be linked into a kernel compiled later, its
    LLVM module as bitcode. Numba parses that bitcode on every load (about 1.4 ms a kernel,
    0.06 CPU s for the 42 loads of a call) only to list the symbols the library defines, which
    the object file's symbol table lists as well (the same names, checked on every cached
    kernel of a call). Here the names come from the object file and the bitcode is parsed the
    first time the library is linked into another one. Anything but ELF (macOS, Windows), or
    a Numba without the expected parts, is unserialized by Numba as before.
    """
    engine = getattr(codegen, "_engine", None)
    own = "unserialize_library" in vars(codegen)
    original = getattr(codegen, "unserialize_library", None)
    if not isinstance(getattr(engine, "_defined_symbols", None), set) or original is None:
        yield
        return

    def unserialize(serialized):
        name, kind, data = serialized
        symbols = elf_defined_symbols(data[0]) if kind == "object" else None
        library = codegen.create_library(name) if symbols is not None else None
        parts = ("enable_object_caching", "_set_compiled_object", "_finalize_final_module", "_shared_module")
        if library is None or not all(hasattr(library, p) for p in parts):
            return original(serialized)
        bitcode = data[1]
        library.enable_object_caching()
        library._set_compiled_object(data[0])

        def module_for_linking():  # Numba's own, once the module is there
            if library._shared_module is None:
                library._shared_module = ll.parse_bitcode(bitcode)
            return library._shared_module

        library._get_module_for_linking = module_for_linking
        library._finalize_final_module()
        engine._defined_symbols |= symbols
        return library

    codegen.unserialize_library = unserialize
    try:
        yield
    finally:
        if own:
            codegen.unserialize_library = original
        else:
            del codegen.unserialize_library


def cache_indexes(module):
    """Paths of the cache index files of the kernels in ``module`` (existing or not).

    A kernel compiled once on this installation leaves an index file in its cache folder
    (``NUMBA_CACHE_DIR`` or ``__pycache__``); a fresh install has none.
    """
    paths = [getattr(getattr(getattr(obj, "_cache", None), "_cache_file", None), "_index_path", None)
             for obj in vars(module).values()]
    return [path for path in paths if path is not None]


def never_compiled(module):
    """True when no kernel of ``module`` has anything in Numba's cache yet (file lookups only)."""
    indexes = cache_indexes(module)
    return bool(indexes) and not any(os.path.exists(path) for path in indexes)
