#!/usr/bin/env python3
"""ingot's CUDA target against PyTorch on the same GPU, in one run (issue 5's benchmark).

For each model and batch: PyTorch eager and torch.compile(mode="reduce-overhead") with the
settings a skilled user picks (fp16 weights, channels_last for CNNs, cudnn.benchmark on),
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

MODELS = {
    "resnet50": lambda: __import__("torchvision").models.resnet50(weights=None),
    "mobilenetv2": lambda: __import__("torchvision").models.mobilenet_v2(weights=None),
    "efficientnet_b0": lambda: __import__("torchvision").models.efficientnet_b0(weights=None),
}


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


def export_onnx(model, batch, path):
    x = torch.randn(batch, 3, 224, 224)
    kwargs = dict(input_names=["input"], output_names=["output"], opset_version=17,
                  dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
    try:
        torch.onnx.export(model.float().cpu().eval(), (x,), path, dynamo=False, **kwargs)
    except TypeError:  # a PyTorch without the dynamo switch
        torch.onnx.export(model.float().cpu().eval(), (x,), path, **kwargs)


def ingot_bench(tool, onnx_path, batch, precision, workdir):
    plan = os.path.join(workdir, f"b{batch}.plan")
    shape = f"input:{batch}x3x224x224"
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
    ap.add_argument("--models", default="resnet50")
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
            export_onnx(MODELS[name](), 1, onnx_path)
            model = MODELS[name]().eval().cuda().to(dtype).to(memory_format=torch.channels_last)
            compiled = None if args.no_compile else torch.compile(model, mode="reduce-overhead")
            for batch in (int(b) for b in args.batches.split(",")):
                x = torch.randn(batch, 3, 224, 224, device="cuda", dtype=dtype).to(memory_format=torch.channels_last)
                row = {"model": name, "batch": batch, "eager_ms": time_torch(model, x)}
                if compiled is not None:
                    t0 = time.perf_counter()
                    with torch.inference_mode():
                        compiled(x)
                    torch.cuda.synchronize()
                    row["compile_s"] = time.perf_counter() - t0
                    row["compile_ms"] = time_torch(compiled, x)
                ing = ingot_bench(args.ingot, onnx_path, batch, args.precision, work)
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
