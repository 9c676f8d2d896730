import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The public pywinrm client against the test server: if pywinrm (which
/// works with real Windows) accepts the server's NTLM, sealing and SOAP, the
/// server is a fair stand-in for what og-host's tests exercise.
@Suite("WinRM test server fidelity")
struct WinRMServerFidelityTests {
    private func runPyWinRM(_ server: WinRMServerFixture, _ program: String) throws -> ProcessOutput {
        let python = try WinRMServerFixture.pythonWithModules()
        let script = """
            import os, sys, winrm
            scheme = 'https' if os.environ['OG_HTTPS'] == '1' else 'http'
            kwargs = dict(transport='basic', server_cert_validation='ignore') if scheme == 'https' \
                else dict(transport='ntlm', message_encryption='always')
            s = winrm.Session(f"{scheme}://127.0.0.1:{os.environ['OG_PORT']}/wsman",
                              auth=(os.environ['OG_USER'], os.environ['OG_PASSWORD']), **kwargs)
            \(program)
            """
        // The password reaches the client through its environment, not argv.
        var environment = EnvironmentVariable.all()
        environment["OG_HTTPS"] = server.https ? "1" : "0"
        environment["OG_PORT"] = String(server.port)
        environment["OG_USER"] = server.user
        environment["OG_PASSWORD"] = server.password
        return try ProcessRunner.run(python, ["-c", script], environment: environment, timeout: .seconds(120))
    }

    @Test func pywinrmRunsCommandsOverSealedNTLM() throws {
        let server = try WinRMServerFixture(https: false)
        let output = try runPyWinRM(server, """
            r = s.run_cmd('echo', ['hello', 'winrm'])
            print(r.status_code, r.std_out.decode().strip())
            r = s.run_ps("& 'sh' '-c' 'echo from-ps; echo oops >&2; exit 5'")
            print(r.status_code, r.std_out.decode().strip(), r.std_err.decode().strip())
            """)
        #expect(output.exitStatus == 0, "pywinrm failed: \(output.standardErrorText)")
        #expect(output.standardOutputText == "0 hello winrm\n5 from-ps oops\n")
        let soap = try server.requests().filter { $0["event"] as? String == "request" }
        #expect(!soap.isEmpty)
        #expect(soap.allSatisfy { $0["sealed"] as? Bool == true && $0["auth"] as? String == "ntlm" })
    }

    @Test func pywinrmRunsCommandsOverHTTPSWithBasic() throws {
        let server = try WinRMServerFixture(https: true)
        let output = try runPyWinRM(server, """
            r = s.run_cmd('echo', ['over', 'tls'])
            print(r.status_code, r.std_out.decode().strip())
            """)
        #expect(output.exitStatus == 0, "pywinrm failed: \(output.standardErrorText)")
        #expect(output.standardOutputText == "0 over tls\n")
        #expect(try server.requests().filter { $0["event"] as? String == "request" }.allSatisfy { $0["auth"] as? String == "basic" })
    }

    @Test func pywinrmWithAWrongPasswordIsRejected() throws {
        let server = try WinRMServerFixture(https: false)
        let output = try runPyWinRM(server, """
            s.protocol.transport.password = 'wrong'
            try:
                s.run_cmd('echo', ['x'])
                print('accepted')
            except Exception as error:
                print('rejected', type(error).__name__)
            """)
        #expect(output.standardOutputText.hasPrefix("rejected"), "\(output.standardOutputText) \(output.standardErrorText)")
    }
}
