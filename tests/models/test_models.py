"""Whole-model tests: each model of models/make_models.py (small variants by default; the
full-size ones with INGOT_FULL_MODELS=1) is generated into a temporary directory, parsed by
ingot's ONNX parser, built with a profile for its dynamic dims (batch 1 / 2 / 4; gpt_decoder's
seq 8 / 16 / 32), run at batch 1 and 3 (gpt_decoder at two sequence lengths) and compared
with onnxruntime (CPUExecutionProvider): relative L2 error below 1e-4 on every output.

    python -m pytest -q tests/models                      # small models
    INGOT_FULL_MODELS=1 python -m pytest -q -s tests/models
    python -m pytest -q tests/models -k bert              # one model

Build and run times are printed (they show with -s, and are recorded as test properties).
Needs onnx and onnxruntime (skipped without them). INGOT_TARGET=cuda builds for CUDA.
"""
import importlib.util
import os
import sys
import time

import numpy as np
import pytest

SOURCE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))

if not os.environ.get("INGOT_TEST_INSTALLED"):
    _pkg = os.path.join(SOURCE_DIR, "python")
    if _pkg not in sys.path:
        sys.path.insert(0, _pkg)
if not os.environ.get("INGOT_LIBRARY") and os.environ.get("INGOT_BINARY_DIR"):
    _cand = os.path.join(os.environ["INGOT_BINARY_DIR"], "libingot.so")
    if os.path.exists(_cand):
        os.environ["INGOT_LIBRARY"] = _cand

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ingot  # noqa: E402

_spec = importlib.util.spec_from_file_location("make_models", os.path.join(SOURCE_DIR, "models", "make_models.py"))
mm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mm)

FULL = os.environ.get("INGOT_FULL_MODELS") == "1"
SMALL = not FULL
RTOL = 1e-4

# Models that cannot pass yet, with the reason (ingot's own message): name -> reason.
XFAIL = {}


def _params():
    out = []
    for name in mm.MODELS:
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


class _Logger(ingot.Logger):
    def __init__(self):
        self.messages = []
        super().__init__(ingot.Logger.VERBOSE if os.environ.get("INGOT_TEST_VERBOSE") else ingot.Logger.WARNING)

    def log(self, severity, message):
        self.messages.append((severity, message))
        if os.environ.get("INGOT_TEST_VERBOSE"):
            super().log(severity, message)


def _parse(network, logger, path):
    """Fills `network` from the file; fails listing every parser error."""
    with ingot.OnnxParser(network, logger) as parser:
        if not parser.parse_from_file(str(path)):
            raise AssertionError(f"ONNX parse of {os.path.basename(str(path))} failed: "
                                 + "; ".join(str(e) for e in parser.errors))


def _rel_l2(got, ref):
    got = got.astype(np.float64)
    ref = ref.astype(np.float64)
    den = np.linalg.norm(ref)
    return float(np.linalg.norm(got - ref) / (den if den > 0 else 1.0))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.mark.parametrize("name", _params())
def test_model(name, model_dir, record_property, capsys):
    model = mm.make_model(name, SMALL)
    path = os.path.join(str(model_dir), mm.file_name(name, SMALL))
    onnx.save(model, path)
    mm.check(model, path)

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]

    logger = _Logger()
    builder = ingot.Builder(logger)
    network = builder.create_network()
    _parse(network, logger, path)
    config = builder.create_builder_config()
    if os.environ.get("INGOT_TARGET"):
        config.set_target(ingot.Target[os.environ["INGOT_TARGET"].strip().upper()])
    config.add_optimization_profile(mm.profile_shapes(model))
    t0 = time.perf_counter()
    plan = builder.build_serialized_network(network, config)
    build_s = time.perf_counter() - t0

    runtime = ingot.Runtime(logger)
    engine = runtime.deserialize_engine(plan)
    context = engine.create_execution_context()
    report = []
    worst = 0.0
    for batch, seq in mm.run_cases(model):
        feeds = mm.make_inputs(model, batch, seq, seed=batch)
        ref = dict(zip(out_names, sess.run(out_names, feeds)))
        t0 = time.perf_counter()
        got = context.execute(feeds)
        run_s = time.perf_counter() - t0
        if FULL and batch == 1:  # steady state: a second run
            t0 = time.perf_counter()
            context.execute(feeds)
            run_s = min(run_s, time.perf_counter() - t0)
        case = f"batch {batch}" + (f" seq {seq}" if seq else "")
        errs = []
        for k in out_names:
            assert k in got, f"{name} {case}: ingot has no output '{k}' (it has {sorted(got)})"
            assert tuple(got[k].shape) == tuple(ref[k].shape), \
                f"{name} {case}: output '{k}' has shape {tuple(got[k].shape)}, onnxruntime {tuple(ref[k].shape)}"
            parts = {k: slice(None)}
            parts.update({f"{k}[{p}]": sl for p, sl in mm.OUTPUT_PARTS.get(name, {}).get(k, {}).items()})
            for label, sl in parts.items():
                err = _rel_l2(got[k][..., sl], ref[k][..., sl])
                errs.append((label, err))
                worst = max(worst, err)
        report.append(f"{case}: run {run_s * 1e3:.1f} ms, rel L2 " + ", ".join(f"{k} {e:.2e}" for k, e in errs))
        for k, err in errs:
            assert err < RTOL, f"{name} {case}: output {k} relative L2 error {err:.3e} >= {RTOL:g}"

    record_property("build_s", round(build_s, 3))
    record_property("max_rel_l2", worst)
    with capsys.disabled():
        print(f"\n[models] {name}{'_small' if SMALL else ''}: build {build_s:.2f} s; " + "; ".join(report))
    context.close() if hasattr(context, "close") else None
    engine.close() if hasattr(engine, "close") else None
