"""PyTorch running the tutorial's network, for bench/train.ts (optional).

Launched by `npm run bench -- train` when Debian's python3-torch is installed:

    python3 bench/torch_reference.py DIR THREADS BATCH

DIR holds what the bench wrote: x_train.f32 (60000 x 784), y_train.u8,
x_test.f32 (10000 x 784), y_test.u8, and weights.f32, the starting weights
of purenn's model (W1 784x256, b1, W2 256x128, b2, W3 128x10, b3, each
row-major as Keras stores them). The network, loss, optimizer and batch are
the tutorial's: Dense(256)+sigmoid, Dense(128)+relu, Dense(10)+softmax,
categorical cross-entropy, SGD at 0.01, shuffled every epoch. PyTorch fuses
softmax into its cross-entropy (the usual way to write it there); purenn fuses
the same pair, so both do the same work.

Debian's python3-torch multiplies matrices with whatever libblas.so.3 the
system points to: install libopenblas0-pthread beside it (about 6 GFLOP/s
with the reference BLAS, over 50 with OpenBLAS). The bench sets
OPENBLAS_NUM_THREADS to THREADS: OpenBLAS keeps its own thread pool.

Prints one JSON line: {"threads", "batch", "seconds", "accuracy"}: the time
of one epoch (after a short warm-up) and the test accuracy after it.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def load(path, dtype, shape):
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


def main():
    folder, threads, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x_train = load(f"{folder}/x_train.f32", np.float32, (60000, 784))
    y_train = load(f"{folder}/y_train.u8", np.uint8, (60000,)).long()
    x_test = load(f"{folder}/x_test.f32", np.float32, (10000, 784))
    y_test = load(f"{folder}/y_test.u8", np.uint8, (10000,)).long()
    weights = np.fromfile(f"{folder}/weights.f32", dtype=np.float32)

    model = nn.Sequential(nn.Linear(784, 256), nn.Sigmoid(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    at = 0
    with torch.no_grad():
        for layer in (model[0], model[2], model[4]):
            fan_in, fan_out = layer.in_features, layer.out_features
            kernel = weights[at:at + fan_in * fan_out].reshape(fan_in, fan_out)
            at += fan_in * fan_out
            layer.weight.copy_(torch.from_numpy(kernel.T.copy()))  # PyTorch stores (out, in)
            layer.bias.copy_(torch.from_numpy(weights[at:at + fan_out].copy()))
            at += fan_out
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step(xb, yb):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()

    # Warm-up on a copy of the model, so the timed epoch starts from purenn's weights.
    warm = [p.detach().clone() for p in model.parameters()]
    for i in range(50):
        step(x_train[i * batch:(i + 1) * batch], y_train[i * batch:(i + 1) * batch])
    with torch.no_grad():
        for p, w in zip(model.parameters(), warm):
            p.copy_(w)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    order = torch.randperm(60000)
    start = time.perf_counter()
    for i in range(0, 60000, batch):
        idx = order[i:i + batch]
        step(x_train[idx], y_train[idx])
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    print(json.dumps({"threads": threads, "batch": batch, "seconds": seconds, "accuracy": accuracy}))


if __name__ == "__main__":
    main()
