"""The sandbox a submitted notebook's kernel runs in while it is graded.

``python -m trustlab.sandbox [options] -- COMMAND...`` starts COMMAND (a Jupyter kernel) as a
child and watches it. It is what the grader launches instead of the kernel itself.

What it does (Linux):

* **Every process the submission starts is killed at the end.** The wrapper makes itself a
  *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``), so a process that detaches itself
  (double fork, ``setsid``, ``nohup ... &``) is re-parented to the wrapper instead of to
  ``init``. When the kernel exits, or the grader sends SIGTERM, the wrapper kills every
  descendant it still has and waits for them.
* **Limits**: address space (``RLIMIT_AS``), CPU seconds (``RLIMIT_CPU``), open files, file
  size, and the number of live processes (counted by the wrapper every 0.1 s: more than
  ``--max-procs`` kills the whole tree, so a fork bomb ends quickly even for root).
* **Landlock** (Linux 5.13 and later; no privileges needed): the kernel may write only inside
  its own folder; it may read only that folder, the Python installation, the course's
  ``trustlab/`` package and ``datasets/``, and system folders (``/usr``, ``/etc``, ...). The
  instructor's home, the hidden checks, the class key and other students' submissions are not
  readable. With Landlock ABI 4 or later, TCP connections are refused (the kernel talks to the
  grader over Unix sockets in its folder); with ABI 6 or later it cannot signal processes
  outside the sandbox (for example the grader).

What it does not do is written in ``exercises/README.md`` ("What the grading sandbox guards
against"). On other systems, or a Linux without Landlock, the wrapper still applies the limits
it can and ``landlock_status()`` says what is missing; the grader prints that notice once.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import errno
import os
import signal
import sys
import time
from pathlib import Path

# ------------------------------------------------------------------------------------------
# Landlock (see Documentation/userspace-api/landlock.rst in the Linux sources)

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # x86_64 and arm64
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER = 38, 36

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13      # ABI 2
FS_TRUNCATE = 1 << 14   # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2  # ABI 4
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2  # ABI 6

_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers (0: none, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        abi = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                              ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(int(abi), 0)


def landlock_status() -> str:
    """'' when the full sandbox is available here, else a sentence on what is missing."""
    if not sys.platform.startswith("linux"):
        return (f"Grading on {sys.platform}: submissions run with time and memory limits only "
                "where the system supports them, and their files and network are NOT "
                "isolated (Landlock is Linux-only). Grade on Linux for credit.")
    abi = landlock_abi()
    if abi == 0:
        return ("This Linux kernel has no Landlock (it needs Linux 5.13 or later with Landlock "
                "enabled): submissions run with limits and are killed at the end, but they can "
                "read and write any file you can. Grade on a newer kernel for credit.")
    if abi < 4:
        return (f"Landlock ABI {abi} here: files are isolated, but the network is guarded only "
                "inside Python (ABI 4, Linux 6.7, also blocks TCP at the kernel).")
    return ""


def _fs_rights(abi: int) -> int:
    rights = (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_REMOVE_DIR
              | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK
              | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM)
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def apply_landlock(read: list[str], write: list[str], devices_rw: list[str]) -> int:
    """Restrict this process (and everything it starts) to the given folders; return the ABI
    used (0 if Landlock is unavailable: nothing was restricted)."""
    abi = landlock_abi()
    if abi == 0:
        return 0
    libc = _libc()
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL
        size = 24
    fd = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                      ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")

    def allow(path: str, rights: int) -> None:
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return  # a folder this system does not have
        try:
            if not os.path.isdir(path):
                rights &= _FILE_RIGHTS
            rule = _PathBeneath(rights & handled, pfd)
            if libc.syscall(_SYS_ADD_RULE, fd, _RULE_PATH_BENEATH, ctypes.byref(rule),
                            ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
        finally:
            os.close(pfd)

    for p in read:
        allow(p, READ)
    for p in devices_rw:
        allow(p, READ | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV)
    for p in write:
        allow(p, handled)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    if libc.syscall(_SYS_RESTRICT_SELF, fd, ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(fd)
    return abi


# ------------------------------------------------------------------------------------------
# Process tree


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) < 2 or rest[0] == "Z":
            continue
        children.setdefault(int(rest[1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(root: int) -> int:
    """SIGKILL every descendant of ``root`` until none is left; return how many were killed."""
    killed = 0
    for _ in range(50):
        pids = descendants(root)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        _reap()
        time.sleep(0.02)
    return killed


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ------------------------------------------------------------------------------------------
# The wrapper


def _set_limits(memory_mb: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not POSIX
        return
    limits = [(resource.RLIMIT_CPU, cpu_seconds), (resource.RLIMIT_NOFILE, 1024),
              (resource.RLIMIT_FSIZE, 512 * 1024 * 1024)]
    if memory_mb:
        limits.append((resource.RLIMIT_AS, memory_mb * 1024 * 1024))
    for which, value in limits:
        if not value:
            continue
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            # CPU: only the soft limit, so the kernel gets SIGXCPU (the hard one stays)
            resource.setrlimit(which, (value, hard if which == resource.RLIMIT_CPU else value))
        except (ValueError, OSError):
            pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trustlab.sandbox")
    ap.add_argument("--dir", required=True, help="the submission's own folder (read-write)")
    ap.add_argument("--read", action="append", default=[], help="a folder it may read")
    ap.add_argument("--memory-mb", type=int, default=0)
    ap.add_argument("--cpu-seconds", type=int, default=0)
    ap.add_argument("--max-procs", type=int, default=64)
    ap.add_argument("--no-landlock", action="store_true")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command to run")

    libc = _libc() if sys.platform.startswith("linux") else None
    if libc is not None:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    stop = {"signal": 0}

    def on_term(signum, frame):  # noqa: ARG001
        stop["signal"] = signum

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    child = os.fork()
    if child == 0:  # the kernel
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            os.setpgid(0, 0)  # its own process group: killed as a group where /proc is missing
            _set_limits(args.memory_mb, args.cpu_seconds)
            if not args.no_landlock:
                write = [args.dir]
                apply_landlock(read=args.read, write=write,
                               devices_rw=["/dev/null", "/dev/zero", "/dev/urandom",
                                           "/dev/random", "/dev/tty", "/dev/pts"])
            os.chdir(args.dir)
            os.execvp(cmd[0], cmd)
        except BaseException as exc:  # noqa: BLE001 - report and leave the child
            print(f"trustlab sandbox: could not start the kernel: {exc}", file=sys.stderr)
        os._exit(127)

    # The wrapper: forward interrupts, watch the process count, clean up.
    signal.signal(signal.SIGINT, lambda s, f: _forward(child, signal.SIGINT))
    status = 0
    reason = ""
    while True:
        if stop["signal"]:
            reason = "stopped by the grader"
            break
        try:
            pid, st = os.waitpid(child, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == child:
            status = os.waitstatus_to_exitcode(st)
            break
        tree = descendants(os.getpid())
        if len(tree) > args.max_procs:
            reason = f"more than {args.max_procs} processes"
            print(f"trustlab sandbox: the submission started {reason}; stopping it.",
                  file=sys.stderr)
            status = 137
            break
        _reap()
        time.sleep(0.1)
    try:
        os.killpg(child, signal.SIGKILL)  # the kernel's group (all there is on macOS)
    except OSError:
        pass
    kill_tree(os.getpid())  # Linux: everything below the wrapper, wherever it moved
    _reap()
    return status if status >= 0 else 128 - status


def _forward(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError as exc:
        if exc.errno != errno.ESRCH:
            raise


def read_paths(root: Path) -> list[str]:
    """The folders a graded kernel may read (besides its own)."""
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.add(p)
    for p in list(paths):
        paths.add(os.path.realpath(p))
    paths |= {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc",
              "/proc", "/sys", "/dev"}
    from .paths import PKG

    paths |= {str(PKG), str(root / "datasets"), str(root / "references.bib")}
    return sorted(paths)


def exposed(root: Path, private: list[Path] | None = None) -> list[str]:
    """Private paths (the course's exercises/ with its hidden checks, a class key) that a
    graded kernel could read anyway, because they lie inside a folder it must read."""
    out = []
    for target in [root / "exercises", *(private or [])]:
        target = Path(os.path.realpath(target))
        for p in read_paths(root):
            if target.is_relative_to(os.path.realpath(p)):
                out.append(f"{target} (inside {p})")
                break
    return out


if __name__ == "__main__":
    sys.exit(main())
