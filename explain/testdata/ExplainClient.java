// ExplainClient runs TLS handshakes with Java's JSSE and prints the error
// each one ends with, one line per case, for explain's real-peer tests:
//
//   java ExplainClient.java NAME HOST PORT SNI CAFILE|- PROTOCOL|- SUITE|- ...
//
// (seven arguments per case). CAFILE "-" trusts the JDK's default store;
// otherwise only the PEM certificate in CAFILE is trusted. SNI is the name
// the client checks the certificate against (HTTPS endpoint identification).
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class ExplainClient {
    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 7 <= args.length; i += 7) {
            String name = args[i];
            try {
                handshake(args[i + 1], Integer.parseInt(args[i + 2]), args[i + 3], args[i + 4], args[i + 5], args[i + 6]);
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

    static void handshake(String host, int port, String sni, String caFile, String protocol, String suite) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caFile.equals("-")) {
            tmf.init((KeyStore) null);
        } else {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (FileInputStream in = new FileInputStream(caFile)) {
                ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            tmf.init(ks);
        }
        ctx.init(null, tmf.getTrustManagers(), null);
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
        }
    }
}
