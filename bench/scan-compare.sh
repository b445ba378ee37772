#!/bin/sh
# Scan speed: `clasp scan`, sslscan and testssl.sh against the same local
# server in one run, each timed (wall clock) with the number of TCP
# connections it opened, counted by tshark on the loopback interface (SYNs
# to the server's port). See bench/README.md ("Scanners").
#
#   bench/scan-compare.sh                   OpenSSL s_server, every suite at
#                                           security level 0, TLS 1.0-1.3
#   bench/scan-compare.sh --quick           skip testssl.sh (minutes per run)
#   SERVER_ARGS='-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256' bench/scan-compare.sh
#
# Needs openssl, sslscan, testssl (Debian's testssl.sh) and tshark, and
# permission to capture on lo (root, or the wireshark group). What each
# tool checks differs: sslscan does versions, suites, groups, certificate
# basics and a few vulnerabilities; testssl.sh a full audit with client
# simulation; clasp scan versions, suites and their order, groups and
# whatever checks the scan package has today. Compare the times knowing
# that.
set -eu
cd "$(dirname "$0")/.."

quick=false
[ "${1:-}" = "--quick" ] && quick=true
for tool in openssl sslscan tshark; do
	command -v "$tool" >/dev/null 2>&1 || { echo "scan-compare: $tool is missing" >&2; exit 2; }
done
if ! $quick && ! command -v testssl >/dev/null 2>&1; then
	echo "scan-compare: testssl (Debian package testssl.sh) is missing; use --quick to skip it" >&2
	exit 2
fi

tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

go build -o "$tmp/clasp" ./cmd/clasp
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
	-subj /CN=localhost -days 30 2>/dev/null
port=$((20000 + $$ % 20000))
# shellcheck disable=SC2086 # SERVER_ARGS is a list of arguments
openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" -key "$tmp/key.pem" -www -quiet \
	${SERVER_ARGS:--cipher ALL:@SECLEVEL=0} >/dev/null 2>&1 &
pids="$pids $!"
sleep 0.5
echo "server: openssl s_server on 127.0.0.1:$port ${SERVER_ARGS:--cipher ALL:@SECLEVEL=0}"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME COMMAND...: runs the command with a capture counting the
# connections it opens, and prints one line.
measure() {
	name=$1
	shift
	tshark -i lo -q -f "tcp dst port $port and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" \
		-w "$tmp/$name.pcap" >/dev/null 2>&1 &
	capture=$!
	sleep 1.5 # tshark needs a moment before it captures
	start=$(date +%s.%N)
	"$@" >"$tmp/$name.out" 2>&1 || echo "   ($name exited with status $?; output in the run's temp dir)"
	end=$(date +%s.%N)
	sleep 0.5
	kill "$capture" 2>/dev/null
	wait "$capture" 2>/dev/null || true
	conns=$(tshark -r "$tmp/$name.pcap" 2>/dev/null | wc -l)
	printf '%-10s %8.1f s  %6d connections\n' "$name" "$(echo "$end - $start" | bc)" "$conns"
}

echo
measure clasp "$tmp/clasp" scan "127.0.0.1:$port"
measure sslscan sslscan --no-colour "127.0.0.1:$port"
if ! $quick; then
	measure testssl testssl --quiet --color 0 --warnings off "127.0.0.1:$port"
fi
