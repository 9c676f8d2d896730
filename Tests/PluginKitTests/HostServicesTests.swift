import Foundation
import OGPluginABI
import OGTestSupport
import Testing
@testable import OGPluginKit

/// HostServices marshals each request into the host's table and copies each
/// result out, giving every host-owned result back.
@Suite struct HostServicesTests {
    /// Runs `body` with services lent for one call, and checks it gave back every host result.
    private func withServices<Result>(_ call: FakeCall = FakeCall(), _ body: (HostServices) throws -> Result) throws -> Result {
        let result = try call.perform { pointer in
            let services = Loaded.services(for: pointer)
            defer { services.invalidate() }
            return try body(services)
        }
        #expect(FakeHost.shared.outstandingResults(of: call) == 0, "a host result was not released")
        return result
    }

    @Test func runPassesArgvAsVectorAndSecretsOnStandardInput() throws {
        let call = FakeCall()
        let hostile = "two words; $(touch /tmp/never) 'quoted'"
        let result = try withServices(call) {
            try $0.run(["/bin/sh", "-c", "cat; printf '|%s|' \"$1\"", "sh", hostile], standardInput: Array("s3cret".utf8),
                       timeout: .milliseconds(1500), privileged: true)
        }
        #expect(result.succeeded)
        #expect(result.standardOutputText == "s3cret|\(hostile)|")
        let recorded = try #require(call.state.withLock { $0.commands.first })
        #expect(recorded.argv == ["/bin/sh", "-c", "cat; printf '|%s|' \"$1\"", "sh", hostile])
        #expect(!recorded.argv.joined().contains("s3cret"))
        #expect(recorded.flags == OG_RUN_PRIVILEGED)
        #expect(recorded.timeoutMilliseconds == 1500)
    }

    @Test func runReturnsAFailedCommandInsteadOfThrowing() throws {
        let call = FakeCall()
        let result = try withServices(call) { try $0.run(["/bin/sh", "-c", "echo oops >&2; exit 3"]) }
        #expect(result.exitStatus == 3)
        #expect(result.standardErrorText == "oops\n")
        #expect(call.state.withLock { $0.commands.first?.timeoutMilliseconds } == 0, "nil means the host's default")
    }

    /// ABI 1.2: the statement reaches the host's service; on a host whose table ends before it
    /// (1.1), the kit says the host does not take it and the call throws instead of reading past the table.
    @Test func theOldConfigurationRetiredIsStatedOnlyWhereTheHostTakesIt() throws {
        let call = FakeCall()
        try withServices(call) { services in
            #expect(services.takesOldConfigurationRetired)
            try services.attestOldConfigurationRetired()
        }
        #expect(call.state.withLock { $0.retirementStatements } == 1)
        var older = FakeHost.shared.table.pointee
        older.struct_size = UInt32(try #require(MemoryLayout<og_host_api>.offset(of: \.attest_old_configuration_retired)))
        try withUnsafePointer(to: &older) { table in
            try call.perform { pointer in
                let services = Loaded.services(for: pointer, table: table)
                defer { services.invalidate() }
                #expect(!services.takesOldConfigurationRetired)
                #expect(throws: PluginError.self) { try services.attestOldConfigurationRetired() }
            }
        }
        #expect(call.state.withLock { $0.retirementStatements } == 1)
    }

    @Test func runRefusesAnEmptyArgv() throws {
        #expect(throws: PluginError.self) { try withServices { try $0.run([]) } }
    }

    @Test func filesAreReadStatedListedAndWritten() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("b.txt")
        try withServices { host in
            try host.writeFile(file, contents: Array("hello\n".utf8), mode: 0o600)
            try host.writeFile(directory.file("a.txt"), contents: [])
            #expect(try host.readFile(file) == Array("hello\n".utf8))
            let info = try host.stat(file)
            #expect(info.type == .regular && info.mode == 0o600 && info.size == 6)
            #expect(try host.stat(directory.path).type == .directory)
            #expect(try host.stat(directory.file("absent")).type == .missing)
            #expect(try !host.stat(directory.file("absent")).exists)
            #expect(symlink(file, directory.file("link")) == 0)
            #expect(try host.stat(directory.file("link")).type == .symlink)
            #expect(try host.listDirectory(directory.path) == ["a.txt", "b.txt", "link"])
        }
    }

    @Test func failingServiceThrowsTheHostStatusMarkedAsAlreadyReported() throws {
        let directory = try TemporaryDirectory()
        let call = FakeCall()
        try withServices(call) { host in
            do {
                _ = try host.readFile(directory.file("absent"))
                Issue.record("reading a missing file must throw")
            } catch let error as PluginError {
                #expect(error.status == .notFound)
                #expect(error.isReportedByHost)
                #expect(error.message.contains("read_file \(directory.file("absent")): NOT_FOUND"))
            }
        }
        #expect(call.errors.count == 1, "only the host's own report")
    }

    @Test func forcedFailuresOfCallerOwnedServicesThrowToo() throws {
        let call = FakeCall(forcedFailures: ["stat_file": OG_ERR_CONNECT, "write_file": OG_ERR_AUTH])
        try withServices(call) { host in
            #expect { try host.stat("/") } throws: { ($0 as? PluginError)?.status == .connect }
            #expect { try host.writeFile("/nonexistent/x", contents: []) } throws: { ($0 as? PluginError)?.status == .auth }
        }
    }

    @Test func httpRequestAndResponseCrossIntact() throws {
        let call = FakeCall(httpResponse: HTTPResponse(status: 201, headers: [HTTPHeader("Content-Type", "application/json")],
                                                       body: Array("{\"id\":7}".utf8)))
        let request = HTTPRequest(method: "POST", path: "/mgmt/tm/sys/crypto/cert?expand=1",
                                  headers: [HTTPHeader("Accept", "application/json")], body: Array("{}".utf8),
                                  timeout: .seconds(3))
        let response = try withServices(call) { try $0.http(request) }
        #expect(response.status == 201)
        #expect(response.header("content-type") == "application/json")
        #expect(response.body == Array("{\"id\":7}".utf8))
        #expect(call.state.withLock { $0.httpRequests } == [request])
    }

    @Test func keystoreIsReadWithThePasswordOptionNameOnly() throws {
        let leaf = CertificateInfo(subject: "CN=store.test", commonName: "store.test", dnsNames: ["store.test"])
        let call = FakeCall(keystoreEntries: [
            KeystoreEntryInfo(alias: "tomcat", hasPrivateKey: true, chainLength: 2, certificate: leaf),
            KeystoreEntryInfo(alias: "root", hasPrivateKey: false, chainLength: 1, certificate: nil),
        ])
        let entries = try withServices(call) {
            try $0.readKeystore(format: .jks, data: [1, 2, 3], passwordOption: "store_password")
        }
        #expect(entries == call.keystoreEntries)
        let recorded = try #require(call.state.withLock { $0.keystoreRequests.first })
        #expect(recorded.format == UInt32(OG_KEYSTORE_JKS) && recorded.data == [1, 2, 3])
        #expect(recorded.passwordOption == "store_password")
    }

    @Test func certificatesAreDescribedByTheHost() throws {
        let material = try TestMaterial()
        let certificates = try withServices { try $0.readCertificates(material.certificatePEM + material.certificatePEM) }
        #expect(certificates.count == 2)
        #expect(certificates.first?.commonName == "hello.test")
        #expect(certificates.first?.dnsNames == ["hello.test", "www.hello.test"])
        #expect(certificates.first?.ipAddresses == ["127.0.0.1"])
        #expect(certificates.first?.sha256Fingerprint.count == 64)
        #expect { try withServices { try $0.readCertificates(Array("not a certificate".utf8)) } } throws: {
            ($0 as? PluginError)?.status == .parse
        }
    }

    @Test func serviceMissingFromAnOlderHostIsNotSupported() throws {
        // An older host whose table ends before read_file.
        let older = UnsafeMutablePointer<og_host_api>.allocate(capacity: 1)
        defer { older.deallocate() }
        older.initialize(to: FakeHost.shared.table.pointee)
        older.pointee.struct_size = UInt32(MemoryLayout<og_host_api>.offset(of: \.read_file)!)
        try FakeCall().perform { pointer throws in
            let services = Loaded.services(for: pointer, table: UnsafePointer(older))
            defer { services.invalidate() }
            #expect { try services.readFile("/etc/hostname") } throws: { error in
                guard let error = error as? PluginError else { return false }
                return error.status == .notSupported && !error.isReportedByHost
                    && error.message == "the host does not offer the read_file service (its services table is older or incomplete)"
            }
            #expect(try services.run(["/bin/true"]).succeeded, "services inside the table still work")
        }
    }

    @Test func servicesKeptPastTheirCallStopTheProcessWithAnExplanation() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let table = try Loaded.table(EscapingPlugin.self)
            let inputs = SlotInputs()
            let status = FakeCall().perform { table.pointee.test_connection!($0, inputs.endpoint(type: "escaping")) }
            precondition(status == OG_OK)
            EscapingPlugin.kept.withLock { $0 }?.log(.info, "too late")
        }
        let output = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        #expect(output.contains("HostServices.log was used after the plugin operation that received it returned"))
    }

    @Test func servicesUsedFromAnotherThreadStopTheProcessWithAnExplanation() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let table = try Loaded.table(EscapingPlugin.self)
            let inputs = SlotInputs()
            _ = FakeCall().perform {
                table.pointee.test_connection!($0, inputs.endpoint(type: "escaping", options: [("misuse", "other-thread")]))
            }
        }
        let output = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        #expect(output.contains("HostServices.log was used on a thread other than the one that received the plugin operation"))
    }
}
