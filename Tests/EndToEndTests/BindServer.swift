import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A real BIND 9 (`named` from Debian's bind9) for one test: primary for
/// `acme.test` on a free loopback port, accepting RFC 2136 updates signed
/// with a fresh TSIG key, every file in a private directory, stopped by PID.
final class BindServer: @unchecked Sendable {
    static let zone = "acme.test"
    static let keyName = "og-test-key"

    let directory: TemporaryDirectory
    let port: UInt16
    let secret: String
    private var daemon: SpawnedDaemon?

    var address: String { "127.0.0.1:\(port)" }

    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/named"), "named is missing: install the Debian package bind9")
        directory = try TemporaryDirectory("og-bind")
        chmod(directory.path, 0o755)
        port = Loopback.freePort()
        var random = [UInt8](repeating: 0, count: 32)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        secret = Data(random).base64EncodedString()
        let config = """
        options {
            directory "\(directory.path)";
            pid-file "\(directory.file("named.pid"))";
            session-keyfile "\(directory.file("session.key"))";
            managed-keys-directory "\(directory.path)";
            listen-on port \(port) { 127.0.0.1; };
            listen-on-v6 { none; };
            recursion no;
            dnssec-validation no;
            notify no;
        };
        controls { };
        key "\(Self.keyName)" { algorithm hmac-sha256; secret "\(secret)"; };
        zone "\(Self.zone)" {
            type primary;
            file "\(directory.file("acme.test.zone"))";
            allow-update { key "\(Self.keyName)"; };
        };

        """
        let zone = """
        $TTL 60
        @   IN SOA ns.acme.test. hostmaster.acme.test. 1 60 60 600 60
        @   IN NS  ns.acme.test.
        ns  IN A   127.0.0.1
        www IN A   127.0.0.1

        """
        try LocalFiles.writeAtomically(directory.file("named.conf"), contents: Array(config.utf8), mode: 0o644)
        try LocalFiles.writeAtomically(directory.file("acme.test.zone"), contents: Array(zone.utf8), mode: 0o644)
        let checked = try ProcessRunner.run("/usr/bin/named-checkconf", [directory.file("named.conf")])
        try #require(checked.exitStatus == 0, "named-checkconf: \(checked.standardOutputText)\(checked.standardErrorText)")
        daemon = try SpawnedDaemon("/usr/sbin/named", ["-g", "-c", directory.file("named.conf")], port: port,
                                   logPath: directory.file("named.log"))
    }

    deinit { stop() }

    func stop() {
        daemon?.stop()
        daemon = nil
    }

    var log: String { (try? String(contentsOfFile: directory.file("named.log"), encoding: .utf8)) ?? "" }

    /// TXT values served for `name`, asked with dig (a client og-host did not write).
    func txt(_ name: String) throws -> [String] {
        let answer = try ProcessRunner.run("/usr/bin/dig", ["@127.0.0.1", "-p", String(port), "+short", "+tcp", "TXT", name])
        try #require(answer.exitStatus == 0, "dig: \(answer.standardErrorText)")
        return answer.standardOutputText.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
    }
}
