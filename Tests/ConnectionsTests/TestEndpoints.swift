import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

/// The two kinds of connection the shared behaviour tests run against.
enum Endpoint: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case local, ssh
    var testDescription: String { rawValue }
}

/// An open connection plus a private directory on its far side.
final class Workspace {
    let connection: Connection
    /// Writable by the connection's user; removed with the workspace.
    let directory: String
    let fixture: SSHServerFixture?
    private let temporary: TemporaryDirectory?

    static func open(_ endpoint: Endpoint) throws -> Workspace {
        switch endpoint {
        case .local:
            let temporary = try TemporaryDirectory("og-local")
            return Workspace(connection: LocalConnection(), directory: temporary.path, fixture: nil, temporary: temporary)
        case .ssh:
            let fixture = try SSHServerFixture.start()
            return Workspace(connection: try fixture.connect(), directory: fixture.workDirectory, fixture: fixture, temporary: nil)
        }
    }

    private init(connection: Connection, directory: String, fixture: SSHServerFixture?, temporary: TemporaryDirectory?) {
        self.connection = connection
        self.directory = directory
        self.fixture = fixture
        self.temporary = temporary
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    deinit { connection.close() }
}

extension SSHServerFixture {
    /// A connection with the fixture's password and its host key pinned.
    func connect(_ authentication: ConnectionAuthentication? = nil, hostKeyPolicy: HostKeyPolicy? = nil,
                 hostKeyStore: HostKeyStore? = nil, sudo: Bool = false, sudoPassword: String? = nil,
                 algorithms: SSHAlgorithms = .modernOnly,
                 operationTimeout: Duration = .seconds(60)) throws -> SSHConnection {
        try SSHConnection(host: host, port: Int(port), user: user, authentication: authentication ?? .password(password),
                          hostKeyPolicy: hostKeyPolicy ?? HostKeyPolicy(pinnedFingerprint: hostKeyFingerprint),
                          hostKeyStore: hostKeyStore, sudo: sudo, sudoPassword: sudoPassword, algorithms: algorithms, operationTimeout: operationTimeout)
    }
}

/// The `ConnectionError` `body` throws; records an issue if it throws nothing or something else.
func connectionError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> ConnectionError? {
    do {
        try body()
        Issue.record("expected a ConnectionError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ConnectionError {
        return error
    } catch {
        Issue.record("expected a ConnectionError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { buffer in
        var index = 0
        while index + 8 <= buffer.count {
            buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < buffer.count { buffer[index] = UInt8.random(in: 0...255); index += 1 }
    }
    return bytes
}

func randomToken() -> String { UUID().uuidString.prefix(8).lowercased() }
