"""The jail a repository's ``[fixes] test_command`` runs in.

The command is the analysed repository's code: hostile by assumption. It runs through
bubblewrap (Debian's ``bubblewrap`` package) in private mount, PID, network, IPC and UTS
namespaces as the unprivileged user ``nobody`` (a server running as root builds the namespaces
and ``setpriv`` inside drops to ``nobody`` for good; an unprivileged server gets a user namespace
of its own). Its file system is an allowlist:
``/usr`` (with the ``/bin``, ``/lib`` links) and a few files of ``/etc`` read-only, a fresh
``/proc``, ``/dev`` and ``/tmp``, and the sandbox's checkout, home and temporary directory
read-write under ``/sandbox``. Nothing else exists in there: no other workspace, no database socket or data, no
``/etc/shadow``, no server configuration; the network namespace has only its own loopback; the
environment is the few variables given. ``--die-with-parent`` ties the jail's PID 1 to the
process the worker started: killing that one at the timeout ends every process in the
namespace, those that called ``setsid`` included.

Where bwrap is missing or the kernel refuses the namespaces, ``unavailable()`` says why and the
command is not run (the preview records that reason).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

NOBODY = 65534
_ETC_FILES = (
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/localtime",
    "/etc/mime.types",
)
PATH = "/usr/local/bin:/usr/bin:/bin"
SETPRIV = "/usr/bin/setpriv"


def argv(command: Sequence[str], *, writable: Mapping[Path, str], cwd: str, env: Mapping[str, str]) -> list[str]:
    """The command line running ``command`` in the jail, with the ``writable`` directories
    bound read-write at the paths they map to (under ``/sandbox``: their parents on the host may
    not be open to ``nobody``) and ``cwd`` (a path in the jail) as the working directory."""
    bwrap = shutil.which("bwrap") or "bwrap"
    args = [bwrap, "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:
        # Root builds the namespaces without a user namespace (whose root would still be root on
        # the host's files), then setpriv inside becomes nobody for good: no capabilities, no
        # groups, and bwrap's no_new_privs forbids regaining anything through a setuid binary.
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        drop = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        drop += ["--inh-caps=-all", "--bounding-set=-all", "--"]
    else:
        args += ["--unshare-all"]  # an unprivileged user: a user namespace of its own
        drop = []
    args += ["--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for link, target in (("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")):
        args += ["--symlink", target, link]
    for path in _ETC_FILES:
        args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--perms", "0755", "--dir", "/sandbox"]
    for source, target in writable.items():
        args += ["--bind", str(source), target]
    args += ["--chdir", cwd, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--", *drop, *command]


def hand_over(paths: Sequence[Path]) -> None:
    """Give ``paths`` (recursively, never following a symlink) to the jail's user, so the
    command can write its caches and reports there; root can still read and delete them."""
    if os.geteuid() != 0:
        return
    for top in paths:
        os.lchown(top, NOBODY, NOBODY)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in [*dirnames, *filenames]:
                os.lchown(os.path.join(dirpath, name), NOBODY, NOBODY)


@functools.cache
def unavailable() -> str | None:
    """Why test commands cannot run isolated on this machine, or None when they can."""
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed"
    if os.geteuid() == 0 and not os.path.exists(SETPRIV):
        return "setpriv (util-linux) is not installed"
    probe = argv(["/usr/bin/true"], writable={}, cwd="/", env={"PATH": PATH})
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap could not start: {exc}"
    if done.returncode != 0:
        return f"this kernel refuses bubblewrap's namespaces: {done.stderr.strip()[-300:]}"
    return None
