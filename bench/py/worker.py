"""One run of one workload by a Python peer (torch on one thread, or micrograd), in a fresh process.

    bench/.venv/bin/python bench/py/worker.py W2 torch '{"batch": 256, ...}'

Prints its result as one line starting with @@RESULT, shaped like the JavaScript
peers' RunResult (bench/workloads/common.ts). Data and weights come from the same
LCG as common.ts, so every peer starts from identical numbers.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]


def now_ms() -> float:
    return time.perf_counter() * 1e3


def median(xs):
    s = sorted(x for x in xs if math.isfinite(x))
    n = len(s)
    if n == 0:
        return float("nan")
    return s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def lcg(seed: int, n: int, scale: float = 1.0) -> list[float]:
    out = []
    s = seed & 0xFFFFFFFF
    for _ in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append((s / 4294967296 - 0.5) * scale)
    return out


def lcg_labels(seed: int, n: int, classes: int) -> list[int]:
    return [min(classes - 1, math.floor((v + 0.5) * classes)) for v in lcg(seed, n)]


def check(name: str, ok: bool, detail: str) -> dict:
    return {"name": name, "ok": bool(ok), "detail": detail}


def torch1():
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")  # torch without numpy: not needed here
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    return torch


# ---------------------------------------------------------------- W1


def w1_micrograd(p: dict) -> dict:
    from micrograd.engine import Value

    d = json.loads((BENCH / "data" / "w1_moons.json").read_text())
    layers = [[([Value(w) for w in n["w"]], Value(n["b"])) for n in layer] for layer in d["layers"]]
    params = [v for layer in layers for (w, b) in layer for v in (*w, b)]

    def forward(x):
        h = x
        for li, layer in enumerate(layers):
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, h)), b)  # micrograd's Neuron
                out.append(act.relu() if li < len(layers) - 1 else act)
            h = out
        return h[0]

    def loss():
        losses = [(1 + -yi * forward(xi)).relu() for xi, yi in zip(d["X"], d["y"])]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg = 1e-4 * sum(q * q for q in params)
        return data_loss + reg

    times, fp = [], {}
    for s in range(1, p["steps"] + 1):
        t0 = now_ms()
        for q in params:
            q.grad = 0.0
        l = loss()
        l.backward()
        for q in params:
            q.data -= 0.1 * q.grad
        times.append(now_ms() - t0)
        fp[f"loss_{s}"] = l.data
    timed = times[1:] if len(times) > 2 else times
    return {"ok": True, "metrics": {"ms_per_step": median(timed)}, "checks": [], "fingerprint": fp}


# ---------------------------------------------------------------- W2

W2_IN, W2_HIDDEN, W2_OUT, W2_LR = 784, 256, 10, 0.1


def w2_torch(p: dict) -> dict:
    torch = torch1()
    B = p["batch"]
    f32 = torch.float32
    X = torch.tensor(lcg(11, B * W2_IN), dtype=torch.float64).to(f32).reshape(B, W2_IN)
    y = torch.tensor(lcg_labels(12, B, W2_OUT), dtype=torch.long)
    W1 = torch.tensor(lcg(13, W2_IN * W2_HIDDEN, 2 * math.sqrt(6 / (W2_IN + W2_HIDDEN))), dtype=torch.float64).to(f32)
    W1 = W1.reshape(W2_IN, W2_HIDDEN).requires_grad_()
    W2 = torch.tensor(lcg(14, W2_HIDDEN * W2_OUT, 2 * math.sqrt(6 / (W2_HIDDEN + W2_OUT))), dtype=torch.float64).to(f32)
    W2 = W2.reshape(W2_HIDDEN, W2_OUT).requires_grad_()
    b1 = torch.zeros(W2_HIDDEN, dtype=f32, requires_grad=True)
    b2 = torch.zeros(W2_OUT, dtype=f32, requires_grad=True)
    ps = [W1, b1, W2, b2]
    times, fp = [], {}
    total = p["warmup"] + p["steps"]
    for s in range(1, total + 1):
        t0 = now_ms()
        for q in ps:
            q.grad = None
        h = torch.relu(X @ W1 + b1)
        loss = torch.nn.functional.cross_entropy(h @ W2 + b2, y)
        loss.backward()
        with torch.no_grad():
            for q in ps:
                q -= W2_LR * q.grad
        l = loss.item()
        dt = now_ms() - t0
        if s > p["warmup"]:
            times.append(dt)
        if s <= 5:
            fp[f"loss_{s}"] = l
    ms = median(times)
    flops = 6 * B * (W2_IN * W2_HIDDEN + W2_HIDDEN * W2_OUT)
    return {
        "ok": True,
        "metrics": {"ms_per_step": ms, "gflops": flops / ms / 1e6},
        "checks": [check("losses finite", all(math.isfinite(v) for v in fp.values()), json.dumps(fp))],
        "fingerprint": fp,
        "info": {"torch": torch.__version__, "threads": torch.get_num_threads()},
    }


# ---------------------------------------------------------------- W3


def w3_torch(p: dict) -> dict:
    torch = torch1()
    n = p["n"]
    t0 = now_ms()
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    t1 = now_ms()
    y.backward()
    t2 = now_ms()
    g = x.grad.item()
    want = 1.0001**n
    err = abs(g - want) / want
    return {
        "ok": True,
        "metrics": {"build_ms": t1 - t0, "backward_ms": t2 - t1, "peak_rss_mb": peak_rss_mb()},
        "checks": [check(f"dy/dx = 1.0001^{n} to 1e-9", err < 1e-9, f"{g} (rel err {err:.2e})")],
        "fingerprint": {"dydx": g},
    }


def w3_micrograd(p: dict) -> dict:
    from micrograd.engine import Value

    n = p["n"]
    t0 = now_ms()
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    t1 = now_ms()
    try:
        y.backward()
    except RecursionError as e:
        return {
            "ok": False,
            "error": f"RecursionError in backward (topological sort is recursive; limit {sys.getrecursionlimit()}): {e}",
            "metrics": {"build_ms": t1 - t0},
            "checks": [],
        }
    t2 = now_ms()
    g = x.grad
    want = 1.0001**n
    err = abs(g - want) / want
    return {
        "ok": True,
        "metrics": {"build_ms": t1 - t0, "backward_ms": t2 - t1, "peak_rss_mb": peak_rss_mb()},
        "checks": [check(f"dy/dx = 1.0001^{n} to 1e-9", err < 1e-9, f"{g} (rel err {err:.2e})")],
        "fingerprint": {"dydx": g},
    }


# ---------------------------------------------------------------- W4


def w4_torch(p: dict) -> dict:
    torch = torch1()
    from torch.func import jacfwd, jacrev

    n, m, H = p["n"], p["m"], p["hidden"]
    f64 = torch.float64
    W1 = torch.tensor(lcg(21, H * n, 2 / math.sqrt(n)), dtype=f64).reshape(H, n)
    W2 = torch.tensor(lcg(22, m * H, 2 / math.sqrt(H)), dtype=f64).reshape(m, H)
    x = torch.tensor(lcg(23, n, 2), dtype=f64)

    def f(v):
        return torch.tanh(W2 @ torch.tanh(W1 @ v))

    fwd, rev = jacfwd(f), jacrev(f)
    Jf, Jr = fwd(x), rev(x)
    tf, tr = [], []
    for _ in range(p["repeats"]):
        t0 = now_ms()
        Jf = fwd(x)
        tf.append(now_ms() - t0)
        t0 = now_ms()
        Jr = rev(x)
        tr.append(now_ms() - t0)
    diff = (Jf - Jr).abs().max().item()
    return {
        "ok": True,
        "metrics": {"jacfwd_ms": median(tf), "jacrev_ms": median(tr), "fwd_over_rev": median(tf) / median(tr)},
        "checks": [check("jacfwd = jacrev to 1e-10", diff < 1e-10, f"max |diff| {diff:.2e}")],
        "fingerprint": {"sum": Jr.sum().item(), "sum_sq": (Jr * Jr).sum().item()},
    }


RUNNERS = {
    ("W1", "micrograd"): w1_micrograd,
    ("W2", "torch"): w2_torch,
    ("W3", "torch"): w3_torch,
    ("W3", "micrograd"): w3_micrograd,
    ("W4", "torch"): w4_torch,
}


def main() -> None:
    workload, peer = sys.argv[1], sys.argv[2]
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    try:
        result = RUNNERS[(workload, peer)](params)
    except Exception as e:  # a crash of one run is recorded, not a crash of the suite
        result = {"ok": False, "error": "".join(traceback.format_exception_only(type(e), e)).strip()[:2000], "metrics": {}, "checks": []}
    sys.stdout.write("@@RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
