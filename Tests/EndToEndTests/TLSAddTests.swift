import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host tls add` run as the real binary: every rule of the reference's
/// option table, each failure with its message and exit code, and nothing
/// written when it fails.
@Suite struct TLSAddTests {
    let fixture: GatewayFixture
    let certDirectory: TemporaryDirectory

    init() throws {
        fixture = try GatewayFixture()
        certDirectory = try TemporaryDirectory("og-certdir")

    }

    func add(_ arguments: [String], standardInput: [UInt8] = []) throws -> ProcessOutput {
        try fixture.run(["tls", "add"] + arguments, standardInput: standardInput)
    }

    var valid: [String] { ["pem_dir", "--name", "web1", "--connection_type", "local", "--cert_dir", certDirectory.path] }

    /// Runs a refused add and checks the contract: exit code, message, no state written.
    /// What an operator would call the gateway's state: endpoints, audit trail, stored secrets.
    func stateSnapshot() throws -> [String: [UInt8]] {
        var state = fixture.dataDirectoryContents().filter { $0.key.hasPrefix("credentials/") || $0.key.hasPrefix("keys/") }
        state["tls list"] = try fixture.run(["tls", "list", "--output", "json"]).standardOutput
        let audit = try RefusedAddAudit(fixture)
        state["audit"] = audit.others
        state["refused tls.add records"] = Array(String(audit.refusedAdds).utf8)
        return state
    }

    /// Runs a refused add and checks the contract: exit code, message, no state written.
    func expectRefused(_ arguments: [String], exitCode: Int32 = 2, message: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try stateSnapshot()
        let result = try add(arguments)
        #expect(result.exitStatus == exitCode, "exit \(result.exitStatus): \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardErrorText.contains(message), "stderr was: \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardOutputText.isEmpty, sourceLocation: sourceLocation)
        let after = try stateSnapshot()
        var changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
        // The one thing a refused add writes: its own failure record in the audit trail.
        let refusedBefore = Int(String(decoding: before["refused tls.add records"] ?? [], as: UTF8.self)) ?? 0
        let refusedAfter = Int(String(decoding: after["refused tls.add records"] ?? [], as: UTF8.self)) ?? 0
        #expect(refusedAfter == refusedBefore + 1, "the refused add was not audited", sourceLocation: sourceLocation)
        changed.remove("refused tls.add records")
        #expect(changed.isEmpty, "a refused add changed \(changed.sorted())", sourceLocation: sourceLocation)
    }

    @Test func badOptionsAreRefusedBeforeTheDataDirectoryIsCreated() throws {
        let fresh = try GatewayFixture(plugins: ["hello-c"])
        let result = try fresh.run(["tls", "add", "pem_dir", "--name", "x", "--connection_type", "local", "--port", "1"])
        #expect(result.exitStatus == 2)
        #expect(result.standardErrorText.contains("--port: is not used with connection type local"))
        #expect(!FileManager.default.fileExists(atPath: fresh.dataDirectory))
    }

    @Test func addingAValidEndpointPrintsItsInstanceIDAndListsIt() throws {
        let result = try add(valid)
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        let idLine = try #require(result.standardOutputText.split(separator: "\n").first { $0.hasPrefix("Instance ID: ") })
        let id = String(idLine.dropFirst("Instance ID: ".count))
        #expect(UUID(uuidString: id) != nil)
        #expect(result.standardOutputText.contains("Endpoint 'web1' added"))

        let listed = try fixture.run(["tls", "list", "--output", "json"])
        let endpoints = try JSONSerialization.jsonObject(with: Data(listed.standardOutput)) as? [[String: Any]]
        #expect(endpoints?.count == 1)
        #expect(endpoints?.first?["id"] as? String == id)
        #expect(endpoints?.first?["type"] as? String == "pem_dir")

        let shown = try fixture.run(["tls", "show", "web1"])
        #expect(shown.standardOutputText.contains("cert_dir: \(certDirectory.path)"))
        #expect(shown.standardOutputText.contains("file_prefix: server"), "schema default applied")

        let audit = try fixture.run(["audit", "--output", "json"])
        #expect(audit.standardOutputText.contains("tls.add"))
    }

    @Test func nameIsRequired() throws {
        try expectRefused(["pem_dir", "--connection_type", "local", "--cert_dir", certDirectory.path], message: "--name: is required")
    }

    @Test func nameLongerThan32CharactersIsRefused() throws {
        var arguments = valid
        arguments[2] = String(repeating: "n", count: 33)
        try expectRefused(arguments, message: "--name: must be between 1 and 32 characters (got 33)")
    }

    @Test func emptyNameIsRefused() throws {
        var arguments = valid
        arguments[2] = ""
        try expectRefused(arguments, message: "--name: must be between 1 and 32 characters (got 0)")
    }

    @Test func duplicateNameIsRefusedAndTheFirstEndpointStays() throws {
        #expect(try add(valid).exitStatus == 0)
        try expectRefused(valid, exitCode: 4, message: "--name: 'web1' is already used by another endpoint")
        let listed = try fixture.run(["tls", "list", "--output", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(listed.standardOutput)) as? [Any])?.count == 1)
    }

    @Test func portOutsideTheRangeIsRefused() throws {
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "127.0.0.1", "--port", "70000",
                           "--user", "u", "--password", "p", "--cert_dir", "/srv/certs"],
                          message: "--port: 70000 is not between 1 and 65535")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "127.0.0.1", "--port", "0",
                           "--user", "u", "--password", "p", "--cert_dir", "/srv/certs"],
                          message: "--port: 0 is not between 1 and 65535")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "127.0.0.1", "--port", "ssh",
                           "--user", "u", "--password", "p", "--cert_dir", "/srv/certs"],
                          message: "--port: 'ssh' is not an integer")
    }

    @Test func hostLongerThan255CharactersIsRefused() throws {
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", String(repeating: "h", count: 256),
                           "--user", "u", "--password", "p", "--cert_dir", "/srv/certs"],
                          message: "--host: must be between 1 and 255 characters (got 256)")
    }

    @Test func remoteConnectionNeedsAHost() throws {
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--user", "u", "--password", "p",
                           "--cert_dir", "/srv/certs"], message: "--host: is required with connection type ssh")
    }

    @Test func connectionTypeMustBeOneThePluginAllows() throws {
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "winrm_http", "--host", "w1", "--user", "u",
                           "--password", "p", "--cert_dir", "C:/certs"],
                          message: "--connection_type: 'winrm_http' is not allowed for type 'pem_dir'; use one of: local, ssh")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "telnet", "--cert_dir", "/x"],
                          message: "--connection_type: 'telnet' is not a connection type")
    }

    @Test func storeAndStoreCredentialIDGoTogether() throws {
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "h", "--store", "vault1",
                           "--cert_dir", "/srv/certs"], message: "--store_cred_id: is required with --store")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "h", "--store_cred_id", "id1",
                           "--cert_dir", "/srv/certs"], message: "--store: is required with --store_cred_id")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "h", "--store", "nosuch",
                           "--store_cred_id", "id1", "--cert_dir", "/srv/certs"],
                          exitCode: 2, message: "--store: no credential store named 'nosuch'")
    }

    @Test func unknownOptionsAreRefused() throws {
        try expectRefused(valid + ["--tomcat_dir", "/opt/tomcat"], message: "--tomcat_dir: is not an option of type 'pem_dir'")
        try expectRefused(valid + ["stray"], message: "unexpected argument 'stray'")
    }

    @Test func optionsGivenTwiceAreRefused() throws {
        try expectRefused(valid + ["--name", "web2"], message: "--name: is given more than once")
    }

    @Test func remoteOnlyOptionsAreRefusedForLocal() throws {
        try expectRefused(valid + ["--host", "example.org"], message: "--host: is not used with connection type local; remove it")
        try expectRefused(valid + ["--password", "x"], message: "--password: is not used with connection type local")
    }

    @Test func remoteConnectionNeedsCredentials() throws {
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "h", "--cert_dir", "/c"],
                          message: "--user: is required with connection type ssh")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "h", "--user", "u", "--cert_dir", "/c"],
                          message: "--password: is required with connection type ssh")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "h", "--user", "u",
                           "--ssh_key_path", "/nonexistent/key", "--cert_dir", "/c"],
                          message: "--ssh_key_path: /nonexistent/key does not exist or is not readable")
        try expectRefused(["pem_dir", "--name", "r1", "--connection_type", "ssh", "--host", "h", "--user", "u",
                           "--password", "p", "--ssh_key_password", "x", "--cert_dir", "/c"],
                          message: "--ssh_key_password: needs --ssh_key_path")
    }

    @Test func requiredPluginOptionIsEnforcedBySchema() throws {
        try expectRefused(["pem_dir", "--name", "web1", "--connection_type", "local"],
                          message: "--cert_dir: is required for type 'pem_dir'")
    }

    @Test func pluginOwnValidationNamesTheOption() throws {
        try expectRefused(valid + ["--file_prefix", "a/b"], message: "--file_prefix:")
    }

    @Test func unknownTypeListsTheAvailableOnes() throws {
        try expectRefused(["nosuchtype", "--name", "x"], exitCode: 3, message: "no plugin serves endpoint type 'nosuchtype'; available types: combined_pem, pem_dir")
    }

    @Test func helpIsGeneratedFromThePluginSchema() throws {
        let result = try add(["pem_dir", "--help"])
        #expect(result.exitStatus == 0)
        for expected in ["--cert_dir <path>", "--file_prefix", "default: server", "--connection_type", "--store_cred_id",
                         "Connection types: local, ssh"] {
            #expect(result.standardOutputText.contains(expected), "help lacks \(expected)")
        }
        let short = try add(["combined_pem", "-h"])
        #expect(short.exitStatus == 0)
        #expect(short.standardOutputText.contains("--path <path>"))
    }

    @Test func secretsFromStandardInputNeverReachDiskOrOutput() throws {
        let secret = "Zq9-unique-secret-\(UInt32.random(in: 0...UInt32.max))"
        // A remote endpoint whose plugin validation needs no connection is not
        // possible here, so the secret goes into a refused remote add and a
        // successful local add of the schema-only plugin cannot carry one; use
        // the ssh path up to the connection attempt against a closed port.
        let port = Loopback.freePort()
        let result = try add(["pem_dir", "--name", "s1", "--connection_type", "ssh", "--host", "127.0.0.1",
                              "--port", String(port), "--user", "u", "--password", "-", "--cert_dir", "/c"],
                             standardInput: Array("\(secret)\n".utf8))
        #expect(result.exitStatus != 0)
        #expect(!result.standardErrorText.contains(secret))
        #expect(!result.standardOutputText.contains(secret))
        for (path, bytes) in fixture.dataDirectoryContents() {
            #expect(!String(decoding: bytes, as: UTF8.self).contains(secret), "secret found in \(path)")
        }
    }
}
