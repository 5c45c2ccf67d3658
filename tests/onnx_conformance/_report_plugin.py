"""pytest plugin used by report.py (-p _report_plugin): writes one JSON line per test to
$INGOT_REPORT_LOG as it goes ("start" before a test, then its outcome), so that a crash
or a hang loses nothing but the test in flight; deselects the tests named in
$INGOT_REPORT_SKIP (one node id a line: those already done before a restart)."""
import json
import os
import sys
import time

_log = None
_frozen_before = {}


def _write(obj):
    global _log
    if _log is None:
        _log = open(os.environ["INGOT_REPORT_LOG"], "a", buffering=1)
    _log.write(json.dumps(obj) + "\n")
    _log.flush()


def _frozen_count():
    mod = sys.modules.get("ingot.onnx_backend")
    return mod.stats.get("frozen_models", 0) if mod is not None else 0


def pytest_collection_modifyitems(session, config, items):
    path = os.environ.get("INGOT_REPORT_SKIP")
    if not path or not os.path.exists(path):
        return
    with open(path) as f:
        done = {line.strip() for line in f if line.strip()}
    keep = [it for it in items if it.nodeid not in done]
    dropped = [it for it in items if it.nodeid in done]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_runtest_logstart(nodeid, location):
    _frozen_before[nodeid] = _frozen_count()
    _write({"event": "start", "id": nodeid, "t": time.time()})


def _reason(report):
    lr = report.longrepr
    if lr is None:
        return ""
    if isinstance(lr, tuple) and len(lr) == 3:
        text = str(lr[2])
        return text[len("Skipped: "):] if text.startswith("Skipped: ") else text
    crash = getattr(lr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return crash.message
    return str(lr)


def pytest_runtest_logreport(report):
    outcome = None
    if report.when == "call":
        outcome = report.outcome  # passed / failed / skipped
        if hasattr(report, "wasxfail"):
            outcome = "xfail" if report.skipped else "xpass"
    elif report.outcome != "passed":  # a setup skip (excluded) or a setup/teardown error
        outcome = "skipped" if report.skipped else "failed"
    if outcome is None:
        return
    _write({"event": "done", "id": report.nodeid, "outcome": outcome, "reason": _reason(report)[:2000],
            "duration": round(report.duration, 4),
            "frozen": _frozen_count() > _frozen_before.get(report.nodeid, 0)})
