"""
How the PyTorch drivers (bench/pytorch_step.py, bench/peers_pytorch.py) set glibc's malloc, before torch is
imported, so PyTorch's speed does not depend on what the process allocated before.

Why: PyTorch's CPU tensors come from glibc's malloc. With its defaults, a block above the mmap threshold
(128 KB at first) is mmap'ed and handed back to the kernel when freed, and the heap's top is trimmed back
whenever over 2× that threshold is free, so a training step's large temporaries (the paper net's conv1
output at batch 64 is 5.5 MB, conv2's unfolded input 8.9 MB) are page-faulted in afresh on every step: on
this machine about 4,000–5,000 minor faults a step, a third of the step in the kernel and 3–4× the CPU
time of the same step on reused memory. glibc raises the threshold to the size of the largest mmap'ed block
freed (up to 32 MB), so which regime a process is in depends on its history: one 256-image inference pass
(a 22 MB block) moves the training step onto reused memory for good, while the pass's own 36 MB block is
above the 32 MB cap and is faulted in again on every pass. That is why the peers race (inference before
training) and the --only pytorch comparison (training only) timed PyTorch's same step at 2,000–2,500 and
720–880 images/s; bench/peers_pytorch_probe.py shows it.

The fix is the tuning PyTorch's own CPU performance guides give (a caching allocator, jemalloc or tcmalloc
through LD_PRELOAD, or these glibc settings): no mmap and no trimming, so freed memory is kept and reused.
XCNN_BENCH_TORCH_MALLOC=default keeps glibc's defaults, to measure PyTorch as it starts.
"""
import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD = -1  # <malloc.h>
M_MMAP_MAX = -4
NEVER_TRIM = 2**31 - 1  # mallopt takes an int


def keep_freed_memory():
    """
    Turns glibc's mmap and trimming off in this process. Returns how malloc is set, one word for the drivers'
    ready lines: "no-mmap-no-trim", "default" (asked for), or "default-no-mallopt" (not glibc, or refused).
    """
    if os.environ.get("XCNN_BENCH_TORCH_MALLOC") == "default":
        return "default"
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return "default-no-mallopt"
    if mallopt(M_MMAP_MAX, 0) != 1 or mallopt(M_TRIM_THRESHOLD, NEVER_TRIM) != 1:
        return "default-no-mallopt"
    return "no-mmap-no-trim"
