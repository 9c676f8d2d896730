import Foundation
import OGInventory

/// One event per fact: what each kind is about (its scope) and the dedupe key
/// that makes a fact seen again (a retry, the next watch, the renewal pass and
/// the watch both noticing) the same outbox row. The list is documented in
/// docs/ARCHITECTURE.md ("Events").
extension GatewayEvent {
    /// What an event is about: a certificate (lineage) as a whole, its deploy to one endpoint, or one node's
    /// served certificate.
    public enum Scope: String, Sendable, Codable {
        case certificate, endpoint, node
    }

    public var scope: Scope {
        switch kind {
        case .renewed, .renewalFailed: return .certificate
        case .deployed, .deployFailed: return .endpoint
        case .servedMismatch: return .node
        case .expiring: return endpoint == nil ? .certificate : .node
        }
    }

    /// `renewed:<new version>`: one per new version.
    static func renewedKey(certificateID: String) -> String { "renewed:\(certificateID)" }

    /// `renewal-failed:<version>:<issuer>`: one per failure streak of a version, however many attempts it takes
    /// (the document has the attempts so far when it was recorded). A success stores a new version, which closes
    /// the streak; a change of issuer starts a new one (it clears the failures too).
    static func renewalFailedKey(certificateID: String?, lineage: String, issuer: String?) -> String {
        "renewal-failed:\(certificateID ?? lineage):\(issuer ?? "-")"
    }

    /// `expiring:<version>`: the version is inside its renewal window and nothing renews it (a manual issuer; or
    /// the watch finds a node serving the lineage's current version inside its window). Recorded by the renewal
    /// pass and the watch under the same key, so the fact is one event whoever sees it first.
    static func expiringKey(certificateID: String) -> String { "expiring:\(certificateID)" }

    /// The certificate-scope `expiring` event of `version`, the current version of `lineage`: its document is
    /// built from the version alone, so the renewal pass and the watch record the same one, whoever is first.
    static func expiring(lineage: String, version: ManagedCertificateRecord) throws -> GatewayEvent {
        let expires = version.notAfter.map { "expires " + ISO8601DateFormatter().string(from: $0) } ?? "has no known expiry"
        let payload = ExpiringVersionPayload(
            name: lineage, certificateId: version.id, version: version.version, notAfter: version.notAfter,
            message: "the current version of '\(lineage)' is inside its renewal window and \(expires); nothing has renewed "
                + "it: og-host cert renew \(lineage), or bring the next version (og-host cert import)")
        return try GatewayEvent(kind: .expiring, subject: lineage, payload: payload,
                                dedupeKey: expiringKey(certificateID: version.id))
    }

    /// `deployed:<lineage>:<endpoint>:<version>` / `deploy-failed:…`: one of each per version and endpoint,
    /// however many attempts an owed deploy takes.
    static func deployKey(_ kind: Kind, lineage: String, endpointID: String, certificateID: String) -> String {
        "\(kind.rawValue):\(lineage):\(endpointID):\(certificateID)"
    }

    /// `served:<kind>:<endpoint>:<node>:<served>:<deployed>`: a node condition (mismatch, an older version
    /// inside its window) once per distinct pair of fingerprints.
    static func servedKey(_ finding: ServedCertificateFinding) -> String {
        ["served", finding.kind.rawValue, finding.endpointID, finding.node, finding.servedFingerprint ?? "-",
         finding.deployedFingerprint ?? "-"].joined(separator: ":")
    }
}

/// What a certificate-scope `expiring` event carries to hooks and webhooks.
struct ExpiringVersionPayload: Encodable {
    var name: String
    var certificateId: String
    var version: Int?
    var notAfter: Date?
    var message: String
}
