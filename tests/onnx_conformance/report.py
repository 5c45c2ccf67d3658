#!/usr/bin/env python3
"""Runs the ONNX conformance suite and reports: pass count / total for node tests and
overall, by category, and RESULTS.md (beside this file) with the table by operator.

    PYTHONPATH=python INGOT_LIBRARY=build/libingot.so python3 tests/onnx_conformance/report.py
        [--kinds node,simple,real,pytorch-converted,pytorch-operator] [--out RESULTS.md]
        [--stall 180] [-k EXPR] [--from-log LOG.jsonl] [--check] [--update-baseline]

pytest runs in a subprocess with _report_plugin, which logs each test as it goes: a
crash (a signal in the C library) or a test that stalls longer than --stall seconds is
recorded as "crash" / "timeout" for the test in flight, and pytest is started again
without the tests already done. Totals: "run" counts every test not excluded
(passed + failed + crashed + timed out); "excluded" are the exclusions.py skips.

Regressions: passing.txt lists the tests that passed when it was last written
(--update-baseline); --check exits 1 when one of them no longer passes (for ctest: the
suite itself fails on everything not done yet, so ctest runs report.py --check).
"""
import argparse
import collections
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.normpath(os.path.join(HERE, os.pardir, os.pardir))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "python"))

KIND_TITLES = {"node": "node", "simple": "simple models", "real": "real models (light)",
               "pytorch-converted": "pytorch-converted", "pytorch-operator": "pytorch-operator"}


def run_suite(args, log_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([HERE, os.path.join(SOURCE_DIR, "python")]
                                        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["INGOT_REPORT_LOG"] = log_path
    if args.kinds:
        env["INGOT_CONFORMANCE_KINDS"] = args.kinds
    skip_path = log_path + ".done"
    env["INGOT_REPORT_SKIP"] = skip_path
    attempts = 0
    while True:
        attempts += 1
        done = _done_ids(log_path)
        with open(skip_path, "w") as f:
            f.write("\n".join(sorted(done)))
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "_report_plugin", "-p", "no:cacheprovider",
               "--tb=no", "-rN", os.path.join(HERE, "test_onnx_backend.py")]
        if args.k:
            cmd += ["-k", args.k]
        proc = subprocess.Popen(cmd, env=env, cwd=SOURCE_DIR, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE if args.quiet else None, start_new_session=True)
        stalled = False
        last_size, last_change = -1, time.time()
        while proc.poll() is None:
            time.sleep(1.0)
            size = os.path.getsize(log_path) if os.path.exists(log_path) else 0
            if size != last_size:
                last_size, last_change = size, time.time()
            elif time.time() - last_change > args.stall and _in_flight(log_path):
                stalled = True
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
        rc = proc.returncode
        if proc.stderr is not None:
            proc.stderr.close()
        flight = _in_flight(log_path)
        if flight is None:
            if rc not in (0, 1, 5):
                print(f"pytest ended with status {rc} outside any test", file=sys.stderr)
            return attempts
        outcome = "timeout" if stalled else "crash"
        reason = (f"no progress for {args.stall} s: killed" if stalled
                  else f"the test process died (status {rc}{_signame(rc)})")
        with open(log_path, "a") as f:
            f.write(json.dumps({"event": "done", "id": flight, "outcome": outcome, "reason": reason,
                                "duration": 0, "frozen": False}) + "\n")
        print(f"  {outcome}: {flight} ({reason}); restarting", file=sys.stderr)
        if attempts > 200:
            print("too many restarts; stopping", file=sys.stderr)
            return attempts


def _signame(rc):
    if rc is not None and rc < 0:
        try:
            return ", " + signal.Signals(-rc).name
        except ValueError:
            pass
    return ""


def _events(log_path):
    if not os.path.exists(log_path):
        return []
    out = []
    with open(log_path) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a line cut by a crash
    return out


def _done_ids(log_path):
    return {e["id"] for e in _events(log_path) if e.get("event") == "done"}


def _in_flight(log_path):
    started, done = None, set()
    for e in _events(log_path):
        if e.get("event") == "start":
            started = e["id"]
        elif e.get("event") == "done":
            done.add(e["id"])
    return started if started is not None and started not in done else None


RANK = {"passed": 0, "xpass": 0, "skipped": 1, "xfail": 2, "failed": 3, "timeout": 4, "crash": 5}


def collect(log_path):
    """test name -> dict(cls, outcome, reason, frozen, duration); the worst outcome wins."""
    results = {}
    for e in _events(log_path):
        if e.get("event") != "done":
            continue
        parts = e["id"].split("::")
        cls, name = (parts[-2], parts[-1]) if len(parts) >= 3 else ("", parts[-1])
        prev = results.get(name)
        if prev is None or RANK.get(e["outcome"], 3) > RANK.get(prev["outcome"], 3):
            results[name] = {"cls": cls, "outcome": e["outcome"], "reason": e.get("reason", ""),
                             "frozen": e.get("frozen", False), "duration": e.get("duration", 0)}
        elif prev is not None:
            prev["duration"] += e.get("duration", 0)
    return results


def classify(r):
    o = r["outcome"]
    if o in ("passed", "xpass"):
        return "pass"
    if o == "skipped":
        return "excluded" if r["reason"].startswith("excluded") else "skipped"
    return "fail"


def summarize(results, meta):
    import _suite
    by_kind = collections.defaultdict(collections.Counter)
    by_op = collections.defaultdict(lambda: collections.defaultdict(list))
    groups = collections.Counter()
    frozen = []
    for name, r in results.items():
        base = re.sub(r"_cpu$", "", name)
        kind = _suite.KIND_OF_CLASS.get(r["cls"]) or meta.get(base, {}).get("kind", "?")
        c = classify(r)
        by_kind[kind][c] += 1
        if r["outcome"] in ("crash", "timeout"):
            by_kind[kind][r["outcome"]] += 1
        op = meta.get(base, {}).get("op", f"model:{kind}") if kind == "node" else f"model:{kind}"
        by_op[op][c].append(base)
        if c == "excluded":
            m = re.match(r"excluded \(([^)]*)\)", r["reason"])
            groups[m.group(1) if m else "?"] += 1
        if c == "pass" and r["frozen"]:
            frozen.append(base)
    return by_kind, by_op, groups, sorted(frozen)


def _line(title, c):
    run = c["pass"] + c["fail"]
    total = run + c["excluded"] + c["skipped"]
    extra = []
    if c["crash"]:
        extra.append(f"{c['crash']} crashed")
    if c["timeout"]:
        extra.append(f"{c['timeout']} timed out")
    if c["skipped"]:
        extra.append(f"{c['skipped']} skipped")
    pct = f"{100.0 * c['pass'] / run:.1f}%" if run else "-"
    return (f"{title:<22} {c['pass']:>5} / {run:<5} passed ({pct} of those run); {c['excluded']} excluded; "
            f"{c['pass']} / {total} of all" + (f"; {', '.join(extra)}" if extra else ""))


def stale_exclusions():
    """"not imported yet" entries that the library now imports, and the other way round."""
    import exclusions
    try:
        import ingot
        table = ingot.onnx_operators()
    except Exception:
        return [], []
    listed = {op for g, v in exclusions.GROUPS.items() if g.startswith("not imported yet") for op in v.get("ops", ())}
    return sorted(op for op in listed if op in table), table


def write_markdown(path, results, meta, by_kind, by_op, groups, frozen, elapsed, library):
    import exclusions
    stale, table = stale_exclusions()
    total = collections.Counter()
    for c in by_kind.values():
        total.update(c)
    lines = ["# ONNX backend conformance of ingot (CPU target)", "",
             f"Generated by `tests/onnx_conformance/report.py` on {datetime.date.today().isoformat()} "
             f"with onnx {_onnx_version()}, library `{library}`, in {elapsed:.0f} s. "
             "Tests: onnx.backend.test.BackendTest, `*_cpu`, every category shipped inside the onnx "
             "package (no download). \"run\" = every test not excluded.", "",
             "| category | passed | failed | run | excluded | pass rate (of run) |", "|---|---|---|---|---|---|"]
    for kind in ["node", "simple", "real", "pytorch-converted", "pytorch-operator"]:
        if kind not in by_kind:
            continue
        c = by_kind[kind]
        run = c["pass"] + c["fail"]
        lines.append(f"| {KIND_TITLES[kind]} | {c['pass']} | {c['fail']} | {run} | {c['excluded']} | "
                     f"{(100.0 * c['pass'] / run if run else 0):.1f}% |")
    run = total["pass"] + total["fail"]
    lines.append(f"| **all** | **{total['pass']}** | {total['fail']} | {run} | {total['excluded']} | "
                 f"{(100.0 * total['pass'] / run if run else 0):.1f}% |")
    if total["crash"] or total["timeout"]:
        lines += ["", f"Crashed: {total['crash']}, timed out: {total['timeout']} (counted as failed)."]
    lines += ["", "## Exclusions (tests skipped, by group; reasons in exclusions.py)", "",
              "| group | tests | reason |", "|---|---|---|"]
    for g, n in sorted(groups.items(), key=lambda kv: -kv[1]):
        reason = exclusions.GROUPS.get(g, {}).get("reason", "")
        lines.append(f"| {g} | {n} | {reason} |")
    if stale:
        lines += ["", "Stale \"not imported yet\" entries (the library imports them now): " + ", ".join(stale)]
    lines += ["", "## By operator (node tests; function-expanded tests count for their operator)", "",
              "| operator | pass | fail | excluded | imported | failing tests |", "|---|---|---|---|---|---|"]
    for op in sorted(by_op, key=lambda o: (o.startswith("model:"), o.lower())):
        d = by_op[op]
        imported = "" if op.startswith("model:") else ("yes" if all(p in table for p in op.split("+")) else "no")
        failing = ", ".join(sorted(d["fail"])[:6]) + (f", … ({len(d['fail'])})" if len(d["fail"]) > 6 else "")
        lines.append(f"| {op} | {len(d['pass'])} | {len(d['fail'])} | {len(d['excluded']) + len(d['skipped'])} | "
                     f"{imported} | {failing} |")
    if frozen:
        lines += ["", f"## Passed only with integer inputs frozen to constants ({len(frozen)})", "",
                  "ingot.onnx_backend retries a model whose parse or build fails with its small integer "
                  "inputs (shape, axes, pads, ...) turned into initializers; these tests passed that way:", "",
                  ", ".join(frozen)]
    fails = sorted((n, r) for n, r in results.items() if classify(r) == "fail")
    if fails:
        lines += ["", f"## Failures ({len(fails)}): first line of each message", ""]
        for n, r in fails:
            msg = [ln.strip() for ln in (r["reason"] or r["outcome"]).strip().splitlines() if ln.strip()]
            msg = " ".join(msg[:4]) if msg and msg[0].startswith("AssertionError") else (msg[0] if msg else r["outcome"])
            msg = msg.replace("|", "\\|")
            lines.append(f"- `{n}`: {msg[:220]}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _onnx_version():
    try:
        import onnx
        return onnx.__version__
    except Exception:
        return "?"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kinds", default=None, help="comma list of categories (default all)")
    p.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--stall", type=float, default=180.0, help="seconds without progress before a kill")
    p.add_argument("-k", default=None, help="pytest -k expression")
    p.add_argument("--from-log", default=None, help="report an existing log instead of running")
    p.add_argument("--keep-log", default=None, help="write the JSON-lines log here")
    p.add_argument("--quiet", action="store_true", help="hide pytest's stderr")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if a test of the baseline (passing.txt) does not pass (a regression)")
    p.add_argument("--update-baseline", action="store_true", help="write the passing tests to the baseline")
    p.add_argument("--baseline", default=os.path.join(HERE, "passing.txt"))
    args = p.parse_args(argv)

    start = time.time()
    if args.from_log:
        log_path = args.from_log
    else:
        log_path = args.keep_log or tempfile.mktemp(prefix="ingot-onnx-conformance-", suffix=".jsonl")
        if os.path.exists(log_path):
            os.remove(log_path)
        run_suite(args, log_path)
    elapsed = time.time() - start

    import _suite
    import ingot
    kinds = set(args.kinds.split(",")) if args.kinds else None
    meta = _suite.metadata(kinds)
    results = collect(log_path)
    by_kind, by_op, groups, frozen = summarize(results, meta)
    total = collections.Counter()
    for c in by_kind.values():
        total.update(c)
    print(_line("node tests", by_kind.get("node", collections.Counter())))
    for kind in ["simple", "real", "pytorch-converted", "pytorch-operator"]:
        if kind in by_kind:
            print(_line(KIND_TITLES[kind], by_kind[kind]))
    print(_line("overall", total))
    if frozen:
        print(f"({len(frozen)} of the passes needed integer inputs frozen to constants)")
    write_markdown(args.out, results, meta, by_kind, by_op, groups, frozen, elapsed, ingot.library_path)
    print(f"wrote {args.out} ({elapsed:.0f} s)")
    status = 0
    passing = sorted(n for n, r in results.items() if classify(r) == "pass")
    if args.check:
        status = check_baseline(args.baseline, results, passing)
    if args.update_baseline:
        with open(args.baseline, "w") as f:
            f.write("# tests/onnx_conformance/report.py --update-baseline: the tests that pass; --check fails\n"
                    "# when one of them does not.\n" + "\n".join(passing) + "\n")
        print(f"wrote {args.baseline} ({len(passing)} tests)")
    if not args.from_log and not args.keep_log:
        for pth in (log_path, log_path + ".done"):
            if os.path.exists(pth):
                os.remove(pth)
    return status


def check_baseline(path, results, passing):
    if not os.path.exists(path):
        print(f"no baseline {path}: nothing to check (write one with --update-baseline)")
        return 0
    with open(path) as f:
        base = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    lost = [n for n in base if n in results and classify(results[n]) != "pass"]
    gone = [n for n in base if n not in results]
    new = sorted(set(passing) - set(base))
    if new:
        print(f"{len(new)} tests pass that the baseline does not list (--update-baseline): "
              + ", ".join(new[:20]) + (" ..." if len(new) > 20 else ""))
    if gone:
        print(f"note: {len(gone)} baseline tests were not run (filtered out?)")
    if lost:
        print(f"REGRESSION: {len(lost)} tests of the baseline no longer pass:")
        for n in lost:
            msg = (results[n]["reason"] or results[n]["outcome"]).strip().splitlines()
            print(f"  {n}: {msg[0][:200] if msg else results[n]['outcome']}")
        return 1
    print(f"baseline: all {len(base) - len(gone)} tests still pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
