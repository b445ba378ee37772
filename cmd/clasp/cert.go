package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type certOptions struct {
	out        string
	names      string
	keyType    string
	clientName string
	validFor   time.Duration
	force      bool
	ech        string // --ech PUBLIC_NAME: also write an ECH key (ech.go)
}

// The files `clasp cert` writes, in the order it reports them.
const (
	certCAFile        = "ca.pem"
	certServerFile    = "server.pem"
	certServerKeyFile = "server-key.pem"
	certClientFile    = "client.pem"
	certClientKeyFile = "client-key.pem"
)

func newCertCommand() *cobra.Command {
	opts := &certOptions{}
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Make a throwaway PKI for testing: a CA, a server and a client certificate",
		Long: `Make a throwaway public key infrastructure in one command, for testing TLS
with real certificates and for mutual TLS:

  ca.pem          the CA certificate: give it to clients (--cafile, -CAfile,
                  --cacert) and to servers that verify client certificates
                  (--client-ca)
  server.pem      a server certificate for --names, signed by the CA
  server-key.pem  its private key
  client.pem      a client certificate (extended key usage clientAuth)
  client-key.pem  its private key

Keys are PKCS#8 PEM ("PRIVATE KEY"), ECDSA P-256 unless --key-type says
otherwise, and readable by their owner only. The CA's own key is not kept:
nothing else can ever be signed by this CA, which is what makes it safe to
throw away. Existing files are not overwritten without --force.

--key-type dsa (2048 bits), dsa1024 or dsa3072 gives the server certificate a
DSA key, for the DHE_DSS suites old clients may need (serve it with --ciphers
naming a DHE-DSS suite and, for TLS 1.2, --sigalgs dsa_sha256 or dsa_sha1);
the CA and the client certificate stay ECDSA P-256. A 3072-bit DSA key takes
several seconds to make.

The first name is the server certificate's common name; names that parse as
IP addresses become IP subject alternative names, the others DNS names.

` + exitCodesHelp,
		Example: `  clasp cert --out pki
  clasp cert --out pki --names localhost,127.0.0.1,::1,api.internal --key-type rsa
  clasp cert --out pki --names secret.test,public.test --ech public.test
  clasp serve --cert pki/server.pem --key pki/server-key.pem --client-auth require-and-verify --client-ca pki/ca.pem
  clasp connect --cafile pki/ca.pem --cert pki/client.pem --key pki/client-key.pem localhost:8443`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := runCert(cmd.OutOrStdout(), opts); err != nil || opts.ech == "" {
				return err
			}
			return runCertECH(cmd.OutOrStdout(), opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&opts.out, "out", "", "directory to write the PEM files to (created if missing; required)")
	flags.StringVar(&opts.names, "names", "localhost,127.0.0.1,::1", "names of the server certificate, comma-separated: DNS names and IP addresses")
	flags.StringVar(&opts.keyType, "key-type", keyECDSA, "key type of the certificates: "+strings.Join(keyTypes, ", ")+" (dsa*: the server certificate only)")
	flags.StringVar(&opts.clientName, "client-name", "clasp test client", "common name of the client certificate")
	flags.DurationVar(&opts.validFor, "valid-for", 30*24*time.Hour, "validity of the certificates, from now")
	flags.BoolVar(&opts.force, "force", false, "overwrite existing files")
	flags.StringVar(&opts.ech, "ech", "", "also write ech.pem, an Encrypted Client Hello key for this public name (put the name in --names too), and print its ECHConfigList")
	return cmd
}

// parseNames splits --names into DNS names and IP addresses.
func parseNames(list string) (dns []string, ips []net.IP, err error) {
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			continue
		case net.ParseIP(n) != nil:
			ips = append(ips, net.ParseIP(n))
		case strings.ContainsAny(n, " /:@") || strings.HasPrefix(n, ".") || strings.HasSuffix(n, "."):
			return nil, nil, usageErrorf("--names: %q is neither a DNS name nor an IP address", n)
		default:
			dns = append(dns, n)
		}
	}
	if len(dns) == 0 && len(ips) == 0 {
		return nil, nil, usageErrorf("--names: the list is empty")
	}
	return dns, ips, nil
}

// pemFile is one file `clasp cert` writes.
type pemFile struct {
	name, what string
	block      *pem.Block
	mode       os.FileMode
}

func runCert(stdout io.Writer, opts *certOptions) error {
	if opts.out == "" {
		return usageErrorf("--out DIR is required")
	}
	if !slices.Contains(keyTypes, opts.keyType) {
		return usageErrorf("--key-type %q: want one of %s", opts.keyType, strings.Join(keyTypes, ", "))
	}
	if opts.validFor <= 0 {
		return usageErrorf("--valid-for %s: want a positive duration", opts.validFor)
	}
	if strings.TrimSpace(opts.clientName) == "" {
		return usageErrorf("--client-name: the name is empty")
	}
	dns, ips, err := parseNames(opts.names)
	if err != nil {
		return err
	}
	commonName := strings.TrimSpace(strings.Split(opts.names, ",")[0])

	caType, serverType, clientType := keyTypesFor(opts.keyType)
	ca, err := issue(certificateTemplate{commonName: "clasp throwaway CA", isCA: true, keyType: caType, validity: opts.validFor}, nil)
	if err != nil {
		return err
	}
	server, err := issue(certificateTemplate{commonName: commonName, usage: x509.ExtKeyUsageServerAuth,
		dnsNames: dns, ips: ips, keyType: serverType, validity: opts.validFor}, ca)
	if err != nil {
		return err
	}
	client, err := issue(certificateTemplate{commonName: opts.clientName, usage: x509.ExtKeyUsageClientAuth,
		keyType: clientType, validity: opts.validFor}, ca)
	if err != nil {
		return err
	}
	serverKey, err := server.marshalKey()
	if err != nil {
		return err
	}
	clientKey, err := client.marshalKey()
	if err != nil {
		return err
	}
	files := []pemFile{
		{certCAFile, fmt.Sprintf("CA certificate %q (%s)", ca.cert.Subject.CommonName, keyDescription(caType)),
			&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}, 0o644},
		{certServerFile, fmt.Sprintf("server certificate for %s (%s)", strings.Join(certNames(server.cert), ", "), keyDescription(serverType)),
			&pem.Block{Type: "CERTIFICATE", Bytes: server.cert.Raw}, 0o644},
		{certServerKeyFile, "the server certificate's private key (PKCS#8)",
			&pem.Block{Type: "PRIVATE KEY", Bytes: serverKey}, 0o600},
		{certClientFile, fmt.Sprintf("client certificate %q (%s)", client.cert.Subject.CommonName, keyDescription(clientType)),
			&pem.Block{Type: "CERTIFICATE", Bytes: client.cert.Raw}, 0o644},
		{certClientKeyFile, "the client certificate's private key (PKCS#8)",
			&pem.Block{Type: "PRIVATE KEY", Bytes: clientKey}, 0o600},
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return err
	}
	if !opts.force {
		for _, f := range files {
			path := filepath.Join(opts.out, f.name)
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("%s exists; not overwriting it without --force", path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	for _, f := range files {
		path := filepath.Join(opts.out, f.name)
		// Remove first so that a key file overwritten with --force gets
		// the owner-only mode even if the old one was readable by others.
		if opts.force {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(f.block), f.mode); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %-*s %s\n", len(opts.out)+len(certServerKeyFile)+1, path, f.what)
	}
	fmt.Fprintf(stdout, "valid until %s; the CA's private key was not kept\n", ca.cert.NotAfter.UTC().Format(time.RFC3339))

	p := func(name string) string { return shellWord(filepath.Join(opts.out, name)) }
	host := commonName
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = "[" + host + "]"
	}
	fmt.Fprintf(stdout, `
Use them:
  clasp serve --cert %[1]s --key %[2]s --addr 127.0.0.1:8443 \
      --client-auth require-and-verify --client-ca %[3]s
  clasp connect --cafile %[3]s --cert %[4]s --key %[5]s %[6]s:8443
  openssl s_client -connect 127.0.0.1:8443 -servername %[7]s -CAfile %[3]s -cert %[4]s -key %[5]s
  curl --cacert %[3]s --cert %[4]s --key %[5]s https://%[6]s:8443/   (with clasp serve --mode http)
`, p(certServerFile), p(certServerKeyFile), p(certCAFile), p(certClientFile), p(certClientKeyFile), host, commonName)
	return nil
}

// certNames lists a certificate's subject alternative names.
func certNames(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// shellWord quotes a path for the commands printed, when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
