import Foundation
import OGBasics
@testable import OGConnections
import OGTestSupport
import Testing

/// SSH as OpenSSH 9.2 speaks it: RSA keys of every format sign with
/// rsa-sha2-256 (the server here refuses ssh-rsa/SHA-1 signatures, as
/// OpenSSH >= 8.8 does by default), and og-host offers only modern
/// algorithms unless an endpoint names the legacy ones it needs.
struct SSHAlgorithmTests {
    @Test func rsaKeyInOpenSSHFormatSignsWithSHA2() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false,
                                                      extraConfiguration: ["PubkeyAcceptedAlgorithms rsa-sha2-256,rsa-sha2-512"]))
        let key = try server.makeClientKey(.rsa, format: .openSSH)
        #expect(try String(contentsOfFile: key.privateKeyPath, encoding: .utf8).contains("BEGIN OPENSSH PRIVATE KEY"))
        let connection = try server.connect(.privateKey(path: key.privateKeyPath, passphrase: nil))
        #expect(try connection.run(["true"]).exitStatus == 0)
        let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
        #expect(log.contains("Accepted publickey for \(server.user)"), "\(log.suffix(2000))")
    }

    /// libssh2 1.10 can sign an encrypted OpenSSH-format RSA key only as
    /// ssh-rsa; the refusal says that the server knows the key and what to do,
    /// instead of "add it to authorized_keys". A key the server does not know
    /// is still reported as not accepted.
    @Test func encryptedOpenSSHRSAKeyRefusalSaysWhy() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let known = try server.makeClientKey(.rsa, format: .openSSH, passphrase: "rsa passphrase")
        let error = connectionError { _ = try server.connect(.privateKey(path: known.privateKeyPath, passphrase: "rsa passphrase")) }
        guard case .authenticationFailed(_, _, .signatureRefused(let path, let reason)) = error else {
            Issue.record("expected signatureRefused, got \(String(describing: error))")
            return
        }
        #expect(path == known.privateKeyPath)
        #expect(reason.contains("ssh-keygen -p -m PEM"), "\(reason)")

        let unknown = server.directory.file("unknown_rsa")
        let made = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "rsa passphrase",
                                                                 "-f", unknown])
        try #require(made.exitStatus == 0)
        let other = connectionError { _ = try server.connect(.privateKey(path: unknown, passphrase: "rsa passphrase")) }
        #expect(other == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)",
                                               reason: .keyRejected(keyPath: unknown)))
    }

    @Test func legacyKeyExchangeIsRefusedByDefaultAndEnabledByName() throws {
        let server = try SSHServerFixture.start(.init(extraConfiguration: ["KexAlgorithms diffie-hellman-group14-sha1"]))
        let error = connectionError { _ = try server.connect() }
        guard case .couldNotConnect(_, _, let reason) = error else {
            Issue.record("expected couldNotConnect, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("--ssh_legacy_algorithms"), "\(reason)")
        let offer = reason.components(separatedBy: "If ").first ?? reason
        #expect(!offer.contains("sha1"), "the default offer has no SHA-1 key exchange: \(offer)")
        let legacy = try server.connect(algorithms: try SSHAlgorithms(legacy: "diffie-hellman-group14-sha1"))
        #expect(try legacy.run(["true"]).exitStatus == 0)
    }

    @Test func weakCipherAndMACAreRefusedByDefaultAndEnabledByName() throws {
        let server = try SSHServerFixture.start(.init(extraConfiguration: ["Ciphers 3des-cbc", "MACs hmac-md5"]))
        guard case .couldNotConnect = connectionError({ _ = try server.connect() }) else { return }
        let onlyCipher = connectionError { _ = try server.connect(algorithms: try SSHAlgorithms(legacy: "3des-cbc")) }
        #expect(onlyCipher != nil, "hmac-md5 was offered without being enabled")
        let legacy = try server.connect(algorithms: try SSHAlgorithms(legacy: "3des-cbc, hmac-md5"))
        #expect(try legacy.run(["true"]).exitStatus == 0)
    }

    @Test func modernDefaultsOfferNothingWeak() throws {
        let weak = ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "ssh-rsa", "ssh-dss", "3des-cbc",
                    "aes128-cbc", "hmac-md5", "hmac-sha1"]
        for kind in SSHAlgorithms.Kind.allCases {
            let offered = SSHAlgorithms.modernOnly.preference(kind).split(separator: ",").map(String.init)
            #expect(!offered.isEmpty)
            #expect(offered.allSatisfy { !weak.contains($0) }, "\(kind): \(offered)")
        }
        #expect(throws: ConnectionError.self) { try SSHAlgorithms(legacy: "none") }
        #expect(try SSHAlgorithms(legacy: "ssh-rsa").preference(.hostKey).hasSuffix(",ssh-rsa"))
    }
}
