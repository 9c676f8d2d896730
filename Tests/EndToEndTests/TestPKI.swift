import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A throwaway PKI made with the openssl CLI for one test: a root, an
/// intermediate, and leaves issued by the intermediate.
struct TestPKI {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("og-pki")
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("root.key"), "-out", file("root.pem"),
                     "-days", "30", "-subj", "/CN=og-test Root", "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", file("int.key"), "-out", file("int.csr"),
                     "-subj", "/CN=og-test Intermediate"])
        try LocalFiles.writeAtomically(file("int.ext"), contents: Array("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n".utf8))
        try openssl(["x509", "-req", "-in", file("int.csr"), "-CA", file("root.pem"), "-CAkey", file("root.key"),
                     "-CAcreateserial", "-out", file("int.pem"), "-days", "20", "-extfile", file("int.ext")])
    }

    func file(_ name: String) -> String { directory.file(name) }

    /// Issues `name.pem` / `name.key` for `dnsNames` from the intermediate.
    @discardableResult
    func issue(_ name: String, dnsNames: [String], key: String = "ec") throws -> (certificate: String, key: String) {
        let keyArguments = key == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"]
        try openssl(["req"] + keyArguments + ["-nodes", "-keyout", file("\(name).key"), "-out", file("\(name).csr"),
                                              "-subj", "/CN=\(dnsNames[0])"])
        let sans = dnsNames.map { "DNS:\($0)" }.joined(separator: ",")
        try LocalFiles.writeAtomically(file("\(name).ext"), contents: Array("subjectAltName=\(sans)\n".utf8))
        try openssl(["x509", "-req", "-in", file("\(name).csr"), "-CA", file("int.pem"), "-CAkey", file("int.key"),
                     "-CAcreateserial", "-out", file("\(name).pem"), "-days", "10", "-extfile", file("\(name).ext")])
        return (file("\(name).pem"), file("\(name).key"))
    }

    /// The chain an install is given: intermediate then root.
    var chain: String {
        let bytes = ((try? LocalFiles.read(file("int.pem"))) ?? []) + ((try? LocalFiles.read(file("root.pem"))) ?? [])
        try? LocalFiles.writeAtomically(file("chain.pem"), contents: bytes)
        return file("chain.pem")
    }

    func fingerprint(_ certificate: String) throws -> String {
        let output = try ProcessRunner.run("openssl", ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
        return output.standardOutputText.split(separator: "=").last.map {
            $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        } ?? ""
    }

    @discardableResult
    func openssl(_ arguments: [String], standardInput: [UInt8] = []) throws -> ProcessOutput {
        let output = try ProcessRunner.run("openssl", arguments, standardInput: standardInput)
        try #require(output.exitStatus == 0, "openssl \(arguments.first ?? ""): \(output.standardErrorText)")
        return output
    }
}
