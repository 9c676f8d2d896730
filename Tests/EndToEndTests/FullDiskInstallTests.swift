import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A keystore install onto a file system that fills up: a real tmpfs of a
/// few pages mounted in a private directory (the tests run as root, as CI
/// does), filled so that the write fails with ENOSPC at a chosen moment.
/// The report must say the disk is full and that the rollback is complete,
/// the store must stay byte-identical, and nothing (backup, temporary,
/// open journal entry) may be left for recovery.
@Suite(.serialized) struct FullDiskInstallTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let disk: SmallFileSystem
    let password = "changeit-\(UInt16.random(in: 1000...9999))"

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore"])
        pki = try TestPKI()
        disk = try SmallFileSystem(bytes: 256 * 1024)
    }

    /// Creates a PKCS#12 store with one RSA entry on the small disk and adds it as endpoint `ks`.
    func addStore() throws -> String {
        let path = disk.file("store.p12")
        let other = try pki.issue("other", dnsNames: ["other.example.test"], key: "rsa")
        let made = try ProcessRunner.run("openssl", ["pkcs12", "-export", "-in", other.certificate, "-inkey", other.key,
                                                     "-name", "other", "-out", path, "-passout", "env:OG_P12_PASS"],
                                         environment: EnvironmentVariable.all().merging(["OG_P12_PASS": password]) { $1 })
        try #require(made.exitStatus == 0, "openssl pkcs12 -export: \(made.standardErrorText)")
        let added = try fixture.run(["tls", "add", "p12", "--name", "ks", "--connection_type", "local", "--path", path,
                                     "--store_password", "env:STORE_PASS"], extraEnvironment: ["STORE_PASS": password])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        return path
    }

    func install() throws -> ProcessOutput {
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"], key: "rsa")
        return try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key,
                                "--chain", pki.chain, "--alias", "web"])
    }

    func expectNothingLeft(_ store: String, before: [UInt8], _ result: ProcessOutput) throws {
        #expect(result.exitStatus == 6, "rolled back: \(result.standardErrorText)")
        #expect(result.standardErrorText.contains("no space left") || result.standardErrorText.contains("No space left"),
                "the report names the full disk: \(result.standardErrorText)")
        #expect(!result.standardErrorText.contains("ROLLBACK INCOMPLETE"), "\(result.standardErrorText)")
        #expect(try LocalFiles.read(store) == before, "the store is byte-identical")
        let left = try FileManager.default.contentsOfDirectory(atPath: disk.path).filter { $0 != "store.p12" && $0 != "filler" }
        #expect(left.isEmpty, "left behind: \(left)")
        let recovered = try fixture.run(["tls", "recover", "ks"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("has no interrupted install"), "the job was closed: \(recovered.standardOutputText)")
    }

    /// Room for the backup, none for the new store: the write fails, the store
    /// was never replaced, the backup is removed.
    @Test func aWriteThatRunsOutOfSpaceRollsBackCompletely() throws {
        let store = try addStore()
        let before = try LocalFiles.read(store)
        // One page more than the backup (a copy of the store) needs; the new store is larger.
        try disk.fill(leaving: (before.count + 4095) / 4096 * 4096)
        let result = try install()
        try expectNothingLeft(store, before: before, result)
        #expect(result.standardErrorText.contains("rolled back") || result.standardErrorText.contains("nothing on the endpoint was changed"),
                "\(result.standardErrorText)")
    }

    /// No room even for the backup: nothing was changed, and the report says so.
    @Test func aBackupThatRunsOutOfSpaceChangesNothing() throws {
        let store = try addStore()
        let before = try LocalFiles.read(store)
        try disk.fill(leaving: 0)
        let result = try install()
        try expectNothingLeft(store, before: before, result)
        #expect(result.standardErrorText.contains("nothing on the endpoint was changed"), "\(result.standardErrorText)")
    }
}

/// A tmpfs of a fixed size mounted on a private directory, unmounted when the test ends.
final class SmallFileSystem: @unchecked Sendable {
    let directory: TemporaryDirectory
    var path: String { directory.file("disk") }

    init(bytes: Int) throws {
        directory = try TemporaryDirectory("og-small-disk")
        try LocalFiles.makeDirectory(directory.file("disk"))
        let mounted = try ProcessRunner.run("mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0755", "og-small-disk", path])
        try #require(mounted.exitStatus == 0, "mounting a tmpfs needs root (CI runs as root): \(mounted.standardErrorText)")
    }

    deinit {
        _ = try? ProcessRunner.run("umount", [path])
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes a filler file so that about `free` bytes stay available (tmpfs counts whole pages).
    func fill(leaving free: Int) throws {
        var info = statvfs()
        try #require(statvfs(path, &info) == 0)
        let available = Int(info.f_bavail) * Int(info.f_frsize)
        let size = max(0, available - free)
        try #require(FileManager.default.createFile(atPath: file("filler"), contents: Data(count: size)))
        try #require(statvfs(path, &info) == 0)
        try #require(Int(info.f_bavail) * Int(info.f_frsize) == free, "tmpfs left \(Int(info.f_bavail) * Int(info.f_frsize)) bytes")
    }
}
