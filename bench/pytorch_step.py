"""
The PyTorch twin of xcnn's training step, for bench/pytorch.ts: the paper's CNN, softmax cross-entropy
and Adam (lr 1e-3), on the CPU with torch.set_num_threads(N), batch 64. It runs as a long-lived child
driven over stdin/stdout, so the start-up of Python and torch is never timed.

    python3 bench/pytorch_step.py --threads N [--images train-images-idx3-ubyte --labels train-labels-idx1-ubyte]

With the MNIST training files (plain or .gz) it cycles through their first BATCHES batches of 64, scaled
to [0,1] as xcnn does; without them, through random batches of the same shape (the speed is the same).

Protocol, one line each way:
    child:  ready torch=<version> threads=<N> data=<mnist|random> blas=<the BLAS library loaded>
    parent: run K       child: <seconds K training steps took>
    parent: quit (or closes stdin)      child exits
On an error the child writes "error <message>" and exits with status 1.
"""
import argparse
import gzip
import os
import sys
import time

BATCH = 64
BATCHES = 16  # distinct batches cycled through
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

    if args.images and args.labels:
        images = read_idx(args.images, 16, BATCHES * BATCH * 28 * 28).float().div(255).view(BATCHES, BATCH, 1, 28, 28)
        labels = read_idx(args.labels, 8, BATCHES * BATCH).long().view(BATCHES, BATCH)
        return "mnist", list(zip(images, labels))
    generator = torch.Generator().manual_seed(0)
    return "random", [
        (torch.rand(BATCH, 1, 28, 28, generator=generator), torch.randint(0, 10, (BATCH,), generator=generator))
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
    args = parser.parse_args()

    # The BLAS library under torch reads these when loaded (OpenBLAS, MKL); torch.set_num_threads alone
    # does not reach a BLAS torch was not built against, as Debian's is not.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(7744, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )
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
    print(f"ready torch={torch.__version__} threads={torch.get_num_threads()} data={data} blas={loaded_blas()}", flush=True)

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
