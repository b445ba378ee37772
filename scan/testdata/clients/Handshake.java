// Handshake connects to each HOST:PORT with Java's default TLS client (JSSE
// defaults: protocols, suites, groups, signature schemes), trusting only the
// CA certificate in the PEM file given first, and prints one line per target:
// "OK PROTOCOL SUITE" or "FAIL why". The scan tests run it with
// `java Handshake.java CA.pem localhost:PORT...` to capture Java's ClientHello
// and to compare the client simulation with what Java really does.
//
// SNI is set explicitly because JSSE sends server_name only for names with
// a dot, and "localhost" has none; a client of a real server sends it.

import java.io.FileInputStream;
import java.io.InputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class Handshake {
    public static void main(String[] args) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = new FileInputStream(args[0])) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        for (int i = 1; i < args.length; i++) {
            int colon = args[i].lastIndexOf(':');
            String host = args[i].substring(0, colon);
            int port = Integer.parseInt(args[i].substring(colon + 1));
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(host, port)) {
                s.setSoTimeout(10000);
                SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new SNIHostName(host)));
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
                System.out.println("OK " + s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
            } catch (Exception e) {
                System.out.println("FAIL " + e.toString().replace('\n', ' '));
            }
        }
    }
}
