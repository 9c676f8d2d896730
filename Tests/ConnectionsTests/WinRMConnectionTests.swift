import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

@Suite("WinRM connections")
struct WinRMConnectionTests {
    @Test func ntlmOverHTTPSealsEveryMessage() throws {
        let server = try WinRMServerFixture(https: false)
        let connection = try server.connect()
        defer { connection.close() }
        #expect(connection.sealsMessages)
        #expect(!connection.isInsecure)
        let result = try connection.run(["printf", "%s", "sealed hello"])
        #expect(result.exitStatus == 0)
        #expect(result.standardOutputText == "sealed hello")
        #expect(connection.lastRequestWasSealed)

        let requests = try server.requests()
        #expect(requests.contains { $0["event"] as? String == "ntlm-authenticated" && $0["user"] as? String == server.user })
        let soap = requests.filter { $0["event"] as? String == "request" }
        #expect(Set(soap.compactMap { $0["action"] as? String }).isSuperset(of: ["Create", "Command", "Receive", "Signal"]))
        for request in soap {
            #expect(request["sealed"] as? Bool == true, "request \(request) went out unsealed")
            #expect(request["plaintextEnvelope"] as? Bool == false, "a SOAP envelope was readable on the wire: \(request)")
        }
        #expect(!requests.contains { ["unseal-failed", "unencrypted-refused"].contains($0["event"] as? String) })
    }

    @Test func wrongPasswordIsAuthenticationFailed() throws {
        let server = try WinRMServerFixture(https: false)
        let error = connectionError { _ = try WinRMConnection(spec: server.spec(password: "not the password")) }
        #expect(error == .authenticationFailed(user: server.user, host: "127.0.0.1", reason: .wrongPassword))
        #expect(try server.requests().contains { $0["event"] as? String == "ntlm-rejected" })
    }

    @Test func commandsReportExitStatusStandardErrorAndInput() throws {
        let server = try WinRMServerFixture(https: false)
        let connection = try server.connect()
        defer { connection.close() }
        let failing = try connection.run(["sh", "-c", "echo out; echo 'it broke' >&2; exit 7"])
        #expect(failing.exitStatus == 7)
        #expect(failing.standardOutputText == "out\n")
        #expect(failing.standardErrorText == "it broke\n")

        let input = randomBytes(300_000) // more than one Send
        let echoed = try connection.run(["cat"], standardInput: input)
        #expect(echoed.exitStatus == 0)
        #expect(echoed.standardOutput == input)

        let argument = "it's $(not) `expanded` & \"quoted\" ‘curly’ ; | > *"
        let printed = try connection.run(["printf", "%s", argument])
        #expect(printed.standardOutputText == argument)
    }

    @Test func slowCommandTimesOutAndIsStopped() throws {
        let server = try WinRMServerFixture(https: false)
        let connection = try server.connect()
        defer { connection.close() }
        let marker = server.path("still-running")
        let error = connectionError {
            _ = try connection.run(["sh", "-c", "sleep 5; touch '\(marker)'"], timeout: .seconds(1))
        }
        guard case .timedOut = error else {
            Issue.record("expected timedOut, got \(String(describing: error))")
            return
        }
        #expect(try server.requests().contains { $0["action"] as? String == "Signal" })
        // The shell stays usable after a timed-out command.
        #expect(try connection.run(["true"]).exitStatus == 0)
    }

    @Test func fileRoundTripIncludingOneMebibyteInChunks() throws {
        let server = try WinRMServerFixture(https: false)
        let connection = try server.connect()
        defer { connection.close() }
        let path = server.path("big.bin")
        let contents = randomBytes(1 << 20)
        try connection.writeFileAtomically(path, contents: contents)
        #expect(try connection.readFile(path) == contents)
        #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == contents)
        let status = try connection.stat(path)
        #expect(status.type == .regular)
        #expect(status.size == UInt64(contents.count))
        let sends = try server.requests().filter { $0["action"] as? String == "Send" }.count
        #expect(sends >= (1 << 20) / (96 * 1024), "a 1 MiB file should travel in several chunks, saw \(sends) Sends")
        // Replacing leaves no temporary files behind.
        try connection.writeFileAtomically(path, contents: Array("small".utf8))
        #expect(try connection.readFile(path) == Array("small".utf8))
        #expect(try connection.listDirectory(server.workDirectory) == ["big.bin"])

        try connection.writeFileAtomically(server.path("empty"), contents: [])
        #expect(try connection.readFile(server.path("empty")) == [])
    }

    @Test func hostileFileNamesAreTakenLiterally() throws {
        let server = try WinRMServerFixture(https: false)
        let connection = try server.connect()
        defer { connection.close() }
        let names = ["it's here.pem", "$(touch pwned).txt", "semi;colon & amp", "‘curly’ quotes", "wild*card[1].txt",
                     "new\nline", "ünïcødé ✓", "-Force"]
        for name in names {
            try connection.writeFileAtomically(server.path(name), contents: Array(name.utf8))
        }
        #expect(try connection.listDirectory(server.workDirectory) == names.sorted())
        for name in names {
            #expect(try connection.readFile(server.path(name)) == Array(name.utf8), "\(name)")
            #expect(try connection.stat(server.path(name)).size == UInt64(name.utf8.count))
            try connection.remove(server.path(name))
        }
        #expect(try connection.listDirectory(server.workDirectory) == [])
        #expect(!FileManager.default.fileExists(atPath: "pwned"))
    }

    @Test func directoriesAndMissingPaths() throws {
        let server = try WinRMServerFixture(https: false)
        let connection = try server.connect()
        defer { connection.close() }
        let nested = server.path("a/b/c")
        try connection.makeDirectory(nested)
        try connection.makeDirectory(nested)
        #expect(try connection.stat(nested).type == .directory)
        #expect(try connection.stat(server.path("nothing")) == .missing)
        #expect(connectionError { _ = try connection.readFile(server.path("nothing")) } == .notFound(path: server.path("nothing")))
        #expect(connectionError { try connection.remove(server.path("nothing")) } == .notFound(path: server.path("nothing")))
        #expect(connectionError { _ = try connection.listDirectory(server.path("nothing")) } == .notFound(path: server.path("nothing")))
        // A non-empty directory is not removed.
        guard case .io = connectionError({ try connection.remove(server.path("a")) }) else {
            Issue.record("removing a non-empty directory should fail with an I/O error")
            return
        }
        try connection.remove(nested)
        #expect(try connection.stat(nested) == .missing)
        // Writing into a missing directory fails and leaves nothing behind.
        guard case .io = connectionError({ try connection.writeFileAtomically(server.path("absent/file"), contents: [1]) }) else {
            Issue.record("writing into a missing directory should fail with an I/O error")
            return
        }
    }

    @Test func basicOverHTTPIsRefusedBeforeAnythingIsSent() throws {
        let spec = ConnectionSpec(type: .winrmHTTP, host: "127.0.0.1", port: Int(Loopback.freePort()), user: "ogtest",
                                  authentication: .password("secret"))
        let error = connectionError { _ = try WinRMConnection(spec: spec, authentication: .basic) }
        guard case .invalidArgument(let field, let problem) = error else {
            Issue.record("expected invalidArgument, got \(String(describing: error))")
            return
        }
        #expect(field == "field `auth`")
        #expect(problem.contains("winrm_https"))
        #expect(!problem.contains("secret"))
    }

    @Test func httpsVerifiesTheServerCertificateUnlessInsecure() throws {
        let server = try WinRMServerFixture(https: true)
        let untrusted = connectionError { _ = try server.connect(authentication: .basic, trusted: false) }
        guard case .hostKeyRejected(let host, _, _) = untrusted else {
            Issue.record("expected hostKeyRejected for an untrusted certificate, got \(String(describing: untrusted))")
            return
        }
        #expect(host == "127.0.0.1")
        #expect(!(try server.requests().contains { $0["event"] as? String == "request" }), "nothing may be sent to an unverified server")

        let trusted = try server.connect(authentication: .basic, trusted: true)
        defer { trusted.close() }
        #expect(!trusted.isInsecure)
        #expect(!trusted.sealsMessages)
        #expect(try trusted.run(["printf", "verified"]).standardOutputText == "verified")

        let insecure = try WinRMConnection(spec: server.spec(.winrmHTTPSInsecure), authentication: .basic)
        defer { insecure.close() }
        #expect(insecure.isInsecure)
        #expect(try insecure.run(["printf", "unverified"]).standardOutputText == "unverified")
        #expect(try server.requests().filter { $0["event"] as? String == "request" }.allSatisfy { $0["auth"] as? String == "basic" })
    }

    @Test func ntlmOverHTTPSReliesOnTLSInsteadOfSealing() throws {
        let server = try WinRMServerFixture(https: true)
        let connection = try server.connect(authentication: .ntlm, trusted: true)
        defer { connection.close() }
        #expect(!connection.sealsMessages)
        #expect(try connection.run(["printf", "ntlm in tls"]).standardOutputText == "ntlm in tls")
        let requests = try server.requests()
        #expect(requests.contains { $0["event"] as? String == "ntlm-authenticated" })
        #expect(requests.filter { $0["event"] as? String == "request" }.allSatisfy { $0["sealed"] as? Bool == false && $0["auth"] as? String == "ntlm" })
    }

    @Test func basicOverHTTPSWithWrongPasswordIsAuthenticationFailed() throws {
        let server = try WinRMServerFixture(https: true)
        let error = connectionError {
            _ = try WinRMConnection(spec: server.spec(.winrmHTTPSInsecure, password: "wrong"), authentication: .basic)
        }
        #expect(error == .authenticationFailed(user: server.user, host: "127.0.0.1", reason: .wrongPassword))
    }

    @Test func connectionFactoryOpensWinRMWithNTLM() throws {
        let server = try WinRMServerFixture(https: false)
        let connection = try ConnectionFactory.open(server.spec(), hostKeyStore: nil)
        defer { connection.close() }
        #expect(connection.platform == .windows)
        #expect((connection as? WinRMConnection)?.sealsMessages == true)
        #expect(try connection.run(["printf", "factory"]).standardOutputText == "factory")
    }

    @Test func nothingListeningIsCouldNotConnect() throws {
        let port = Int(Loopback.freePort())
        let spec = ConnectionSpec(type: .winrmHTTP, host: "127.0.0.1", port: port, user: "ogtest",
                                  authentication: .password("secret"), connectTimeout: .seconds(5))
        guard case .couldNotConnect(let host, let reportedPort, _) = connectionError({ _ = try WinRMConnection(spec: spec) }) else {
            Issue.record("expected couldNotConnect")
            return
        }
        #expect(host == "127.0.0.1" && reportedPort == port)
    }
}
