#!/bin/sh
# clasp bench beside openssl s_time, on the same openssl s_server: one
# client connection at a time, as s_time makes them, full handshakes (-new)
# and resumed ones (-reuse), each fetching "/" from s_server -www (without a
# read after the handshake s_time never sees a TLS 1.3 ticket, and -reuse
# then resumes nothing). The server runs on CPU 0, the clients on CPU 1.
# The two rates should agree within the noise of a shared machine; s_time
# counts whole seconds of wall time, so give it a long -time. See
# bench/README.md ("clasp bench and openssl s_time").
#
#   bench/stime-compare.sh            3 rounds of 10 s runs
#   SECONDS_PER_RUN=30 ROUNDS=5 bench/stime-compare.sh
#
# Each round runs s_time -new, clasp bench, s_time -reuse and clasp bench
# --resume psk in turn, and the medians of the rounds are compared.
set -eu
cd "$(dirname "$0")/.."

secs=${SECONDS_PER_RUN:-10}
rounds=${ROUNDS:-3}
for tool in openssl taskset jq bc; do
	command -v "$tool" >/dev/null 2>&1 || { echo "stime-compare: $tool is missing" >&2; exit 2; }
done

tmp=$(mktemp -d)
server_pid=""
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/clasp" ./cmd/clasp
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 30 2>/dev/null
port=$((20000 + $$ % 20000))
taskset -c 0 openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" -key "$tmp/key.pem" -www -quiet \
	-num_tickets 1 </dev/null >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do
	ss -ltn "sport = :$port" | grep -q LISTEN && break
	sleep 0.1
done

echo "server: openssl s_server -www on CPU 0 (ECDSA P-256, TLS 1.3, TLS_AES_128_GCM_SHA256, X25519)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $(openssl version | cut -d' ' -f1-2)"
echo

# stime ARGS: s_time's rate, from "N connections in T real seconds".
stime() {
	taskset -c 1 openssl s_time -connect "127.0.0.1:$port" -www / -time "$secs" \
		-ciphersuites TLS_AES_128_GCM_SHA256 "$@" 2>&1 |
		awk '/connections in [0-9]+ real seconds/ { printf "%.1f\n", $1 / $4 }'
}
# bench ARGS: clasp bench's rate; a failed connection or a resumption
# that did not resume is reported on stderr.
bench() {
	taskset -c 1 "$tmp/clasp" bench --insecure -c 1 -d "${secs}s" --http-get / --tls1.3 \
		--ciphers TLS_AES_128_GCM_SHA256 --groups x25519 --json "$@" "127.0.0.1:$port" 2>/dev/null >"$tmp/run.json" || true
	jq -r '"\(.errors) errors\(.causes | map(" \(.count)× \(.cause)") | join(","))\(if .resumption then ", \(.resumption.resumed) of \(.handshakes) resumed" else "" end)"' \
		"$tmp/run.json" >&2
	jq -r '.handshakes_per_second * 10 | round / 10' "$tmp/run.json"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The runs alternate, so that a change in the machine's load hits both
# tools alike; the medians are compared.
: >"$tmp/new.stime"
: >"$tmp/new.clasp"
: >"$tmp/reuse.stime"
: >"$tmp/reuse.clasp"
for round in $(seq "$rounds"); do
	a=$(stime -new)
	b=$(bench 2>>"$tmp/errors")
	c=$(stime -reuse)
	d=$(bench --resume psk 2>>"$tmp/errors")
	echo "round $round: s_time -new $a/s, clasp bench $b/s; s_time -reuse $c/s, clasp bench --resume psk $d/s"
	echo "$a" >>"$tmp/new.stime"
	echo "$b" >>"$tmp/new.clasp"
	echo "$c" >>"$tmp/reuse.stime"
	echo "$d" >>"$tmp/reuse.clasp"
done
echo
echo "clasp bench, each run's errors (and resumptions):"
sed 's/^/  /' "$tmp/errors"
for kind in new reuse; do
	s=$(median <"$tmp/$kind.stime")
	c=$(median <"$tmp/$kind.clasp")
	printf 'median %-6s s_time %8.1f/s   clasp bench %8.1f/s   clasp / s_time %.2f\n' "$kind" "$s" "$c" "$(echo "$c / $s" | bc -l)"
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
