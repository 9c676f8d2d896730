import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A throwaway two-level CA made with the openssl CLI in a private directory:
/// a root and an intermediate it signed, both EC P-256. It signs CSRs the way
/// an operator's CA would, including ones that are already expired.
final class CertTestAuthority: @unchecked Sendable {
    let directory: TemporaryDirectory
    let rootName: String
    let intermediateName: String

    var rootPath: String { directory.file("root.pem") }
    var intermediatePath: String { directory.file("intermediate.pem") }

    init(rootName: String = "og-test Root CA", intermediateName: String = "og-test Issuing CA") throws {
        self.rootName = rootName
        self.intermediateName = intermediateName
        directory = try TemporaryDirectory("og-test-ca")
        try Self.requireOpenSSL()
        try write("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                  + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n")
        try write("leaf.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", directory.file("root.key"), "-out", rootPath, "-subj", "/CN=\(rootName)", "-days", "30",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", directory.file("intermediate.key"), "-out", directory.file("intermediate.csr"),
                     "-subj", "/CN=\(intermediateName)"])
        try openssl(["x509", "-req", "-in", directory.file("intermediate.csr"), "-CA", rootPath,
                     "-CAkey", directory.file("root.key"), "-set_serial", "1000", "-days", "20",
                     "-extfile", directory.file("ca.ext"), "-out", intermediatePath])
    }

    /// Signs the CSR in `csrPath` with the intermediate for `days` days; returns the certificate's path.
    @discardableResult
    func sign(csrPath: String, days: Int = 10, output: String? = nil) throws -> String {
        let out = output ?? directory.file("leaf-\(UUID().uuidString.prefix(8)).pem")
        try openssl(["x509", "-req", "-in", csrPath, "-CA", intermediatePath, "-CAkey", directory.file("intermediate.key"),
                     "-set_serial", "0x\(Self.randomSerial())", "-days", String(days),
                     "-extfile", directory.file("leaf.ext"), "-out", out])
        return out
    }

    /// Signs the CSR with a validity that ended in 2020 (`openssl ca`, which
    /// alone lets the dates be chosen); returns the certificate's path.
    func signExpired(csrPath: String) throws -> String {
        try sign(csrPath: csrPath, startDate: "20200101000000Z", endDate: "20200201000000Z")
    }

    /// Signs the CSR for a validity from `notBefore` to `notAfter` (a certificate already half through its life).
    func sign(csrPath: String, notBefore: Date, notAfter: Date) throws -> String {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyyMMddHHmmss'Z'"
        return try sign(csrPath: csrPath, startDate: format.string(from: notBefore), endDate: format.string(from: notAfter))
    }

    private func sign(csrPath: String, startDate: String, endDate: String) throws -> String {
        let database = directory.file("ca-db")
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
        try write("ca-db/index.txt", "")
        try write("ca-db/serial", "\(Self.randomSerial())\n")
        try write("ca.cnf", """
            [ ca ]
            default_ca = test
            [ test ]
            database = \(database)/index.txt
            new_certs_dir = \(database)
            serial = \(database)/serial
            default_md = sha256
            policy = anything
            unique_subject = no
            [ anything ]
            commonName = supplied
            [ leaf ]
            basicConstraints = CA:FALSE

            """)
        let out = directory.file("expired-\(UUID().uuidString.prefix(8)).pem")
        try openssl(["ca", "-batch", "-notext", "-config", directory.file("ca.cnf"), "-cert", intermediatePath,
                     "-keyfile", directory.file("intermediate.key"), "-in", csrPath, "-extensions", "leaf",
                     "-startdate", startDate, "-enddate", endDate, "-out", out])
        return out
    }

    /// Makes a key and a CSR outside og-host (as a "bring your own" operator
    /// would), optionally encrypting the key; returns the key and CSR paths.
    func externalKeyAndRequest(commonName: String, passphrase: String? = nil) throws -> (key: String, csr: String) {
        let id = UUID().uuidString.prefix(8)
        let key = directory.file("external-\(id).key")
        let csr = directory.file("external-\(id).csr")
        var generate = ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key]
        if passphrase != nil { generate += ["-aes256", "-pass", "env:OG_TEST_KEY_PASS"] }
        let environment = passphrase.map { ["OG_TEST_KEY_PASS": $0] } ?? [:]
        try openssl(generate, environment: environment)
        var request = ["req", "-new", "-key", key, "-subj", "/CN=\(commonName)", "-out", csr]
        if passphrase != nil { request += ["-passin", "env:OG_TEST_KEY_PASS"] }
        try openssl(request, environment: environment)
        return (key, csr)
    }

    /// Runs `openssl` and returns its standard output; a failure fails the test with its stderr.
    @discardableResult
    func openssl(_ arguments: [String], environment: [String: String] = [:], standardInput: [UInt8] = []) throws -> String {
        try Self.openssl(arguments, environment: environment, standardInput: standardInput)
    }

    @discardableResult
    static func openssl(_ arguments: [String], environment: [String: String] = [:], standardInput: [UInt8] = []) throws -> String {
        let merged = EnvironmentVariable.all().merging(environment) { $1 }
        let result = try ProcessRunner.run("openssl", arguments, standardInput: standardInput, environment: merged)
        try #require(result.exitStatus == 0, "openssl \(arguments.joined(separator: " ")) failed: \(result.standardErrorText)")
        return result.standardOutputText
    }

    static func requireOpenSSL() throws {
        try #require(ProcessRunner.findExecutable("openssl") != nil,
                     "the openssl command is missing: install the Debian package openssl")
    }

    private func write(_ name: String, _ text: String) throws {
        try LocalFiles.writeAtomically(directory.file(name), contents: Array(text.utf8), mode: 0o600)
    }

    /// 16 hexadecimal digits: an even count, as `openssl ca` wants in its serial file.
    private static func randomSerial() -> String {
        String(UInt64.random(in: (1 << 60)...UInt64.max), radix: 16)
    }
}

/// Helpers the certificate tests share on top of GatewayFixture.
extension GatewayFixture {
    /// `og-host cert request` with `arguments`; returns the certificate ID (from the summary) and the CSR's path.
    func requestCertificate(_ arguments: [String], in directory: TemporaryDirectory,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: String, csrPath: String) {
        let result = try run(["cert", "request"] + arguments)
        try #require(result.exitStatus == 0, "cert request failed: \(result.standardErrorText)", sourceLocation: sourceLocation)
        let idLine = try #require(result.standardErrorText.split(separator: "\n").first { $0.hasPrefix("Certificate ID: ") },
                                  sourceLocation: sourceLocation)
        let id = String(idLine.dropFirst("Certificate ID: ".count))
        let csrPath = directory.file("\(id).csr")
        try LocalFiles.writeAtomically(csrPath, contents: result.standardOutput)
        return (id, csrPath)
    }

    /// `cert list --output json`, parsed.
    func certificateList() throws -> [[String: Any]] {
        let result = try run(["cert", "list", "--output", "json"])
        try #require(result.exitStatus == 0, "cert list failed: \(result.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]])
    }

    /// `cert show <reference> --output json`, parsed.
    func certificateDetails(_ reference: String) throws -> [String: Any] {
        let result = try run(["cert", "show", reference, "--output", "json"])
        try #require(result.exitStatus == 0, "cert show failed: \(result.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
    }

    /// The audit trail as (action, subject, outcome, detail), newest first.
    func auditTrail() throws -> [(action: String, subject: String, outcome: String, detail: String)] {
        let result = try run(["audit", "--output", "json"])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]])
        return records.map { ($0["action"] as? String ?? "", $0["subject"] as? String ?? "",
                              $0["outcome"] as? String ?? "", $0["detail"] as? String ?? "") }
    }
}
