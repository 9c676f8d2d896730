import Foundation
import OGCredentials
import OGInventory

/// One row of `credstore list`: what the store is and where it points; never a secret.
public struct CredentialStoreListing: Encodable, Sendable {
    public var name: String
    public var kind: String
    /// Kind-specific settings worth showing (URL, auth type, root path, app ID).
    public var details: [String: String]
    public var createdAt: Date

    init(_ record: CredentialStoreRecord) {
        name = record.name
        kind = record.kind.rawValue
        createdAt = record.createdAt
        details = [:]
        switch record.kind {
        case .local:
            if record.name == CredentialStoreRecord.defaultName { details["note"] = "built in" }
        case .hashicorp:
            if let settings = try? ExternalStoreReader.decode(VaultSettings.self, record) {
                details["vaulturl"] = settings.url
                details["authtype"] = settings.authType.rawValue
                details["rootpath"] = settings.rootPath
                if let roleID = settings.roleID { details["roleid"] = roleID }
                if let file = settings.secretFile { details["secretfile"] = file }
                if settings.authType != .token { details["appwrapped"] = settings.appWrapped ? "Yes" : "No" }
                if let namespace = settings.namespace { details["namespace"] = namespace }
            }
        case .cyberark:
            if let settings = try? ExternalStoreReader.decode(CyberArkSettings.self, record) {
                details["ccpurl"] = settings.ccpURL
                details["appid"] = settings.appID
                details["authcert"] = settings.authCertPath ?? "none (machine address)"
            }
        }
    }

    /// `key=value` pairs in a stable order, for the text table.
    public var detailText: String {
        details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
