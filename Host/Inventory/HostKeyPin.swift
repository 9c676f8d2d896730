import Foundation

/// The SSH host key fingerprint trusted for a host and port on first use.
/// A later connection that presents a different key is refused.
public struct HostKeyPin: Codable, Equatable, Sendable {
    public var host: String
    public var port: Int
    /// As OpenSSH prints it, e.g. `SHA256:...`.
    public var fingerprint: String
    /// Set by the inventory when the pin is stored.
    public package(set) var pinnedAt: Date

    public init(host: String, port: Int, fingerprint: String) {
        self.host = host
        self.port = port
        self.fingerprint = fingerprint
        self.pinnedAt = Date()
    }
}

extension HostKeyPin {
    package func validate() throws {
        try RecordValidation.nonEmpty(host, field: "host")
        try RecordValidation.nonEmpty(fingerprint, field: "fingerprint")
        guard (1...65535).contains(port) else {
            throw InventoryError.invalidValue(field: "port", value: String(port), problem: "is not between 1 and 65535")
        }
    }
}
