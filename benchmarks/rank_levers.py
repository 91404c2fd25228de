"""Which supernet lever ranks genomes best on the digits demo? Each lever alone and combined.

The levers the channel-search literature found (issue 20): strictly fair sampling
(``fair``), a BatchNorm per group choice (``bn-choice``), weight decay (``wd``), sandwich
with 5 genomes per step with and without in-place distillation (``sandwich-5``,
``distill-5``), and fitness by negative loss (every supernet is also scored that way),
judged against the same ground truth as today's default (``uniform``) with the
statistics of ``evogroup rank-check``: Kendall tau over all genomes and over the better
half, tau within cost bins, regret@1/3/5, each with its bootstrap interval, beside cost
alone. This is ``benchmarks/rank_recipes.py`` with the levers as its recipes (every
option of that script applies; ``--recipes`` picks others, ``A+B`` combines).

Run (a GPU session: ``--device cuda --workers 8``):
python benchmarks/rank_levers.py [--samples 12] [--seeds 2] [--final-epochs 30] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rank_recipes import main  # noqa: E402

LEVERS = "uniform,fair,bn-choice,wd,sandwich-5,distill-5,fair+bn-choice"

if __name__ == "__main__":
    if not any(a == "--recipes" or a.startswith("--recipes=") for a in sys.argv[1:]):
        sys.argv += ["--recipes", LEVERS]
    main()
