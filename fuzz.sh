#!/usr/bin/env bash
# fuzz.sh — run clasp's fuzz targets for real and keep a ledger of what ran.
#
#   ./fuzz.sh 10m                          every target, 10 minutes each
#   ./fuzz.sh 60m FuzzServerHandshake      the targets whose names match
#   PARALLEL=2 ./fuzz.sh 30m FuzzParse     two fuzzing workers per target
#
# go test runs each target's seed corpus on every ./test.sh; this script is
# for the long runs that CI has no time for. Targets run one after another,
# each with -parallel ${PARALLEL:-1} workers, at low priority (nice 10) so
# the machine stays usable. Each run appends one line to fuzz-ledger.tsv:
# date, commit, package, target, worker count, fuzz time, executions and
# PASS/FAIL, so that fuzzing time accumulated across sessions can be added
# up per target:
#
#   awk -F'\t' 'NR>1 {print $4}' fuzz-ledger.tsv | sort | uniq -c
#
# A failure leaves its input in the package's testdata/fuzz/<target>/, where
# go test replays it from then on: fix the bug, keep the file.
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -lt 1 ]; then
	sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
fuzztime=$1
pattern=${2:-.}
workers=${PARALLEL:-1}
ledger=fuzz-ledger.tsv
[ -f "$ledger" ] || printf 'date\tcommit\tpackage\ttarget\tworkers\tfuzztime\texecs\tresult\n' >"$ledger"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# "package target" pairs: go test -list prints a package's target names,
# then a line starting with "ok" that names the package.
targets=$(go test -list '^Fuzz' ./... 2>/dev/null | awk '
	/^Fuzz/ { names[n++] = $1; next }
	/^ok/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }' | grep -E " .*${pattern}" || true)
if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz target matches ${pattern}" >&2
	exit 2
fi

status=0
while read -r pkg target; do
	log=$(mktemp "${TMPDIR:-/tmp}/clasp-fuzz.XXXXXX")
	echo "==> $target ($pkg), $fuzztime, $workers worker(s)"
	result=PASS
	if ! nice -n 10 go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel "$workers" "$pkg" >"$log" 2>&1; then
		result=FAIL
		status=1
		tail -n 30 "$log"
	fi
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	echo "    $result, ${execs:-0} executions"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$commit" "$pkg" "$target" \
		"$workers" "$fuzztime" "${execs:-0}" "$result" >>"$ledger"
	rm -f "$log"
done <<<"$targets"
exit $status
