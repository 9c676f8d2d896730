import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

/// Behaviour every connection shares, checked on the gateway itself and over a real sshd.
struct ConnectionOperationsTests {
    @Test(arguments: Endpoint.allCases)
    func commandReportsNonZeroExitAndStandardError(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let result = try workspace.connection.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(result.exitStatus == 3)
        #expect(result.standardOutputText == "out\n")
        #expect(result.standardErrorText == "err\n")
        let error = connectionError { try result.requireSuccess(["sh"]) }
        #expect(error == .commandFailed(program: "sh", exitStatus: 3, standardError: "err\n"))
        #expect(error?.description == "sh exited with status 3: err")
    }

    @Test(arguments: Endpoint.allCases)
    func missingProgramExitsWith127(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let result = try workspace.connection.run(["og-no-such-program-\(randomToken())"])
        #expect(result.exitStatus == 127)
        #expect(result.standardErrorText.contains("not found"))
    }

    @Test(arguments: Endpoint.allCases)
    func standardInputIsDeliveredThenClosed(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let input = randomBytes(300_000)
        // cat ends only when it sees end of input; sha256sum proves every byte arrived.
        let echoed = try workspace.connection.run(["cat"], standardInput: input)
        #expect(echoed.exitStatus == 0)
        #expect(echoed.standardOutput == input)
        let counted = try workspace.connection.run(["wc", "-c"], standardInput: Array("secret line\n".utf8))
        #expect(counted.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines) == "12")
    }

    @Test(arguments: Endpoint.allCases)
    func commandThatOutlivesItsTimeoutFailsAndTheConnectionStaysUsable(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let error = connectionError { _ = try workspace.connection.run(["sleep", "30"], timeout: .milliseconds(500)) }
        guard case .timedOut(_, let after) = error else {
            Issue.record("expected timedOut, got \(String(describing: error))")
            return
        }
        #expect(after == .milliseconds(500))
        #expect(try workspace.connection.run(["echo", "still here"]).standardOutputText == "still here\n")
    }

    @Test(arguments: Endpoint.allCases)
    func largeFileRoundTripsIntact(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let contents = randomBytes(8 << 20)
        let path = workspace.path("large.bin")
        try workspace.connection.writeFileAtomically(path, contents: contents)
        #expect(try workspace.connection.readFile(path) == contents)
        let status = try workspace.connection.stat(path)
        #expect(status.type == .regular)
        #expect(status.size == UInt64(contents.count))
        #expect(status.mode == 0o644)
        let digest = try workspace.connection.run(["sha256sum", path]).standardOutputText.prefix(64)
        let local = try ProcessRunner.run("sha256sum", [], standardInput: contents).standardOutputText.prefix(64)
        #expect(digest == local)
    }

    @Test(arguments: Endpoint.allCases)
    func specialFilesAreRefusedInsteadOfReadForever(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        // /dev/zero never ends; a FIFO without a writer never starts. Both must fail at once.
        let zero = connectionError { _ = try workspace.connection.readFile("/dev/zero") }
        #expect(zero?.description.contains("not a regular file") == true, "\(String(describing: zero))")
        let fifo = workspace.path("pipe")
        #expect(try workspace.connection.run(["mkfifo", fifo]).exitStatus == 0)
        let blocked = connectionError { _ = try workspace.connection.readFile(fifo) }
        #expect(blocked?.description.contains("not a regular file") == true, "\(String(describing: blocked))")
    }

    @Test(arguments: Endpoint.allCases)
    func writeGivesNewFilesTheirModeAndKeepsAnExistingFilesMode(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let fresh = workspace.path("key.pem")
        try workspace.connection.writeFileAtomically(fresh, contents: Array("one".utf8), mode: 0o600)
        #expect(try workspace.connection.stat(fresh).mode == 0o600)

        let existing = workspace.path("site.conf")
        try workspace.connection.writeFileAtomically(existing, contents: Array("old".utf8), mode: 0o640)
        // Overwriting takes the replace-existing path and must keep 0640, whatever mode is asked for.
        try workspace.connection.writeFileAtomically(existing, contents: Array("new contents".utf8), mode: 0o666)
        #expect(try workspace.connection.readFile(existing) == Array("new contents".utf8))
        #expect(try workspace.connection.stat(existing).mode == 0o640)
        #expect(try workspace.connection.listDirectory(workspace.directory) == ["key.pem", "site.conf"])
    }

    @Test(arguments: Endpoint.allCases)
    func statDescribesEachKindOfPathWithoutFollowingSymlinks(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let connection = workspace.connection
        try connection.writeFileAtomically(workspace.path("file"), contents: Array("12345".utf8))
        try connection.makeDirectory(workspace.path("dir"), mode: 0o750)
        try connection.run(["ln", "-s", workspace.path("file"), workspace.path("link")]).requireSuccess(["ln"])

        let file = try connection.stat(workspace.path("file"))
        #expect(file.type == .regular && file.size == 5)
        #expect(file.modified > 1_600_000_000)
        let owner = endpoint == .ssh ? try SSHTestUser.ensure().uid : geteuid()
        #expect(file.uid == owner)
        #expect(try connection.stat(workspace.path("dir")).type == .directory)
        #expect(try connection.stat(workspace.path("dir")).mode == 0o750)
        #expect(try connection.stat(workspace.path("link")).type == .symlink)
        #expect(try connection.stat(workspace.path("nothing")) == .missing)
        #expect(try connection.stat(workspace.path("nothing/below")).type == .missing)
    }

    @Test(arguments: Endpoint.allCases)
    func directoriesCanBeMadeListedAndRemoved(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let connection = workspace.connection
        let nested = workspace.path("a/b/c")
        try connection.makeDirectory(nested, mode: 0o755)
        try connection.makeDirectory(nested, mode: 0o755)
        for name in ["z", "m", ".hidden"] {
            try connection.writeFileAtomically("\(nested)/\(name)", contents: [])
        }
        #expect(try connection.listDirectory(nested) == [".hidden", "m", "z"])
        #expect(try connection.listDirectory(workspace.path("a")) == ["b"])

        let occupied = connectionError { try connection.remove(workspace.path("a/b")) }
        guard case .io(let path, _) = occupied else {
            Issue.record("removing a non-empty directory should fail with io, got \(String(describing: occupied))")
            return
        }
        #expect(path == workspace.path("a/b"))
        for name in ["z", "m", ".hidden"] { try connection.remove("\(nested)/\(name)") }
        try connection.remove(nested)
        #expect(try connection.stat(nested) == .missing)
        #expect(connectionError { try connection.remove(nested) } == .notFound(path: nested))
    }

    /// Removing a symlink removes the link, never what it points to (SFTP unlinks before examining the path).
    @Test(arguments: Endpoint.allCases)
    func removingASymlinkToADirectoryRemovesOnlyTheLink(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let connection = workspace.connection
        let directory = workspace.path("target")
        try connection.makeDirectory(directory, mode: 0o755)
        try connection.writeFileAtomically("\(directory)/kept.pem", contents: Array("kept".utf8))
        let link = workspace.path("link")
        #expect(symlink(directory, link) == 0)

        try connection.remove(link)

        #expect(try connection.stat(link) == .missing)
        #expect(try connection.readFile("\(directory)/kept.pem") == Array("kept".utf8))
    }

    @Test(arguments: Endpoint.allCases)
    func missingPathsAreReportedAsNotFound(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let missing = workspace.path("absent.pem")
        #expect(connectionError { _ = try workspace.connection.readFile(missing) } == .notFound(path: missing))
        #expect(connectionError { _ = try workspace.connection.listDirectory(missing) } == .notFound(path: missing))
        let intoMissingDirectory = workspace.path("no-dir/cert.pem")
        let error = connectionError { try workspace.connection.writeFileAtomically(intoMissingDirectory, contents: [1]) }
        guard case .io(let path, _) = error else {
            Issue.record("expected io, got \(String(describing: error))")
            return
        }
        #expect(path == intoMissingDirectory)
    }

    @Test(arguments: Endpoint.allCases)
    func directoryCannotBeReadOrOverwrittenAsAFile(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let directory = workspace.path("conf.d")
        try workspace.connection.makeDirectory(directory)
        #expect(connectionError { _ = try workspace.connection.readFile(directory) }
            == .io(path: directory, reason: "is a directory, not a file"))
        #expect(connectionError { try workspace.connection.writeFileAtomically(directory, contents: [1]) }
            == .io(path: directory, reason: "is a directory; give the path of a file inside it"))
    }

    @Test(arguments: Endpoint.allCases)
    func hostileNamesArriveIntactAndAreNeverExecuted(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let connection = workspace.connection
        let home = try SSHTestUser.ensure().home
        let token = randomToken()
        let markers = ["pwned-dollar-\(token)", "pwned-tick-\(token)", "pwned-arg-\(token)"]
        let names = [
            "with space", "it's quoted", "\"double\"", "$(cd;touch \(markers[0]))", "`cd;touch \(markers[1])`",
            "new\nline", "semi;colon&amp|pipe", "-leading-dash", "*", "ünïcödé",
        ]
        for name in names {
            let path = workspace.path(name)
            let contents = Array("contents of \(name)".utf8)
            try connection.writeFileAtomically(path, contents: contents)
            // Written again, so the replace-existing rename (a command over SSH) handles the name too.
            try connection.writeFileAtomically(path, contents: contents + [0x21])
            #expect(try connection.readFile(path) == contents + [0x21], "\(name)")
            let catted = try connection.run(["cat", "--", path])
            #expect(catted.standardOutput == contents + [0x21], "cat \(name): \(catted.standardErrorText)")
            try connection.run(["touch", "--", path + ".touched"]).requireSuccess(["touch"])
            #expect(try connection.stat(path + ".touched").type == .regular, "\(name)")
        }
        let echoed = try connection.run(["printf", "%s", "$(touch /tmp/\(markers[2]))"])
        #expect(echoed.standardOutputText == "$(touch /tmp/\(markers[2]))")
        #expect(Set(try connection.listDirectory(workspace.directory)) == Set(names + names.map { $0 + ".touched" }))
        for marker in markers {
            for directory in [home, "/tmp", workspace.directory, FileManager.default.currentDirectoryPath] {
                #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(marker)"), "\(directory)/\(marker) was created")
            }
        }
    }

    @Test(arguments: Endpoint.allCases)
    func namesWithNULAreRefusedBeforeReachingTheEndpoint(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let path = workspace.path("cert.pem\0.bak")
        #expect(connectionError { try workspace.connection.writeFileAtomically(path, contents: [1]) }
            == .invalidArgument(field: "path", problem: "contains a NUL byte, which no file name can hold"))
        #expect(try workspace.connection.listDirectory(workspace.directory).isEmpty)
        #expect(connectionError { _ = try workspace.connection.run(["echo", "a\0b"]) }
            == .invalidArgument(field: "argv[1]", problem: "contains a NUL byte, which no command argument can hold"))
    }

    @Test(arguments: Endpoint.allCases)
    func closedConnectionRefusesFurtherWork(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        workspace.connection.close()
        workspace.connection.close()
        guard case .couldNotConnect(_, _, let reason) = connectionError({ _ = try workspace.connection.run(["true"]) }) else {
            Issue.record("expected couldNotConnect after close")
            return
        }
        #expect(reason.contains("closed"))
    }

    @Test func localWriteKeepsAnExistingFilesOwner() throws {
        let directory = try TemporaryDirectory("og-owner")
        let path = directory.file("owned.pem")
        let connection = LocalConnection()
        try connection.writeFileAtomically(path, contents: [1, 2, 3], mode: 0o640)
        let user = try SSHTestUser.ensure()
        try #require(chown(path, user.uid, user.gid) == 0)
        try connection.writeFileAtomically(path, contents: [4, 5, 6], mode: 0o600)
        let status = try connection.stat(path)
        #expect(status.uid == user.uid && status.gid == user.gid)
        #expect(status.mode == 0o640)
        #expect(try connection.readFile(path) == [4, 5, 6])
    }
}
