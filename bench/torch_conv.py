"""PyTorch training Keras's mnist_convnet, for bench/conv.ts (optional).

Launched by `npm run bench -- conv` when Debian's python3-torch is installed:

    python3 bench/torch_conv.py DIR THREADS BATCH SAMPLES

DIR holds what the bench wrote: x_train.f32 (60000 x 784, pixels / 255),
y_train.u8, x_test.f32 (10000 x 784), y_test.u8, and weights.f32, the starting
weights of purenn's model in Keras's layouts: conv kernels [kh, kw, cin, f]
and biases, then the Dense kernel (1600 x 10, its rows in (h, w, c) order) and
bias. The network is Keras's: Conv2D(32, 3x3, relu), MaxPooling2D(2),
Conv2D(64, 3x3, relu), MaxPooling2D(2), Flatten, Dropout(0.5), Dense(10,
softmax); categorical cross-entropy (PyTorch fuses softmax into it, as purenn
does), Adam at 0.001 (Keras's defaults: betas 0.9, 0.999, eps 1e-7).

PyTorch is channels-first (NCHW): images are reshaped to (n, 1, 28, 28), the
kernels permuted to (f, cin, kh, kw), and the Dense kernel's rows reordered
from (h, w, c) to PyTorch's flatten order (c, h, w), so that both engines
compute the same function from the same weights.

Times SAMPLES training images (the first 54000 are Keras's validation_split
0.1 training part; fewer are scaled by the caller) after a warm-up of 10
batches. Prints one JSON line: {"threads", "batch", "samples", "seconds",
"accuracy"}, accuracy on the test set after the timed samples.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def load(path, dtype, shape):
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


def model_from(weights):
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
    )
    at = 0

    def take(count):
        nonlocal at
        out = weights[at:at + count]
        at += count
        return out

    with torch.no_grad():
        for conv in (model[0], model[3]):
            f, cin, kh, kw = conv.weight.shape
            kernel = take(kh * kw * cin * f).reshape(kh, kw, cin, f)       # Keras: [kh, kw, cin, f]
            conv.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))  # PyTorch: [f, cin, kh, kw]
            conv.bias.copy_(torch.from_numpy(take(f).copy()))
        dense = take(1600 * 10).reshape(5, 5, 64, 10)                        # rows in (h, w, c) order
        dense = dense.transpose(2, 0, 1, 3).reshape(1600, 10)                # rows in (c, h, w) order
        model[8].weight.copy_(torch.from_numpy(dense.T.copy()))
        model[8].bias.copy_(torch.from_numpy(take(10).copy()))
    return model


def main():
    folder, threads, batch, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x_train = load(f"{folder}/x_train.f32", np.float32, (60000, 1, 28, 28))
    y_train = load(f"{folder}/y_train.u8", np.uint8, (60000,)).long()
    x_test = load(f"{folder}/x_test.f32", np.float32, (10000, 1, 28, 28))
    y_test = load(f"{folder}/y_test.u8", np.uint8, (10000,)).long()
    model = model_from(np.fromfile(f"{folder}/weights.f32", dtype=np.float32))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)

    def step(xb, yb):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()

    model.train()
    warm = torch.randperm(54000)[:10 * batch]
    for start in range(0, len(warm), batch):
        idx = warm[start:start + batch]
        step(x_train[idx], y_train[idx])
    order = torch.randperm(54000)[:samples]
    t = time.perf_counter()
    for start in range(0, samples, batch):
        idx = order[start:start + batch]
        step(x_train[idx], y_train[idx])
    seconds = time.perf_counter() - t
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(json.dumps({"threads": threads, "batch": batch, "samples": samples, "seconds": seconds, "accuracy": accuracy}))


if __name__ == "__main__":
    main()
