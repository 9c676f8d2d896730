import Foundation
import OGInventory

/// What `ca list` prints about a trust anchor: everything but its PEM.
public struct TrustAnchorListing: Codable, Sendable {
    public var name: String
    public var subject: String
    public var notAfter: Date
    public var fingerprint: String
    public var addedAt: Date

    public init(_ record: TrustAnchorRecord) {
        name = record.name
        subject = record.subject
        notAfter = record.notAfter
        fingerprint = record.fingerprint
        addedAt = record.addedAt
    }

    /// `ca list` as a table.
    public static func table(_ listings: [TrustAnchorListing]) -> String {
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return Table.render(header: ["NAME", "SUBJECT", "NOT AFTER", "SHA-256"], rows: listings.map {
            [$0.name, $0.subject, day.string(from: $0.notAfter), $0.fingerprint]
        })
    }
}
