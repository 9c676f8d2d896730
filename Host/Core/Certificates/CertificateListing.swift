import Foundation
import OGInventory
import OGMaterial

/// What `cert list` and `cert show` print about a managed certificate, as
/// text or JSON. Holds public material only: never the key.
public struct CertificateListing: Codable, Sendable {
    public struct Installation: Codable, Sendable {
        public var endpointID: String
        /// Nil when the endpoint has since been removed.
        public var endpointName: String?
        public var node: String
        public var installedAt: Date
    }

    public var id: String
    public var name: String?
    public var status: String
    public var origin: String
    public var keySpec: String
    public var subject: String
    public var commonName: String?
    public var subjectAlternativeNames: [String]
    public var serial: String?
    public var notAfter: Date?
    public var fingerprint: String?
    public var createdAt: Date
    public var installedOn: [Installation]

    // Details, filled for `cert show` only.
    public var issuer: String?
    public var notBefore: Date?
    /// Subjects of the stored chain, leaf-adjacent first.
    public var chain: [String]?
    public var csrPEM: String?
    public var certificatePEM: String?
    public var chainPEM: String?

    init(_ record: ManagedCertificateRecord,
         installations: [(installation: CertificateInstallation, endpointName: String?)], withDetails: Bool = false) {
        id = record.id
        name = record.name
        status = record.status.rawValue
        origin = record.origin.rawValue
        keySpec = record.keySpec
        subject = record.subject
        commonName = record.commonName
        subjectAlternativeNames = record.subjectAlternativeNames
        serial = record.serial
        notAfter = record.notAfter
        fingerprint = record.fingerprint
        createdAt = record.createdAt
        installedOn = installations.map {
            Installation(endpointID: $0.installation.endpointID, endpointName: $0.endpointName,
                         node: $0.installation.node, installedAt: $0.installation.installedAt)
        }
        guard withDetails else { return }
        csrPEM = record.csrPEM
        certificatePEM = record.certificatePEM
        chainPEM = record.chainPEM
        if let pem = record.certificatePEM, let leaf = try? Certificate(pem: pem) {
            issuer = leaf.issuer
            notBefore = leaf.notBefore
        }
        if let pem = record.chainPEM {
            chain = ((try? Certificate.parseAll(pem: pem)) ?? []).map(\.subject)
        }
    }

    /// Where it is installed, as `endpoint/node` (the endpoint's ID when it was removed).
    public var installedText: [String] {
        installedOn.map { "\($0.endpointName ?? "\($0.endpointID) (removed)")/\($0.node)" }
    }

    /// `cert list` as a table.
    public static func table(_ listings: [CertificateListing]) -> String {
        let rows = listings.map { listing in
            [listing.id, listing.name ?? "-", listing.commonName ?? "-",
             listing.subjectAlternativeNames.isEmpty ? "-" : listing.subjectAlternativeNames.joined(separator: ","),
             listing.serial ?? "-", listing.notAfter.map(day) ?? "-",
             listing.fingerprint.map { String($0.prefix(16)) } ?? "-", listing.status,
             listing.installedOn.isEmpty ? "-" : listing.installedText.joined(separator: ",")]
        }
        return Table.render(header: ["ID", "NAME", "CN", "SANS", "SERIAL", "NOT AFTER", "SHA-256", "STATUS", "INSTALLED"],
                            rows: rows)
    }

    /// `cert show` as `field: value` lines.
    public var text: String {
        let timestamp = ISO8601DateFormatter()
        var lines: [(String, String)] = [("id", id)]
        if let name { lines.append(("name", name)) }
        lines += [("status", status), ("origin", origin), ("key", keySpec), ("subject", subject)]
        lines.append(("sans", subjectAlternativeNames.isEmpty ? "-" : subjectAlternativeNames.joined(separator: ", ")))
        if let issuer { lines.append(("issuer", issuer)) }
        if let serial { lines.append(("serial", serial)) }
        if let notBefore { lines.append(("not_before", timestamp.string(from: notBefore))) }
        if let notAfter { lines.append(("not_after", timestamp.string(from: notAfter))) }
        if let fingerprint { lines.append(("sha256", fingerprint)) }
        for (index, subject) in (chain ?? []).enumerated() { lines.append(("chain[\(index)]", subject)) }
        lines.append(("installed", installedOn.isEmpty ? "-" : installedText.joined(separator: ", ")))
        lines.append(("created", timestamp.string(from: createdAt)))
        return lines.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
    }

    /// The public PEM texts: the certificate and its chain once issued, the CSR before.
    public var pem: String {
        if let certificatePEM { return certificatePEM + (chainPEM ?? "") }
        return csrPEM ?? ""
    }
}

/// Calendar day in UTC, as certificates' dates are usually discussed.
private func day(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withFullDate]
    return formatter.string(from: date)
}
