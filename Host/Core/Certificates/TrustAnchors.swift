import Foundation
import OGInventory
import OGMaterial

/// The CA certificates the operator trusts, kept in the inventory: what
/// `og-host ca` manages and what chains of imported certificates must reach.
///
/// They live in the inventory rather than in a PEM bundle file because each
/// anchor has a name operators refer to and a time it was added, several
/// og-host processes may change them at once (SQLite serialises that; a bundle
/// would need its own lock), and one inventory backup then holds everything.
public struct TrustAnchors {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// `ca add FILE [--name N]`: adds every certificate in `file` (PEM, one or
    /// more, or DER). Each must be a CA certificate or a root, and within its
    /// dates. Without `name`, each is named after its common name.
    public func add(file: String, name: String?) throws -> [TrustAnchorRecord] {
        if let name { try CertificateNames.validate(name, option: "name") }
        let certificates = try OptionFiles.certificates(option: nil, path: file)
        if name != nil, certificates.count > 1 {
            throw GatewayError.option("name", "\(file) holds \(certificates.count) certificates and one name cannot "
                                      + "name them all; add them one file at a time, or leave field `name` out to name each "
                                      + "after its common name")
        }
        let now = Date()
        for certificate in certificates {
            guard certificate.isCA || certificate.isSelfSigned else {
                throw GatewayError("\(file): \(certificate.subject) is not a CA certificate (basicConstraints CA:TRUE "
                                   + "is missing); trust the CA that issued it instead", category: .badInput)
            }
            if now > certificate.notAfter {
                throw GatewayError("\(file): \(certificate.subject) expired on \(Self.day(certificate.notAfter)); "
                                   + "an expired anchor validates nothing, get the CA's current certificate", category: .badInput)
            }
        }
        let records = try certificates.map { certificate in
            let anchorName = try name ?? Self.defaultName(certificate)
            return TrustAnchorRecord(fingerprint: certificate.sha256Fingerprint, name: anchorName,
                                     subject: certificate.subject, notAfter: certificate.notAfter, pem: certificate.pem)
        }
        let inventory = try gateway.inventory()
        // Checked for the whole file first, so a refused file adds nothing.
        for (index, record) in records.enumerated() {
            if let existing = try CertificateVault.inventoryCall({ try inventory.trustAnchor(matching: record.fingerprint) }) {
                throw GatewayError("\(file): \(record.subject) is already a trust anchor, named '\(existing.name)'",
                                   category: .conflict)
            }
            let nameTaken = try CertificateVault.inventoryCall { try inventory.trustAnchor(matching: record.name) } != nil
            if nameTaken || records[..<index].contains(where: { $0.name == record.name }) {
                throw GatewayError.option("name", "'\(record.name)' (for \(record.subject)) is already another trust "
                                          + "anchor's name; give this one another name", category: .conflict)
            }
        }
        var added: [TrustAnchorRecord] = []
        for record in records {
            do {
                added.append(try CertificateVault.inventoryCall { try inventory.addTrustAnchor(record) })
                gateway.audit(action: "ca.add", subject: record.name, success: true,
                              detail: "subject \(record.subject), SHA-256 \(record.fingerprint)")
            } catch {
                gateway.audit(action: "ca.add", subject: record.name, success: false, detail: "\(error)")
                let kept = added.isEmpty ? "" : " (added before it: \(added.map(\.name).joined(separator: ", ")))"
                var failure = GatewayError.classify(error)
                failure.problem += kept
                throw failure
            }
        }
        return added
    }

    /// All anchors, by name.
    public func list() throws -> [TrustAnchorRecord] {
        try CertificateVault.inventoryCall { try gateway.inventory().trustAnchors() }
    }

    /// `ca remove <name|fingerprint>`. Certificates already imported keep
    /// their chains; only later imports are affected.
    @discardableResult
    public func remove(_ reference: String) throws -> TrustAnchorRecord {
        let inventory = try gateway.inventory()
        guard let removed = try CertificateVault.inventoryCall({ try inventory.removeTrustAnchor(reference) }) else {
            throw GatewayError("trust anchor '\(reference)': no trust anchor has this name or SHA-256 fingerprint; "
                               + "see og-host ca list", category: .notFound)
        }
        gateway.audit(action: "ca.remove", subject: removed.name, success: true,
                      detail: "subject \(removed.subject), SHA-256 \(removed.fingerprint)")
        return removed
    }

    /// The anchors as certificates, for chain validation.
    func certificates() throws -> [Certificate] {
        try list().map { record in
            do {
                return try ParsedCertificates.shared.one(pem: record.pem, what: "trust anchor '\(record.name)'")
            } catch {
                throw GatewayError("\(error); remove it with og-host ca remove \(record.fingerprint) and add it again")
            }
        }
    }

    /// The common name cut to the 32 characters a name may have, or the
    /// fingerprint's start when the certificate has no common name.
    private static func defaultName(_ certificate: Certificate) throws -> String {
        let base = certificate.commonName.map { String($0.prefix(32)) } ?? ""
        let name = base.isEmpty || base.hasPrefix("-") ? "ca-\(certificate.sha256Fingerprint.prefix(16))" : base
        do {
            try CertificateNames.validate(name, option: "name")
        } catch {
            return "ca-\(certificate.sha256Fingerprint.prefix(16))"
        }
        return name
    }

    private static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }
}
