"""The target: the system a script is checked for.

stap decides `%( kernel_v >= "5.0" %? ... %)` conditionals with facts about
the machine it compiles for.  stapkit takes those facts as settings instead;
the defaults describe a current x86_64 Debian kernel and the SystemTap release
of the bundled tapset database.
"""

from __future__ import annotations

import re
from typing import Mapping

import attrs


class KernelConfig(dict):
    """A read-only mapping of CONFIG_ options (a dict, so that it pickles for worker processes)."""

    def _read_only(self, *args, **kwargs):
        raise TypeError("a target's kernel configuration is read-only; use Target.evolve()")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only  # type: ignore

    def __reduce__(self):
        return (KernelConfig, (dict(self),))

    def __hash__(self):  # a Target is hashable (macro libraries are cached per target)
        return hash(tuple(sorted(self.items())))

DEFAULT_SYSTEMTAP_VERSION = "4.8"

# Kernel configuration answers for the options the tapset library and the
# example scripts ask about, as a Debian amd64 kernel has them.  Options not
# listed are unset ("" to stap).
DEFAULT_KERNEL_CONFIG = KernelConfig(
    {
        "CONFIG_64BIT": "y",
        "CONFIG_X86_64": "y",
        "CONFIG_X86": "y",
        "CONFIG_COMPAT": "y",
        "CONFIG_IA32_EMULATION": "y",
        "CONFIG_ARCH_WANT_OLD_COMPAT_IPC": "y",
        "CONFIG_GENERIC_SIGALTSTACK": "y",
        "CONFIG_HAVE_HW_BREAKPOINT": "y",
        "CONFIG_IPV6": "y",
        "CONFIG_NFSD": "m",
        "CONFIG_NFS_FS": "m",
        "CONFIG_NFS_V4": "m",
        "CONFIG_MODULES": "y",
        "CONFIG_MODULE_UNLOAD": "y",
        "CONFIG_KPROBES": "y",
        "CONFIG_UPROBES": "y",
        "CONFIG_KRETPROBES": "y",
        "CONFIG_TRACEPOINTS": "y",
        "CONFIG_PERF_EVENTS": "y",
        "CONFIG_RELAY": "y",
        "CONFIG_DEBUG_FS": "y",
        "CONFIG_DEBUG_INFO_BTF": "y",
        "CONFIG_SMP": "y",
        "CONFIG_NR_CPUS": "8192",
        "CONFIG_SPLIT_PTLOCK_CPUS": "4",
        "CONFIG_HZ": "250",
        "CONFIG_PREEMPT_VOLUNTARY": "y",
        "CONFIG_UTRACE": "",
    }
)

ARCHES = ("x86_64", "i386", "arm", "arm64", "powerpc", "s390", "mips", "ia64", "riscv")
RUNTIMES = ("kernel", "dyninst", "bpf")


def stap_arch_name(machine: str) -> str:
    """The name stap 4.8 uses for `arch` on a machine of this `uname -m` name (util.cxx
    normalize_machine)."""
    if machine in ("i486", "i586", "i686"):
        return "i386"
    if machine == "sun4u":
        return "sparc64"
    if machine == "aarch64":
        return "arm64"
    if (machine.startswith("arm") and machine != "arm64") or machine == "sa110":
        return "arm"
    if machine == "s390x":
        return "s390"
    if machine == "riscv64":
        return "riscv"
    if machine.startswith("ppc"):
        return "powerpc"
    if machine.startswith("mips"):
        return "mips"
    if machine.startswith(("sh2", "sh3", "sh4")):
        return "sh"
    return machine
PRIVILEGES = ("stapusr", "stapsys", "stapdev")


def kernel_release_fields(release: str) -> dict[str, str]:
    """The Target fields a kernel release sets: the release itself (kernel_vr) and its base
    version, before the first '-' (kernel_v: "6.1.0" of "6.1.0-13-amd64")."""
    return {"kernel_vr": release, "kernel_v": release.split("-", 1)[0]}


@attrs.frozen
class Target:
    """The values `%( ... %)` conditions compare against."""

    kernel_v: str = "6.12.0"  # base kernel release
    kernel_vr: str = "6.12.0-amd64"  # full kernel release
    arch: str = "x86_64"
    runtime: str = "kernel"  # kernel, dyninst or bpf
    systemtap_v: str = DEFAULT_SYSTEMTAP_VERSION  # what --compatible says
    privilege: str = "stapdev"  # stapusr, stapsys or stapdev
    guru_mode: bool = False
    kernel_config: Mapping[str, str] = attrs.field(default=DEFAULT_KERNEL_CONFIG, converter=KernelConfig,
                                                   repr=False)

    def config(self, name: str) -> str:
        return self.kernel_config.get(name, "")

    def evolve(self, **changes) -> "Target":
        return attrs.evolve(self, **changes)

    @property
    def language_version(self) -> tuple[int, ...]:
        """systemtap_v as a tuple, for the grammar's version gates."""
        return parse_version(self.systemtap_v)


_VERSION_RE = re.compile(r"\d+(\.\d+)*")
_RELEASE_RE = re.compile(r"\d+(\.\d+)*([-+~_.][A-Za-z0-9._+~-]*)?")


def is_version(text: str) -> bool:
    """A SystemTap version: numbers and dots ("4.8", "5.0.1")."""
    return _VERSION_RE.fullmatch(text) is not None


def is_kernel_release(text: str) -> bool:
    """A kernel release as `uname -r` prints it ("6.1.0-13-amd64", "5.14.0-284.el9.x86_64")."""
    return _RELEASE_RE.fullmatch(text) is not None


def parse_version(text: str) -> tuple[int, ...]:
    """"4.8" -> (4, 8); anything after the numbers is ignored."""
    parts = []
    for piece in text.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts) or (0,)


def version_text(version: tuple[int, ...]) -> str:
    """(4, 8) -> "4.8": parse_version's inverse, for messages."""
    return ".".join(str(v) for v in version)
