#!/usr/bin/env python3
"""ingot's CPU target against onnxruntime on the same machine, in one run (issue 6's benchmark).

For each model of models/make_models.py (full size, random weights) and each batch:
  - ingot: the ONNX file built for that batch (the build timed), loaded, and run through one
    execution context with the input and output addresses bound once (execute_v2);
  - onnxruntime (CPUExecutionProvider, ORT_ENABLE_ALL, the same intra-op thread count,
    sequential execution), run through an IOBinding with preallocated outputs, so neither
    side allocates per run.
The two alternate in blocks after warm-up, so that a slow spell of the machine hits both
(each block after a short pause and one untimed run, so the other side's spinning threads
and cache contents do not count against it);
each reports the median and p90 of its per-run times. Batch 1 gives latency, batch 8
throughput (images or sequences per second). The outputs of both are checked against
each other first (relative L2), so a fast wrong answer is not reported as a result.

    python3 bench/cpu_vs_ort.py [--models resnet50,bert_base] [--batches 1,8] [--threads N]
        [--runs 30] [--models-dir build/models] [--json OUT.json] [--markdown OUT.md]

Needs numpy, onnx and onnxruntime, and ingot's library (INGOT_LIBRARY or build/).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "models"))

import make_models  # noqa: E402

DEFAULT_MODELS = ["resnet50", "mobilenetv2", "efficientnet_b0", "vit_b16", "bert_base",
                  "gpt_decoder", "yolo_detector"]
SEQ = 128  # sequence length of the transformers' dynamic "seq" dim, where they have one


def model_path(models_dir, name):
    path = os.path.join(models_dir, name + ".onnx")
    if not os.path.exists(path):
        os.makedirs(models_dir, exist_ok=True)
        __import__("onnx").save(make_models.make_model(name), path)
    return path


def percentile(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class IngotRunner:
    def __init__(self, path, feeds, threads):
        import ingot
        logger = ingot.Logger(ingot.Logger.ERROR, lambda severity, message: None)
        shapes = {n: v.shape for n, v in feeds.items()}
        start = time.perf_counter()
        self.engine = ingot.build_onnx(path, shapes=shapes, logger=logger, num_threads=threads)
        self.build_s = time.perf_counter() - start
        self.context = self.engine.create_execution_context()
        if threads:
            self.context.set_num_threads(threads)
        known = set(self.engine.input_names)
        self.inputs = {n: np.ascontiguousarray(v) for n, v in feeds.items() if n in known}
        for n, v in self.inputs.items():
            self.context.set_input_shape(n, v.shape)
            self.context.set_tensor_address(n, v)
        self.outputs = {}
        for n in self.engine.output_names:
            shape = self.context.get_tensor_max_shape(n)
            self.outputs[n] = np.empty(shape, dtype=ingot._lib.nptype(self.engine.get_tensor_dtype(n)))
            self.context.set_tensor_address(n, self.outputs[n])

    def run(self):
        self.context.execute_v2()

    def close(self):
        self.context.close()
        self.engine.close()


class OrtRunner:
    def __init__(self, path, feeds, threads):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        start = time.perf_counter()
        self.session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.build_s = time.perf_counter() - start
        names = {i.name for i in self.session.get_inputs()}
        self.binding = self.session.io_binding()
        self.keep = []
        for n, v in feeds.items():
            if n in names:
                v = np.ascontiguousarray(v)
                self.keep.append(v)
                self.binding.bind_cpu_input(n, v)
        for o in self.session.get_outputs():
            self.binding.bind_output(o.name, "cpu")
        self.session.run_with_iobinding(self.binding)  # sizes the outputs once
        self.outputs = dict(zip([o.name for o in self.session.get_outputs()],
                                self.binding.copy_outputs_to_cpu()))
        # from now on the outputs are bound to preallocated arrays
        for o in self.session.get_outputs():
            arr = np.empty_like(self.outputs[o.name])
            self.keep.append(arr)
            self.binding.bind_output(o.name, "cpu", 0, arr.dtype, arr.shape, arr.ctypes.data)
            self.outputs[o.name] = arr

    def run(self):
        self.session.run_with_iobinding(self.binding)

    def close(self):
        self.session = None


def rel_l2(a, e):
    a = np.asarray(a, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    den = np.linalg.norm(e)
    return float(np.linalg.norm(a - e) / den) if den > 0 else float(np.linalg.norm(a - e))


def time_pair(runners, runs, block=5, min_warmup_s=1.0, settle_s=0.05):
    """Interleaved blocks of `block` runs of each runner; dict name -> list of ms.

    Before each block: a pause of settle_s, so that the other runtime's worker threads
    have stopped spinning (onnxruntime's spin for a while after each run, ingot's for
    100 us), and one untimed run, so that neither side's first run pays for the caches
    the other one left."""
    for r in runners.values():  # warm-up: at least 3 runs and min_warmup_s of each
        start = time.perf_counter()
        n = 0
        while n < 3 or time.perf_counter() - start < min_warmup_s:
            r.run()
            n += 1
    times = {k: [] for k in runners}
    while min(len(t) for t in times.values()) < runs:
        for k, r in runners.items():
            time.sleep(settle_s)
            r.run()
            for _ in range(block):
                t0 = time.perf_counter()
                r.run()
                times[k].append((time.perf_counter() - t0) * 1e3)
    return times


def bench_one(name, path, batch, threads, runs):
    import onnx
    model = onnx.load(path, load_external_data=False)
    seq = SEQ if any(d.dim_param == "seq" for vi in model.graph.input for d in vi.type.tensor_type.shape.dim) else None
    feeds = make_models.make_inputs(model, batch, seq=seq)
    del model
    ing = IngotRunner(path, feeds, threads)
    ort_runner = OrtRunner(path, feeds, threads)
    ing.run()
    ort_runner.run()
    errors = {n: rel_l2(ing.outputs[n], ort_runner.outputs[n]) for n in ing.outputs if n in ort_runner.outputs}
    # fewer runs for slow cases, but never fewer than 10 per side
    t0 = time.perf_counter()
    ing.run()
    one = time.perf_counter() - t0
    n = max(10, min(runs, int(20.0 / max(one, 1e-6))))
    times = time_pair({"ingot": ing, "ort": ort_runner}, n)
    row = {"model": name, "batch": batch, "seq": seq, "threads": threads, "runs": n,
           "ingot_build_s": ing.build_s, "ort_session_s": ort_runner.build_s,
           "max_rel_l2": max(errors.values()) if errors else None}
    for k, t in times.items():
        row[k + "_median_ms"] = statistics.median(t)
        row[k + "_p90_ms"] = percentile(t, 0.9)
    row["ratio"] = row["ingot_median_ms"] / row["ort_median_ms"]
    ing.close()
    ort_runner.close()
    return row


def markdown(rows, threads):
    lines = [f"Threads: {threads}. Machine: {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} logical CPUs. Times in ms (median / p90); ratio = ingot / onnxruntime "
             f"(below 1: ingot faster).", "",
             "| model | batch | ingot median | ingot p90 | ORT median | ORT p90 | ratio | items/s ingot | items/s ORT | ingot build s | rel L2 vs ORT |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b = r["batch"]
        lines.append(f"| {r['model']} | {b} | {r['ingot_median_ms']:.2f} | {r['ingot_p90_ms']:.2f} | "
                     f"{r['ort_median_ms']:.2f} | {r['ort_p90_ms']:.2f} | **{r['ratio']:.2f}** | "
                     f"{1e3 * b / r['ingot_median_ms']:.1f} | {1e3 * b / r['ort_median_ms']:.1f} | "
                     f"{r['ingot_build_s']:.2f} | {r['max_rel_l2']:.1e} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(DEFAULT_MODELS))
    p.add_argument("--batches", default="1,8")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--runs", type=int, default=30, help="timed runs per side (fewer for slow cases, at least 10)")
    p.add_argument("--models-dir", default=os.path.join(ROOT, "build", "models"))
    p.add_argument("--json")
    p.add_argument("--markdown")
    args = p.parse_args(argv)
    rows = []
    for name in args.models.split(","):
        path = model_path(args.models_dir, name)
        for batch in [int(b) for b in args.batches.split(",")]:
            row = bench_one(name, path, batch, args.threads, args.runs)
            rows.append(row)
            print(f"{name:16s} b{batch:<2d} ingot {row['ingot_median_ms']:9.2f} ms (p90 {row['ingot_p90_ms']:8.2f})  "
                  f"ORT {row['ort_median_ms']:9.2f} ms (p90 {row['ort_p90_ms']:8.2f})  ratio {row['ratio']:.2f}  "
                  f"build {row['ingot_build_s']:.2f} s  relL2 {row['max_rel_l2']:.1e}", flush=True)
    md = markdown(rows, args.threads)
    print()
    print(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
