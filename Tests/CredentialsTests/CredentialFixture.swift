import Foundation
import OGCredentials
import OGTestSupport

/// A credentials folder in a private temporary directory, with the master key
/// in its default place.
final class CredentialFixture: Sendable {
    let temporary: TemporaryDirectory
    let directory: LocalCredentialDirectory

    init() throws {
        temporary = try TemporaryDirectory("og-credentials")
        directory = LocalCredentialDirectory(path: temporary.file("credentials"), environment: [:])
    }

    func store(_ name: String = "default") throws -> LocalCredentialStore {
        try directory.store(named: name)
    }

    func bytes(of path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func mode(of path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs anywhere in these bytes.
    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}
