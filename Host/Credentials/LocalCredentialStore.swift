import Foundation

/// A credential store kept on the gateway as one file,
/// `<data>/credentials/<name>.ogcs`, sealed with AES-256-GCM under the
/// directory's master key (see `LocalCredentialDirectory`). The file is
/// rewritten whole, atomically and with mode 0600, on every change; a fresh
/// random nonce is drawn for each write.
public struct LocalCredentialStore: CredentialStore {
    /// The name inline secrets go to.
    public static let defaultName = "default"

    public let name: String
    public let directory: LocalCredentialDirectory

    /// `name` must be 1 to 32 of `A-Z a-z 0-9 . _ -`, not starting with `.`,
    /// because it is also the file's name.
    public init(name: String = LocalCredentialStore.defaultName, directory: LocalCredentialDirectory) throws {
        try Self.validateName(name)
        self.name = name
        self.directory = directory
    }

    public var filePath: String { directory.filePath(ofStore: name) }

    public func credential(id: String) throws -> Credential {
        try directory.withSharedAccess { access in
            let document = try access.read(store: name)
            guard let index = document.index(of: id) else {
                throw CredentialsError.notFound(store: name, id: id)
            }
            guard let credential = document.credentials[index].credential else {
                throw CredentialsError.damagedStoreContents(path: filePath)
            }
            return credential
        }
    }

    /// Every credential's ID, username and kind, sorted by ID; no secrets.
    public func list() throws -> [CredentialSummary] {
        try directory.withSharedAccess { access in
            try access.read(store: name).credentials.map(\.summary).sorted { $0.id < $1.id }
        }
    }

    /// Stores `credential` under `id` (a new lowercase UUID when nil) and
    /// returns the ID. Creates the store's file, and the master key, on first use.
    @discardableResult
    public func add(_ credential: Credential, id: String? = nil) throws -> String {
        let id = id ?? UUID().uuidString.lowercased()
        try Self.validate(id: id)
        try Self.validate(credential)
        return try directory.withExclusiveAccess { access in
            var document = try access.read(store: name)
            guard document.index(of: id) == nil else {
                throw CredentialsError.idTaken(store: name, id: id)
            }
            let now = Date()
            document.credentials.append(.init(id: id, credential: credential, createdAt: now, updatedAt: now))
            try access.write(document, store: name)
            return id
        }
    }

    /// Replaces the credential stored under `id`.
    public func update(id: String, to credential: Credential) throws {
        try Self.validate(credential)
        try directory.withExclusiveAccess { access in
            var document = try access.read(store: name)
            guard let index = document.index(of: id) else {
                throw CredentialsError.notFound(store: name, id: id)
            }
            let createdAt = document.credentials[index].createdAt
            document.credentials[index] = .init(id: id, credential: credential, createdAt: createdAt, updatedAt: Date())
            try access.write(document, store: name)
        }
    }

    public func remove(id: String) throws {
        try directory.withExclusiveAccess { access in
            var document = try access.read(store: name)
            guard let index = document.index(of: id) else {
                throw CredentialsError.notFound(store: name, id: id)
            }
            document.credentials.remove(at: index)
            try access.write(document, store: name)
        }
    }

    static func validateName(_ name: String) throws {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (1...32).contains(name.count), name.allSatisfy(allowed.contains), !name.hasPrefix(".") else {
            throw CredentialsError.invalidValue(
                field: "credential store name", value: name,
                problem: "must be 1 to 32 letters, digits, '.', '_' or '-', not starting with '.'")
        }
    }

    private static func validate(id: String) throws {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-")
        guard (1...64).contains(id.count), id.allSatisfy(allowed.contains) else {
            throw CredentialsError.invalidValue(
                field: "credential ID", value: id,
                problem: "must be 1 to 64 letters, digits, '.', '_', ':', '@' or '-'")
        }
    }

    private static func validate(_ credential: Credential) throws {
        if case .privateKey(let path, _) = credential.secret, !path.hasPrefix("/") {
            throw CredentialsError.invalidValue(
                field: "private key path", value: path,
                problem: "is not absolute; give the full path, as og-host may run from another directory")
        }
    }
}
