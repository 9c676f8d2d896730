import Foundation
import OGBasics
@testable import OGConnections
import OGTestSupport
import Testing

struct ConnectionSpecTests {
    @Test func everyOperatorSpellingParsesAndDefaultsItsPort() throws {
        let spellings = ["local", "ssh", "ssh_windows", "winrm_http", "winrm_https", "winrm_https_insecure", "rest", "rest_insecure"]
        #expect(try spellings.map { try ConnectionType(parsing: $0).rawValue } == spellings)
        #expect(ConnectionType.ssh.defaultPort == 22)
        #expect(ConnectionType.sshWindows.defaultPort == 22)
        #expect(ConnectionType.winrmHTTP.defaultPort == 5985)
        #expect(ConnectionType.winrmHTTPS.defaultPort == 5986)
        #expect(ConnectionType.local.defaultPort == nil)
    }

    @Test func unknownTypeNamesTheValidOnes() {
        let error = connectionError { _ = try ConnectionType(parsing: "telnet") }
        #expect(error?.description.contains("\"telnet\" is not a connection type") == true)
        #expect(error?.description.contains("ssh_windows") == true)
    }

    @Test func outOfRangePortIsRejectedWithTheRange() {
        let spec = ConnectionSpec(type: .ssh, host: "web1", port: 70000, user: "ops", authentication: .password("x"))
        let error = connectionError { try spec.validate() }
        #expect(error == .invalidArgument(field: "field `port`", problem: "70000 is not between 1 and 65535"))
        #expect(error?.description == "field `port`: 70000 is not between 1 and 65535")
    }

    @Test func sshNeedsHostUserAndCredential() {
        #expect(connectionError { try ConnectionSpec(type: .ssh, user: "ops", authentication: .password("x")).validate() }
            == .invalidArgument(field: "field `host`", problem: "is required for connection type ssh"))
        #expect(connectionError { try ConnectionSpec(type: .ssh, host: "web1", authentication: .password("x")).validate() }
            == .invalidArgument(field: "field `user`", problem: "is required for connection type ssh"))
        let noCredential = connectionError { try ConnectionSpec(type: .sshWindows, host: "web1", user: "ops").validate() }
        #expect(noCredential?.description.contains("needs a password or a private key") == true)
    }

    @Test func malformedPinnedFingerprintIsRejected() {
        let spec = ConnectionSpec(type: .ssh, host: "web1", user: "ops", authentication: .password("x"),
                                  hostKeyPolicy: HostKeyPolicy(pinnedFingerprint: "SHA256:tooshort"))
        let error = connectionError { try spec.validate() }
        #expect(error?.description.hasPrefix("field `host-key`: \"SHA256:tooshort\" is not a SHA-256 fingerprint") == true)
    }

    @Test func descriptionsNeverShowSecrets() {
        let spec = ConnectionSpec(type: .ssh, host: "web1", user: "ops", authentication: .password("hunter2-secret"),
                                  sudoPassword: "sudo-secret")
        let keyed = ConnectionSpec(type: .ssh, host: "web1", user: "ops",
                                   authentication: .privateKey(path: "/keys/id", passphrase: "phrase-secret"))
        var dumped = ""
        dump(spec, to: &dumped)
        dump(keyed, to: &dumped)
        let shown = [String(describing: spec), String(reflecting: spec), "\(keyed)", String(reflecting: keyed.authentication),
                     dumped].joined(separator: "\n")
        for secret in ["hunter2-secret", "sudo-secret", "phrase-secret"] {
            #expect(!shown.contains(secret), "\(secret) leaked into: \(shown)")
        }
        #expect("\(spec)" == "ssh ops@web1:22")
        #expect(shown.contains("/keys/id"))
    }

    @Test func factoryOpensEveryConnectionTypeWithItsTransport() throws {
        // Nothing listens on this port: a transport that connects while opening
        // must say it could not connect; one that connects lazily must open.
        let closedPort = Int(Loopback.freePort())
        for type in [ConnectionType.rest, .restInsecure] {
            let spec = ConnectionSpec(type: type, host: "127.0.0.1", port: closedPort, user: "ops", authentication: .password("x"))
            #expect(try ConnectionFactory.open(spec, hostKeyStore: nil) is RESTConnection, "\(type)")
        }
        for type in [ConnectionType.winrmHTTP, .winrmHTTPS, .winrmHTTPSInsecure] {
            let spec = ConnectionSpec(type: type, host: "127.0.0.1", port: closedPort, user: "ops", authentication: .password("x"))
            do {
                let connection = try ConnectionFactory.open(spec, hostKeyStore: nil)
                #expect(connection is WinRMConnection, "\(type)")
            } catch let error as ConnectionError {
                guard case .couldNotConnect = error else {
                    Issue.record("\(type): expected couldNotConnect, got \(error)")
                    continue
                }
            }
        }
    }

    @Test func factoryOpensLocal() throws {
        let connection = try ConnectionFactory.open(.local, hostKeyStore: nil)
        #expect(connection is LocalConnection)
        #expect(connection.platform == .posix)
    }
}

struct HostKeyFingerprintTests {
    @Test func acceptsOpenSSHSpellingWithOrWithoutPrefixAndPadding() throws {
        let text = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
        let parsed = try #require(HostKeyFingerprint(parsing: text))
        #expect(parsed.description == text)
        #expect(HostKeyFingerprint(parsing: "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8=") == parsed)
        #expect(HostKeyFingerprint(parsing: "MD5:aa:bb") == nil)
    }

    @Test func fingerprintOfAKeyBlobMatchesSshKeygen() throws {
        let directory = try TemporaryDirectory("og-fingerprint")
        let key = directory.file("key")
        let made = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        try #require(made.exitStatus == 0, "ssh-keygen (Debian package openssh-client) failed: \(made.standardErrorText)")
        let publicKey = String(decoding: try LocalFiles.read(key + ".pub"), as: UTF8.self).split(separator: " ")
        let blob = try #require(Data(base64Encoded: String(publicKey[1])))
        let listed = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", key + ".pub"])
        let expected = listed.standardOutputText.split(separator: " ")[1]
        #expect(HostKeyFingerprint(publicKeyBlob: Array(blob)).description == expected)
    }
}
