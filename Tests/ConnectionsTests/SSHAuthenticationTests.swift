import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

/// Every way an SSH connection logs in, against a real sshd.
struct SSHAuthenticationTests {
    @Test func passwordLogsIn() throws {
        let server = try SSHServerFixture.start()
        let connection = try server.connect(.password(server.password))
        #expect(try connection.run(["id", "-un"]).standardOutputText == "\(server.user)\n")
    }

    @Test func keyboardInteractiveAnswersThePasswordPrompt() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false, keyboardInteractiveAuthentication: true,
                                                      publicKeyAuthentication: false))
        let connection = try server.connect(.password(server.password))
        #expect(try connection.run(["id", "-un"]).standardOutputText == "\(server.user)\n")
    }

    @Test func wrongPasswordIsReportedAsAWrongPassword() throws {
        let server = try SSHServerFixture.start()
        let error = connectionError { _ = try server.connect(.password("not-the-password")) }
        #expect(error == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)", reason: .wrongPassword))
        #expect(error?.description.contains("rejected the password") == true)
        #expect(error?.description.contains("not-the-password") == false)
    }

    @Test func wrongKeyboardInteractivePasswordIsReportedAsAWrongPassword() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false, keyboardInteractiveAuthentication: true,
                                                      publicKeyAuthentication: false))
        let error = connectionError { _ = try server.connect(.password("not-the-password")) }
        #expect(error == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)", reason: .wrongPassword))
    }

    @Test func encryptedEd25519KeyInOpenSSHFormatLogsIn() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let key = try server.makeClientKey(.ed25519, format: .openSSH, passphrase: "correct horse")
        #expect(try String(contentsOfFile: key.privateKeyPath, encoding: .utf8).contains("BEGIN OPENSSH PRIVATE KEY"))
        let connection = try server.connect(.privateKey(path: key.privateKeyPath, passphrase: "correct horse"))
        #expect(try connection.run(["id", "-un"]).standardOutputText == "\(server.user)\n")
    }

    @Test func rsaKeyInPEMFormatLogsIn() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let key = try server.makeClientKey(.rsa, format: .pem)
        #expect(try String(contentsOfFile: key.privateKeyPath, encoding: .utf8).contains("BEGIN RSA PRIVATE KEY"))
        let connection = try server.connect(.privateKey(path: key.privateKeyPath, passphrase: nil))
        #expect(try connection.run(["true"]).exitStatus == 0)
    }

    @Test func encryptedRSAKeyInPEMFormatLogsIn() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let key = try server.makeClientKey(.rsa, format: .pem, passphrase: "pem passphrase")
        #expect(try String(contentsOfFile: key.privateKeyPath, encoding: .utf8).contains("ENCRYPTED"))
        let connection = try server.connect(.privateKey(path: key.privateKeyPath, passphrase: "pem passphrase"))
        #expect(try connection.run(["true"]).exitStatus == 0)
    }

    @Test func ecdsaKeyInOpenSSHFormatLogsIn() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let key = try server.makeClientKey(.ecdsa, format: .openSSH)
        let connection = try server.connect(.privateKey(path: key.privateKeyPath, passphrase: nil))
        #expect(try connection.run(["true"]).exitStatus == 0)
    }

    @Test func wrongPassphraseIsReportedAsAWrongPassphrase() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        for format in [SSHServerFixture.KeyFormat.openSSH, .pem] {
            let key = try server.makeClientKey(format == .pem ? .rsa : .ed25519, format: format, passphrase: "right")
            let error = connectionError { _ = try server.connect(.privateKey(path: key.privateKeyPath, passphrase: "wrong")) }
            #expect(error == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)",
                                                   reason: .wrongPassphrase(keyPath: key.privateKeyPath)))
            #expect(error?.description.contains("passphrase for private key \(key.privateKeyPath) is wrong") == true)
        }
    }

    @Test func encryptedKeyWithoutPassphraseAsksForOne() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let key = try server.makeClientKey(.ed25519, passphrase: "needed")
        let error = connectionError { _ = try server.connect(.privateKey(path: key.privateKeyPath, passphrase: nil)) }
        #expect(error == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)",
                                               reason: .passphraseRequired(keyPath: key.privateKeyPath)))
    }

    @Test func keyTheServerDoesNotKnowIsRejected() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let stranger = server.directory.file("not_authorized")
        let made = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger])
        try #require(made.exitStatus == 0)
        let error = connectionError { _ = try server.connect(.privateKey(path: stranger, passphrase: nil)) }
        #expect(error == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)",
                                               reason: .keyRejected(keyPath: stranger)))
    }

    @Test func missingKeyFileNamesThePath() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let missing = server.directory.file("no-such-key")
        let error = connectionError { _ = try server.connect(.privateKey(path: missing, passphrase: nil)) }
        guard case .authenticationFailed(_, _, .unreadableKey(let path, _)) = error else {
            Issue.record("expected unreadableKey, got \(String(describing: error))")
            return
        }
        #expect(path == missing)
    }

    @Test func passwordAgainstAKeyOnlyServerSaysWhatIsOffered() throws {
        let server = try SSHServerFixture.start(.init(passwordAuthentication: false))
        let error = connectionError { _ = try server.connect(.password(server.password)) }
        #expect(error == .authenticationFailed(user: server.user, host: "\(server.host):\(server.port)",
                                               reason: .methodNotOffered(wanted: "password", offered: ["publickey"])))
    }

    @Test func closedPortIsReportedAsCouldNotConnect() throws {
        let port = Loopback.freePort()
        let error = connectionError {
            _ = try SSHConnection(host: "127.0.0.1", port: Int(port), user: "nobody", authentication: .password("x"),
                                  hostKeyPolicy: HostKeyPolicy(trustOnFirstUse: true), hostKeyStore: InMemoryHostKeyStore())
        }
        guard case .couldNotConnect(let host, let reportedPort, let reason) = error else {
            Issue.record("expected couldNotConnect, got \(String(describing: error))")
            return
        }
        #expect(host == "127.0.0.1" && reportedPort == Int(port))
        #expect(reason.contains("connection refused"))
    }
}
