"""PyTorch running the tutorial's network, for bench/train.ts and bench/versus.ts (optional).

Launched by `npm run bench` when Debian's python3-torch is installed:

    python3 bench/torch_reference.py DIR THREADS BATCH [--mode MODE] [--samples S] [--repeats R]

DIR holds what the bench wrote (bench/torch.ts): x_train.f32 (60000 x 784),
y_train.u8, x_test.f32 (10000 x 784), y_test.u8, and weights.f32, the starting
weights of purenn's model (W1 784x256, b1, W2 256x128, b2, W3 128x10, b3, each
row-major as Keras stores them). The network, loss, optimizer and batch are
the tutorial's: Dense(256)+sigmoid, Dense(128)+relu, Dense(10)+softmax,
categorical cross-entropy, SGD at 0.01, shuffled every epoch. PyTorch fuses
softmax into its cross-entropy (the usual way to write it there); purenn fuses
the same pair, so both do the same work.

MODE (what purenn's side of the same row does, bench/rows-child.ts):
  epoch      (default) one epoch of all 60000 samples after a short warm-up,
             then the test accuracy: {"seconds", "accuracy"}
  fit        the first S samples (default 60000) at BATCH, after a warm-up,
             R times, each from purenn's starting weights: {"seconds": best, "times"}
  predict    softmax probabilities of the 10000 test images at BATCH (0: all
             at once), under no_grad, R times after one: {"seconds": best, "times"}
  first-fit  run in a fresh process: timed from the model's creation (the
             network, its weights, the optimizer) through one epoch of the first
             S samples at BATCH, with no warm-up: {"seconds"}
Every mode also gives "maxrss_mb", the process's peak resident memory (getrusage).

Debian's python3-torch multiplies matrices with whatever libblas.so.3 the
system points to: install libopenblas0-pthread beside it (about 6 GFLOP/s
with the reference BLAS, over 50 with OpenBLAS). The bench sets
OPENBLAS_NUM_THREADS to THREADS: OpenBLAS keeps its own thread pool.

Prints one JSON line.
"""
import argparse
import json
import resource
import time

import numpy as np
import torch
from torch import nn


def load(path, dtype, shape):
    # np.fromfile gives a fresh writable array: no second copy in memory.
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape))


def tutorial(weights):
    """The network with purenn's starting weights (PyTorch stores a Linear's weight as (out, in))."""
    model = nn.Sequential(nn.Linear(784, 256), nn.Sigmoid(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    at = 0
    with torch.no_grad():
        for layer in (model[0], model[2], model[4]):
            fan_in, fan_out = layer.in_features, layer.out_features
            kernel = weights[at:at + fan_in * fan_out].reshape(fan_in, fan_out)
            at += fan_in * fan_out
            layer.weight.copy_(torch.from_numpy(kernel.T.copy()))
            layer.bias.copy_(torch.from_numpy(weights[at:at + fan_out].copy()))
            at += fan_out
    return model


def fit(model, x, y, batch):
    """One epoch over (x, y) in shuffled batches."""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    order = torch.randperm(x.shape[0])
    for i in range(0, x.shape[0], batch):
        idx = order[i:i + batch]
        optimizer.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()


def predict(model, x, batch):
    with torch.no_grad():
        size = batch if batch > 0 else x.shape[0]
        return torch.cat([torch.softmax(model(x[i:i + size]), dim=1) for i in range(0, x.shape[0], size)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("threads", type=int)
    parser.add_argument("batch", type=int)
    parser.add_argument("--mode", default="epoch", choices=["epoch", "fit", "predict", "first-fit"])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder, threads, batch = args.folder, args.threads, args.batch
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    weights = np.fromfile(f"{folder}/weights.f32", dtype=np.float32)
    out = {"threads": threads, "batch": batch, "mode": args.mode}

    if args.mode == "predict":
        x_test = load(f"{folder}/x_test.f32", np.float32, (10000, 784))
        model = tutorial(weights)
        predict(model, x_test, batch)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            predict(model, x_test, batch)
            times.append(time.perf_counter() - start)
        out.update(seconds=min(times), times=times)
    else:
        x_train = load(f"{folder}/x_train.f32", np.float32, (60000, 784))
        y_train = load(f"{folder}/y_train.u8", np.uint8, (60000,)).long()
        x, y = x_train[:args.samples], y_train[:args.samples]
        if args.mode == "first-fit":
            start = time.perf_counter()
            fit(tutorial(weights), x, y, batch)
            out.update(seconds=time.perf_counter() - start)
        else:
            # Warm-up on another model, so each timed fit starts from purenn's weights.
            warm = min(args.samples, 50 * batch)
            fit(tutorial(weights), x[:warm], y[:warm], batch)
            if args.mode == "fit":
                times = []
                for _ in range(args.repeats):
                    model = tutorial(weights)
                    start = time.perf_counter()
                    fit(model, x, y, batch)
                    times.append(time.perf_counter() - start)
                out.update(seconds=min(times), times=times)
            else:
                model = tutorial(weights)
                start = time.perf_counter()
                fit(model, x_train, y_train, batch)
                out.update(seconds=time.perf_counter() - start)
                x_test = load(f"{folder}/x_test.f32", np.float32, (10000, 784))
                y_test = load(f"{folder}/y_test.u8", np.uint8, (10000,)).long()
                with torch.no_grad():
                    out.update(accuracy=(model(x_test).argmax(dim=1) == y_test).float().mean().item())
    out.update(maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
