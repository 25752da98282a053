"""
The child side of the peers bench for the Python drivers (bench/peers_pytorch.py, bench/peers_onnxruntime.py), as
bench/peers-child.ts is for the Node ones: the protocol's constants, MNIST's bytes, the peak memory, the command loop
and the error line. The protocol itself is described in bench/peers-child.ts.
"""
import gzip
import sys
import time

TRAIN_BATCH = 64
INFER_BATCH = 256
TRAIN_BATCHES = 16  # distinct training batches the timed steps cycle through
TEST_BATCHES = 8  # and test batches for inference and Grad-CAM


def idx_bytes(path, header_bytes, count):
    """`count` bytes of an IDX file (plain or .gz) after its header."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        f.read(header_bytes)
        return f.read(count)


def peak_rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def timed(count, one):
    """Seconds that `count` calls of `one` take, as the protocol prints them."""
    started = time.perf_counter()
    for _ in range(count):
        one()
    return f"{time.perf_counter() - started:.6f}"


def serve(answers):
    """Answers the parent's lines until `quit`: `answers[command](numbers)` is the line printed back; `memory` is built in."""
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            break
        command, numbers = words[0], [int(w) for w in words[1:]]
        if command == "memory":
            print(str(peak_rss_bytes()), flush=True)
        elif command in answers:
            print(answers[command](numbers), flush=True)
        else:
            raise ValueError(f"unknown command {line.strip()!r}")


def run(main):
    """Runs a driver's main, reporting an error to the parent on the protocol's own channel."""
    try:
        main()
    except Exception as error:
        print(f"error {type(error).__name__}: {error}".replace("\n", " "), flush=True)
        sys.exit(1)
