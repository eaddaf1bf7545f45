#!/usr/bin/env bash
# The design search on half a (development seed sets 100-109, variants full and low2, step 10)
set -u
cd "$(dirname "$0")/../.."
LOG=results/screening-split/design_search.jsonl
run() { MLMAP_PRECISION=fp32 OMP_NUM_THREADS=1 PYTHONPATH=$PWD .venv/bin/python scripts/screening/explore_ranker.py --half a --variants full low2 --step 10 --out $LOG "$@"; }
run --features tfidf --c 0.11 --loss squared_hinge --ratio 9.8
run --features both --weight 0.5 --c 0.11 --loss squared_hinge --ratio 9.8
run --features both --weight 0.5 --c 0.15 --loss hinge --ratio 9.8
run --features both --weight 0.5 --c 0.05 --loss hinge --ratio 9.8
run --features both --weight 0.5 --c 0.5 --loss hinge --ratio 9.8
run --features both --weight 1.0 --c 0.15 --loss hinge --ratio 9.8
run --features both --weight 0.3 --c 0.15 --loss hinge --ratio 9.8
run --features both --weight 0.5 --c 0.3 --loss squared_hinge --ratio 9.8
run --features both --weight 0.5 --c 0.15 --loss hinge --ratio 30
run --features embeddings --c 0.11 --loss squared_hinge --ratio 9.8
run --features both --weight 0.5 --c 1.0 --classifier logistic --ratio 9.8
echo GRID DONE
