"""
ONNX Runtime's native CPU build (MLAS), through its Python package, for the peers bench (bench/peers.ts),
speaking the protocol bench/peers-child.ts describes: inference only (ONNX Runtime does not train these models,
nor has it Grad-CAM), on xcnn's own ONNX export of the same initial network, as bench/peers-onnxruntime.ts runs
onnxruntime-web and onnxruntime-node. The session: graph optimisation level "all", intra_op_num_threads = the
threads, one inter-op thread, the CPU execution provider. Each batch is converted from bytes on every call, as
the other drivers do.

    python3 bench/peers_onnxruntime.py CONFIG.json

Where onnxruntime-node's install step cannot reach its download host, this is how the bench measures the native
build: `pip install onnxruntime` (or `pip install --target DIR onnxruntime` with PYTHONPATH=DIR), then
`npm run bench -- --only peers`.
"""
import json
import sys

from peers_child import INFER_BATCH, TEST_BATCHES, idx_bytes, run, serve, timed


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = config["threads"]
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(config["onnxPath"], options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    geometry = config["geometry"]
    shape = (geometry["channels"], geometry["height"], geometry["width"])
    pixels = shape[0] * shape[1] * shape[2]

    def predict(images, start, count):
        batch = images[start * pixels : (start + count) * pixels].astype(np.float32).reshape(count, *shape) / np.float32(255)
        (logits,) = session.run(None, {input_name: batch})
        return logits.argmax(1)

    first = np.array(config["firstImage"], dtype=np.uint8)
    print(f"first {int(predict(first, 0, 1)[0])}", flush=True)

    mnist = config["mnist"]
    if mnist is None:
        raise ValueError("no MNIST files: the parent found none")
    test_images = np.frombuffer(idx_bytes(mnist["testImages"], 16, 10000 * pixels), dtype=np.uint8)
    # the config's count, as bench/peers-onnxruntime.ts reports it: the session runs xcnn's export of that very network
    parameters = sum(int(np.prod(p["shape"])) for p in config["parameters"])
    detail = f"onnxruntime {ort.__version__} (Python), native CPU build"
    print("ready " + json.dumps({"parameters": parameters, "detail": detail, "optimizer": None, "can": ["infer"]}), flush=True)

    counter = {"test": 0}

    def next_infer():
        start = (counter["test"] % TEST_BATCHES) * INFER_BATCH
        counter["test"] += 1
        predict(test_images, start, INFER_BATCH)

    serve({"infer": lambda numbers: timed(numbers[0], next_infer)})


if __name__ == "__main__":
    run(main)
