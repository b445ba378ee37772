// ExplainClient runs TLS handshakes with Java's JSSE and prints the error
// each one ends with, one line per case, for explain's real-peer tests:
//
//   java ExplainClient.java NAME HOST PORT SNI CAFILE|- PROTOCOL|- SUITE|- KEYSTORE|- ...
//
// (eight arguments per case). CAFILE "-" trusts the JDK's default store;
// otherwise only the PEM certificate in CAFILE is trusted, and "ocsp:CAFILE"
// also checks revocation (the server's stapled OCSP response). SNI is the
// name the client checks the certificate against (HTTPS endpoint
// identification). KEYSTORE is a PKCS #12 file (password "peertest") with
// the client certificate. After the handshake the client sends an HTTP
// request and reads the answer: a TLS 1.3 server's verdict on the client
// certificate arrives only then.
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class ExplainClient {
    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 8 <= args.length; i += 8) {
            String name = args[i];
            try {
                handshake(args[i + 1], Integer.parseInt(args[i + 2]), args[i + 3], args[i + 4], args[i + 5], args[i + 6], args[i + 7]);
                System.out.println("CASE " + name + ": connected");
            } catch (Exception e) {
                StringBuilder b = new StringBuilder(e.toString());
                for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                    b.append(" | caused by ").append(c.toString());
                }
                System.out.println("CASE " + name + ": " + b);
            }
        }
    }

    static void handshake(String host, int port, String sni, String caFile, String protocol, String suite, String keyStore) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        boolean revocation = caFile.startsWith("ocsp:");
        if (revocation) {
            caFile = caFile.substring("ocsp:".length());
        }
        if (caFile.equals("-")) {
            tmf.init((KeyStore) null);
        } else {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (FileInputStream in = new FileInputStream(caFile)) {
                ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            if (revocation) {
                PKIXBuilderParameters params = new PKIXBuilderParameters(ks, new X509CertSelector());
                params.setRevocationEnabled(true);
                tmf.init(new CertPathTrustManagerParameters(params));
            } else {
                tmf.init(ks);
            }
        }
        KeyManagerFactory kmf = null;
        if (!keyStore.equals("-")) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (FileInputStream in = new FileInputStream(keyStore)) {
                ks.load(in, "peertest".toCharArray());
            }
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "peertest".toCharArray());
        }
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(host, port), 5000);
        plain.setSoTimeout(5000);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, sni, port, true)) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            if (!protocol.equals("-")) {
                p.setProtocols(new String[] {protocol});
            }
            if (!suite.equals("-")) {
                p.setCipherSuites(new String[] {suite});
            }
            s.setSSLParameters(p);
            s.startHandshake();
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            while (in.read() != -1) {
            }
        }
    }
}
