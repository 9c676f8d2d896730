import Foundation
import OGBasics
@testable import OGConnections
import OGTestSupport
import Testing

/// Privileged commands through sudo. The SSH tests rely on /etc/sudoers.d/og-test
/// (written by `SSHTestUser.grantPasswordlessSudo`), granting the test account NOPASSWD.
struct SudoTests {
    @Test func privilegedCommandRunsThroughSudoNonInteractively() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let server = try SSHServerFixture.start()
        let connection = try server.connect()
        let user = try SSHTestUser.ensure()
        #expect(try connection.run(["id", "-u"]).standardOutputText == "\(user.uid)\n")
        let privileged = try connection.run(["id", "-u"], standardInput: [], timeout: .seconds(30), privileged: true)
        #expect(privileged.standardOutputText == "0\n", "\(privileged.standardErrorText)")
    }

    @Test func sudoPasswordIsNotSentWhenSudoDoesNotAskForIt() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let server = try SSHServerFixture.start()
        let connection = try server.connect(sudoPassword: "sudo-password-\(randomToken())")
        let result = try connection.run(["cat"], standardInput: Array("payload".utf8), timeout: .seconds(30), privileged: true)
        #expect(result.standardOutputText == "payload", "the command read something else: \(result.standardOutputText)")
        let whoami = try connection.run(["id", "-u"], standardInput: [], timeout: .seconds(30), privileged: true)
        #expect(whoami.standardOutputText == "0\n")
    }

    @Test func localPrivilegedCommandRunsDirectlyAsRoot() throws {
        try #require(geteuid() == 0, "this test runs as root, as .ci/run does")
        let result = try LocalConnection().run(["id", "-u"], standardInput: [], timeout: .seconds(30), privileged: true)
        #expect(result.standardOutputText == "0\n")
    }

    @Test func sudoPasswordTravelsOnStandardInputNeverInArguments() {
        let wrapped = PrivilegeElevation(mode: .password("s3cret")).wrap(["systemctl", "reload", "nginx"],
                                                                         standardInput: Array("data".utf8))
        #expect(wrapped.argv == ["sudo", "-S", "-k", "-p", "", "--", "systemctl", "reload", "nginx"])
        #expect(wrapped.standardInput == Array("s3cret\ndata".utf8))
        #expect(!wrapped.argv.joined().contains("s3cret"))
        let passwordless = PrivilegeElevation(mode: .passwordless).wrap(["id"], standardInput: [])
        #expect(passwordless.argv == ["sudo", "-n", "--", "id"])
    }

    @Test func sudoAskingForAPasswordIsRecognised() throws {
        // A real refusal: an account with no sudo rights and no password to give.
        let refused = try ProcessRunner.run("/usr/sbin/runuser", ["-u", "nobody", "--", "sudo", "-n", "-k", "true"])
        let result = CommandResult(exitStatus: refused.exitStatus, standardOutput: refused.standardOutput,
                                   standardError: refused.standardError)
        #expect(PrivilegeElevation.refusal(in: result) == .sudoPasswordRequired, "sudo said: \(refused.standardErrorText)")
        #expect(PrivilegeElevation.refusal(in: CommandResult(exitStatus: 1, standardOutput: [],
                                                             standardError: Array("grep: no match\n".utf8))) == nil)
    }
}
