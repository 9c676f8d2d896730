import Foundation

public struct CommandIssuerRecord: Codable, Equatable, Sendable {

    public var name: String
    /// JSON array of the program and its arguments.
    public var argv: String
    public var timeoutSeconds: Int
    public package(set) var createdAt: Date

    public init(name: String, arguments: [String], timeoutSeconds: Int) {
        self.name = name
        argv = String(decoding: (try? JSONEncoder().encode(arguments)) ?? Data("[]".utf8), as: UTF8.self)
        self.timeoutSeconds = timeoutSeconds
        createdAt = Date()
    }

    public var arguments: [String] { (try? JSONDecoder().decode([String].self, from: Data(argv.utf8))) ?? [] }
}
