import Foundation

/// A configured credential store: the built-in local one, or an external vault.
public struct CredentialStoreRecord: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// An encrypted file on the gateway (`<data>/credentials/<name>.ogcs`).
        case local
        case hashicorp
        case cyberark
    }

    /// The built-in local store, created with the inventory; it cannot be removed.
    public static let defaultName = "default"

    /// 1 to 32 of `A-Z a-z 0-9 . _ -`, not starting with `.`: a local store's
    /// name is also its file name.
    public var name: String
    public var kind: Kind
    /// Kind-specific settings as a JSON object text (addresses, mount paths,
    /// app IDs). Secrets such as vault tokens do not belong here: keep them
    /// in the default local store and put their credential ID here.
    public var settings: String
    /// Set by the inventory when the store is added.
    public package(set) var createdAt: Date

    public init(name: String, kind: Kind, settings: String = "{}") {
        self.name = name
        self.kind = kind
        self.settings = settings
        self.createdAt = Date()
    }

    package func validate() throws {
        try RecordValidation.name(name, field: "credential store name")
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
        guard name.allSatisfy(allowed.contains), !name.hasPrefix(".") else {
            throw InventoryError.invalidValue(
                field: "credential store name", value: name,
                problem: "may contain only letters, digits, '.', '_' and '-', and may not start with '.'")
        }
        try RecordValidation.jsonObject(settings, field: "credential store \(name) settings")
    }
}
