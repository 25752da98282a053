"""
PyTorch's driver for the peers bench (bench/peers.ts), speaking the protocol bench/peers-child.ts describes:
the network the spec describes as test/fixtures/pytorch/make_fixtures.py builds it (the translation the
interchange tests check against xcnn), with the shared initial weights, softmax cross-entropy, torch.optim.Adam
(lr 1e-3), on the CPU with torch.set_num_threads(N). Grad-CAM is xcnn's formula with autograd: the last conv
block's activations A (the Sequential up to config.camLayers), alpha_k = the spatial mean of dy_c/dA_k for each
image's predicted class c, ReLU(sum_k alpha_k A_k), F.interpolate(bilinear, align_corners=False) to the input
and min-max normalised per image.

    python3 bench/peers_pytorch.py CONFIG.json
"""
import gzip
import json
import os
import sys
import time

from glibc_malloc import keep_freed_memory

TRAIN_BATCH = 64
INFER_BATCH = 256
TRAIN_BATCHES = 16
TEST_BATCHES = 8


def read_idx(path, header_bytes, count):
    import torch

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        f.read(header_bytes)
        data = f.read(count)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def peak_rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    threads = config["threads"]
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)
    malloc = keep_freed_memory()  # before torch allocates: see bench/glibc_malloc.py
    import torch
    import torch.nn.functional as F
    from torch import nn

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "pytorch"))
    from make_fixtures import build

    torch.set_num_threads(threads)
    geometry = config["geometry"]
    shape = (geometry["channels"], geometry["height"], geometry["width"])
    pixels = shape[0] * shape[1] * shape[2]
    model, _ = build(config["spec"], *shape)
    with open(config["initPath"], "rb") as f:
        initial = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    parameters = list(model.parameters())
    if [list(p.shape) for p in parameters] != [p["shape"] for p in config["parameters"]]:
        raise ValueError("PyTorch's parameter shapes differ from xcnn's: not the same network")

    def reset():
        at = 0
        with torch.no_grad():
            for p in parameters:
                p.copy_(initial[at : at + p.numel()].view(p.shape))
                at += p.numel()
            for module in model.modules():
                if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                    module.reset_running_stats()
        return torch.optim.Adam(parameters, lr=1e-3)

    optimizer = reset()
    loss_fn = nn.CrossEntropyLoss()
    features, head = model[: config["camLayers"]], model[config["camLayers"] :]

    def floats(images, start, count):
        return images[start * pixels : (start + count) * pixels].float().div(255).view(count, *shape)

    def predict(images, start, count):
        model.eval()
        with torch.no_grad():
            return model(floats(images, start, count)).argmax(1)

    first = torch.tensor(config["firstImage"], dtype=torch.uint8)
    print(f"first {int(predict(first, 0, 1)[0])}", flush=True)

    mnist = config["mnist"]
    if mnist is None:
        raise ValueError("no MNIST files: the parent found none")
    train_images = read_idx(mnist["trainImages"], 16, 60000 * pixels)
    train_labels = read_idx(mnist["trainLabels"], 8, 60000).long()
    test_images = read_idx(mnist["testImages"], 16, 10000 * pixels)
    test_labels = read_idx(mnist["testLabels"], 8, 10000).long()

    def train_step(start):
        model.train()
        optimizer.zero_grad()
        loss = loss_fn(model(floats(train_images, start, TRAIN_BATCH)), train_labels[start : start + TRAIN_BATCH])
        loss.backward()
        optimizer.step()
        return loss

    def check_step():
        """One step from the initial weights must reach every parameter: a gradient that is zero or not finite
        means the step timed is not the network's whole training step (a layer detached, frozen, or skipped)."""
        loss = train_step(0)
        for name, p in model.named_parameters():
            if p.grad is None or not bool(torch.isfinite(p.grad).all()) or float(p.grad.abs().sum()) == 0:
                raise ValueError(f"the training step does not reach parameter {name}: its gradient is {'missing' if p.grad is None else 'zero or not finite'}")
        if not bool(torch.isfinite(loss)):
            raise ValueError(f"the first training step's loss is {float(loss)}")

    def grad_cam(start, count):
        model.eval()
        activations = features(floats(test_images, start, count)).detach().requires_grad_(True)
        logits = head(activations)
        targets = F.one_hot(logits.argmax(1), logits.shape[1]).to(logits.dtype)
        (gradient,) = torch.autograd.grad((logits * targets).sum(), activations)
        with torch.no_grad():
            alpha = gradient.mean(dim=(2, 3), keepdim=True)
            maps = F.relu((alpha * activations).sum(1, keepdim=True))
            heat = F.interpolate(maps, size=shape[1:], mode="bilinear", align_corners=False).flatten(1)
            low, high = heat.min(1, keepdim=True).values, heat.max(1, keepdim=True).values
            span = high - low
            return torch.where(span > 0, (heat - low) / span.clamp_min(1e-30), torch.zeros_like(heat))

    check_step()
    optimizer = reset()
    print("ready " + json.dumps({"parameters": sum(p.numel() for p in parameters), "detail": f"PyTorch {torch.__version__}, CPU, malloc {malloc}", "optimizer": None, "can": ["infer", "train", "gradcam"]}), flush=True)

    counters = {"train": 0, "test": 0}

    def timed(count, one):
        started = time.perf_counter()
        for _ in range(count):
            one()
        return f"{time.perf_counter() - started:.6f}"

    def next_train():
        start = (counters["train"] % TRAIN_BATCHES) * TRAIN_BATCH
        counters["train"] += 1
        train_step(start)

    def next_test(run):
        start = (counters["test"] % TEST_BATCHES) * INFER_BATCH
        counters["test"] += 1
        run(start)

    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            break
        command, numbers = words[0], [int(w) for w in words[1:]]
        if command == "train":
            print(timed(numbers[0], next_train), flush=True)
        elif command == "infer":
            print(timed(numbers[0], lambda: next_test(lambda s: predict(test_images, s, INFER_BATCH))), flush=True)
        elif command == "gradcam":
            print(timed(numbers[0], lambda: next_test(lambda s: grad_cam(s, INFER_BATCH))), flush=True)
        elif command == "accuracy":
            optimizer = reset()
            loss = None
            for start in range(0, numbers[0] - TRAIN_BATCH + 1, TRAIN_BATCH):
                loss = train_step(start)
            right = 0
            for start in range(0, numbers[1], INFER_BATCH):
                count = min(INFER_BATCH, numbers[1] - start)
                right += int((predict(test_images, start, count) == test_labels[start : start + count]).sum())
            print(f"{right / numbers[1]}" + ("" if loss is None else f" {float(loss)}"), flush=True)
        elif command == "memory":
            print(str(peak_rss_bytes()), flush=True)
        else:
            raise ValueError(f"unknown command {line.strip()!r}")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # reported to the parent on the protocol's own channel
        print(f"error {type(error).__name__}: {error}".replace("\n", " "), flush=True)
        sys.exit(1)
