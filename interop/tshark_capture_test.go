package interop

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTshark captures tcp port on lo into pcap and returns a function that
// stops the capture once every packet has been written.
//
// tshark prints "Capturing on" a little before dumpcap really captures, and
// dumpcap writes its last packets a little after they were sent: on a
// loaded machine either gap lost the ClientHello or the last records. So the
// capture also takes a probe port, and a probe connection marks both ends:
// the capture is live once tshark has printed (-P, -l) a packet of a probe
// connection made after it started, and complete once it has printed one
// made after the traffic, since packets on lo are captured in order. The
// probe's packets are plain TCP on another port; readers of the capture
// select the tested port's connection.
func startTshark(t *testing.T, port int, pcap string) func() {
	t.Helper()
	probe := newCaptureProbe(t)
	filter := "tcp port " + strconv.Itoa(port) + " or tcp port " + strconv.Itoa(probe.port())
	cmd := exec.Command("tshark", "-i", "lo", "-f", filter, "-w", pcap, "-P", "-l")
	out := &lockedBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	// tshark's dumpcap child shares the output pipe: in its own process
	// group both are killed together, and WaitDelay keeps a capture that
	// never started (a loaded machine) from hanging the test in Wait.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	t.Logf("capture: %s", strings.Join(cmd.Args, " "))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if err := probe.seen(out, done); err != nil {
			t.Errorf("capture may lack the last packets: %v", err)
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group: tshark and its dumpcap
			<-done
		}
	}
	t.Cleanup(stop)
	if err := probe.seen(out, done); err != nil {
		msg := err.Error()
		if os.Geteuid() != 0 {
			msg += " (capturing on lo needs root, or dumpcap with cap_net_raw,cap_net_admin+eip via setcap)"
		}
		t.Fatal(msg)
	}
	return stop
}

// captureProbe is a listener on a second loopback port whose connections
// show when tshark's capture has caught up.
type captureProbe struct{ ln net.Listener }

func newCaptureProbe(t *testing.T) *captureProbe {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return &captureProbe{ln: ln}
}

func (p *captureProbe) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// seen makes probe connections until tshark prints a packet of one of them
// (a packet summary naming its client port), for at most two minutes:
// at load 14, tshark printed its first packet 13 s after it started.
func (p *captureProbe) seen(out *lockedBuf, done <-chan struct{}) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := net.Dial("tcp", p.ln.Addr().String())
		if err != nil {
			return err
		}
		clientPort := strconv.Itoa(c.LocalAddr().(*net.TCPAddr).Port)
		c.Close()
		// "45678 → 40000" in a summary line ("->" in older tsharks).
		summary := regexp.MustCompile(`\b` + clientPort + ` (→|->) |(→|->) ` + clientPort + `\b`)
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
			if summary.MatchString(out.String()) {
				return nil
			}
			select {
			case <-done:
				return errors.New("tshark exited: " + out.String())
			default:
			}
		}
		if time.Now().After(deadline) {
			return errors.New("tshark printed no probe packet within two minutes: " + out.String())
		}
	}
}

func runTshark(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("tshark", args...)
	out, err := cmd.CombinedOutput()
	t.Logf("tshark %s", strings.Join(args, " "))
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	return string(out)
}
