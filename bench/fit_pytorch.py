#!/usr/bin/python3
"""PyTorch eager side of bench/fit.ts: one JSON request per stdin line, one JSON answer per stdout line.

Requests:
  {"op": "fit", "variant": "elu"|"bn"|"selu"|"alpha-dropout", "batch": 32, "samples": 9000, "seed": 1}
      -> {"seconds": <one epoch of fit, NAdam(foreach=True), cross-entropy>, "steps": n}
  {"op": "gemm", "batch": 32, "steps": 200}
      -> {"seconds": <time of `steps` steps of ONLY the matmuls of forward + backward>}
  {"op": "info"} -> torch version, threads
Run with OPENBLAS_NUM_THREADS=2 and torch.set_num_threads(1): PyTorch eager's fastest setting on this machine.
"""
import json
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)
# As torchnode's fit does by default (flushDenormals): subnormal floats as zero, so that neither side pays
# the ~100x microcode assists where they occur.
torch.set_flush_denormal(True)

FEATURES, HIDDEN, LAYERS, CLASSES = 3072, 100, 20, 10


def keras_trunc_normal_(w, fan_in, scale):
    # Keras variance scaling, truncated normal (std corrected for the truncation at 2 sigma).
    std = (scale / fan_in) ** 0.5 / 0.87962566103423978
    with torch.no_grad():
        nn.init.trunc_normal_(w, 0.0, std, -2 * std, 2 * std)


def build(variant):
    layers = []
    fan_in = FEATURES
    selu = variant in ("selu", "alpha-dropout")
    if variant == "bn":
        layers.append(nn.BatchNorm1d(FEATURES, momentum=0.01, eps=1e-3))
    for _ in range(LAYERS):
        lin = nn.Linear(fan_in, HIDDEN)
        keras_trunc_normal_(lin.weight, fan_in, 1.0 if selu else 2.0)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if variant == "bn":
            layers.append(nn.BatchNorm1d(HIDDEN, momentum=0.01, eps=1e-3))
        layers.append(nn.SELU() if selu else nn.ELU())
        fan_in = HIDDEN
    if variant == "alpha-dropout":
        layers.append(nn.AlphaDropout(0.1))
    layers.append(nn.Linear(HIDDEN, CLASSES))
    return nn.Sequential(*layers)


_data = {}


def data(samples, seed):
    key = (samples, seed)
    if key not in _data:
        g = torch.Generator().manual_seed(seed)
        _data.clear()
        _data[key] = (torch.randn(samples, FEATURES, generator=g), torch.randint(0, CLASSES, (samples,), generator=g))
    return _data[key]


def fit(variant, batch, samples, seed):
    torch.manual_seed(seed)
    x, y = data(samples, seed)
    model = build(variant)
    opt = torch.optim.NAdam(model.parameters(), lr=1e-4, foreach=True)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    start = time.perf_counter()
    # One epoch the way a Python training loop does it: shuffled, loss and accuracy accumulated.
    order = torch.randperm(samples)
    loss_sum, correct, steps = 0.0, 0, 0
    for b in range(0, samples, batch):
        idx = order[b : b + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
        correct += (logits.argmax(1) == yb).sum().item()
        steps += 1
    return {"seconds": time.perf_counter() - start, "steps": steps}


def gemm(batch, steps):
    # Only the matmuls of one training step's forward and backward, same shapes as the networks:
    # forward X W^T per layer, backward dW = dY^T X per layer and dX = dY W for every layer but the first.
    shapes = [(FEATURES, HIDDEN)] + [(HIDDEN, HIDDEN)] * (LAYERS - 1) + [(HIDDEN, CLASSES)]
    ws = [torch.randn(o, i) for i, o in shapes]
    xs = [torch.randn(batch, i) for i, _ in shapes]
    ys = [torch.randn(batch, o) for _, o in shapes]
    outs = [torch.empty(batch, o) for _, o in shapes]
    gws = [torch.empty(o, i) for i, o in shapes]
    gxs = [torch.empty(batch, i) for i, _ in shapes]

    def one():
        for k in range(len(shapes)):
            torch.mm(xs[k], ws[k].t(), out=outs[k])
        for k in reversed(range(len(shapes))):
            torch.mm(ys[k].t(), xs[k], out=gws[k])
            if k > 0:
                torch.mm(ys[k], ws[k], out=gxs[k])

    for _ in range(5):
        one()
    start = time.perf_counter()
    for _ in range(steps):
        one()
    return {"seconds": time.perf_counter() - start, "steps": steps}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            if req["op"] == "fit":
                out = fit(req["variant"], req["batch"], req["samples"], req.get("seed", 1))
            elif req["op"] == "gemm":
                out = gemm(req["batch"], req["steps"])
            elif req["op"] == "info":
                out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "config": torch.__config__.parallel_info()}
            else:
                out = {"error": "unknown op " + req["op"]}
        except Exception as e:  # report, keep serving
            out = {"error": repr(e)}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
