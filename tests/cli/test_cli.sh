#!/bin/sh
# CLI test of the `ingot` tool: inspect, inspect --json, run and bench on a plan made by
# make_test_plan, outputs checked against the values it computed, and bad usages that
# must exit non-zero with a one-line message. With PLUGINS (the example plugin library,
# examples/plugin), also a plan of its two plugins: inspect names each layer's plugin,
# run gives the expected outputs, and without --plugin the error names the plugin.
# usage: test_cli.sh INGOT MAKE_TEST_PLAN WORKDIR [PLUGINS]
INGOT=$1
MAKE=$2
WORK=$3
PLUGINS=$4
[ -n "$INGOT" ] && [ -n "$MAKE" ] && [ -n "$WORK" ] || { echo "usage: test_cli.sh INGOT MAKE_TEST_PLAN WORKDIR" >&2; exit 2; }
for exe in "$INGOT" "$MAKE"; do [ -x "$exe" ] || { echo "FAIL: $exe is not an executable" >&2; exit 1; }; done
rm -rf "$WORK" && mkdir -p "$WORK" || exit 2
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_ok NAME CMD...: the command succeeds; its stdout goes to $WORK/NAME.out.
expect_ok() {
  name=$1; shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  if [ $rc -ne 0 ]; then
    fail "$name: exit $rc ($*)"; cat "$WORK/$name.err" >&2
  elif [ -s "$WORK/$name.err" ] && grep -q "ERROR: \(Address\|Leak\)Sanitizer\|runtime error" "$WORK/$name.err"; then
    fail "$name: sanitizer report"; cat "$WORK/$name.err" >&2
  fi
}
# expect_fail NAME NEEDLE CMD...: non-zero exit, stderr has NEEDLE, no sanitizer report.
expect_fail() {
  name=$1; needle=$2; shift 2
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  if [ $rc -eq 0 ]; then fail "$name: exit 0, expected failure ($*)"
  elif [ $rc -gt 128 ]; then fail "$name: killed by signal $((rc - 128))"; cat "$WORK/$name.err" >&2
  elif grep -q "Sanitizer\|runtime error" "$WORK/$name.err"; then fail "$name: sanitizer report"; cat "$WORK/$name.err" >&2
  elif ! grep -q -- "$needle" "$WORK/$name.err"; then fail "$name: stderr lacks '$needle':"; cat "$WORK/$name.err" >&2
  fi
}
has() { grep -q -- "$2" "$WORK/$1.out" || { fail "$1: output lacks '$2'"; cat "$WORK/$1.out" >&2; }; }

"$MAKE" "$WORK" || { echo "FAIL: make_test_plan" >&2; exit 1; }
PLAN=$WORK/test.plan

# ---- help and version ----
expect_ok version "$INGOT" --version; has version "ingot 0.1"
expect_ok help "$INGOT" help; has help "inspect PLAN"
expect_ok help_run "$INGOT" help run; has help_run "--output-dir"
expect_ok inspect_help "$INGOT" inspect --help; has inspect_help "--json"
expect_ok bench_help "$INGOT" bench --help; has bench_help "--dump-profile"
expect_fail no_command "usage" "$INGOT"
expect_fail unknown_command "unknown command 'frobnicate'" "$INGOT" frobnicate

# ---- inspect ----
expect_ok inspect "$INGOT" inspect "$PLAN"
has inspect "target: *cpu"; has inspect "input *x *float32 *\[-1x4\]"
has inspect "min \[1x4\] opt \[4x4\] max \[8x4\]"; has inspect "output *y"; has inspect "probs:0"
has inspect "weights:"; has inspect "activations, profile 0"
expect_ok inspect_json "$INGOT" inspect "$PLAN" --json
has inspect_json '"dims": \[-1, 4\]'; has inspect_json '"min": \[1, 4\]'; has inspect_json '"name": "probs:0"'
has inspect_json '"plugin": null'
if command -v python3 >/dev/null 2>&1; then
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['target']=='cpu' and len(d['io_tensors'])==3 and d['layers'], d" \
    "$WORK/inspect_json.out" || fail "inspect --json: not the expected JSON"
  # the FC's 3x4 weights (48 bytes) are left out of the plan when its tactic packs them
  # (fc_f32_gemm); its bias (12 bytes) is read as it is
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['weights_memory'] + d['packed_weights_memory'] == 60, d
fc = [l for l in d['layers'] if l['name'] == 'fc'][0]
assert d['packed_weights_memory'] == (48 if fc['tactic'] == 'fc_f32_gemm' else 0), d" \
    "$WORK/inspect_json.out" || fail "inspect --json: weights left out of the plan are not as expected"
fi

# ---- run ----
expect_ok run "$INGOT" run "$PLAN" --input x="$WORK/x.npy" --output-dir "$WORK/out"
has run "output y: shape 3x3 float32 -> $WORK/out/y.npy"; has run "probs_0.npy"
"$MAKE" --compare "$WORK/out/y.npy" "$WORK/expected_y.npy" 1e-4 || fail "run: y differs from the expected values"
"$MAKE" --compare "$WORK/out/probs_0.npy" "$WORK/expected_probs.npy" 1e-4 || fail "run: probs:0 differs from the expected values"
expect_ok run_eq "$INGOT" run "$PLAN" --input="x=$WORK/x.npy" --output-dir="$WORK/out2" --threads 1 --profile 0
"$MAKE" --compare "$WORK/out2/y.npy" "$WORK/expected_y.npy" 1e-4 || fail "run --threads 1: y differs"

# ---- bench ----
expect_ok bench "$INGOT" bench "$PLAN" --warmup 2 --iterations 20 --dump-profile --json "$WORK/bench.json"
has bench "inferences/s"; has bench "samples/s (batch 4)"; has bench "p99"; has bench "mean ms"
has bench "input: *x 4x4 float32"
expect_ok bench_shapes "$INGOT" bench "$PLAN" --shapes x:8x4 --duration 0.2 --threads 2
has bench_shapes "batch 8"
expect_ok bench_streams "$INGOT" bench "$PLAN" --shapes x:2x4 --iterations 10 --streams 2 --warmup 1
if command -v python3 >/dev/null 2>&1; then
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['iterations']==20 and d['latency_ms']['min']<=d['latency_ms']['p99'] and d['throughput']['samples_per_s']>0 and 'layers' in d, d" \
    "$WORK/bench.json" || fail "bench --json: not the expected JSON"
fi

# ---- plugins: a plan of the example library's ScaledSoftsign and SplitTail ----
if [ -n "$PLUGINS" ]; then
  if [ ! -f "$PLUGINS" ]; then
    fail "plugin library $PLUGINS not found"
  elif "$MAKE" --plugin "$PLUGINS" "$WORK"; then
    PPLAN=$WORK/plugin.plan
    expect_ok inspect_plugin "$INGOT" inspect "$PPLAN" --plugin "$PLUGINS"
    has inspect_plugin "split  *plugin  *plugin_cpu"; has inspect_plugin "softsign  *plugin  *plugin_cpu"
    has inspect_plugin 'plugin ScaledSoftsign v1 (ns "ingot.example")'
    has inspect_plugin 'plugin SplitTail v1 (ns "ingot.example")'
    expect_ok inspect_plugin_json "$INGOT" inspect "$PPLAN" --json --plugin="$PLUGINS"
    has inspect_plugin_json '"plugin": {"name": "ScaledSoftsign", "version": "1", "namespace": "ingot.example"}'
    if command -v python3 >/dev/null 2>&1; then
      python3 -c "import json,sys; d=json.load(open(sys.argv[1])); p=[l['plugin'] for l in d['layers']]; assert p==[{'name':'SplitTail','version':'1','namespace':'ingot.example'},{'name':'ScaledSoftsign','version':'1','namespace':'ingot.example'}], p" \
        "$WORK/inspect_plugin_json.out" || fail "inspect --json: not the expected plugin entries"
    fi
    expect_fail inspect_plugin_missing "plugin 'SplitTail' version '1' namespace 'ingot.example'" "$INGOT" inspect "$PPLAN"
    expect_ok run_plugin "$INGOT" run "$PPLAN" --plugin "$PLUGINS" --input x="$WORK/xp.npy" --output-dir "$WORK/outp"
    "$MAKE" --compare "$WORK/outp/head.npy" "$WORK/expected_head.npy" 1e-6 || fail "run --plugin: head differs"
    "$MAKE" --compare "$WORK/outp/tail.npy" "$WORK/expected_tail.npy" 1e-6 || fail "run --plugin: tail differs"
  else
    fail "make_test_plan --plugin"
  fi
fi

# ---- bad usages: non-zero exit and a message ----
expect_fail inspect_missing "cannot open plan" "$INGOT" inspect "$WORK/nope.plan"
expect_fail inspect_no_plan "missing PLAN" "$INGOT" inspect
expect_fail inspect_bad_option "unknown option '--frob'" "$INGOT" inspect "$PLAN" --frob
expect_fail run_missing_plan "cannot open plan" "$INGOT" run "$WORK/nope.plan" --input x="$WORK/x.npy"
expect_fail run_missing_npy "nope.npy: cannot open" "$INGOT" run "$PLAN" --input x="$WORK/nope.npy" --output-dir "$WORK/o3"
expect_fail run_unknown_input "unknown input 'z'" "$INGOT" run "$PLAN" --input z="$WORK/x.npy"
expect_fail run_output_as_input "is an output" "$INGOT" run "$PLAN" --input x="$WORK/x.npy" --input y="$WORK/x.npy"
expect_fail run_no_input "input 'x' has no --input" "$INGOT" run "$PLAN"
expect_fail run_twice "given twice" "$INGOT" run "$PLAN" --input x="$WORK/x.npy" --input x="$WORK/x.npy"
expect_fail run_bad_input_arg "expected NAME=FILE.npy" "$INGOT" run "$PLAN" --input x
expect_fail run_dtype "holds int32 (<i4), the engine expects float32 (<f4)" "$INGOT" run "$PLAN" --input x="$WORK/x_int32.npy"
expect_fail run_shape "has shape 3x5, the engine expects -1x4" "$INGOT" run "$PLAN" --input x="$WORK/x_badshape.npy"
expect_fail run_out_of_profile "shape 9x4 refused: .*outside" "$INGOT" run "$PLAN" --input x="$WORK/x_batch9.npy"
expect_fail run_profile "--profile 3: the engine has 1 profile" "$INGOT" run "$PLAN" --input x="$WORK/x.npy" --profile 3
expect_fail run_threads "--threads 'two'" "$INGOT" run "$PLAN" --input x="$WORK/x.npy" --threads two
expect_fail run_outdir_file "not a directory" "$INGOT" run "$PLAN" --input x="$WORK/x.npy" --output-dir "$WORK/x.npy"
printf 'not an npy file at all' >"$WORK/junk.npy"
expect_fail run_junk_npy "not an .npy file" "$INGOT" run "$PLAN" --input x="$WORK/junk.npy"
expect_fail bench_bad_shapes "--shapes: shape 'x:4by4'" "$INGOT" bench "$PLAN" --shapes x:4by4 --iterations 1
expect_fail bench_bad_shapes2 "no ':'" "$INGOT" bench "$PLAN" --shapes x
expect_fail bench_unknown_shape "unknown input 'q'" "$INGOT" bench "$PLAN" --shapes q:1x4 --iterations 1
expect_fail bench_rank "given 4, the engine expects -1x4" "$INGOT" bench "$PLAN" --shapes x:4 --iterations 1
expect_fail bench_out_of_profile "shape 9x4 refused: .*outside" "$INGOT" bench "$PLAN" --shapes x:9x4 --iterations 1
expect_fail bench_both "not both" "$INGOT" bench "$PLAN" --iterations 3 --duration 1
expect_fail bench_iterations "--iterations '0'" "$INGOT" bench "$PLAN" --iterations 0
expect_fail bench_duration "--duration 'abc'" "$INGOT" bench "$PLAN" --duration abc
expect_fail bench_no_value "needs a value" "$INGOT" bench "$PLAN" --iterations
expect_fail bench_json_dir "cannot create" "$INGOT" bench "$PLAN" --iterations 1 --json "$WORK/no/such/dir.json"

# Corrupted plans: a flipped byte in the middle, a truncated copy, an empty file, junk.
size=$(wc -c <"$PLAN")
cp "$PLAN" "$WORK/flipped.plan"
printf '\377' | dd of="$WORK/flipped.plan" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$PLAN" "$WORK/flipped.plan" || true
if cmp -s "$PLAN" "$WORK/flipped.plan"; then
  printf '\000' | dd of="$WORK/flipped.plan" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
fi
head -c $((size / 2)) "$PLAN" >"$WORK/truncated.plan"
: >"$WORK/empty.plan"
printf 'hello, not a plan' >"$WORK/junk.plan"
for p in flipped truncated empty junk; do
  expect_fail "inspect_$p" "cannot load plan" "$INGOT" inspect "$WORK/$p.plan"
  expect_fail "run_$p" "cannot load plan" "$INGOT" run "$WORK/$p.plan" --input x="$WORK/x.npy"
  expect_fail "bench_$p" "cannot load plan" "$INGOT" bench "$WORK/$p.plan" --iterations 1
done
expect_fail inspect_dir "not a regular file" "$INGOT" inspect "$WORK"

# Every error message is one line.
for f in "$WORK"/*.err; do
  case $f in */run_*|*/bench_*|*/inspect_*) ;; *) continue ;; esac
  n=$(grep -c "error:" "$f")
  [ "$n" -le 1 ] || fail "$(basename "$f"): $n error lines"
done

if [ $failures -ne 0 ]; then echo "$failures CLI check(s) failed" >&2; exit 1; fi
echo "all CLI checks passed"
