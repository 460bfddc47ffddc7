"""Process facts from /proc (Linux): memory, open sockets, children."""

from __future__ import annotations

import os
from pathlib import Path


def status(pid: int) -> dict[str, str]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            out[key] = value.strip()
    except OSError:
        pass
    return out


def rss_mb(pid: int) -> float:
    """Resident memory now (VmRSS), in MB."""
    v = status(pid).get("VmRSS", "0 kB").split()[0]
    return int(v) / 1024


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM), in MB."""
    v = status(pid).get("VmHWM", "0 kB").split()[0]
    return int(v) / 1024


def socket_inodes(pid: int) -> set[str]:
    """The socket inodes among a process' open file descriptors."""
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                out.add(target[len("socket:["):-1])
    except OSError:
        pass
    return out


def inet_sockets(pid: int) -> list[str]:
    """Lines of /proc/<pid>/net/{tcp,tcp6,udp,udp6} that belong to the process' own sockets."""
    mine = socket_inodes(pid)
    lines = []
    for name in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            rows = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[9] in mine:
                lines.append(f"{name}: {row.strip()}")
    return lines


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(entry))
    return out
