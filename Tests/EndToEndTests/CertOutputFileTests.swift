import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `cert request --out` writes like a careful Unix tool: `-` is standard
/// output, an existing file is replaced only with --force, and a link, device
/// or FIFO at the path is never replaced or written through. Each refusal
/// happens before a key is generated, so the vault stays as it was.
@Suite struct CertOutputFileTests {
    let fixture: GatewayFixture
    let work: TemporaryDirectory

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
        work = try TemporaryDirectory("og-cert-out")
    }

    func request(_ name: String, out: String, force: Bool = false) throws -> ProcessOutput {
        try fixture.run(["cert", "request", "--name", name, "--key", "ec-p256", "--cn", "\(name).example.test", "--out", out]
                        + (force ? ["--force"] : []))
    }

    @Test func existingFileIsReplacedOnlyWithForce() throws {
        let path = work.file("web.csr")
        try LocalFiles.writeAtomically(path, contents: Array("keep me\n".utf8))
        let refused = try request("web", out: path)
        #expect(refused.exitStatus == 4, "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("--out: \(path) already exists; give --force to replace it"))
        #expect(try LocalFiles.read(path) == Array("keep me\n".utf8))
        #expect(try fixture.certificateList().isEmpty, "refused before a key was generated")

        let replaced = try request("web", out: path, force: true)
        #expect(replaced.exitStatus == 0, "\(replaced.standardErrorText)")
        #expect(String(decoding: try LocalFiles.read(path), as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"))
    }

    @Test func linksDevicesAndFIFOsAreNeverReplaced() throws {
        let target = work.file("target.txt")
        try LocalFiles.writeAtomically(target, contents: Array("target\n".utf8))
        let link = work.file("link.csr")
        #expect(symlink(target, link) == 0)
        let viaLink = try request("a", out: link, force: true)
        #expect(viaLink.exitStatus == 2)
        #expect(viaLink.standardErrorText.contains("is a symbolic link; og-host does not write through links"))
        var info = stat()
        #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK, "the link is still a link")
        #expect(try LocalFiles.read(target) == Array("target\n".utf8))

        let fifo = work.file("pipe.csr")
        #expect(mkfifo(fifo, 0o600) == 0)
        let viaFIFO = try request("b", out: fifo, force: true)
        #expect(viaFIFO.exitStatus == 2)
        #expect(viaFIFO.standardErrorText.contains("is a FIFO, not a regular file"))

        let device = try request("c", out: "/dev/null", force: true)
        #expect(device.exitStatus == 2)
        #expect(device.standardErrorText.contains("/dev/null is a character device, not a regular file"))
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "/dev/null is still a device")
        #expect(try fixture.certificateList().isEmpty)
    }

    @Test func dashIsStandardOutput() throws {
        let result = try request("d", out: "-")
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(result.standardOutputText.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"))
        #expect(!FileManager.default.fileExists(atPath: "-"))
    }
}
