#!/bin/sh
# Load: 10,000 TLS connections held at once against `clasp serve`, then
# closed; prints connections held, handshakes/s, errors and the server's
# goroutines, RSS and live heap before, at the peak and after. See
# bench/README.md ("Load"). Arguments go to bench/cmd/load (-n, -c, -hold,
# -settle); flags for `clasp serve` follow a --:
#
#   bench/load.sh
#   bench/load.sh -n 20000 -c 200
#   bench/load.sh -- --max-version 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
set -eu
cd "$(dirname "$0")/.."

# Each side of 10,000 connections needs 10,000 descriptors (the clients in
# the load program, the server in clasp serve), plus a few. Go programs
# raise their soft limit to the hard limit anyway; this makes it explicit,
# and the load program says so if the hard limit is too low.
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
go build -o "$tmp/clasp" ./cmd/clasp
go build -o "$tmp/load" ./bench/cmd/load
echo "open-file limit: $(ulimit -n); $(nproc 2>/dev/null || echo '?') CPUs; $(go version)"
"$tmp/load" -clasp "$tmp/clasp" "$@"
