#!/usr/bin/env bash
# test.sh — THE test command for clasp (CI runs it through .ci/run).
#
#   ./test.sh                 everything: peers, gofmt, go vet, go test ./...
#   ./test.sh -run Interop    extra arguments go to `go test`
#
# 1. Installs the real TLS peers the interop tests start (OpenSSL, GnuTLS,
#    NSS tools, curl, HAProxy, Redis, tshark, nginx, sslscan, testssl.sh (its client
#    list; its slow scan runs only with CLASP_TESTSSL=1), Java, and node/npm for Mermaid's own
#    parser in the diagram test) with apt-get when missing.
#    With CI=true a failed install is fatal, because the tests would then fail
#    on the missing peer anyway (internal/peertest.Require never skips under
#    CI) and this message says why sooner. Elsewhere it warns and the tests
#    that need the peer skip.
# 2. Checks gofmt, runs go vet ./..., then go test -count=1 ./... .
# 3. Prints a summary; exits non-zero if any step failed.
set -euo pipefail

cd "$(dirname "$0")"

# Go may be installed without being on PATH (a fresh shell on CI).
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	PATH="/usr/local/go/bin:$PATH"
fi

in_ci() {
	case "${CI:-}" in
	true | TRUE | True | 1 | yes) return 0 ;;
	*) return 1 ;;
	esac
}

# Peer binary -> Debian package. internal/peertest/require.go holds the same
# table for its skip/fail messages; keep the two in step.
PEERS="
openssl:openssl
gnutls-serv:gnutls-bin
gnutls-cli:gnutls-bin
selfserv:libnss3-tools
tstclnt:libnss3-tools
certutil:libnss3-tools
pk12util:libnss3-tools
curl:curl
haproxy:haproxy
redis-server:redis-server
tshark:tshark
nginx:nginx
sslscan:sslscan
testssl:testssl.sh
java:default-jdk-headless
node:nodejs
npm:npm
/usr/lib/nginx/modules/ngx_mail_module.so:libnginx-mod-mail
vsftpd:vsftpd
slapd:slapd
prosody:prosody
/usr/lib/postgresql/15/bin/postgres:postgresql
"

# have BIN: on PATH, or in an sbin directory (Debian puts haproxy in
# /usr/sbin, which a non-root PATH lacks); an absolute path names a file
# that must exist (nginx's mail module, the STARTTLS test server).
have() {
	case "$1" in /*) [ -e "$1" ]; return ;; esac
	command -v "$1" >/dev/null 2>&1 && return 0
	local d
	for d in /usr/sbin /sbin /usr/local/sbin; do
		[ -x "$d/$1" ] && return 0
	done
	return 1
}

missing_peers() {
	local entry
	for entry in $PEERS; do
		have "${entry%%:*}" || printf '%s\n' "$entry"
	done
}

# words joins lines into one space-separated line.
words() { tr '\n' ' ' | sed 's/ *$//'; }

peer_status="all present"
step_failed=0

missing="$(missing_peers)"
if [ -n "$missing" ]; then
	pkgs="$(printf '%s\n' "$missing" | cut -d: -f2 | sort -u | words)"
	echo "==> Missing peers: $(printf '%s\n' "$missing" | cut -d: -f1 | words)"
	echo "==> Installing: $pkgs"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO="sudo"
		fi
	fi
	install_ok=1
	if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
		echo "test.sh: not root and no sudo: cannot apt-get install $pkgs" >&2
		install_ok=0
	elif ! command -v apt-get >/dev/null 2>&1; then
		echo "test.sh: no apt-get on this machine: cannot install $pkgs" >&2
		install_ok=0
	else
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086 # $SUDO and $pkgs split on purpose
		if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q; then
			install_ok=0
		elif ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs; then
			install_ok=0
		fi
	fi
	still="$(missing_peers | cut -d: -f1 | words)"
	if [ "$install_ok" -eq 0 ] || [ -n "$still" ]; then
		msg="installing peers failed; still missing: ${still:-none} (packages: $pkgs)"
		if in_ci; then
			echo "test.sh: FATAL: $msg" >&2
			echo "test.sh: under CI=true a missing peer is a failure, never a silent skip." >&2
			exit 1
		fi
		echo "test.sh: WARNING: $msg — tests needing them will be skipped." >&2
		peer_status="MISSING: $still"
	else
		peer_status="installed $pkgs"
	fi
fi

echo "==> Peers: $peer_status"
for b in openssl gnutls-cli curl; do
	if have "$b"; then
		case "$b" in
		openssl) echo "    $(openssl version)" ;;
		gnutls-cli) echo "    $(gnutls-cli --version 2>/dev/null | head -n 1)" ;;
		curl) echo "    $(curl --version | head -n 1 | cut -d' ' -f1-2)" ;;
		esac
	fi
done

echo "==> gofmt"
unformatted="$(gofmt -l . 2>&1 || true)"
if [ -n "$unformatted" ]; then
	echo "test.sh: these files need gofmt -w:" >&2
	printf '    %s\n' $unformatted >&2
	gofmt_status="FAIL"
	step_failed=1
else
	gofmt_status="ok"
fi

echo "==> go vet ./..."
if go vet ./...; then
	vet_status="ok"
else
	vet_status="FAIL"
	step_failed=1
fi

echo "==> go test -count=1 -timeout 40m${*:+ $*} ./..."
log="$(mktemp "${TMPDIR:-/tmp}/clasp-test.XXXXXX")"
trap 'rm -f "$log"' EXIT
start=$(date +%s)
if go test -count=1 -timeout 40m "$@" ./... 2>&1 | tee "$log"; then
	test_status="ok"
else
	test_status="FAIL"
	step_failed=1
fi
elapsed=$(($(date +%s) - start))

# Package counts from go test's own per-package lines ("ok", "FAIL", "?"); a
# package whose tests were all filtered out by -run counts as skipped.
pkg_ok=$(grep -E '^ok[[:space:]]' "$log" | grep -vcE '\[no tests to run\]' || true)
pkg_norun=$(grep -E '^ok[[:space:]]' "$log" | grep -cE '\[no tests to run\]' || true)
pkg_notest=$(grep -cE '^\?[[:space:]].*\[no test files\]' "$log" || true)
pkg_fail=$(grep -cE '^FAIL[[:space:]]' "$log" || true)

echo
echo "==================== clasp test summary ===================="
echo "peers:   $peer_status"
echo "gofmt:   $gofmt_status"
echo "go vet:  $vet_status"
echo "go test: $test_status in ${elapsed}s"
if [ "$pkg_fail" -gt 0 ]; then
	echo "failed packages:"
	grep -E '^FAIL[[:space:]]' "$log" | sed 's/^/    /'
fi
echo "packages: $pkg_ok passed, $pkg_fail failed, $((pkg_norun + pkg_notest)) skipped"
echo "============================================================"
if [ "$step_failed" -ne 0 ]; then
	echo "RESULT: FAIL"
	exit 1
fi
echo "RESULT: PASS"
