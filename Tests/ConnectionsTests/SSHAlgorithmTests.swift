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

    /// Encrypted OpenSSH-format RSA keys (bcrypt-pbkdf with aes-ctr, ssh-keygen's
    /// default, or aes-cbc) are decrypted here and sign with rsa-sha2-256 against
    /// a server that refuses ssh-rsa; the decrypted key is the one ssh-keygen
    /// itself finds; a wrong passphrase is said to be one; a key the server does
    /// not know is still reported as not accepted.
    @Test(arguments: ["aes256-ctr", "aes128-cbc"])
    func encryptedOpenSSHRSAKeySignsWithSHA2(cipher: String) throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false,
                                                      extraConfiguration: ["PubkeyAcceptedAlgorithms rsa-sha2-256,rsa-sha2-512"]))
        let path = server.directory.file("client_rsa_\(cipher)")
        let made = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "rsa passphrase",
                                                                 "-Z", cipher, "-C", "og-test", "-f", path])
        try #require(made.exitStatus == 0, "\(made.standardErrorText)")
        try server.authorize(publicKeyPath: path + ".pub")
        let encrypted = try LocalFiles.read(path)
        #expect(String(decoding: encrypted, as: UTF8.self).contains("BEGIN OPENSSH PRIVATE KEY"))

        // The key bcrypt-pbkdf unlocks is the one ssh-keygen decrypts.
        let plainCopy = server.directory.file("client_rsa_\(cipher)_plain")
        try LocalFiles.writeAtomically(plainCopy, contents: encrypted, mode: 0o600)
        let decrypted = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-p", "-P", "rsa passphrase", "-N", "", "-f", plainCopy])
        try #require(decrypted.exitStatus == 0, "\(decrypted.standardErrorText)")
        guard case .pkcs1PEM(let mine) = OpenSSHPrivateKey.convert(encrypted, passphrase: "rsa passphrase") else {
            Issue.record("\(cipher): the encrypted key was not decrypted")
            return
        }
        #expect(mine == OpenSSHPrivateKey.rsaAsPKCS1PEM(try LocalFiles.read(plainCopy)))

        let connection = try server.connect(.privateKey(path: path, passphrase: "rsa passphrase"))
        #expect(try connection.run(["true"]).exitStatus == 0)
        let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
        #expect(log.contains("Accepted publickey for \(server.user)") && log.contains("RSA SHA256:"), "\(log.suffix(2000))")

        let wrong = connectionError { _ = try server.connect(.privateKey(path: path, passphrase: "not the passphrase")) }
        #expect(wrong == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)",
                                               reason: .wrongPassphrase(keyPath: path)))

        let unknown = server.directory.file("unknown_rsa_\(cipher)")
        let other = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "rsa passphrase",
                                                                  "-Z", cipher, "-f", unknown])
        try #require(other.exitStatus == 0)
        let refused = connectionError { _ = try server.connect(.privateKey(path: unknown, passphrase: "rsa passphrase")) }
        #expect(refused == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)",
                                                 reason: .keyRejected(keyPath: unknown)))
    }

    /// A cipher og-host does not decrypt (aes256-gcm@openssh.com; libssh2 1.10
    /// cannot either) is named, with the ssh-keygen command that re-encrypts the key.
    @Test func encryptedOpenSSHRSAKeyWithAnotherCipherSaysWhichAndHow() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let path = server.directory.file("client_rsa_gcm")
        let made = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "rsa passphrase",
                                                                 "-Z", "aes256-gcm@openssh.com", "-f", path])
        try #require(made.exitStatus == 0, "\(made.standardErrorText)")
        try server.authorize(publicKeyPath: path + ".pub")
        let error = connectionError { _ = try server.connect(.privateKey(path: path, passphrase: "rsa passphrase")) }
        guard case .authenticationFailed(_, _, .unsupportedKey(let refusedPath, let reason)) = error else {
            Issue.record("expected unsupportedKey, got \(String(describing: error))")
            return
        }
        #expect(refusedPath == path)
        #expect(reason.contains("aes256-gcm@openssh.com") && reason.contains("ssh-keygen -p -Z aes256-ctr"), "\(reason)")
    }

    @Test func legacyKeyExchangeIsRefusedByDefaultAndEnabledByName() throws {
        let server = try SSHServerFixture.start(.init(extraConfiguration: ["KexAlgorithms diffie-hellman-group14-sha1"]))
        let error = connectionError { _ = try server.connect() }
        guard case .couldNotConnect(_, _, let reason) = error else {
            Issue.record("expected couldNotConnect, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("field `ssh_legacy_algorithms`"), "\(reason)")
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
