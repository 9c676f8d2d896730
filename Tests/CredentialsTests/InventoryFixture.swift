import Foundation
import OGInventory
import OGTestSupport

/// A fresh inventory in a private temporary directory. Tests speak to it as
/// services do, through `InventoryStore`; `sqlite` is for what only the SQLite
/// file has (its path, its migrations table).
final class InventoryFixture: Sendable {
    let directory: TemporaryDirectory
    let sqlite: SQLiteInventory
    var inventory: any InventoryStore { sqlite }
    var path: String { sqlite.path }

    init() throws {
        directory = try TemporaryDirectory("og-inventory")
        sqlite = try SQLiteInventory(path: directory.file("inventory.sqlite"))
    }

    /// An endpoint with plausible values, named `name`.
    static func endpoint(_ name: String, credential: CredentialReference? = nil,
                         secretOptions: [String: CredentialReference] = [:]) -> EndpointRecord {
        EndpointRecord(name: name, type: "nginx", pluginName: "nginx", connectionType: "ssh", host: "127.0.0.1",
                       port: 22, user: "deploy", credential: credential, secretOptions: secretOptions,
                       options: #"{"configPath":"/etc/nginx/nginx.conf"}"#)
    }
}
