import OGTestSupport
import Testing
@testable import OGMaterial

/// Java's own KeyStore and JSSE load what we write and can serve TLS with it.
@Suite struct JavaInteropTests {
    /// For each (type, path, password file, alias): load the store, take the key
    /// entry, sign and verify with it, and initialise an SSLContext from a KeyManagerFactory.
    private static let program = """
        import java.io.FileInputStream;
        import java.io.InputStream;
        import java.nio.charset.StandardCharsets;
        import java.nio.file.Files;
        import java.nio.file.Paths;
        import java.security.KeyStore;
        import java.security.Signature;
        import javax.net.ssl.KeyManagerFactory;
        import javax.net.ssl.SSLContext;
        import javax.net.ssl.X509KeyManager;

        public class LoadStore {
            public static void main(String[] args) throws Exception {
                for (int i = 0; i + 3 < args.length; i += 4) {
                    String type = args[i], path = args[i + 1], alias = args[i + 3];
                    char[] password = new String(Files.readAllBytes(Paths.get(args[i + 2])), StandardCharsets.UTF_8).toCharArray();
                    KeyStore store = KeyStore.getInstance(type);
                    try (InputStream in = new FileInputStream(path)) { store.load(in, password); }
                    KeyStore.PrivateKeyEntry entry =
                        (KeyStore.PrivateKeyEntry) store.getEntry(alias, new KeyStore.PasswordProtection(password));
                    String algorithm = entry.getPrivateKey().getAlgorithm();
                    Signature signer = Signature.getInstance(algorithm.equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA");
                    signer.initSign(entry.getPrivateKey());
                    signer.update(path.getBytes(StandardCharsets.UTF_8));
                    byte[] signature = signer.sign();
                    signer.initVerify(entry.getCertificate().getPublicKey());
                    signer.update(path.getBytes(StandardCharsets.UTF_8));
                    boolean verified = signer.verify(signature);
                    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                    factory.init(store, password);
                    SSLContext context = SSLContext.getInstance("TLS");
                    context.init(factory.getKeyManagers(), null, null);
                    X509KeyManager manager = (X509KeyManager) factory.getKeyManagers()[0];
                    boolean served = manager.getPrivateKey(alias) != null && manager.getCertificateChain(alias).length > 0;
                    System.out.println((verified && served ? "OK " : "FAIL ") + type + " " + alias + " " + algorithm
                        + " chain=" + entry.getCertificateChain().length + " " + context.getProtocol());
                }
            }
        }
        """

    @Test func javaLoadsOurJKSAndPKCS12StoresIntoAnSSLContext() throws {
        let directory = try TemporaryDirectory("og-java")
        try directory.write("LoadStore.java", JavaInteropTests.program)
        try Tools.javac(["-d", directory.path, directory.file("LoadStore.java")], in: directory.path)
        let passwordFile = try directory.write("pass", testPassword)

        let rsa = try Hierarchy(leafSpec: .rsa(bits: 2048), leafName: "rsa.example.test")
        let ec = try Hierarchy(leafSpec: .ecdsa(curve: .p384), leafName: "ec.example.test")
        let jks = try JKSStore()
            .upserting(alias: "rsa", key: rsa.leafKey, chain: rsa.chain)
            .upserting(alias: "ec", key: ec.leafKey, chain: ec.chain)
            .upsertingTrustedCertificate(alias: "root", certificate: rsa.root.certificate)
        try directory.write("store.jks", jks.encode(password: testPassword))
        let pkcs12 = try PKCS12Store()
            .upserting(alias: "rsa", key: rsa.leafKey, chain: rsa.chain)
            .upserting(alias: "ec", key: ec.leafKey, chain: ec.chain)
        try directory.write("legacy.p12", pkcs12.encode(password: testPassword, legacy: true))
        try directory.write("modern.p12", pkcs12.encode(password: testPassword, legacy: false))

        var arguments = ["-cp", directory.path, "LoadStore"]
        for (type, file) in [("JKS", "store.jks"), ("PKCS12", "legacy.p12"), ("PKCS12", "modern.p12")] {
            for alias in ["rsa", "ec"] { arguments += [type, directory.file(file), passwordFile, alias] }
        }
        let output = try Tools.java(arguments, in: directory.path).standardOutputText
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "java printed:\n\(output)")
        #expect(lines.allSatisfy { $0.hasPrefix("OK ") }, "java printed:\n\(output)")
        #expect(lines.filter { $0.contains(" rsa RSA chain=2 TLS") }.count == 3)
        #expect(lines.filter { $0.contains(" ec EC chain=2 TLS") }.count == 3)
    }
}
