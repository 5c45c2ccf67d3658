"""Compares ingot with onnxruntime on one ONNX model (Polygraphy's `run --trt --onnxrt`):

    python -m ingot.compare MODEL.onnx [--input NAME=FILE.npy ...] [--shapes NAME:1x3x224x224,...]
                            [--fp16] [--rtol R] [--atol A] [--seed S] [--target cpu|cuda]

Builds the model with ingot and runs it and onnxruntime (CPUExecutionProvider, every graph
optimization) on the same inputs: the .npy files given, else seeded random values
(floats uniform in [0, 1), integers in {0, 1}, booleans random, as Polygraphy's default
data loader). Dynamic dims take their value from --shapes, else 1. For each output it
prints the shape, the max absolute error, the max relative error, the relative L2 error
(||ingot - ort|| / ||ort||) and PASS or FAIL: PASS when every element has
|ingot - ort| <= atol + rtol * |ort| (NaN where onnxruntime has NaN). Default tolerances:
1e-5 (1e-2 with --fp16).

Exit status: 0 every output passes, 1 an output fails, 2 the comparison could not be made
(bad arguments, a model ingot or onnxruntime refuses).
"""
import argparse
import os
import sys

import numpy as np


class UsageError(Exception):
    pass


def parse_shapes(texts):
    """["x:1x3x224x224,y:4", ...] -> {"x": (1, 3, 224, 224), "y": (4,)}. A scalar: "x:" ."""
    out = {}
    for text in texts or []:
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            name, sep, dims = item.rpartition(":")
            if not sep or not name:
                raise UsageError(f"--shapes entry {item!r}: expected NAME:D1xD2x...")
            try:
                out[name] = tuple(int(d) for d in dims.split("x")) if dims.strip() else ()
            except ValueError:
                raise UsageError(f"--shapes entry {item!r}: dims must be integers separated by 'x'") from None
            if any(d < 0 for d in out[name]):
                raise UsageError(f"--shapes entry {item!r}: dims must be >= 0")
    return out


def parse_inputs(texts):
    out = {}
    for text in texts or []:
        name, sep, path = text.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--input {text!r}: expected NAME=FILE.npy")
        try:
            out[name] = np.load(path, allow_pickle=False)
        except Exception as e:
            raise UsageError(f"--input {text!r}: cannot load {path}: {e}") from None
    return out


def _graph_inputs(model):
    from onnx import helper
    inits = {i.name for i in model.graph.initializer}
    result = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type)) if tt.elem_type else np.dtype(np.float32)
        dims = []
        if tt.HasField("shape"):
            for d in tt.shape.dim:
                dims.append(int(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?"))
        else:
            dims = None
        result.append((vi.name, dtype, dims))
    return result


def make_inputs(model, given, shapes, seed):
    """dict name -> array for every graph input; notes (list of str) on what was made."""
    rng = np.random.default_rng(seed)
    feeds, notes = {}, []
    for name, dtype, dims in _graph_inputs(model):
        if name in given:
            feeds[name] = np.asarray(given[name]).astype(dtype, copy=False)
            notes.append(f"{name}: {dtype} {feeds[name].shape} from file")
            continue
        if name in shapes:
            shape = shapes[name]
            if dims is not None and len(dims) != len(shape):
                raise UsageError(f"--shapes {name}: {len(shape)} dims given; the model declares {len(dims)} ({dims})")
            for i, (d, s) in enumerate(zip(dims or [], shape)):
                if isinstance(d, int) and d != s:
                    raise UsageError(f"--shapes {name}: dim {i} is {s}; the model fixes it to {d}")
        else:
            if dims is None:
                raise UsageError(f"input '{name}' has no declared shape: give it with --shapes or --input")
            shape = tuple(d if isinstance(d, int) else 1 for d in dims)
            free = [str(d) for d in dims if not isinstance(d, int)]
            if free:
                notes.append(f"{name}: dynamic dims {free} set to 1 (use --shapes)")
        if dtype == np.bool_:
            arr = rng.integers(0, 2, size=shape).astype(np.bool_)
        elif np.issubdtype(dtype, np.integer):
            arr = rng.integers(0, 2, size=shape).astype(dtype)
        else:
            arr = rng.random(size=shape, dtype=np.float64).astype(dtype)
        feeds[name] = arr
        notes.append(f"{name}: {dtype} {shape} random (seed {seed})")
    unknown = sorted(set(given) - set(feeds))
    if unknown:
        raise UsageError(f"--input names {unknown} are not inputs of the model (inputs: {list(feeds)})")
    unknown = sorted(set(shapes) - set(feeds))
    if unknown:
        raise UsageError(f"--shapes names {unknown} are not inputs of the model (inputs: {list(feeds)})")
    return feeds, notes


def run_onnxruntime(path, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    input_names = {i.name for i in sess.get_inputs()}
    values = sess.run(names, {n: v for n, v in feeds.items() if n in input_names})
    return dict(zip(names, values))


def run_ingot(path, feeds, fp16=False, target=None):
    import ingot
    logger = ingot.Logger(ingot.Logger.ERROR, lambda severity, message: None)
    shapes = {n: np.shape(v) for n, v in feeds.items()}
    engine = ingot.build_onnx(path, fp16=fp16, shapes=shapes, logger=logger, target=target)
    try:
        context = engine.create_execution_context()
        known = set(engine.input_names)
        outputs = context.execute({n: v for n, v in feeds.items() if n in known})
        dtypes = {n: engine.get_tensor_dtype(n) for n in outputs}
        for n, dt in dtypes.items():
            if dt == ingot.DataType.BF16:
                outputs[n] = ingot.bf16_to_float(outputs[n])
        return outputs
    finally:
        engine.close()


def compare(actual, expected, rtol, atol):
    """dict(shape_ok, max_abs, max_rel, rel_l2, passed, mismatches) of two arrays."""
    a = np.asarray(actual)
    e = np.asarray(expected)
    if a.shape != e.shape:
        return {"shape_ok": False, "max_abs": float("nan"), "max_rel": float("nan"), "rel_l2": float("nan"),
                "passed": False, "mismatches": None}
    a = a.astype(np.float64)
    e = e.astype(np.float64)
    if a.size == 0:
        return {"shape_ok": True, "max_abs": 0.0, "max_rel": 0.0, "rel_l2": 0.0, "passed": True, "mismatches": 0}
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    both_inf = np.isinf(a) & np.isinf(e) & (np.sign(a) == np.sign(e))
    same = (nan_a & nan_e) | both_inf
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(same, 0.0, np.abs(a - e))
        diff = np.where(nan_a != nan_e, np.inf, diff)
        mag = np.abs(e)
        rel = np.where(diff == 0, 0.0, np.divide(diff, mag, out=np.full_like(diff, np.inf), where=mag > 0))
        ok = same | (diff <= atol + rtol * np.where(np.isfinite(mag), mag, 0.0))
        fin = ~(nan_a | nan_e | np.isinf(a) | np.isinf(e))
        num = float(np.sqrt(np.sum((a[fin] - e[fin]) ** 2)))
        den = float(np.sqrt(np.sum(e[fin] ** 2)))
    rel_l2 = 0.0 if num == 0 else (num / den if den > 0 else float("inf"))
    if not fin.all() and not same[~fin].all():
        rel_l2 = float("inf")
    return {"shape_ok": True, "max_abs": float(diff.max()), "max_rel": float(rel.max()), "rel_l2": rel_l2,
            "passed": bool(ok.all()), "mismatches": int((~ok).sum())}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ingot.compare",
                                description="Compare ingot with onnxruntime on an ONNX model.")
    p.add_argument("model", help="the .onnx file")
    p.add_argument("--input", action="append", metavar="NAME=FILE.npy", help="an input's values (repeatable)")
    p.add_argument("--shapes", action="append", metavar="NAME:1x3x224x224,...",
                   help="shapes of inputs (dynamic dims); random values")
    p.add_argument("--fp16", action="store_true", help="let ingot use float16 kernels")
    p.add_argument("--rtol", type=float, default=None, help="relative tolerance (default 1e-5, 1e-2 with --fp16)")
    p.add_argument("--atol", type=float, default=None, help="absolute tolerance (default 1e-5, 1e-2 with --fp16)")
    p.add_argument("--seed", type=int, default=1, help="seed of the random inputs (default 1)")
    p.add_argument("--target", default=None, help="ingot target: cpu (default) or cuda")
    args = p.parse_args(argv)
    rtol = args.rtol if args.rtol is not None else (1e-2 if args.fp16 else 1e-5)
    atol = args.atol if args.atol is not None else (1e-2 if args.fp16 else 1e-5)
    try:
        import onnx
        if not os.path.exists(args.model):
            raise UsageError(f"{args.model}: no such file")
        try:
            model = onnx.load(args.model, load_external_data=False)
        except Exception as e:
            raise UsageError(f"{args.model}: not an ONNX model ({e})") from None
        given = parse_inputs(args.input)
        shapes = parse_shapes(args.shapes)
        feeds, notes = make_inputs(model, given, shapes, args.seed)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    print(f"model {args.model}: ingot{' (fp16)' if args.fp16 else ''} vs onnxruntime (CPUExecutionProvider)")
    for n in notes:
        print(f"  input {n}")
    try:
        results = run_ingot(args.model, feeds, fp16=args.fp16, target=args.target)
    except Exception as e:
        print(f"error: ingot failed: {e}", file=sys.stderr)
        return 2
    try:
        reference = run_onnxruntime(args.model, feeds)
    except Exception as e:
        print(f"error: onnxruntime failed: {e}", file=sys.stderr)
        return 2

    failed = 0
    for name, ref in reference.items():
        if name not in results:
            print(f"  output '{name}': missing from ingot's outputs ({list(results)}) | FAIL")
            failed += 1
            continue
        out = results[name]
        c = compare(out, ref, rtol, atol)
        verdict = "PASS" if c["passed"] else "FAIL"
        failed += not c["passed"]
        if not c["shape_ok"]:
            print(f"  output '{name}': shape {tuple(out.shape)} but onnxruntime {tuple(np.shape(ref))} | FAIL")
            continue
        extra = "" if c["passed"] else f" ({c['mismatches']} of {np.size(ref)} elements out of tolerance)"
        print(f"  output '{name}': shape {tuple(np.shape(ref))} {np.asarray(ref).dtype}"
              f" | max abs err {c['max_abs']:.6g} | max rel err {c['max_rel']:.6g}"
              f" | rel L2 err {c['rel_l2']:.6g} | {verdict}{extra}")
    total = len(reference)
    print(f"{'PASSED' if not failed else 'FAILED'}: {total - failed}/{total} outputs within rtol={rtol:g}, atol={atol:g}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
