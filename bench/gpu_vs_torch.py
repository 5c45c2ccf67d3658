#!/usr/bin/env python3
"""ingot's CUDA target against PyTorch on the same GPU, in one run (issue 5's benchmark).

For each model and batch: PyTorch eager and torch.compile(mode="reduce-overhead") with the
settings a skilled user picks (fp16 weights, channels_last for CNNs, SDPA attention for the
BERT-base encoder, cudnn.benchmark on),
then ingot: the same module exported to ONNX, built with `ingot build --device cuda` and
timed by `ingot bench --device cuda` (GPU compute time by CUDA events, medians). Prints a
table with throughput and ingot's ratio to each peer; --json writes every number.

    python3 bench/gpu_vs_torch.py --ingot build-cuda/tools/ingot [--models resnet50] [--batches 1,64]
        [--precision fp16|fp32] [--no-compile] [--json OUT.json]

Needs PyTorch and torchvision (the GPU machine has both); not run by CI.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch

class BertEncoder(torch.nn.Module):
    """BERT-base's shape (12 layers, 768 wide, 12 heads, 3072 FFN, GELU, post-norm) over
    token ids. For timing PyTorch the attention is F.scaled_dot_product_attention (flash /
    memory-efficient kernels, as a skilled user would run it); for the ONNX export it is
    written out (MatMul, Softmax, MatMul), which every exporter version spells the same."""

    def __init__(self, vocab=30522, width=768, layers=12, heads=12, ffn=3072, seq=512):
        super().__init__()
        nn = torch.nn
        self.heads, self.sdpa = heads, True
        self.tok, self.pos, self.typ = nn.Embedding(vocab, width), nn.Embedding(seq, width), nn.Embedding(2, width)
        self.ln0 = nn.LayerNorm(width, eps=1e-12)
        # separate projections, as BERT has them (one fused one exports as Split, whose
        # slices with computed bounds the CUDA target does not run yet)
        self.q = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.k = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.v = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.out = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.ln1 = nn.ModuleList(nn.LayerNorm(width, eps=1e-12) for _ in range(layers))
        self.fc1 = nn.ModuleList(nn.Linear(width, ffn) for _ in range(layers))
        self.fc2 = nn.ModuleList(nn.Linear(ffn, width) for _ in range(layers))
        self.ln2 = nn.ModuleList(nn.LayerNorm(width, eps=1e-12) for _ in range(layers))

    def forward(self, ids):
        b, t = ids.shape
        pos = torch.arange(t, device=ids.device).unsqueeze(0)
        h = self.ln0(self.tok(ids) + self.pos(pos) + self.typ(torch.zeros_like(ids)))
        d = h.shape[-1] // self.heads
        for i in range(len(self.q)):
            q, k, v = (proj[i](h).view(b, t, self.heads, d).transpose(1, 2) for proj in (self.q, self.k, self.v))
            if self.sdpa:
                a = torch.nn.functional.scaled_dot_product_attention(q, k, v)
            else:
                a = torch.softmax(q @ k.transpose(-1, -2) / d ** 0.5, dim=-1) @ v
            h = self.ln1[i](h + self.out[i](a.transpose(1, 2).reshape(b, t, -1)))
            h = self.ln2[i](h + self.fc2[i](torch.nn.functional.gelu(self.fc1[i](h))))
        return h


MODELS = {
    "resnet50": lambda: __import__("torchvision").models.resnet50(weights=None),
    "mobilenetv2": lambda: __import__("torchvision").models.mobilenet_v2(weights=None),
    "efficientnet_b0": lambda: __import__("torchvision").models.efficientnet_b0(weights=None),
    "bert_base": BertEncoder,
    "vit_b16": lambda: __import__("torchvision").models.vit_b_16(weights=None),
}
SEQ = 128  # BERT's sequence length


def is_transformer(name):
    return name == "bert_base"


def example_input(name, batch, device="cpu", dtype=torch.float32):
    if is_transformer(name):
        return torch.randint(0, 2, (batch, SEQ), device=device)  # ids 0/1, as ingot bench feeds
    x = torch.randn(batch, 3, 224, 224, device=device, dtype=dtype)
    return x if device == "cpu" else x.to(memory_format=torch.channels_last)


def input_spec(name, batch):
    return f"input_ids:{batch}x{SEQ}" if is_transformer(name) else f"input:{batch}x3x224x224"


def time_torch(fn, x, warmup=20, iters=100):
    """Median milliseconds of fn(x) on the GPU (CUDA events around each call)."""
    with torch.inference_mode():
        for _ in range(warmup):
            fn(x)
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn(x)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    return statistics.median(times)


def export_onnx(name, model, batch, path):
    x = example_input(name, batch)
    inp = "input_ids" if is_transformer(name) else "input"
    if is_transformer(name):
        model.sdpa = False
    kwargs = dict(input_names=[inp], output_names=["output"], opset_version=17,
                  dynamic_axes={inp: {0: "N"}, "output": {0: "N"}})
    try:
        torch.onnx.export(model.float().cpu().eval(), (x,), path, dynamo=False, **kwargs)
    except TypeError:  # a PyTorch without the dynamo switch
        torch.onnx.export(model.float().cpu().eval(), (x,), path, **kwargs)


def ingot_bench(tool, onnx_path, shape, batch, precision, workdir):
    plan = os.path.join(workdir, f"b{batch}.plan")
    cmd = [tool, "build", onnx_path, "-o", plan, "--device", "cuda", "--opt-shapes", shape]
    if precision == "fp16":
        cmd.append("--fp16")
    t0 = time.perf_counter()
    built = subprocess.run(cmd, capture_output=True, text=True)
    build_s = time.perf_counter() - t0
    if built.returncode != 0:
        return {"error": (built.stderr or built.stdout).strip()[-400:]}
    out = {"build_s": build_s}
    for graph in (False, True):
        js = os.path.join(workdir, f"b{batch}{'_g' if graph else ''}.json")
        cmd = [tool, "bench", plan, "--shapes", shape, "--warmup", "20", "--iterations", "200", "--json", js]
        if graph:
            cmd.append("--cuda-graph")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            out["error" + ("_graph" if graph else "")] = (r.stderr or r.stdout).strip()[-400:]
            continue
        with open(js) as f:
            data = json.load(f)
        key = "graph" if graph else "stream"
        out[key] = data
        out[key + "_stdout"] = r.stdout
    return out


def gpu_ms(stdout):
    """The GPU compute median that `ingot bench --device cuda` prints ("GPU compute  x ms")."""
    m = re.search(r"GPU compute\s+([0-9.]+) ms", stdout or "")
    return float(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ingot", default="build-cuda/tools/ingot", help="the ingot tool of a CUDA build")
    ap.add_argument("--models", default="resnet50", help="resnet50, mobilenetv2, efficientnet_b0, vit_b16, "
                    "bert_base (sequence 128), comma-separated")
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--precision", default="fp16", choices=("fp16", "fp32"))
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile (it takes a minute per shape)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    dtype = torch.float16 if args.precision == "fp16" else torch.float32
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, precision {args.precision}", flush=True)
    rows = []
    for name in args.models.split(","):
        with tempfile.TemporaryDirectory() as work:
            onnx_path = os.path.join(work, f"{name}.onnx")
            export_onnx(name, MODELS[name](), 1, onnx_path)
            model = MODELS[name]().eval().cuda().to(dtype)
            if not is_transformer(name):
                model = model.to(memory_format=torch.channels_last)
            compiled = None if args.no_compile else torch.compile(model, mode="reduce-overhead")
            for batch in (int(b) for b in args.batches.split(",")):
                x = example_input(name, batch, "cuda", dtype)
                row = {"model": name, "batch": batch, "eager_ms": time_torch(model, x)}
                if compiled is not None:
                    t0 = time.perf_counter()
                    with torch.inference_mode():
                        compiled(x)
                    torch.cuda.synchronize()
                    row["compile_s"] = time.perf_counter() - t0
                    row["compile_ms"] = time_torch(compiled, x)
                ing = ingot_bench(args.ingot, onnx_path, input_spec(name, batch), batch, args.precision, work)
                row["ingot"] = {k: v for k, v in ing.items() if not k.endswith("_stdout")}
                row["ingot_ms"] = gpu_ms(ing.get("stream_stdout"))
                row["ingot_graph_ms"] = gpu_ms(ing.get("graph_stdout"))
                if "stream_stdout" in ing:
                    print(ing["stream_stdout"], flush=True)
                rows.append(row)
                best = min(v for v in (row["ingot_ms"], row["ingot_graph_ms"]) if v) if (row["ingot_ms"] or row["ingot_graph_ms"]) else None
                line = f"{name:16s} b{batch:<4d} eager {row['eager_ms']:8.3f} ms ({batch / row['eager_ms'] * 1e3:9.0f}/s)"
                if "compile_ms" in row:
                    line += f" | compile {row['compile_ms']:8.3f} ms ({batch / row['compile_ms'] * 1e3:9.0f}/s, {row['compile_s']:.0f} s to compile)"
                if best:
                    line += f" | ingot {best:8.3f} ms ({batch / best * 1e3:9.0f}/s, build {ing['build_s']:.1f} s)"
                    line += f" | ingot/eager speed {row['eager_ms'] / best:5.2f}x"
                    if "compile_ms" in row:
                        line += f", ingot/compile {row['compile_ms'] / best:5.2f}x"
                else:
                    line += f" | ingot: {ing.get('error', 'no result')}"
                print(line, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
