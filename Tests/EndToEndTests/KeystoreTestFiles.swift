import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Keystores, PEM files and scripts for one keystore-plugin test, made in a
/// private directory with the tools operators use: openssl and keytool.
/// Store passwords reach those tools through the environment, never argv.
struct KeystoreTestFiles {
    let directory: TemporaryDirectory
    let pki: TestPKI
    let password: String

    init() throws {
        for (tool, package) in [("openssl", "openssl"), ("keytool", "openjdk-17-jre-headless")] {
            try #require(ProcessRunner.findExecutable(tool) != nil,
                         "\(tool) was not found on PATH; install the Debian package \(package)")
        }
        directory = try TemporaryDirectory("og-keystore-files")
        chmod(directory.path, 0o755)
        pki = try TestPKI()
        password = "store-\(UInt32.random(in: 100_000...999_999))"
    }

    func file(_ name: String) -> String { directory.file(name) }

    /// The environment handed to og-host so `--store_password env:STORE_PASS` finds the password.
    var passwordEnvironment: [String: String] { ["STORE_PASS": password] }

    /// A PKCS#12 file with one key entry `alias`, as `openssl pkcs12 -export` writes it.
    @discardableResult
    func p12(_ name: String, alias: String = "web", password: String? = nil) throws -> String {
        let leaf = try pki.issue("\(name)-leaf", dnsNames: ["\(alias).example.test"])
        let path = file(name)
        let output = try ProcessRunner.run(
            "openssl", ["pkcs12", "-export", "-in", leaf.certificate, "-inkey", leaf.key, "-certfile", pki.file("int.pem"),
                        "-name", alias, "-out", path, "-passout", "env:OG_TEST_STORE_PASS"],
            environment: environment(["OG_TEST_STORE_PASS": password ?? self.password]))
        try #require(output.exitStatus == 0, "openssl pkcs12 -export: \(output.standardErrorText)")
        return path
    }

    /// A keystore made by `keytool -genkeypair` with one key entry per alias;
    /// `storeType` nil leaves keytool's default, which is PKCS12 since Java 9.
    @discardableResult
    func keytoolStore(_ name: String, aliases: [String] = ["tomcat"], storeType: String? = "JKS") throws -> String {
        let path = file(name)
        for alias in aliases {
            try keytool(["-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
                         "-dname", "CN=\(alias).example.test", "-validity", "30", "-keystore", path]
                        + (storeType.map { ["-storetype", $0] } ?? []))
        }
        return path
    }

    /// Adds the test root as a trusted-certificate entry of the JKS store at `path`.
    func addTrustedCertificate(to path: String, alias: String) throws {
        try keytool(["-importcert", "-noprompt", "-alias", alias, "-file", pki.file("root.pem"), "-keystore", path,
                     "-storetype", "JKS"])
    }

    private func keytool(_ arguments: [String]) throws {
        let output = try ProcessRunner.run("keytool", arguments + ["-storepass:env", "OG_TEST_STORE_PASS",
                                                                   "-keypass:env", "OG_TEST_STORE_PASS"],
                                           environment: environment(["OG_TEST_STORE_PASS": password]))
        try #require(output.exitStatus == 0, "keytool \(arguments.first ?? ""): \(output.standardErrorText)\(output.standardOutputText)")
    }

    /// A file with exactly these bytes.
    @discardableResult
    func write(_ name: String, _ contents: [UInt8], mode: mode_t = 0o644) throws -> String {
        let path = file(name)
        try LocalFiles.writeAtomically(path, contents: contents, mode: mode)
        chmod(path, mode)
        return path
    }

    /// A shell script with `body` after the #! line.
    @discardableResult
    func script(_ name: String, _ body: String, mode: mode_t = 0o755) throws -> String {
        try write(name, Array("#!/bin/sh\n\(body)\n".utf8), mode: mode)
    }

    /// A leaf issued by the test intermediate: (certificate, key) paths.
    func leaf(_ name: String) throws -> (certificate: String, key: String) {
        try pki.issue(name, dnsNames: ["\(name).example.test"])
    }

    func bytes(_ path: String) throws -> [UInt8] { try LocalFiles.read(path) }

    private func environment(_ extra: [String: String]) -> [String: String] {
        EnvironmentVariable.all().merging(extra) { $1 }
    }
}

/// The gateway's state as an operator would call it: endpoints, audit trail,
/// stored secrets. A refused `tls add` must leave all of it unchanged.
struct GatewayState: Equatable {
    let contents: [String: [UInt8]]

    init(_ fixture: GatewayFixture) throws {
        var contents = fixture.dataDirectoryContents().filter { $0.key.hasPrefix("credentials/") || $0.key.hasPrefix("keys/") }
        contents["tls list"] = try fixture.run(["tls", "list", "--output", "json"]).standardOutput
        let audit = try RefusedAddAudit(fixture)
        contents["audit"] = audit.others
        contents["refused tls.add records"] = Array(String(audit.refusedAdds).utf8)
        self.contents = contents
    }

    /// What changed, apart from the one audit record a refused add writes by design.
    func changes(comparedWith later: GatewayState) -> [String] {
        var changed = Set(contents.keys).union(later.contents.keys).filter { contents[$0] != later.contents[$0] }
        let before = Int(String(decoding: contents["refused tls.add records"] ?? [], as: UTF8.self)) ?? 0
        let after = Int(String(decoding: later.contents["refused tls.add records"] ?? [], as: UTF8.self)) ?? 0
        if after == before + 1 { changed.remove("refused tls.add records") }
        return changed.sorted()
    }
}

/// The audit trail split into refused `tls add` records (which every refused
/// add writes) and everything else (which a refused add must leave alone).
struct RefusedAddAudit {
    let others: [UInt8]
    let refusedAdds: Int

    init(_ fixture: GatewayFixture) throws {
        let output = try fixture.run(["audit", "--output", "json"]).standardOutput
        let records = (try? JSONSerialization.jsonObject(with: Data(output))) as? [[String: Any]] ?? []
        let isRefusedAdd = { (record: [String: Any]) -> Bool in
            record["action"] as? String == "tls.add" && (record["outcome"] as? String == "failure" || record["success"] as? Bool == false)
        }
        refusedAdds = records.filter(isRefusedAdd).count
        let kept = records.filter { !isRefusedAdd($0) }
        others = Array((try? JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys])) ?? Data(output))
    }
}
