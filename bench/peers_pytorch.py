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
import json
import os
import sys

from glibc_malloc import keep_freed_memory
from peers_child import INFER_BATCH, TEST_BATCHES, TRAIN_BATCH, TRAIN_BATCHES, idx_bytes, run, serve, timed


def read_idx(path, header_bytes, count):
    import torch

    return torch.frombuffer(bytearray(idx_bytes(path, header_bytes, count)), dtype=torch.uint8)


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

    def next_train():
        start = (counters["train"] % TRAIN_BATCHES) * TRAIN_BATCH
        counters["train"] += 1
        train_step(start)

    def next_test(run_one):
        start = (counters["test"] % TEST_BATCHES) * INFER_BATCH
        counters["test"] += 1
        run_one(start)

    def accuracy(numbers):
        nonlocal optimizer
        optimizer = reset()
        loss = None
        for start in range(0, numbers[0] - TRAIN_BATCH + 1, TRAIN_BATCH):
            loss = train_step(start)
        right = 0
        for start in range(0, numbers[1], INFER_BATCH):
            count = min(INFER_BATCH, numbers[1] - start)
            right += int((predict(test_images, start, count) == test_labels[start : start + count]).sum())
        return f"{right / numbers[1]}" + ("" if loss is None else f" {float(loss)}")

    serve(
        {
            "train": lambda numbers: timed(numbers[0], next_train),
            "infer": lambda numbers: timed(numbers[0], lambda: next_test(lambda s: predict(test_images, s, INFER_BATCH))),
            "gradcam": lambda numbers: timed(numbers[0], lambda: next_test(lambda s: grad_cam(s, INFER_BATCH))),
            "accuracy": accuracy,
        }
    )


if __name__ == "__main__":
    run(main)
