#!/usr/bin/env bash
# One prepared device check (a lent card gives minutes, not hours): every GPU feature in
# at most 8 minutes on one card, each step under its own time limit, raw logs and a
# summary table (summary.md) in $OUT.
#
#   OUT=out bash benchmarks/gpu_session.sh            # on a CUDA machine
#   OUT=out bash benchmarks/gpu_session.sh --dry-run  # the same steps, tiny, on the CPU
#
# Phases: (1) a JPEG ImageFolder tree of ImageNet-like sizes written on the machine;
# (2) alone, because they time: benchmarks/gpu.py (all rows) and benchmarks/loader.py
# (PIL workers vs overlapped device decoding, and training on those batches), and
# benchmarks/latency.py (the latency table and its error on whole networks, batch 64); (3) side by
# side, because they check: every CUDA test, an end-to-end search from the JPEG tree
# (--decode gpu --kernel masked --compile) followed by a search with --finalists 4 on its
# supernet (four finalists trained from scratch for 1 epoch, the best for 2), torchrun
# train-supernet killed after its first epoch and resumed, a search on Ray actors sharing
# the card, and the recipe ablation of benchmarks/rank_recipes.py. Python packages the machine lacks can be put as wheels in
# .whl/ (installed to /tmp/site). The limits add up to 10 minutes (install 30 s, phase 1
# 30, phase 2 180 + 80 + 120, phase 3 160 + 120 for the finalists after the search, side by side);
# each can be overridden (e.g.
# GPU_S=240). The script exits non-zero when a step failed or ran out of time.
set -u
DRY=0
[[ "${1:-}" == "--dry-run" ]] && DRY=1
OUT=${OUT:-out}
mkdir -p "$OUT/rows"
OUT=$(cd "$OUT" && pwd)
WORK=${WORK:-$(mktemp -d)}
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 OUT WORK DRY
export PYTHONPATH="$PWD:$PWD/backends${PYTHONPATH:+:$PYTHONPATH}"
if [[ $DRY == 0 ]]; then
  if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site .whl/*.whl && export PYTHONPATH="$PYTHONPATH:/tmp/site"
  fi
  timeout 30 python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . \
    >"$OUT/install.txt" 2>&1
fi

if [[ $DRY == 1 ]]; then  # tiny sizes, CPU equivalents of the CUDA-only flags
  IMAGES=24 CLASSES=2 WIDTH=0.25 BATCH=8 EPOCHS=3 GPU_SHARE=0
  DDP_EPOCHS=30  # tiny epochs: enough of them that the kill lands before the last one
  SCALE=${SCALE:-5}  # a shared 2-core CI machine starts Python and torchrun slowly
  RUN="--device cpu --decode cpu --kernel masked --compile false"
  GPU_ARGS="--width 0.25 --resolution 32 --batch 8 --steps 1 --candidates 1 --recal-images 16
    --val-images 16 --skip compiled,reference-compiled"
  LOADER_ARGS="--workers 1 --batch 8 --batches 1 --step --width 0.25"
  SEARCH="--population 4 --top-k 2 --crossovers 2 --mutations 2 --iterations 1 --rescore-top 1
    --recal-images 8"
  # the ablation trains full-width digits supernets: minutes on a CPU even this small, so
  # the dry run only parses its options unless DRY_RECIPES=1
  RECIPES_ARGS="--device cpu --workers 1 --samples 2 --seeds 1 --epochs 1 --final-epochs 1
    --recipes uniform"
  [[ ${DRY_RECIPES:-0} == 1 ]] || RECIPES_ARGS="--help"
  LATENCY_ARGS="--device cpu --batch 2 --quick --held-out 4"
else
  IMAGES=3000 CLASSES=10 WIDTH=1.0 BATCH=256 EPOCHS=6 GPU_SHARE=0.5 SCALE=1
  DDP_EPOCHS=$EPOCHS
  RUN="--device cuda --decode gpu --kernel masked --compile true"
  GPU_ARGS="--steps 10 --candidates 2"
  LOADER_ARGS="--workers 12 --batch 256 --batches 4 --step"
  SEARCH="--population 16 --top-k 4 --crossovers 8 --mutations 8 --iterations 1
    --rescore-top 2 --recal-images 1024"
  RECIPES_ARGS="--device cuda --workers 10 --samples 8 --seeds 2
    --recipes ${RECIPES:-uniform,uniform-seed1,lr2e-3,sandwich,distill}"
  LATENCY_ARGS="--device cuda --batch 64 --held-out 50"
fi
TREE=$WORK/jpegs
COMMON="--backend binmobilenet --data $TREE --width-mult $WIDTH --batch-size $BATCH --seed 0"
BUDGET="--budget 1e12"  # every genome affordable: the check is the path, not the budget
export IMAGES CLASSES TREE COMMON RUN SEARCH BUDGET EPOCHS DDP_EPOCHS GPU_SHARE

step() {  # step N NAME SECONDS COMMAND...: run under a time limit, log, summary row N
  local n=$1 name=$2 limit=$(($3 * SCALE)) t0=$SECONDS code
  shift 3
  echo "== $name (limit ${limit}s): $*"
  timeout -k 10 "$limit" "$@" >"$OUT/$name.txt" 2>&1
  code=$?
  local verdict=passed
  case $code in
    0) ;; 77) verdict=SKIPPED ;; 124 | 137) verdict="TIMED OUT" ;; *) verdict=FAILED ;;
  esac
  echo "| $name | $limit | $code | $((SECONDS - t0)) | $verdict | $(tail -n 1 "$OUT/$name.txt" | cut -c1-110 | tr '|' '/') |" \
    >"$OUT/rows/$n-$name.md"
  echo "== $name: exit $code, $((SECONDS - t0)) s"
  tail -n 25 "$OUT/$name.txt"
}

search_e2e() {  # the whole pipeline from JPEG files; checked to write its results
  python3 -m evogroup search $COMMON $RUN $BUDGET $SEARCH --epochs 1 --out "$WORK/search" \
    && python3 - "$WORK/search" <<'EOF'
import csv, json, sys
from pathlib import Path
run = Path(sys.argv[1])
result = json.loads((run / "result.json").read_text())
epochs = list(csv.DictReader(open(run / "supernet_metrics.csv")))
fitness = json.loads((run / "fitness.json").read_text())
print(f"supernet: {len(epochs)} epoch(s), {float(epochs[-1]['seconds']):.1f} s the last;"
      f" fitness kernel {fitness['kernel']}; {result['evaluations']} evaluations;"
      f" result.json written, best fitness {result['best']['fitness']:.2f}")
EOF
}

finalists_e2e() {  # --finalists 4 on the JPEG tree, scoring on search_e2e's supernet
  python3 -m evogroup search $COMMON $RUN $BUDGET $SEARCH --supernet "$WORK/search/supernet.pt" \
    --finalists 4 --finalist-epochs 1,2 --out "$WORK/finalists" \
    && python3 - "$WORK/finalists" <<'EOF'
import csv, json, sys
from pathlib import Path
run = Path(sys.argv[1])
rows = list(csv.DictReader(open(run / "finalists.csv")))
result = json.loads((run / "result.json").read_text())
assert len(rows) == 4 and (run / "finalists.png").is_file(), rows
print(f"finalists: {len(rows)} trained; {result['chosen_by']}; winner"
      f" {result['finalists']['winner_score']:.2f} vs the proxy's pick"
      f" {result['finalists']['proxy_pick_score']:.2f} (top-1 %)")
EOF
}

epochs_done() {  # rows of a run directory's supernet_metrics.csv (0 before the first)
  if [[ -f "$1/supernet_metrics.csv" ]]; then echo $(($(wc -l <"$1/supernet_metrics.csv") - 1)); else echo 0; fi
}

torchrun_resume() {  # killed after its first epoch, then resumed to the end
  local out=$WORK/ddp args
  args="train-supernet $COMMON $RUN --compile false --epochs $DDP_EPOCHS --out $out"
  torchrun --standalone --nproc-per-node 1 -m evogroup $args &
  local pid=$!
  while kill -0 $pid 2>/dev/null && [[ $(epochs_done "$out") -lt 1 ]]; do
    sleep 0.05
  done
  kill -TERM $pid 2>/dev/null; wait $pid
  timeout 60 flock "$out/.lock" true  # the worker it started has let go of the run directory
  local done_before=$(epochs_done "$out")
  torchrun --standalone --nproc-per-node 1 -m evogroup $args --resume || return 1
  local done_after=$(epochs_done "$out")
  echo "epochs before the kill: $done_before; after --resume: $done_after of $DDP_EPOCHS"
  [[ $done_after == "$DDP_EPOCHS" && $done_before -lt $DDP_EPOCHS ]]
}

ray_search() {  # two Ray actors sharing the card, searching with torchrun's supernet
  python3 -c "import ray" 2>/dev/null || { echo "ray is not installed (extra [ray])"; return 77; }
  python3 -m evogroup search $COMMON $RUN --compile false $BUDGET $SEARCH \
    --supernet "$WORK/ddp/supernet.pt" \
    --executor ray --workers 2 --gpus-per-worker "$GPU_SHARE" --out "$WORK/ray" \
    && test -s "$WORK/ray/result.json" && echo "ray search: result.json written"
}
export -f search_e2e finalists_e2e epochs_done torchrun_resume ray_search

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
    || echo "no GPU (dry run: $DRY)"
  python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
  nproc
} | tee "$OUT/machine.txt"

# (1) the JPEG tree
step 1 jpegs "${JPEGS_S:-30}" python3 benchmarks/loader.py --write "$TREE" --images "$IMAGES" \
  --classes "$CLASSES"
# (2) alone: what is timed
step 2 gpu "${GPU_S:-180}" python3 benchmarks/gpu.py $GPU_ARGS
step 3 loader "${LOADER_S:-80}" python3 benchmarks/loader.py --data "$TREE" $LOADER_ARGS
step 3b latency "${LATENCY_S:-120}" env EVOGROUP_CACHE="$WORK/cache" python3 benchmarks/latency.py \
  $LATENCY_ARGS --out "$OUT/latency.json"
# (3) side by side: what is checked
step 4 cuda_tests "${CUDA_TESTS_S:-150}" python3 -m pytest -q -p no:cacheprovider --durations=5 \
  tests/torch/test_cuda.py &
{ step 5 search "${SEARCH_S:-160}" bash -c search_e2e
  step 10 finalists "${FINALISTS_S:-120}" bash -c finalists_e2e; } &
{ step 6 torchrun "${TORCHRUN_S:-70}" bash -c torchrun_resume
  step 7 ray "${RAY_S:-90}" bash -c ray_search; } &
step 8 rank_recipes "${RECIPES_S:-160}" python3 benchmarks/rank_recipes.py $RECIPES_ARGS \
  --out "$WORK/rank-recipes" &
if [[ -n "${LEVERS_S:-}" && $DRY == 0 ]]; then  # issue 20's supernet levers, when given the time
  step 9 rank_levers "$LEVERS_S" python3 benchmarks/rank_levers.py --device cuda --workers 10 \
    --samples 24 --seeds 2 --out "$WORK/rank-levers" &
fi
wait

{
  echo "# gpu_session.sh$([[ $DRY == 1 ]] && echo ' --dry-run') — $(head -n 1 "$OUT/machine.txt")"
  echo
  echo "| step | limit s | exit | s | verdict | last line of its log |"
  echo "|---|---|---|---|---|---|"
  cat "$OUT"/rows/*.md
  echo
  grep -h "images/s\|x$\|GiB\|candidate evaluation\|overlapped\|epochs before\|finalists:\|MAPE" \
    "$OUT/gpu.txt" "$OUT/loader.txt" "$OUT/latency.txt" "$OUT/torchrun.txt" "$OUT/finalists.txt" 2>/dev/null | sed 's/^/    /'
} >"$OUT/summary.md"
cat "$OUT/summary.md"
! grep -q "| FAILED |\|| TIMED OUT |" "$OUT/summary.md"
