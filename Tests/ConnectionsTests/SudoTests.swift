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
        let connection = try server.connect(sudo: true)
        let user = try SSHTestUser.ensure()
        #expect(try connection.run(["id", "-u"]).standardOutputText == "\(user.uid)\n")
        let privileged = try connection.run(["id", "-u"], standardInput: [], timeout: .seconds(30), privileged: true)
        #expect(privileged.standardOutputText == "0\n", "\(privileged.standardErrorText)")
    }

    @Test func sudoPasswordIsNotSentWhenSudoDoesNotAskForIt() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let server = try SSHServerFixture.start()
        let connection = try server.connect(sudo: true, sudoPassword: "sudo-password-\(randomToken())")
        let result = try connection.run(["cat"], standardInput: Array("payload".utf8), timeout: .seconds(30), privileged: true)
        #expect(result.standardOutputText == "payload", "the command read something else: \(result.standardOutputText)")
        let whoami = try connection.run(["id", "-u"], standardInput: [], timeout: .seconds(30), privileged: true)
        #expect(whoami.standardOutputText == "0\n")
    }

    @Test func withoutSudoConfiguredPrivilegedCommandsRunAsTheLogin() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let server = try SSHServerFixture.start()
        let user = try SSHTestUser.ensure()
        let result = try server.connect().run(["id", "-u"], standardInput: [], timeout: .seconds(30), privileged: true)
        #expect(result.standardOutputText == "\(user.uid)\n", "sudo was used although the endpoint does not configure it")
    }

    /// Every file operation of a sudo endpoint runs as root: a root-only tree
    /// the login cannot even enter is read, listed, replaced (keeping owner
    /// and mode), extended and pruned; without sudo the same read is refused.
    @Test func fileOperationsGoThroughSudoKeepingOwnerAndMode() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let server = try SSHServerFixture.start()
        let root = try TemporaryDirectory("og-sudo-files")
        chmod(root.path, 0o700)
        let config = root.file("site.conf")
        try LocalFiles.writeAtomically(config, contents: Array("old\n".utf8), mode: 0o640)
        chown(config, 0, 4)  // group adm, so the test sees the group kept too
        let odd = root.file("name with\nnewline and 'quotes'")
        try LocalFiles.writeAtomically(odd, contents: Array("x".utf8))

        let plain = try server.connect()
        guard case .io(_, let reason) = connectionError({ _ = try plain.readFile(config) }) else { return }
        #expect(reason.contains("permission denied"), "\(reason)")

        let connection = try server.connect(sudo: true)
        #expect(try connection.readFile(config) == Array("old\n".utf8))
        let status = try connection.stat(config)
        #expect(status.type == .regular && status.mode == 0o640 && status.uid == 0 && status.gid == 4 && status.size == 4)
        #expect(try connection.stat(root.file("absent")) == .missing)
        #expect(try connection.listDirectory(root.path) == ["name with\nnewline and 'quotes'", "site.conf"].sorted())
        #expect(try connection.readFile(odd) == Array("x".utf8))

        let big = randomBytes(3 << 20)
        try connection.writeFileAtomically(config, contents: big, mode: 0o600)
        #expect(try LocalFiles.read(config) == big)
        var info = Glibc.stat()
        #expect(lstat(config, &info) == 0 && info.st_uid == 0 && info.st_gid == 4 && info.st_mode & 0o7777 == 0o640,
                "an existing file keeps its owner, group and mode")
        let fresh = root.file("new.key")
        try connection.writeFileAtomically(fresh, contents: Array("secret".utf8), mode: 0o600)
        #expect(lstat(fresh, &info) == 0 && info.st_uid == 0 && info.st_mode & 0o7777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).allSatisfy { !$0.contains(".og-tmp-") })

        guard case .io(_, let missingParent) = connectionError({
            try connection.writeFileAtomically(root.file("nowhere/x"), contents: [1], mode: nil)
        }) else { return }
        #expect(missingParent.contains("directory does not exist"))
        guard case .notFound = connectionError({ _ = try connection.readFile(root.file("absent")) }) else { return }

        try connection.makeDirectory(root.file("a/b"), mode: 0o750)
        #expect(try connection.stat(root.file("a/b")).type == .directory)
        try connection.remove(root.file("a/b"))
        try connection.remove(fresh)
        #expect(!FileManager.default.fileExists(atPath: fresh))
        guard case .notFound = connectionError({ try connection.remove(fresh) }) else { return }
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
