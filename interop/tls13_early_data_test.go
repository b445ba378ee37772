package interop

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// TLS 1.3 0-RTT early data against OpenSSL 3.0, both directions.
//
// What OpenSSL 3.0 does, found by running it by hand:
//
//   - `s_server -early_data` issues tickets whose early_data extension
//     allows 16384 bytes (-max_early_data changes that; with 0 its tickets
//     allow no 0-RTT data), and reads early data with
//     SSL_read_early_data. It
//     prints "Early data received:", then the bytes as they arrive, then
//     "End of early data"; "Early data was rejected" when the client
//     offered early data that it did not accept (for instance with a
//     ticket it cannot open), "No early data received" when none was
//     offered. The label goes through a buffered BIO and the bytes through
//     a raw write, so the bytes may show before the label: the tests check
//     each is there, not their order. -early_data works only in s_server's
//     interactive mode: with -www, -WWW, -HTTP or -rev s_server refuses
//     to start ("Can't use -early_data in combination with ...").
//   - s_server holds the client to RFC 8446 §5.1's record version: only
//     the initial ClientHello's record may say 0x0301; the compatibility
//     change_cipher_spec a client sends between its ClientHello and its
//     0-RTT records must say 0x0303, and one that says 0x0301 fails the
//     connection with "ssl3_get_record:wrong version number" (whether
//     s_server accepts the early data or not). s_client itself sends
//     ClientHello (0x0301), change_cipher_spec (0x0303), then the early
//     data, as -msg shows.
//   - Anti-replay is on by default (-anti_replay): with early data enabled
//     s_server's tickets are single-use (kept in its session cache): a
//     second connection with the same ticket gets a full handshake ("New,
//     TLSv1.3") and "Early data was rejected". Each connection here uses a
//     fresh ticket, so the default is what the tests run with;
//     -no_anti_replay is not needed. s_server also accepts early data only
//     when the ticket age the client reports is within 10 s of its own
//     view (TICKET_AGE_ALLOWANCE in OpenSSL's ssl/statem/extensions_srvr.c).
//   - s_server sends two tickets after every handshake; clasp's cache
//     keeps the last.
//   - `s_client -sess_out F` writes the session once its ticket arrives;
//     `s_client -sess_in F -early_data FILE` sends FILE's contents as 0-RTT
//     data (up to the ticket's max_early_data_size) right after the
//     ClientHello and the compatibility change_cipher_spec, then what
//     stdin gives after the handshake. It prints "Early data was accepted"
//     or "Early data was rejected" ("Early data was not sent" without
//     -early_data). Rejected early data is not sent again: s_client leaves
//     that to the application, and only stdin follows.
//   - s_server without -www reads its standard input: end-of-file there
//     makes it quit, which peertest.StartOpenSSLServer prevents.

// earlyLine is an HTTP-like request a client sends as 0-RTT data: safe to
// replay, as RFC 8446 §8 asks of early data.
const earlyLine = "GET /zero-rtt HTTP/1.1 early from %s\n"

// dialEarly connects a clasp client without running the handshake:
// clasp.Dial runs it before returning, so a client that wants to send its
// first Write as 0-RTT data wraps a plain connection with clasp.Client.
func dialEarly(t *testing.T, addr string, cfg *clasp.Config) *clasp.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn := clasp.Client(raw, cfg)
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	return conn
}

// ticketFromSServer runs one connection to an interactive s_server that
// leaves a ticket in cfg's session cache: the client writes a line, and
// s_server's answer, typed on its stdin, comes after its tickets.
func ticketFromSServer(t *testing.T, srv *peertest.Process, cfg *clasp.Config) {
	t.Helper()
	conn := dialClasp13(t, srv.Addr, cfg)
	if _, err := io.WriteString(conn, "first connection\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	if !srv.WaitOutput("first connection", 10*time.Second) {
		t.Fatalf("s_server did not print the first line:\n%s", srv.Output())
	}
	if err := srv.Send("ticket sent\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || line != "ticket sent\n" {
		t.Fatalf("clasp read %q, %v from s_server", line, err)
	}
	if st := conn.ConnectionState(); st.DidResume || st.EarlyDataAccepted {
		t.Fatalf("first connection: DidResume %v, EarlyDataAccepted %v", st.DidResume, st.EarlyDataAccepted)
	}
	conn.Close()
}

// TestTLS13EarlyDataOpenSSL: 0-RTT both ways with OpenSSL.
func TestTLS13EarlyDataOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)

	// (i) A clasp client resumes with s_server's ticket and sends its first
	// Write as early data; s_server prints it as early data, once, and
	// clasp reports it accepted.
	t.Run("clasp-client/s_server-early_data", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-early_data")
		cfg := claspClient13(pki, "")
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
		cfg.EarlyData = true
		ticketFromSServer(t, srv, cfg)

		conn := dialEarly(t, srv.Addr, cfg)
		early := fmt.Sprintf(earlyLine, "clasp")
		if n, err := io.WriteString(conn, early); err != nil || n != len(early) {
			t.Fatalf("early write: %d, %v\n%s", n, err, srv.Output())
		}
		st := conn.ConnectionState()
		wantClasp13(t, "client", st, "", 0)
		if !st.DidResume || !st.EarlyDataAccepted {
			t.Errorf("clasp client: DidResume %v, EarlyDataAccepted %v; want both", st.DidResume, st.EarlyDataAccepted)
		}
		if !srv.WaitOutput("End of early data", 10*time.Second) {
			t.Fatalf("s_server did not finish reading early data:\n%s", srv.Output())
		}
		if _, err := io.WriteString(conn, "after the handshake\n"); err != nil {
			t.Fatalf("write: %v", err)
		}
		if !srv.WaitOutput("after the handshake", 10*time.Second) {
			t.Fatalf("s_server did not print the line written after the handshake:\n%s", srv.Output())
		}
		out := srv.Output()
		wantOutput(t, "s_server", out, "Early data received:", "Reused session-id")
		if n := strings.Count(out, early); n != 1 {
			t.Errorf("s_server printed the early data %d times, want once:\n%s", n, out)
		}
	})

	// A clasp client offers early data with a ticket that a restarted
	// s_server (new ticket keys) cannot open: the handshake is a full one,
	// s_server rejects the early data, skips it, and clasp sends the bytes
	// again after the handshake, so s_server prints them once, as ordinary
	// data.
	t.Run("clasp-client/s_server-rejects", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		first := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-early_data")
		cfg := claspClient13(pki, "")
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
		cfg.EarlyData = true
		ticketFromSServer(t, first, cfg)
		first.Stop()

		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-early_data")
		conn := dialEarly(t, srv.Addr, cfg)
		early := fmt.Sprintf(earlyLine, "clasp, rejected")
		if n, err := io.WriteString(conn, early); err != nil || n != len(early) {
			t.Fatalf("early write: %d, %v\n%s", n, err, srv.Output())
		}
		st := conn.ConnectionState()
		if st.DidResume || st.EarlyDataAccepted {
			t.Errorf("clasp client: DidResume %v, EarlyDataAccepted %v; want neither", st.DidResume, st.EarlyDataAccepted)
		}
		if !srv.WaitOutput(early, 10*time.Second) {
			t.Fatalf("s_server did not print the re-sent data:\n%s", srv.Output())
		}
		out := srv.Output()
		wantOutput(t, "s_server", out, "Early data was rejected")
		if n := strings.Count(out, early); n != 1 {
			t.Errorf("s_server printed the data %d times, want once:\n%s", n, out)
		}
	})

	// s_client resumes with early data, and the clasp server, which
	// accepts only P-384 while s_client sent an X25519 share, answers with
	// a HelloRetryRequest, which rejects early data (RFC 8446 §4.1.2). The
	// clasp server must skip s_client's early data records — sent after
	// its ClientHello and its compatibility change_cipher_spec — and read
	// the second ClientHello.
	t.Run("s_client-early_data/clasp-server-HelloRetryRequest", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		cfg := claspServer13(pki.ECDSA, "")
		cfg.MaxEarlyData = 4096
		cfg.Groups = []clasp.CurveID{clasp.X25519, clasp.CurveP384}
		type seen struct {
			all   string
			state clasp.ConnectionState
		}
		conns := make(chan seen, 2)
		addr, results := claspServe13(t, cfg, 2, func(c *clasp.Conn) error {
			buf := make([]byte, 8192)
			s := seen{state: c.ConnectionState()}
			for !strings.Contains(s.all, "END\n") {
				n, err := c.Read(buf)
				if err != nil {
					return fmt.Errorf("after %q: %w", s.all, err)
				}
				s.all += string(buf[:n])
			}
			s.state = c.ConnectionState()
			conns <- s
			_, err := io.WriteString(c, "clasp echo: "+strings.ReplaceAll(s.all, "\n", " | ")+"\n")
			return err
		})
		dir := t.TempDir()
		sess, earlyFile := filepath.Join(dir, "session.pem"), filepath.Join(dir, "early.txt")
		early := fmt.Sprintf(earlyLine, "openssl, before a HelloRetryRequest")
		if err := os.WriteFile(earlyFile, []byte(early), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := peertest.RunOpenSSLClient(t, addr, "first END\n", "-ign_eof", "-tls1_3", "-sess_out", sess)
		if err != nil {
			t.Fatalf("s_client -sess_out: %v\n%s", err, out)
		}
		if res := nextResult(t, results); res.err != nil {
			t.Fatalf("first connection: clasp server: %v", res.err)
		}
		<-conns
		cfg.Groups = []clasp.CurveID{clasp.CurveP384}
		out, err = peertest.RunOpenSSLClient(t, addr, "after END\n", "-ign_eof", "-tls1_3", "-groups", "X25519:P-384",
			"-sess_in", sess, "-early_data", earlyFile)
		if err != nil {
			t.Fatalf("s_client -early_data: %v\n%s", err, out)
		}
		res := nextResult(t, results)
		if res.err != nil {
			t.Fatalf("second connection: clasp server: %v\ns_client:\n%s", res.err, out)
		}
		s := <-conns
		// s_client does not send rejected early data again: the clasp
		// server reads only what came after the handshake.
		wantOutput(t, "s_client -early_data", out, "Reused, TLSv1.3", "Server Temp Key: ECDH, secp384r1", "Early data was rejected",
			"clasp echo: after END")
		if !s.state.DidHelloRetryRequest || !s.state.DidResume || s.state.EarlyDataAccepted {
			t.Errorf("clasp server: DidHelloRetryRequest %v, DidResume %v, EarlyDataAccepted %v; want true, true, false",
				s.state.DidHelloRetryRequest, s.state.DidResume, s.state.EarlyDataAccepted)
		}
		if s.all != "after END\n" {
			t.Errorf("the clasp server read %q, want only what s_client sent after the handshake", s.all)
		}
	})

	// (ii) s_client gets a clasp ticket (-sess_out), then resumes with it
	// and sends a file as early data (-sess_in -early_data). The clasp
	// server's first Read returns exactly the early data, its next ones
	// what s_client sent after the handshake.
	t.Run("s_client-early_data/clasp-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		cfg := claspServer13(pki.ECDSA, "")
		cfg.MaxEarlyData = 4096
		type seen struct {
			first, all string
			state      clasp.ConnectionState
		}
		conns := make(chan seen, 2)
		addr, results := claspServe13(t, cfg, 2, func(c *clasp.Conn) error {
			buf := make([]byte, 8192)
			n, err := c.Read(buf)
			if err != nil {
				return fmt.Errorf("first read: %w", err)
			}
			s := seen{first: string(buf[:n]), all: string(buf[:n]), state: c.ConnectionState()}
			for !strings.Contains(s.all, "END\n") {
				if n, err = c.Read(buf); err != nil {
					return fmt.Errorf("after %q: %w", s.all, err)
				}
				s.all += string(buf[:n])
			}
			conns <- s
			_, err = io.WriteString(c, "clasp echo: "+strings.ReplaceAll(s.all, "\n", " | ")+"\n")
			return err
		})
		dir := t.TempDir()
		sess, earlyFile := filepath.Join(dir, "session.pem"), filepath.Join(dir, "early.txt")
		early := fmt.Sprintf(earlyLine, "openssl")
		if err := os.WriteFile(earlyFile, []byte(early), 0o600); err != nil {
			t.Fatal(err)
		}

		out, err := peertest.RunOpenSSLClient(t, addr, "first END\n", "-ign_eof", "-tls1_3", "-sess_out", sess)
		if err != nil {
			t.Fatalf("s_client -sess_out: %v\n%s", err, out)
		}
		wantOutput(t, "s_client -sess_out", out, "New, TLSv1.3", "Max Early Data: 4096", "clasp echo: first END")
		if res := nextResult(t, results); res.err != nil {
			t.Fatalf("first connection: clasp server: %v", res.err)
		}
		<-conns

		out, err = peertest.RunOpenSSLClient(t, addr, "after END\n", "-ign_eof", "-tls1_3", "-sess_in", sess, "-early_data", earlyFile)
		if err != nil {
			t.Fatalf("s_client -early_data: %v\n%s", err, out)
		}
		wantOutput(t, "s_client -early_data", out, "Reused, TLSv1.3", "Early data was accepted")
		res := nextResult(t, results)
		if res.err != nil {
			t.Fatalf("second connection: clasp server: %v\ns_client:\n%s", res.err, out)
		}
		s := <-conns
		wantClasp13(t, "server", s.state, "", 0)
		if !s.state.DidResume || !s.state.EarlyDataAccepted {
			t.Errorf("clasp server: DidResume %v, EarlyDataAccepted %v; want both", s.state.DidResume, s.state.EarlyDataAccepted)
		}
		if s.first != early {
			t.Errorf("the clasp server's first Read returned %q, want the early data %q", s.first, early)
		}
		if want := early + "after END\n"; s.all != want {
			t.Errorf("the clasp server read %q, want %q", s.all, want)
		}
		if !bytes.Contains([]byte(out), []byte("clasp echo: ")) {
			t.Errorf("s_client did not get the echo:\n%s", out)
		}
	})
}
