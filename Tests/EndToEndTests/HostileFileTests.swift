import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Files named on the command line can be anything: `/dev/zero`, a FIFO with no
/// writer, a file far larger than its format allows. Each is refused at once
/// with the option named, exit 2, nothing written — never read until memory
/// runs out, never blocked on.
@Suite struct HostileFileTests {
    let fixture: GatewayFixture

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
    }

    func expectRefused(_ arguments: [String], message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try fixture.run(arguments)
        #expect(result.exitStatus == 2, "exit \(result.exitStatus): \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardErrorText.contains(message), "stderr was: \(result.standardErrorText)", sourceLocation: sourceLocation)
    }

    @Test func deviceFilesAreRefusedAsMaterial() throws {
        try expectRefused(["cert", "import", "--cert", "/dev/zero", "--key", "/dev/zero"],
                          message: "/dev/zero: read failed: is a character device, not a regular file")
        try expectRefused(["ca", "add", "/dev/zero"], message: "/dev/zero: read failed: is a character device, not a regular file")
        #expect(try fixture.certificateList().isEmpty)
    }

    @Test func fifoWithoutWriterIsRefusedNotWaitedOn() throws {
        let work = try TemporaryDirectory("og-hostile-fifo")
        let fifo = work.file("leaf.pem")
        #expect(mkfifo(fifo, 0o600) == 0)
        try expectRefused(["cert", "import", "--cert", fifo, "--key", fifo],
                          message: "\(fifo): read failed: is a FIFO, not a regular file")
        try expectRefused(["ca", "add", fifo], message: "is a FIFO, not a regular file")
    }

    @Test func oversizedMaterialIsRefusedBeforeItIsRead() throws {
        let work = try TemporaryDirectory("og-hostile-size")
        let huge = work.file("huge.pem")
        // Sparse: two megabytes of size, nothing written to disk.
        let fd = open(huge, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        #expect(ftruncate(fd, 2 << 20) == 0)
        close(fd)
        try expectRefused(["cert", "import", "--cert", huge, "--key", huge],
                          message: "is larger than 1024 KiB, more than any certificate or key file should be")
    }
}

/// The bounded reader itself, below the CLI.
@Suite struct BoundedReadTests {
    @Test func readsRegularFilesWhole() throws {
        let work = try TemporaryDirectory("og-bounded-read")
        let bytes = (0..<200_000).map { UInt8($0 % 251) }
        try LocalFiles.writeAtomically(work.file("blob"), contents: bytes)
        #expect(try LocalFiles.read(work.file("blob")) == bytes)
        #expect(throws: BasicsError.self) { try LocalFiles.read(work.file("missing"), limit: .material) }
    }

    @Test func limitIsEnforcedWhenTheFileGrowsPastItsStatSize() throws {
        let work = try TemporaryDirectory("og-bounded-limit")
        try LocalFiles.writeAtomically(work.file("exact"), contents: [UInt8](repeating: 7, count: 4096))
        let limit = LocalFiles.ReadLimit(bytes: 4096, kind: "test file")
        #expect(try LocalFiles.read(work.file("exact"), limit: limit).count == 4096)
        try LocalFiles.writeAtomically(work.file("over"), contents: [UInt8](repeating: 7, count: 4097))
        #expect(throws: BasicsError.self) { try LocalFiles.read(work.file("over"), limit: limit) }
    }
}
