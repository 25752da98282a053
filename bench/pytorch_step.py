"""
The PyTorch twin of xcnn's training step, for bench/pytorch.ts: the network an xcnn architecture spec
describes (built by test/fixtures/pytorch/make_fixtures.py's translation of the spec syntax into an
nn.Sequential, the one the interchange tests check xcnn against), softmax cross-entropy and Adam (lr 1e-3),
on the CPU with torch.set_num_threads(N), batch 64, in training mode (batch norm's batch statistics,
dropout). It runs as a long-lived child driven over stdin/stdout, so the start-up of Python and torch is
never timed.

    python3 bench/pytorch_step.py --threads N [--arch SPEC] [--channels 1 --height 28 --width 28 --classes 10]
                                  [--images train-images-idx3-ubyte --labels train-labels-idx1-ubyte]

--arch is a spec with presets already resolved (default: the paper's network). With the MNIST training files
(plain or .gz, 1×28×28 images) it cycles through their first BATCHES batches of 64, scaled to [0,1] as xcnn
does; without them, through random batches of the same shape (the speed is the same).

Protocol, one line each way:
    child:  ready torch=<version> threads=<N> data=<mnist|random> params=<parameter count> blas=<the BLAS library loaded>
            malloc=<how glibc's malloc is set: bench/glibc_malloc.py>
    parent: run K       child: <seconds K training steps took>
    parent: quit (or closes stdin)      child exits
On an error the child writes "error <message>" and exits with status 1.
"""
import argparse
import gzip
import os
import sys
import time

from glibc_malloc import keep_freed_memory

BATCH = 64
BATCHES = 16
PAPER = "conv(32,3) relu maxpool(2) conv(64,3) relu flatten linear(128) relu linear(10)"  # distinct batches cycled through
WARMUP_STEPS = 3


def read_idx(path, header_bytes, count):
    """The first `count` records after an IDX header, as a uint8 tensor."""
    import torch

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        f.read(header_bytes)
        data = f.read(count)
    if len(data) != count:
        raise ValueError(f"{path}: expected at least {count} bytes after the header, found {len(data)}")
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def batches(args):
    import torch

    shape = (args.channels, args.height, args.width)
    if args.images and args.labels:
        pixels = args.channels * args.height * args.width
        images = read_idx(args.images, 16, BATCHES * BATCH * pixels).float().div(255).view(BATCHES, BATCH, *shape)
        labels = read_idx(args.labels, 8, BATCHES * BATCH).long().view(BATCHES, BATCH) % args.classes
        return "mnist", list(zip(images, labels))
    generator = torch.Generator().manual_seed(0)
    return "random", [
        (torch.rand(BATCH, *shape, generator=generator), torch.randint(0, args.classes, (BATCH,), generator=generator))
        for _ in range(BATCHES)
    ]


def loaded_blas():
    """The BLAS shared library this process mapped (Debian's torch takes whatever libblas.so.3 points at)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ",".join(sorted(paths)) or "none"
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--images")
    parser.add_argument("--labels")
    parser.add_argument("--arch", default=PAPER, help="an xcnn architecture spec, presets resolved")
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--height", type=int, default=28)
    parser.add_argument("--width", type=int, default=28)
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args()

    # The BLAS library under torch reads these when loaded (OpenBLAS, MKL); torch.set_num_threads alone
    # does not reach a BLAS torch was not built against, as Debian's is not.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    malloc = keep_freed_memory()  # before torch allocates: see bench/glibc_malloc.py
    import torch
    from torch import nn

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "pytorch"))
    from make_fixtures import build

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model, _ = build(args.arch, args.channels, args.height, args.width)
    model.train()
    parameters = sum(p.numel() for p in model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data, data_batches = batches(args)
    position = 0

    def steps(k):
        nonlocal position
        for _ in range(k):
            images, labels = data_batches[position]
            position = (position + 1) % len(data_batches)
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()

    steps(WARMUP_STEPS)
    print(f"ready torch={torch.__version__} threads={torch.get_num_threads()} data={data} params={parameters} blas={loaded_blas()} malloc={malloc}", flush=True)

    for line in sys.stdin:
        command = line.split()
        if command == ["quit"]:
            break
        if len(command) != 2 or command[0] != "run" or not command[1].isdigit():
            raise ValueError(f"unknown command {line.strip()!r}: expected 'run K' or 'quit'")
        started = time.perf_counter()
        steps(int(command[1]))
        print(f"{time.perf_counter() - started:.6f}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # reported to the parent on the protocol's own channel
        print(f"error {type(error).__name__}: {error}", flush=True)
        sys.exit(1)
