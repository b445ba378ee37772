#!/bin/sh
# Servers side by side: `clasp bench` against clasp serve, the same minimal
# server on clasp and on crypto/tls (bench/cmd/tlsserver -stack clasp, and
# its default), openssl s_server and nginx, each given the
# same certificate and pinned to one core (taskset -c 0) while the load
# generator runs on another (taskset -c 1). For each scenario and server it
# prints handshakes/s, the server's CPU per handshake (utime + stime from
# /proc/PID/stat, before and after the run, all of nginx's processes), how
# busy the server's core was (server CPU / wall time: near 100 % means
# the load saturated it), the client's CPU per handshake and the latency
# percentiles, as one markdown table. See bench/README.md ("Servers").
#
#   bench/server-compare.sh                   10 s per run, 16 connections
#   DURATION=30s CONNECTIONS=32 bench/server-compare.sh
#   ROUNDS=3 bench/server-compare.sh          every cell three times, medians
#   SERVERS='clasp-stack crypto/tls' SCENARIOS=tls13-resume bench/server-compare.sh
#
# Servers: clasp (clasp serve), clasp-stack (tlsserver -stack clasp: the
# stack without clasp serve's per-connection log line, diagnose recorder
# and counters), crypto/tls (tlsserver), openssl (s_server -www), nginx.
#
# Scenarios: tls13-ecdsa (TLS 1.3, TLS_AES_128_GCM_SHA256, X25519, ECDSA
# P-256 certificate, full handshakes), tls12-rsa (TLS 1.2,
# ECDHE-RSA-AES128-GCM-SHA256, X25519, RSA-2048), tls13-resume (as
# tls13-ecdsa, resumed with a ticket as PSK, psk_dhe_ke, every resumption
# checked). The client offers X25519 alone so that every server (Debian's
# OpenSSL 3.0 has no ML-KEM) makes the same key exchange. Each server runs
# with its defaults otherwise: one TLS 1.3 ticket per connection (OpenSSL's
# default of two is set to one for s_server and nginx), clasp serve logs
# one line per handshake (to /dev/null here: the formatting is part of its
# cost), nginx has access_log off and one worker. Needs openssl, nginx,
# taskset, jq and two CPUs.
set -eu
cd "$(dirname "$0")/.."

duration=${DURATION:-10s}
rounds=${ROUNDS:-1}
conns=${CONNECTIONS:-16}
servers=${SERVERS:-clasp clasp-stack crypto/tls openssl nginx}
scenarios=${SCENARIOS:-tls13-ecdsa tls12-rsa tls13-resume}
for tool in openssl nginx taskset jq; do
	command -v "$tool" >/dev/null 2>&1 || { echo "server-compare: $tool is missing" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "server-compare: needs two CPUs (one for the server, one for the load)" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid=""
stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/clasp" ./cmd/clasp
go build -o "$tmp/tlsserver" ./bench/cmd/tlsserver
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ecdsa-key.pem" -out "$tmp/ecdsa.pem" \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 30 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/rsa-key.pem" -out "$tmp/rsa.pem" \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 30 2>/dev/null
port=$((20000 + $$ % 20000))
hz=$(getconf CLK_TCK)

# cpu_ticks PID...: user + system time of the processes, in clock ticks.
cpu_ticks() {
	total=0
	for p in "$@"; do
		# Fields after the ")" that ends the command name: utime is the
		# 12th, stime the 13th (proc(5): 14 and 15).
		t=$(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')
		total=$((total + t))
	done
	echo "$total"
}

# server_pids: the processes whose CPU counts (nginx: the master and its workers).
server_pids() {
	echo "$server_pid $(pgrep -P "$server_pid" 2>/dev/null | tr '\n' ' ')"
}

# start_server NAME CERT KEY: starts the server pinned to CPU 0 and
# waits until it listens.
start_server() {
	name=$1 cert=$2 key=$3
	port=$((port + 1))
	case $name in
	clasp)
		taskset -c 0 "$tmp/clasp" serve --addr "127.0.0.1:$port" --cert "$cert" --key "$key" >/dev/null 2>&1 &
		;;
	clasp-stack)
		taskset -c 0 "$tmp/tlsserver" -stack clasp -addr "127.0.0.1:$port" -cert "$cert" -key "$key" >/dev/null 2>&1 &
		;;
	crypto/tls)
		taskset -c 0 "$tmp/tlsserver" -addr "127.0.0.1:$port" -cert "$cert" -key "$key" >/dev/null 2>&1 &
		;;
	openssl)
		taskset -c 0 openssl s_server -accept "127.0.0.1:$port" -cert "$cert" -key "$key" -www -quiet \
			-num_tickets 1 </dev/null >/dev/null 2>&1 &
		;;
	nginx)
		mkdir -p "$tmp/nginx/logs"
		cat >"$tmp/nginx/nginx.conf" <<-EOF
			daemon off;
			master_process on;
			worker_processes 1;
			pid $tmp/nginx/nginx.pid;
			error_log $tmp/nginx/logs/error.log;
			events { worker_connections 4096; }
			http {
			    access_log off;
			    server {
			        listen 127.0.0.1:$port ssl;
			        ssl_certificate $cert;
			        ssl_certificate_key $key;
			        ssl_protocols TLSv1.2 TLSv1.3;
			        ssl_conf_command NumTickets 1;
			        location / { return 200 "nginx\n"; }
			    }
			}
		EOF
		taskset -c 0 nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" >/dev/null 2>&1 &
		;;
	esac
	server_pid=$!
	for _ in $(seq 50); do
		ss -ltn "sport = :$port" | grep -q LISTEN && return 0
		sleep 0.1
	done
	echo "server-compare: $name did not listen on 127.0.0.1:$port" >&2
	exit 1
}

# scenario_args NAME: the certificate, key and clasp bench flags of a scenario.
scenario_args() {
	case $1 in
	tls13-ecdsa) echo "ecdsa --tls1.3 --ciphers TLS_AES_128_GCM_SHA256 --groups x25519" ;;
	tls12-rsa) echo "rsa --tls1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 --groups x25519" ;;
	tls13-resume) echo "ecdsa --tls1.3 --ciphers TLS_AES_128_GCM_SHA256 --groups x25519 --resume psk" ;;
	*)
		echo "server-compare: unknown scenario $1" >&2
		exit 2
		;;
	esac
}

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; $(go version | cut -d' ' -f3); $(openssl version | cut -d' ' -f1-2); $(nginx -v 2>&1 | cut -d' ' -f3)"
echo "each run: $duration, $conns connections, server on CPU 0, clasp bench on CPU 1; $rounds round(s), medians"
echo
# run_cell SCENARIO SERVER FLAGS...: one run; appends a line of figures
# (tab-separated, as in the table) to $tmp/results.
run_cell() {
	scenario=$1 server=$2 kind=$3
	shift 3
	start_server "$server" "$tmp/$kind.pem" "$tmp/$kind-key.pem"
	# A short warm-up: the server's first connections page in code and
	# grow its heap.
	taskset -c 1 "$tmp/clasp" bench --insecure -d 1s -c "$conns" "$@" "127.0.0.1:$port" >/dev/null 2>&1 || true
	pids=$(server_pids)
	# shellcheck disable=SC2086 # pids is a list
	before=$(cpu_ticks $pids)
	taskset -c 1 "$tmp/clasp" bench --insecure --json -d "$duration" -c "$conns" "$@" "127.0.0.1:$port" \
		>"$tmp/run.json" 2>"$tmp/run.err" || true
	# shellcheck disable=SC2086
	after=$(cpu_ticks $pids)
	stop_server
	if ! jq -e . "$tmp/run.json" >/dev/null 2>&1; then
		echo "server-compare: $scenario on $server failed: $(tr '\n' ' ' <"$tmp/run.err")" >&2
		return
	fi
	jq -r --arg scenario "$scenario" --arg server "$server" --argjson ticks "$((after - before))" --argjson hz "$hz" '
		($ticks / $hz) as $cpu |
		[$scenario, $server, .handshakes_per_second,
		 (if .handshakes > 0 then $cpu / .handshakes * 1e6 else 0 end),
		 $cpu / .duration_s * 100, (.client_cpu_us_per_handshake // 0),
		 (.latency_ms.p50 // 0), (.latency_ms.p99 // 0), .errors,
		 (if .resumption then .resumption.not_resumed + .resumption.resumed_otherwise else -1 end)] | @tsv
	' "$tmp/run.json" >>"$tmp/results"
}

# The rounds go through every cell in turn, so that a change in the
# machine's load spreads over all of them; each figure of the table is the
# median of its cell's rounds (errors and not-resumed are totals).
: >"$tmp/results"
for round in $(seq "$rounds"); do
	for scenario in $scenarios; do
		# shellcheck disable=SC2046 # the scenario's words are separate flags
		set -- $(scenario_args "$scenario")
		for server in $servers; do
			run_cell "$scenario" "$server" "$@"
		done
	done
	if [ "$rounds" -gt 1 ]; then
		echo "round $round of $rounds done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	fi
done

echo "| scenario | server | handshakes/s | server CPU µs/handshake | server core busy | client CPU µs/handshake | p50 ms | p99 ms | errors | not resumed |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for scenario in $scenarios; do
	for server in $servers; do
		awk -F'\t' -v sc="$scenario" -v sv="$server" '
			function median(col,   n, i, j, t, v) {
				n = 0
				for (i = 1; i <= rows; i++) v[++n] = cell[i, col]
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
				return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			}
			$1 == sc && $2 == sv { rows++; for (c = 3; c <= 10; c++) cell[rows, c] = $c; errors += $9; notres += $10 }
			END {
				if (rows == 0) { printf "| %s | %s | failed |\n", sc, sv; exit }
				printf "| %s | %s | %.0f | %.0f | %.0f %% | %.0f | %.2f | %.2f | %d | %s |\n", sc, sv,
					median(3), median(4), median(5), median(6), median(7), median(8), errors, (notres < 0 ? "-" : notres)
			}' "$tmp/results"
	done
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
