#!/usr/bin/env bash
# GPU check (see bench/README.md, "GPU check"): which onnxruntime execution providers load here,
# and the default model's step times on each. Fits in 5 minutes; needs no network.
#
#   bash bench/gpu-check.sh [OUT_DIR] [--latent N] [--model DIR]     # default OUT_DIR: bench/results
#
# Writes OUT_DIR/gpu-check.json and OUT_DIR/gpu-check.txt (the table). onnxruntime-node comes from
# node_modules, or from bench/.gpu-check-runtime.tar.gz (made by `node bench/gpu-check.mjs
# --prepare` on a machine with node_modules, carried along, unpacked here; it is git-ignored).
set -u
cd "$(dirname "$0")/.."
out_dir="${1:-bench/results}"
shift || true # the rest goes to gpu-check.mjs (e.g. --latent 64, --model DIR)
mkdir -p "$out_dir"
if ! command -v node >/dev/null 2>&1; then
  echo '{"tool":"stepwise gpu-check","error":"node is not installed on this machine"}' >"$out_dir/gpu-check.json"
  echo "gpu-check: node is not installed on this machine" | tee "$out_dir/gpu-check.txt" >&2
  exit 1
fi
if [ ! -d node_modules/onnxruntime-node ] && [ ! -d bench/.gpu-check-runtime ] &&
  [ -f bench/.gpu-check-runtime.tar.gz ]; then
  tar xzf bench/.gpu-check-runtime.tar.gz -C bench
fi
# The CUDA provider needs CUDA 12 and cuDNN 9 on the loader path; NVIDIA containers often keep
# them outside the default search path.
for d in /usr/local/cuda/lib64 /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu; do
  [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done
timeout 290 node bench/gpu-check.mjs --out "$out_dir/gpu-check.json" --budget-s 240 "$@" 2> >(tee "$out_dir/gpu-check.txt" >&2)
status=$?
wait
exit $status
