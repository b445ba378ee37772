package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/claspgrpc"
)

// greeterServer is the service's interface, as protoc-gen-go-grpc would
// generate it from
//
//	service Greeter {
//	  rpc Hello(google.protobuf.StringValue) returns (google.protobuf.StringValue);
//	  rpc Count(google.protobuf.UInt32Value) returns (stream google.protobuf.UInt32Value);
//	  rpc Echo(stream google.protobuf.StringValue) returns (stream google.protobuf.StringValue);
//	}
type greeterServer interface {
	Hello(ctx context.Context, name *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	Count(n *wrapperspb.UInt32Value, stream grpc.ServerStream) error
	Echo(stream grpc.ServerStream) error
}

var greeterDesc = grpc.ServiceDesc{
	ServiceName: "clasp.examples.Greeter",
	HandlerType: (*greeterServer)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Hello", Handler: helloHandler}},
	Streams: []grpc.StreamDesc{
		{StreamName: "Count", Handler: countHandler, ServerStreams: true},
		{StreamName: "Echo", Handler: echoHandler, ServerStreams: true, ClientStreams: true},
	},
}

func helloHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(wrapperspb.StringValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	call := func(ctx context.Context, req any) (any, error) {
		return srv.(greeterServer).Hello(ctx, req.(*wrapperspb.StringValue))
	}
	if interceptor == nil {
		return call(ctx, in)
	}
	return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/clasp.examples.Greeter/Hello"}, call)
}

func countHandler(srv any, stream grpc.ServerStream) error {
	n := new(wrapperspb.UInt32Value)
	if err := stream.RecvMsg(n); err != nil {
		return err
	}
	return srv.(greeterServer).Count(n, stream)
}

func echoHandler(srv any, stream grpc.ServerStream) error {
	return srv.(greeterServer).Echo(stream)
}

type greeter struct{}

// Hello greets the caller and names the client certificate the server
// saw, from the clasp state claspgrpc puts in the call's peer.
func (greeter) Hello(ctx context.Context, name *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	st, ok := claspgrpc.FromContext(ctx)
	if !ok || len(st.VerifiedChains) == 0 {
		return nil, fmt.Errorf("no verified client certificate")
	}
	return wrapperspb.String(fmt.Sprintf("hello %s, from %q over %s %s", name.Value,
		st.VerifiedChains[0][0].Subject.CommonName, clasp.VersionName(st.Version), st.NegotiatedProtocol)), nil
}

// Count streams 1 to n.
func (greeter) Count(n *wrapperspb.UInt32Value, stream grpc.ServerStream) error {
	for i := uint32(1); i <= n.Value; i++ {
		if err := stream.SendMsg(wrapperspb.UInt32(i)); err != nil {
			return err
		}
	}
	return nil
}

// Echo answers each message of the client's stream as it comes, until the
// client closes its side: both directions at once on one HTTP/2 stream.
func (greeter) Echo(stream grpc.ServerStream) error {
	for {
		in := new(wrapperspb.StringValue)
		if err := stream.RecvMsg(in); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := stream.SendMsg(wrapperspb.String("echo: " + in.Value)); err != nil {
			return err
		}
	}
}
