#!/usr/bin/env bash
# Create one virtualenv per peer tracker under bench/venvs/.
# Idempotent: a venv whose python already imports its package is left alone.
# Usage: bash bench/setup_peers.sh [wandb|trackio|mlflow ...]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venvs="$here/venvs"
python="${PYTHON:-python3}"

declare -A spec=(
    [wandb]="wandb==0.31.0"
    [trackio]="trackio==0.43.0"
    [mlflow]="mlflow"
)
# what bench_media.py needs for the peers' Image, Table and Histogram, and bench_importers.py for
# trackio's TensorBoard importer (module to import: package)
declare -A media=(
    [wandb]="PIL:pillow numpy:numpy"
    [trackio]="PIL:pillow numpy:numpy tbparse:trackio[tensorboard]==0.43.0"
)

add_media() {
    local name="$1" dir="$venvs/$1" item
    for item in ${media[$name]:-}; do
        "$dir/bin/python" -c "import ${item%%:*}" 2>/dev/null && continue
        echo "[$name] adding ${item#*:} (media)"
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "${item#*:}"
    done
}

setup_one() {
    local name="$1" dir="$venvs/$1"
    if [[ -x "$dir/bin/python" ]] && "$dir/bin/python" -c "import $name" 2>/dev/null; then
        echo "[$name] ready: $("$dir/bin/python" -c "import $name; print($name.__version__)")"
        return 0
    fi
    echo "[$name] creating $dir (${spec[$name]})"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "${spec[$name]}"
    "$dir/bin/python" -c "import $name; print('[$name] installed', $name.__version__)"
}

main() {
    mkdir -p "$venvs"
    local names=("$@")
    [[ ${#names[@]} -gt 0 ]] || names=(wandb trackio mlflow)
    local failed=0
    for name in "${names[@]}"; do
        [[ -n "${spec[$name]:-}" ]] || { echo "unknown peer: $name" >&2; exit 2; }
        { setup_one "$name" && add_media "$name"; } || { echo "[$name] FAILED" >&2; failed=1; }
    done
    return "$failed"
}

main "$@"
