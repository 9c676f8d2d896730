import Foundation

/// The plaintext of a local store, which only ever exists in memory: a JSON
/// object with one entry per credential, secrets as base64.
struct StoreDocument: Codable {
    struct Entry: Codable {
        var id: String
        var username: String
        var kind: Kind
        /// Base64 of the password, for `password` entries.
        var password: String?
        /// For `privateKey` entries.
        var keyPath: String?
        /// Base64 of the key's passphrase, when it has one.
        var passphrase: String?
        var createdAt: Date
        var updatedAt: Date

        enum Kind: String, Codable {
            case password
            case privateKey
        }
    }

    var credentials: [Entry] = []

    static func decode(_ plaintext: [UInt8]) throws -> StoreDocument {
        try JSONDecoder().decode(StoreDocument.self, from: Data(plaintext))
    }

    /// The JSON bytes; the caller wipes them once sealed.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(self)
        defer { data.resetBytes(in: 0..<data.count) }
        return Array(data)
    }

    func index(of id: String) -> Int? {
        credentials.firstIndex { $0.id == id }
    }
}

extension StoreDocument.Entry {
    init(id: String, credential: Credential, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.username = credential.username
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        switch credential.secret {
        case .password(let secret):
            kind = .password
            password = secret.withUnsafeBytes { Data($0).base64EncodedString() }
        case .privateKey(let path, let passphrase):
            kind = .privateKey
            keyPath = path
            self.passphrase = passphrase?.withUnsafeBytes { Data($0).base64EncodedString() }
        }
    }

    /// The credential, or nil when the entry is inconsistent (a damaged or foreign file).
    var credential: Credential? {
        switch kind {
        case .password:
            guard let password, let bytes = Data(base64Encoded: password) else { return nil }
            return .password(username: username, Secret(bytes: bytes))
        case .privateKey:
            guard let keyPath else { return nil }
            var secret: Secret?
            if let passphrase {
                guard let bytes = Data(base64Encoded: passphrase) else { return nil }
                secret = Secret(bytes: bytes)
            }
            return .privateKey(username: username, path: keyPath, passphrase: secret)
        }
    }

    var summary: CredentialSummary {
        CredentialSummary(id: id, username: username,
                          kind: kind == .password
                            ? .password
                            : .privateKey(path: keyPath ?? "", hasPassphrase: passphrase != nil),
                          createdAt: createdAt, updatedAt: updatedAt)
    }
}
