import Foundation

/// One endpoint as `tls list --output json` prints it, read column by column:
/// decoding `EndpointRecord` through Codable ran a JSONDecoder per row for its
/// secret references, most of a 10,000-endpoint listing's time. The options
/// and secret references stay JSON text here; the printer reads what it needs.
public struct EndpointListingRow: Sendable {
    public var id: String
    public var name: String
    public var type: String
    public var pluginName: String
    public var connectionType: String
    public var host: String
    public var port: Int?
    public var user: String?
    /// `store:id` of the connection's credential.
    public var credential: String?
    /// The secret references as stored (a JSON object keyed by option name).
    public var secretOptionsJSON: String
    /// The non-secret options as stored (a JSON object).
    public var optionsJSON: String
    public var createdAt: Date
    public var updatedAt: Date
}
