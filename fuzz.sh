#!/usr/bin/env bash
# fuzz.sh — run clasp's fuzz targets for real and keep a ledger of what ran.
#
#   ./fuzz.sh 10m                          every target, 10 minutes each
#   ./fuzz.sh 60m FuzzServerHandshake      the targets whose names match (awk regexp)
#   ./fuzz.sh 60m '^FuzzParseAlert$'         exactly one target
#   PARALLEL=2 ./fuzz.sh 30m FuzzParse     two fuzzing workers per target
#
# go test runs each target's seed corpus on every ./test.sh; this script is
# for the long runs that CI has no time for. Targets run one after another,
# each with -parallel ${PARALLEL:-1} workers, at low priority (nice 10) so
# the machine stays usable. Each run appends one line to fuzz-ledger.tsv:
# date, commit, package, target, worker count, fuzz time, executions,
# PASS/FAIL/DEADLINE (below) and the CPU seconds the run really used (user
# + system of go test and its fuzzing workers; wall time times workers
# overstates it on a busy machine), so that the fuzzing of all sessions
# adds up per target:
#
#   awk -F'\t' 'NR>1 {cpu[$4] += $9} END {for (t in cpu) print cpu[t], t}' fuzz-ledger.tsv | sort -n
#
# NICE (default 10) sets the priority; NICE=19 fuzzes only on idle CPU.
#
#   ./fuzz.sh owed [SECONDS]    every target's fuzzing so far and what it
#                               still owes to reach SECONDS (default 3600,
#                               one CPU-hour), least fuzzed first
#
# A failure leaves its input in the package's testdata/fuzz/<target>/, where
# go test replays it from then on: fix the bug, keep the file. DEADLINE is
# Go's own end-of-run race, with no input (see deadline_race).
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -lt 1 ]; then
	sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
ledger=fuzz-ledger.tsv

# owed SECONDS: lists every target with the CPU seconds the ledger gives it
# and the seconds it lacks. The ledger's first rows (before the CPU column)
# recorded only wall time; those count as fuzztime × workers, an upper
# bound, and the target is marked "~".
owed() {
	go test -list '^Fuzz' ./... 2>/dev/null | awk '
		/^Fuzz/ { names[n++] = $1; next }
		/^ok/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }' |
		awk -F'\t' -v goal="$1" -v ledger="$ledger" '
		function seconds(d,   total, num, ch, i) {
			total = 0; num = ""
			for (i = 1; i <= length(d); i++) {
				ch = substr(d, i, 1)
				if (ch ~ /[0-9.]/) { num = num ch; continue }
				total += num * (ch == "h" ? 3600 : ch == "m" ? 60 : 1); num = ""
			}
			return total
		}
		BEGIN {
			while ((getline line < ledger) > 0) {
				split(line, f, "\t")
				if (f[1] == "date") continue
				key = f[3] " " f[4]
				if (f[9] != "") { cpu[key] += f[9] } else { cpu[key] += seconds(f[6]) * f[5]; rough[key] = 1 }
				execs[key] += f[7]
			}
			FS = " "
		}
		{
			key = $1 " " $2; have = cpu[key] + 0; lack = goal - have
			printf "%s\t%s%d\t%d\t%d\t%s\n", (lack > 0 ? lack : 0), (rough[key] ? "~" : ""), have, execs[key], (lack > 0 ? lack : 0), $2 " (" $1 ")"
		}' | sort -t$'\t' -k1,1nr | cut -f2- |
		awk -F'\t' 'BEGIN { print "cpu_seconds\texecs\towed\ttarget" } { print; if ($3 > 0) owing++; total += $3 }
			END { printf "%d target(s) owe %d CPU seconds (%.1f CPU-hours)\n", owing, total, total / 3600 }'
}
if [ "$1" = owed ]; then
	owed "${2:-3600}"
	exit 0
fi
fuzztime=$1
pattern=${2:-.}
workers=${PARALLEL:-1}
[ -f "$ledger" ] || printf 'date\tcommit\tpackage\ttarget\tworkers\tfuzztime\texecs\tresult\tcpu_seconds\n' >"$ledger"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# "package target" pairs: go test -list prints a package's target names,
# then a line starting with "ok" that names the package.
targets=$(go test -list '^Fuzz' ./... 2>/dev/null | awk '
	/^Fuzz/ { names[n++] = $1; next }
	/^ok/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }' | awk -v pattern="$pattern" '$2 ~ pattern')
if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz target matches ${pattern}" >&2
	exit 2
fi

# run_measured LOG PKG TARGET: runs one target at low priority with its output
# in LOG and prints the CPU seconds it used; fails when the target failed. It
# runs inside $(...), a fresh subshell, so the subshell's children times
# (bash's times builtin, second line: user and system of waited-for
# children, their own children included) are this run's alone.
run_measured() {
	local rc=0
	nice -n "${NICE:-10}" go test -run '^$' -fuzz "^${3}\$" -fuzztime "$fuzztime" -parallel "$workers" "$2" >"$1" 2>&1 || rc=$?
	# times must run in this shell, not in a pipeline's subshell.
	times >"$1.times"
	awk 'NR == 2 { total = 0
		for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); total += p[1] * 60 + p[2] }
		printf "%d\n", total }' "$1.times"
	rm -f "$1.times"
	return $rc
}

# deadline_race LOG: the run failed only with Go's "context deadline
# exceeded" at the end of -fuzztime and wrote no failing input. That is a
# race in Go's fuzzing coordinator under CPU contention (golang/go#75804,
# fixed in Go 1.27), not a finding: the ledger records it as DEADLINE and
# the fuzzing time counts. A run that wrote an input is always FAIL.
deadline_race() {
	! grep -q 'Failing input written to' "$1" &&
		[ "$(grep -c -- '--- FAIL' "$1")" = 1 ] &&
		grep -A1 -- '--- FAIL' "$1" | tail -n 1 | grep -qx '[[:space:]]*context deadline exceeded'
}

status=0
while read -r pkg target; do
	log=$(mktemp "${TMPDIR:-/tmp}/clasp-fuzz.XXXXXX")
	echo "==> $target ($pkg), $fuzztime, $workers worker(s)"
	result=PASS
	if ! cpu=$(run_measured "$log" "$pkg" "$target"); then
		result=FAIL
		if deadline_race "$log"; then
			result=DEADLINE
		else
			status=1
		fi
		tail -n 30 "$log"
	fi
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	echo "    $result, ${execs:-0} executions, ${cpu} CPU seconds"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$commit" "$pkg" "$target" \
		"$workers" "$fuzztime" "${execs:-0}" "$result" "$cpu" >>"$ledger"
	rm -f "$log"
done <<<"$targets"
exit $status
