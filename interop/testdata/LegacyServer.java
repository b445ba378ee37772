// LegacyServer serves with Java's JSSE, one listening socket per target given
// as PROTOCOL,SUITE,KEYALG,CHAIN.pem,KEY.pem (KEYALG is RSA, EC or DSA, the
// PEM files a certificate chain and a PKCS #8 "PRIVATE KEY"; for an anonymous
// suite KEYALG is "none" and the files are left out). Each socket enables
// exactly that protocol and suite, so JSSE can negotiate nothing else.
//
// It prints "LISTEN INDEX PORT" per target and then "READY", accepts one
// connection on each socket, reads one line, answers "java echo: LINE" and
// prints "OK INDEX PROTOCOL SUITE LINE" or "FAIL INDEX why", then exits once
// every socket has had its connection (or its 30-second accept timeout).
//
// The interop tests run it as `java -Djava.security.properties=FILE
// LegacyServer.java TARGET...` with a test-only properties file that empties
// jdk.tls.disabledAlgorithms, since Java 17 disables SSLv3, TLS 1.0/1.1,
// 3DES, RC4, NULL and the anonymous suites by default.

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

public class LegacyServer {
    // context builds an SSLContext whose only key is the one of the target,
    // or none for an anonymous suite.
    static SSLContext context(String[] t) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        if (t[2].equals("none")) {
            ctx.init(null, null, null);
            return ctx;
        }
        List<Certificate> chain = new ArrayList<>();
        try (InputStream in = new FileInputStream(t[3])) {
            chain.addAll(CertificateFactory.getInstance("X.509").generateCertificates(in));
        }
        String pem = new String(Files.readAllBytes(Paths.get(t[4])), StandardCharsets.US_ASCII);
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance(t[2]).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
        char[] pass = "test".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("leaf", key, pass, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    static void serve(int index, String[] t, SSLServerSocket ss) {
        try (SSLSocket s = (SSLSocket) ss.accept()) {
            s.setSoTimeout(20000);
            s.startHandshake();
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            OutputStream out = s.getOutputStream();
            out.write(("java echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            System.out.println("OK " + index + " " + s.getSession().getProtocol() + " " + s.getSession().getCipherSuite() + " " + line);
        } catch (Exception e) {
            System.out.println("FAIL " + index + " " + e.toString().replace('\n', ' '));
        } finally {
            try {
                ss.close();
            } catch (Exception e) {
                // closing a server socket that served its one connection
            }
        }
    }

    public static void main(String[] args) throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String[] t = args[i].split(",");
            SSLServerSocket ss = (SSLServerSocket) context(t).getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress());
            ss.setSoTimeout(30000);
            ss.setEnabledProtocols(new String[] {t[0]});
            ss.setEnabledCipherSuites(new String[] {t[1]});
            System.out.println("LISTEN " + i + " " + ss.getLocalPort());
            final int index = i;
            threads.add(new Thread(() -> serve(index, t, ss)));
        }
        System.out.println("READY");
        System.out.flush();
        for (Thread th : threads) {
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
    }
}
