import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host tls update` against a real sshd: options validated as `tls add`
/// validates them and checked through a real connection before anything is
/// stored; the instance ID stays; a refusal changes nothing; a changed host
/// key is accepted only when the operator types the new fingerprint.
@Suite struct TLSUpdateTests {
    func add(_ fixture: GatewayFixture, _ name: String, _ sshd: SSHServerFixture, _ extra: [String] = []) throws -> String {
        let added = try fixture.run(["tls", "add", "pem_dir", "--name", name, "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--cert_dir", sshd.workDirectory] + extra,
                                    extraEnvironment: ["OG_TEST_PASSWORD": sshd.password])
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
        return try fixture.run(["tls", "show", name, "--output", "json"]).standardOutputText
    }

    func shown(_ fixture: GatewayFixture, _ name: String) throws -> [String: Any] {
        let output = try fixture.run(["tls", "show", name, "--output", "json"]).standardOutputText
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
    }

    @Test func updateReplacesTheLoginInPlaceAndARefusedUpdateChangesNothing() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let before = try add(fixture, "web", sshd, ["--password", "env:OG_TEST_PASSWORD"])
        let original = try shown(fixture, "web")

        // A wrong password: refused as an authentication failure; the stored endpoint is byte for byte the same.
        let wrong = "wrong-\(UInt32.random(in: 100_000...999_999))"
        let refused = try fixture.run(["tls", "update", "web", "--password", "env:WRONG"], extraEnvironment: ["WRONG": wrong])
        #expect(refused.exitStatus == 5, "\(refused.standardErrorText)")
        #expect(try fixture.run(["tls", "show", "web", "--output", "json"]).standardOutputText == before)
        // Bad input named as tls add names it; an unknown endpoint; a name another endpoint has.
        let badPort = try fixture.run(["tls", "update", "web", "--port", "70000"])
        #expect(badPort.exitStatus == 2 && badPort.standardErrorText.contains("--port"), "\(badPort.standardErrorText)")
        let unknown = try fixture.run(["tls", "update", "web", "--certdir", "/tmp"])
        #expect(unknown.exitStatus == 2 && unknown.standardErrorText.contains("--certdir"), "\(unknown.standardErrorText)")
        let both = try fixture.run(["tls", "update", "web", "--store", "default"])
        #expect(both.exitStatus == 2 && both.standardErrorText.contains("--store_cred_id"), "\(both.standardErrorText)")
        #expect(try fixture.run(["tls", "update", "nosuch", "--port", "22"]).exitStatus == 3)
        #expect(try fixture.run(["tls", "update", "web"]).exitStatus == 2, "nothing to change")
        _ = try add(fixture, "other", sshd, ["--ssh_key_path", sshd.clientKeyPath])
        let taken = try fixture.run(["tls", "update", "web", "--name", "other"])
        #expect(taken.exitStatus == 4, "\(taken.standardErrorText)")
        // Nothing reachable on the new port: refused before anything is stored.
        let closed = try fixture.run(["tls", "update", "web", "--port", String(Loopback.freePort())])
        #expect(closed.exitStatus != 0)
        #expect(try fixture.run(["tls", "show", "web", "--output", "json"]).standardOutputText == before)

        // From password to key: the same instance, a new login reference, the old inline secret gone.
        let switched = try fixture.run(["tls", "update", "web", "--ssh_key_path", sshd.clientKeyPath])
        #expect(switched.exitStatus == 0, "\(switched.standardErrorText)")
        #expect(switched.standardOutputText.contains("--ssh_key_path"), "\(switched.standardOutputText)")
        let updated = try shown(fixture, "web")
        #expect(updated["id"] as? String == original["id"] as? String, "the instance ID stays")
        #expect(updated["createdAt"] as? String == original["createdAt"] as? String)
        #expect(updated["credential"] as? String != original["credential"] as? String)
        let credentials = try fixture.run(["credstore", "credentials", "list", "--storename", "default"]).standardOutputText
        let oldID = String((original["credential"] as? String ?? "").dropFirst("default:".count))
        let newID = String((updated["credential"] as? String ?? "").dropFirst("default:".count))
        let ids = Set(credentials.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        #expect(!oldID.isEmpty && !ids.contains(oldID), "the replaced inline secret is removed: \(credentials)")
        #expect(!newID.isEmpty && ids.contains(newID), "\(credentials)")
        let nodes = try fixture.run(["tls", "nodes", "web"])
        #expect(nodes.exitStatus == 0, "later jobs log in with the new key: \(nodes.standardErrorText)")

        // Nothing secret anywhere: output, audit, data directory.
        let audit = try fixture.run(["audit"]).standardOutputText
        #expect(audit.contains("tls.update"), "\(audit)")
        var everything = [refused.standardErrorText, switched.standardOutputText, audit]
        for (_, bytes) in fixture.dataDirectoryContents() { everything.append(String(decoding: bytes, as: UTF8.self)) }
        for text in everything {
            #expect(!text.contains(wrong) && !text.contains(sshd.password), "a password leaked")
        }
    }

    @Test func aChangedHostKeyIsRepinnedOnlyWithTheNewFingerprintTyped() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        _ = try add(fixture, "web", sshd, ["--ssh_key_path", sshd.clientKeyPath])
        _ = try add(fixture, "web2", sshd, ["--ssh_key_path", sshd.clientKeyPath])
        let old = sshd.hostKeyFingerprint
        try sshd.rotateHostKey()
        let new = sshd.hostKeyFingerprint

        // Refused, showing both fingerprints and the one command that accepts the new key.
        let refused = try fixture.run(["tls", "nodes", "web"])
        #expect(refused.exitStatus == 5, "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains(old) && refused.standardErrorText.contains(new), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("og-host tls update 'web' --host_key_fingerprint \(new)"),
                "\(refused.standardErrorText)")

        // Any fingerprint but the presented one is refused, and the old pin stays.
        let wrong = try fixture.run(["tls", "update", "web", "--host_key_fingerprint", old])
        #expect(wrong.exitStatus == 5, "\(wrong.standardErrorText)")
        #expect(wrong.standardErrorText.contains(new), "the presented key is shown: \(wrong.standardErrorText)")
        #expect(try fixture.run(["tls", "nodes", "web2"]).exitStatus == 5, "the old pin still stands")
        let malformed = try fixture.run(["tls", "update", "web", "--host_key_fingerprint", "MD5:ab:cd"])
        #expect(malformed.exitStatus == 2 && malformed.standardErrorText.contains("--host_key_fingerprint"))

        // The new fingerprint typed: pinned for the host (both endpoints), reported with the old one.
        let repinned = try fixture.run(["tls", "update", "web", "--host_key_fingerprint", new])
        #expect(repinned.exitStatus == 0, "\(repinned.standardErrorText)")
        #expect(repinned.standardOutputText.contains(new) && repinned.standardOutputText.contains("was \(old)"),
                "\(repinned.standardOutputText)")
        #expect(try fixture.run(["tls", "nodes", "web"]).exitStatus == 0)
        #expect(try fixture.run(["tls", "nodes", "web2"]).exitStatus == 0, "the host's pin was replaced, not the endpoint's only")
        let audit = try fixture.run(["audit"]).standardOutputText
        #expect(audit.contains("re-pinned") && audit.contains(old) && audit.contains(new), "\(audit)")

        // A key changing again is refused again: the new pin is a pin, not trust in whatever comes.
        try sshd.rotateHostKey()
        #expect(try fixture.run(["tls", "nodes", "web"]).exitStatus == 5)
        #expect(try fixture.run(["tls", "nodes", "web2"]).exitStatus == 5)
    }
}
