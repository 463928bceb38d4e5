# Peer: PyTorch on the CPU (its own oneDNN / MKL kernels), a native CPU baseline on the same cores
# lavapipe runs on. Run as a child by bench/peers/run.ts with the job as its one JSON argument:
#   python3 bench/peers/torch_cpu.py '{"model":"vgg16","batch":4,"size":150,"repeat":3,"train":true,"scratch":true,"seed":1}'
# It loads the same seeded weights and input as every other system (bench/peers/spec.ts: the LCG
# stream, HWIO kernels transposed to OIHW, the NHWC input transposed to NCHW), so its forward's
# digest compares with dawnflow's. Prints the outcome after RESULT_TAG as its last stdout line.
import json
import math
import os
import sys
import time

RESULT_TAG = "DAWNFLOW_PEER_RESULT "
DIGEST_SAMPLES = 64
BLOCKS = {"vgg16": [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]}
BLOCKS["tiny"] = BLOCKS["vgg16"][:1]


def seeded(np, n, seed, scale=1.0):
    """spec.ts's LCG stream, vectorised: s' = 1664525 s + 1013904223 mod 2^32, filled by doubling."""
    mask = 0xFFFFFFFF
    a, c = 1664525, 1013904223
    s = np.empty(n, dtype=np.uint64)
    s[0] = (a * (seed & mask) + c) & mask
    filled, a_l, c_l = 1, a, c  # a_l, c_l: the affine map of `filled` steps
    while filled < n:
        take = min(filled, n - filled)
        s[filled : filled + take] = (s[:take] * np.uint64(a_l) + np.uint64(c_l)) & np.uint64(mask)
        c_l, a_l = (a_l * c_l + c_l) & mask, (a_l * a_l) & mask
        filled += take
    return (((s.astype(np.float64) / 4294967296.0) * 2 - 1) * scale).astype(np.float32)


def timed(repeat, fn):
    t0 = time.perf_counter()
    fn()
    warmup = time.perf_counter() - t0
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return {"warmupS": warmup, "samplesS": samples}


def digest(np, nhwc):
    flat = nhwc.reshape(-1).astype(np.float64)
    n = flat.size
    idx = [(i * n) // DIGEST_SAMPLES for i in range(min(DIGEST_SAMPLES, n))]
    return {
        "shape": list(nhwc.shape),
        "finite": bool(np.isfinite(flat).all()),
        "meanAbs": float(np.abs(flat).mean()),
        "samples": [float(flat[i]) for i in idx],
    }


def conv_base(torch, np, model, seed):
    nn = torch.nn
    layers, ci, k = [], 3, 0
    for b, block in enumerate(BLOCKS[model]):
        for co in block:
            conv = nn.Conv2d(ci, co, 3, padding=1)
            limit = math.sqrt(6 / (9 * ci + 9 * co))
            hwio = seeded(np, 9 * ci * co, seed + 10 + k, limit).reshape(3, 3, ci, co)
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(hwio.transpose(3, 2, 0, 1)))
            conv.bias.data.zero_()
            conv.block = b + 1
            layers += [conv, nn.ReLU()]
            ci, k = co, k + 1
        layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers), ci


def train_step(torch, model, opt, x, y):
    def step():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        step.loss = float(loss)

    return step


def small_convnet(torch, size):
    nn = torch.nn
    layers, ci, hw = [], 3, size
    for co in [32, 64, 128, 128]:
        layers += [nn.Conv2d(ci, co, 3), nn.ReLU(), nn.MaxPool2d(2)]
        ci, hw = co, (hw - 2) // 2
    layers += [nn.Flatten(), nn.Dropout(0.5), nn.Linear(hw * hw * ci, 512), nn.ReLU(), nn.Linear(512, 1), nn.Sigmoid()]
    return nn.Sequential(*layers)


def run(job):
    import numpy as np
    import torch

    threads = job.get("threads") or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(job["seed"])
    batch, size, repeat, seed, model = job["batch"], job["size"], job["repeat"], job["seed"], job["model"]
    nhwc = ((seeded(np, batch * size * size * 3, seed).astype(np.float64) + 1) / 2).astype(np.float32)
    x = torch.from_numpy(np.ascontiguousarray(nhwc.reshape(batch, size, size, 3).transpose(0, 3, 1, 2)))
    base, channels = conv_base(torch, np, model, seed)
    base.eval()
    out = {}

    def forward():
        with torch.no_grad():
            out["y"] = base(x)

    result = {
        "peer": "torch-cpu",
        "version": torch.__version__,
        "backend": f"cpu, {threads} threads",
        "forward": timed(repeat, forward),
        "notes": [f"torch.set_num_threads({threads}); forward under no_grad in eval mode"],
    }
    result["digest"] = digest(np, out["y"].permute(0, 2, 3, 1).contiguous().numpy())
    y = torch.tensor([[float(i % 2)] for i in range(batch)])
    if job.get("train"):
        last = len(BLOCKS[model])
        for m in base:
            for p in m.parameters():
                p.requires_grad = getattr(m, "block", 0) == last
        hw = size // 2 ** last
        head = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(hw * hw * channels, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1), torch.nn.Sigmoid()
        )
        full = torch.nn.Sequential(base, head).train()
        trainable = [p for p in full.parameters() if p.requires_grad]
        step = train_step(torch, full, torch.optim.Adam(trainable, lr=1e-5, eps=1e-7), x, y)
        result["train"] = {**timed(repeat, step), "loss": step.loss}
        result["notes"].append(f"train step: {sum(p.numel() for p in trainable)} trainable parameters, Adam")
    if job.get("scratch"):
        net = small_convnet(torch, size).train()
        opt = torch.optim.RMSprop(net.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)
        step = train_step(torch, net, opt, x, y)
        result["scratch"] = {**timed(repeat, step), "loss": step.loss}
    return result


def main():
    try:
        job = json.loads(sys.argv[1])
        outcome = run(job)
        sys.stdout.write("\n" + RESULT_TAG + json.dumps(outcome) + "\n")
        return 0
    except Exception as e:  # one line for the parent's table
        msg = " ".join(f"{type(e).__name__}: {e}".split())[:400]
        sys.stderr.write("\n" + RESULT_TAG + json.dumps({"error": msg}) + "\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
