#!/bin/sh
# Scan speed: `clasp scan`, sslscan and testssl.sh against the same local
# server in one run, each timed (wall clock) with the number of TCP
# connections it opened, counted by tshark on the loopback interface (SYNs
# to the server's port, made sure of with a marker connection before and
# after each tool). See bench/README.md ("Scanners").
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

# The capture must be running before a tool starts and must have written
# every packet before it is counted. A fixed warm-up is not enough: under
# load tshark took longer than 1.5 s to start and the count missed most of
# clasp's connections (102 of 258). So each capture also watches a marker
# port nobody listens on, and the script knocks on it (a refused connect
# still sends a SYN) until the marker shows up in tshark's line-buffered
# output, once before the tool (the capture is live) and once after it
# (everything before the marker has been written).
marker=$((port + 1))
command -v curl >/dev/null 2>&1 || { echo "scan-compare: curl is missing (it knocks on the marker port)" >&2; exit 2; }

# count_syns PORT FILE: how many SYNs to PORT the capture FILE holds so far.
count_syns() {
	n=$(grep -c "^$1\$" "$2" 2>/dev/null) || true
	echo "${n:-0}"
}

# wait_for_marker FILE N: knocks on the marker port until FILE holds N
# marker SYNs; gives up after 60 s.
wait_for_marker() {
	tries=0
	while [ "$(count_syns "$marker" "$1")" -lt "$2" ]; do
		tries=$((tries + 1))
		if [ "$tries" -gt 120 ]; then
			echo "scan-compare: tshark did not see the marker connection within 60 s" >&2
			exit 2
		fi
		curl -s --max-time 1 "http://127.0.0.1:$marker/" >/dev/null 2>&1 || true
		sleep 0.5
	done
}

# measure NAME COMMAND...: runs the command with a capture counting the
# connections it opens, and prints one line.
measure() {
	name=$1
	shift
	tshark -i lo -l -n -T fields -e tcp.dstport \
		-f "(tcp dst port $port or tcp dst port $marker) and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" \
		>"$tmp/$name.syns" 2>"$tmp/$name.tshark" &
	capture=$!
	wait_for_marker "$tmp/$name.syns" 1
	start=$(date +%s.%N)
	"$@" >"$tmp/$name.out" 2>&1 || echo "   ($name exited with status $?; KEEP_OUTPUT=PREFIX keeps its output)"
	end=$(date +%s.%N)
	# Knocks until a new marker SYN arrives: with -l every earlier packet is already in the file.
	seen=$(count_syns "$marker" "$tmp/$name.syns")
	wait_for_marker "$tmp/$name.syns" $((seen + 1))
	kill "$capture" 2>/dev/null
	wait "$capture" 2>/dev/null || true
	conns=$(count_syns "$port" "$tmp/$name.syns")
	printf '%-10s %8.1f s  %6d connections\n' "$name" "$(echo "$end - $start" | bc)" "$conns"
	[ -n "${KEEP_OUTPUT:-}" ] && cp "$tmp/$name.out" "$KEEP_OUTPUT.$name.out"
	return 0
}

echo
measure clasp "$tmp/clasp" scan "127.0.0.1:$port"
measure sslscan sslscan --no-colour "127.0.0.1:$port"
if ! $quick; then
	measure testssl testssl --quiet --color 0 --warnings off "127.0.0.1:$port"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
