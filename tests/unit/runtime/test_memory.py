"""Freed heap memory is handed back to the OS between stages (glibc only)."""

import re
import sys
from pathlib import Path

import pytest

from formcheck.runtime.memory import release_free_memory

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and needs glibc")


def resident_mib() -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


@linux_only
def test_freed_holes_in_the_heap_go_back_to_the_os():
    # Interleave blocks kept and blocks freed, so the freed ones are holes glibc does not trim by itself.
    kept, freed = [], []
    for _ in range(2000):
        freed.append(bytearray(64 * 1024))  # 64 KiB: below glibc's mmap threshold, so on the heap
        kept.append(bytearray(64 * 1024))
    freed.clear()
    before = resident_mib()
    assert release_free_memory()
    after = resident_mib()
    assert before - after > 0.5 * 2000 * 64 / 1024  # most of the 125 MiB of holes released
    assert len(kept) == 2000
