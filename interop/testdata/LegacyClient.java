// LegacyClient connects with Java's JSSE to each target given as
// PROTOCOL,SUITE,HOST:PORT (for example SSLv3,SSL_RSA_WITH_3DES_EDE_CBC_SHA,
// 127.0.0.1:4433), enabling exactly that protocol (or protocols joined by
// "+", such as SSLv2Hello+TLSv1.2, which makes JSSE send its first hello in
// the SSL 2.0 format) and suite, trusting only
// the CA certificate in the PEM file given first, sends one line and prints
// "OK PROTOCOL SUITE ANSWER" or "FAIL why" per target. The interop tests run
// it as `java -Djava.security.properties=FILE LegacyClient.java CA.pem
// TARGET...`, with a test-only properties file that empties
// jdk.tls.disabledAlgorithms, since Java 17 disables SSLv3, TLS 1.0/1.1,
// 3DES, RC4 and NULL by default.

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class LegacyClient {
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
            String[] t = args[i].split(",");
            int colon = t[2].lastIndexOf(':');
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(t[2].substring(0, colon), Integer.parseInt(t[2].substring(colon + 1)))) {
                s.setSoTimeout(10000);
                s.setEnabledProtocols(t[0].split("\\+"));
                s.setEnabledCipherSuites(new String[] {t[1]});
                s.startHandshake();
                OutputStream out = s.getOutputStream();
                out.write("hello from java\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                System.out.println("OK " + s.getSession().getProtocol() + " " + s.getSession().getCipherSuite() + " " + answer);
            } catch (Exception e) {
                System.out.println("FAIL " + e.toString().replace('\n', ' '));
            }
        }
    }
}
