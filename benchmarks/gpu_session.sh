#!/usr/bin/env bash
# One prepared GPU session (a lent machine gives minutes, not hours): the CUDA correctness
# tests beside the recipe ablation of benchmarks/rank_recipes.py, then benchmarks/gpu.py
# and benchmarks/loader.py alone; each under its own time limit, each log in $OUT.
#
# Run from the repository root on a CUDA machine: OUT=out bash benchmarks/gpu_session.sh
# Python packages the machine lacks can be put as wheels in .whl/ (installed to /tmp/site).
set -u
OUT=${OUT:-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . >"$OUT/install.txt" 2>&1 \
  || export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD:$PWD/backends"

step() {  # step NAME SECONDS COMMAND...: run under a time limit, log to $OUT/NAME.txt
  local name=$1 limit=$2
  shift 2
  echo "== $name (limit ${limit}s): $*"
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.txt" 2>&1
  echo "== $name: exit $?, $((SECONDS - t0)) s"
  tail -n 40 "$OUT/$name.txt"
}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
  nproc
} | tee "$OUT/machine.txt"

# the recipe ablation times nothing it reports as a speed: it shares the machine with the
# correctness tests, then gpu.py and loader.py run alone
timeout "${RECIPES_S:-200}" python3 benchmarks/rank_recipes.py --device cuda --workers 10 \
  --samples 12 --seeds 2 --out /tmp/rank-recipes \
  --recipes "${RECIPES:-uniform,uniform-seed1,uniform-x3,lr2e-3,lr1e-2,sandwich,distill}" \
  >"$OUT/rank_recipes.txt" 2>&1 &
recipes=$!
step cuda_tests "${CUDA_TESTS_S:-150}" python3 -m pytest -q -p no:cacheprovider --durations=0 \
  tests/torch/test_cuda.py
wait $recipes
echo "== rank_recipes: exit $?"
tail -n 60 "$OUT/rank_recipes.txt"
step gpu "${GPU_S:-260}" python3 benchmarks/gpu.py
step loader "${LOADER_S:-45}" python3 benchmarks/loader.py --images 384 --workers 8
# the supernet levers of issue 20 (each alone, fitness by loss beside accuracy), only when
# LEVERS_S gives it time: 24 genomes near the budget, two seeds of ground truth
if [ -n "${LEVERS_S:-}" ]; then
  step rank_levers "$LEVERS_S" python3 benchmarks/rank_levers.py --device cuda --workers 10 \
    --samples 24 --seeds 2 --out /tmp/rank-levers
fi
