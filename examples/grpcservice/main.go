// Command grpcservice is a small gRPC service over clasp with mutual TLS:
// a unary Hello, a server-streaming Count and a bidirectional Echo, defined
// by hand (the grpc.ServiceDesc protoc-gen-go-grpc would write) over the
// protobuf well-known wrapper messages, so that it needs no generated code.
//
//	go run ./cmd/clasp cert --out pki --names localhost,127.0.0.1
//	go run ./examples/grpcservice serve --cert pki/server.pem --key pki/server-key.pem --ca pki/ca.pem &
//	go run ./examples/grpcservice call --cert pki/client.pem --key pki/client-key.pem --ca pki/ca.pem --name world
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/claspgrpc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "grpcservice:", err)
		os.Exit(1)
	}
}

// run runs "serve" until ctx is done (telling ready the address) or
// makes the two calls of "call".
func run(ctx context.Context, args []string, out io.Writer, ready func(addr string)) error {
	if len(args) == 0 || (args[0] != "serve" && args[0] != "call") {
		return errors.New("usage: grpcservice serve|call [flags]")
	}
	fs := flag.NewFlagSet("grpcservice "+args[0], flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:50051", "address to listen on or call")
	certFile := fs.String("cert", "", "PEM certificate chain of this side")
	keyFile := fs.String("key", "", "PEM private key of --cert")
	caFile := fs.String("ca", "", "PEM CA certificates the other side's certificate must chain to")
	serverName := fs.String("server-name", "", "call: the name to check in the server's certificate (default: the host of --addr)")
	name := fs.String("name", "world", "call: whom Hello greets")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cert, pool, err := loadPKI(*certFile, *keyFile, *caFile)
	if err != nil {
		return err
	}
	if args[0] == "serve" {
		return serve(ctx, *addr, &clasp.Config{
			Certificates: []clasp.Certificate{cert},
			ClientAuth:   clasp.RequireAndVerifyClientCert,
			ClientCAs:    pool,
		}, out, ready)
	}
	creds := claspgrpc.NewClientCredentials(&clasp.Config{Certificates: []clasp.Certificate{cert}, RootCAs: pool}, *serverName)
	return call(ctx, *addr, creds, *name, out)
}

func loadPKI(certFile, keyFile, caFile string) (clasp.Certificate, *x509.CertPool, error) {
	cert, err := clasp.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return clasp.Certificate{}, nil, err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return clasp.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return clasp.Certificate{}, nil, fmt.Errorf("%s: no PEM certificate", caFile)
	}
	return cert, pool, nil
}

func serve(ctx context.Context, addr string, cfg *clasp.Config, out io.Writer, ready func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := grpc.NewServer(grpc.Creds(claspgrpc.NewCredentials(cfg)))
	srv.RegisterService(&greeterDesc, greeter{})
	fmt.Fprintf(out, "serving %s on %s\n", greeterDesc.ServiceName, ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}
	go func() {
		<-ctx.Done()
		srv.GracefulStop()
	}()
	return srv.Serve(ln)
}

// call makes one unary call and one streaming call.
func call(ctx context.Context, addr string, creds credentials.TransportCredentials, name string, out io.Writer) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	greeting := new(wrapperspb.StringValue)
	if err := conn.Invoke(ctx, "/"+greeterDesc.ServiceName+"/Hello", wrapperspb.String(name), greeting); err != nil {
		return err
	}
	fmt.Fprintln(out, greeting.Value)
	stream, err := conn.NewStream(ctx, &greeterDesc.Streams[0], "/"+greeterDesc.ServiceName+"/Count")
	if err != nil {
		return err
	}
	if err := stream.SendMsg(wrapperspb.UInt32(3)); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	for {
		n := new(wrapperspb.UInt32Value)
		err := stream.RecvMsg(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "count %d\n", n.Value)
	}
	return echo(ctx, conn, []string{"ping", "pong"}, out)
}

// echo sends each word on the bidirectional Echo stream and reads its
// answer before sending the next.
func echo(ctx context.Context, conn *grpc.ClientConn, words []string, out io.Writer) error {
	stream, err := conn.NewStream(ctx, &greeterDesc.Streams[1], "/"+greeterDesc.ServiceName+"/Echo")
	if err != nil {
		return err
	}
	for _, w := range words {
		if err := stream.SendMsg(wrapperspb.String(w)); err != nil {
			return err
		}
		answer := new(wrapperspb.StringValue)
		if err := stream.RecvMsg(answer); err != nil {
			return err
		}
		fmt.Fprintln(out, answer.Value)
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	if err := stream.RecvMsg(new(wrapperspb.StringValue)); !errors.Is(err, io.EOF) {
		return fmt.Errorf("Echo: after CloseSend: %v, want the end of the stream", err)
	}
	return nil
}
