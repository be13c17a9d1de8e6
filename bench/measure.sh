#!/usr/bin/env bash
# Re-measure every section of bench/RESULTS.md (or the sections named) from a clean export of
# the current commit, so that each section states exactly the code it measured.
# Usage: bash bench/measure.sh [core|server|jupyter|online|dropin ...] [-- extra arguments]
# Without names: every bench/bench_NAME.py that writes its own section (takes --results).
# Needs the project's .venv (scripts/setup) and, for the peers, bash bench/setup_peers.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sections=()
while [[ $# -gt 0 && "$1" != "--" ]]; do sections+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
if [[ ${#sections[@]} -eq 0 ]]; then  # every script that writes its own section
    for script in "$root"/bench/bench_*.py; do
        grep -q -- '"--results"' "$script" && sections+=("$(basename "$script" .py | cut -c7-)")
    done
fi

commit="$(git -C "$root" rev-parse HEAD)"
export_dir="$(mktemp -d "${TMPDIR:-/tmp}/nbtrack-bench-export-XXXXXX")"
trap 'rm -rf "$export_dir"' EXIT
git -C "$root" archive "$commit" | tar -x -C "$export_dir"
ln -s "$root/.venv" "$export_dir/.venv"
# byte-compiled, as installing nbtrack leaves it (and as the peers are): no kernel or worker
# compiles nbtrack's source on import, whatever PYTHONDONTWRITEBYTECODE says
"$root/.venv/bin/python" -m compileall -q "$export_dir/nbtrack"
vendor=nbtrack/server/static/vendor  # build output (hatch_build.py), not versioned
if [[ -d "$root/$vendor" ]]; then mkdir -p "$export_dir/$vendor" && cp -r "$root/$vendor/." "$export_dir/$vendor/"; fi
[[ -d "$root/bench/venvs" ]] && ln -s "$root/bench/venvs" "$export_dir/bench/venvs"
export NBTRACK_BENCH_COMMIT="$commit"

echo "measuring commit ${commit:0:7} (exported to $export_dir): ${sections[*]}" >&2
failed=0
for section in "${sections[@]}"; do
    [[ -f "$root/bench/bench_$section.py" ]] \
        || { echo "unknown section: $section (no bench/bench_$section.py)" >&2; exit 2; }
    echo "== $section: started $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg)" >&2
    own=()
    [[ "$section" == server ]] && own=(--postgres)  # nbtrack on PostgreSQL too
    (cd "$export_dir" && "$root/.venv/bin/python" "bench/bench_$section.py" \
        --results "$root/bench/RESULTS.md" "${own[@]}" "$@") \
        || { echo "== $section FAILED" >&2; failed=1; }
done
exit "$failed"
