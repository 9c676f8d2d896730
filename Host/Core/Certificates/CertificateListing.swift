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
        /// Where the install verified the served certificate (host:port), when it did.
        public var servedAddress: String?
        /// The SNI name of that handshake.
        public var servedName: String?
    }

    /// A binding of the lineage and whether the current version is installed there.
    public struct Binding: Codable, Sendable {
        public var endpointID: String
        public var endpointName: String
        /// "" = the plugin's choice of node.
        public var node: String
        public var alias: String?
        /// The version most recently installed on the bound node (nil: never installed by og-host).
        public var installedVersion: Int?
        /// True when that is the current version.
        public var deployed: Bool
        /// A deploy owed there (auto-deploy pending, or failed and waiting for its next attempt).
        public var owedDeploy: OwedDeploy? = nil
    }

    /// A binding's owed deploy (`BindingDeployState`), for `cert list/show` and `og-host status`.
    public struct OwedDeploy: Codable, Sendable {
        /// pending or failed.
        public var state: String
        public var attempts: Int
        public var nextAttemptAt: Date
        public var errorClass: String?
        public var lastError: String?

        init(_ row: BindingDeployState) {
            state = row.state.rawValue
            attempts = row.attempts
            nextAttemptAt = row.nextAttemptAt
            errorClass = row.errorClass
            lastError = row.lastError
        }

        /// "deploy pending" or "deploy failed 2×, next 2026-12-06T10:32:00Z".
        public var text: String {
            state == BindingDeployState.State.pending.rawValue
                ? "deploy pending"
                : "deploy failed \(attempts)×, next \(ISO8601DateFormatter().string(from: nextAttemptAt))"
        }
    }

    /// One version of the lineage, for `cert show`.
    public struct Version: Codable, Sendable {
        public var id: String
        public var version: Int?
        public var current: Bool
        public var status: String
        public var serial: String?
        public var notBefore: Date?
        public var notAfter: Date?
        public var fingerprint: String?
        public var createdAt: Date
    }

    public var id: String
    public var name: String?
    /// The name this record is a version of (== name for the current version).
    public var lineage: String?
    public var version: Int?
    public var status: String
    public var origin: String
    public var keySpec: String
    public var subject: String
    public var commonName: String?
    public var subjectAlternativeNames: [String]
    public var serial: String?
    public var notAfter: Date?
    /// Whole days until notAfter (negative once expired); nil while pending.
    public var daysLeft: Int?
    public var fingerprint: String?
    public var createdAt: Date
    public var installedOn: [Installation]
    /// Where the lineage belongs; empty for unnamed certificates.
    public var bindings: [Binding] = []

    // Details, filled for `cert show` only.
    public var issuer: String?
    public var notBefore: Date?
    /// Subjects of the stored chain, leaf-adjacent first.
    public var chain: [String]?
    public var csrPEM: String?
    public var certificatePEM: String?
    public var chainPEM: String?
    /// Every version of the lineage, newest first (`cert show` of a named certificate).
    public var versions: [Version]?

    init(_ record: ManagedCertificateRecord,
         installations: [(installation: CertificateInstallation, endpointName: String?)], withDetails: Bool = false,
         now: Date = Date()) {
        id = record.id
        name = record.name
        lineage = record.lineage
        version = record.version
        daysLeft = record.notAfter.map { Int(($0.timeIntervalSince(now) / 86400).rounded(.down)) }
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
                         node: $0.installation.node, installedAt: $0.installation.installedAt,
                         servedAddress: $0.installation.servedAddress, servedName: $0.installation.servedName)
        }
        guard withDetails else { return }
        csrPEM = record.csrPEM
        certificatePEM = record.certificatePEM
        chainPEM = record.chainPEM
        if let pem = record.certificatePEM, let leaf = try? Certificate(pem: pem) {
            issuer = leaf.issuer
            notBefore = record.notBefore ?? leaf.notBefore
        }
        if let pem = record.chainPEM {
            chain = ((try? Certificate.parseAll(pem: pem)) ?? []).map(\.subject)
        }
    }

    /// Where it is installed, as `endpoint/node` (the endpoint's ID when it was removed).
    public var installedText: [String] {
        installedOn.map { "\($0.endpointName ?? "\($0.endpointID) (removed)")/\($0.node)" }
    }

    /// Where it is deployed: for a named certificate "k/n" bindings carrying
    /// the current version and each binding (with the version it has when that
    /// is not the current one); for an unnamed one where it was installed.
    public var deployedText: String {
        guard lineage != nil, !bindings.isEmpty else {
            return installedOn.isEmpty ? "-" : installedText.joined(separator: ",")
        }
        let places = bindings.map { binding in
            let place = binding.node.isEmpty ? binding.endpointName : "\(binding.endpointName)/\(binding.node)"
            let owed = binding.owedDeploy.map { "; \($0.text)" } ?? ""
            if binding.deployed { return place + (owed.isEmpty ? "" : " (\(owed.dropFirst(2)))") }
            return place + (binding.installedVersion.map { " (v\($0)\(owed))" } ?? " (not installed\(owed))")
        }
        return "\(bindings.filter(\.deployed).count)/\(bindings.count) " + places.joined(separator: ",")
    }

    /// `cert list` as a table.
    public static func table(_ listings: [CertificateListing]) -> String {
        let rows = listings.map { listing -> [String] in
            let version: String = listing.version.map { "\($0)" } ?? "-"
            let sans: String = listing.subjectAlternativeNames.isEmpty ? "-" : listing.subjectAlternativeNames.joined(separator: ",")
            let notAfter: String = listing.notAfter.map(day) ?? "-"
            let days: String = listing.daysLeft.map { "\($0)" } ?? "-"
            let fingerprint: String = listing.fingerprint.map { String($0.prefix(16)) } ?? "-"
            return [listing.id, listing.name ?? "-", version, listing.commonName ?? "-", sans, notAfter, days, fingerprint,
                    listing.status, listing.deployedText]
        }
        return Table.render(header: ["ID", "NAME", "VER", "CN", "SANS", "NOT AFTER", "DAYS", "SHA-256", "STATUS", "DEPLOYED"],
                            rows: rows)
    }

    /// `cert show` as `field: value` lines.
    public var text: String {
        let timestamp = ISO8601DateFormatter()
        var lines: [(String, String)] = [("id", id)]
        if let name { lines.append(("name", name)) }
        if let lineage, let version {
            lines.append(("version", name == nil ? "\(version) of '\(lineage)' (not the current version)" : "\(version)"))
        }
        lines += [("status", status), ("origin", origin), ("key", keySpec), ("subject", subject)]
        lines.append(("sans", subjectAlternativeNames.isEmpty ? "-" : subjectAlternativeNames.joined(separator: ", ")))
        if let issuer { lines.append(("issuer", issuer)) }
        if let serial { lines.append(("serial", serial)) }
        if let notBefore { lines.append(("not_before", timestamp.string(from: notBefore))) }
        if let notAfter { lines.append(("not_after", timestamp.string(from: notAfter))) }
        if let daysLeft { lines.append(("days_left", "\(daysLeft)")) }
        if let fingerprint { lines.append(("sha256", fingerprint)) }
        for (index, subject) in (chain ?? []).enumerated() { lines.append(("chain[\(index)]", subject)) }
        lines.append(("installed", installedOn.isEmpty ? "-" : installedText.joined(separator: ", ")))
        if lineage != nil { lines.append(("deployed", deployedText)) }
        lines.append(("created", timestamp.string(from: createdAt)))
        for version in versions ?? [] {
            let state = version.status == "issued"
                ? "issued, serial \(version.serial ?? "-"), not after \(version.notAfter.map(day) ?? "-"), SHA-256 "
                    + (version.fingerprint.map { String($0.prefix(16)) } ?? "-")
                : version.status
            lines.append(("version \(version.version.map(String.init) ?? "?")",
                          "\(version.id) \(state)\(version.current ? " (current)" : "")"))
        }
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

extension CertificateListing {
    /// `record`'s listing with the lineage's bindings and what each has installed.
    init(_ record: ManagedCertificateRecord, inventory: any InventoryStore, withDetails: Bool = false, now: Date = Date()) throws {
        self.init(record, installations: try inventory.installations(ofCertificate: record.id), withDetails: withDetails,
                  now: now)
        guard let lineage = record.lineage else { return }
        let lineageInstallations = try inventory.installations(ofLineage: lineage)
        let currentVersion = try inventory.currentCertificate(lineage: lineage)?.version
        let owed = try inventory.deployStates(lineage: lineage)
        bindings = try inventory.bindings(ofLineage: lineage).map { binding -> Binding in
            let there = lineageInstallations.filter {
                $0.installation.endpointID == binding.endpointID && (binding.node.isEmpty || $0.installation.node == binding.node)
            }
            let latest = there.max { $0.installation.installedAt < $1.installation.installedAt }
            let endpointName = (try? inventory.endpoint(matching: binding.endpointID))?.name ?? binding.endpointID
            return Binding(endpointID: binding.endpointID, endpointName: endpointName, node: binding.node,
                           alias: binding.alias, installedVersion: latest?.version,
                           deployed: currentVersion != nil && there.contains { $0.version == currentVersion },
                           owedDeploy: owed.first { $0.endpointID == binding.endpointID && $0.node == binding.node }
                               .map(OwedDeploy.init))
        }
        guard withDetails else { return }
        versions = try inventory.certificateVersions(lineage: lineage).map { version in
            Version(id: version.id, version: version.version, current: version.name != nil, status: version.status.rawValue,
                    serial: version.serial, notBefore: version.notBefore ?? version.certificatePEM
                        .flatMap { try? Certificate(pem: $0).notBefore },
                    notAfter: version.notAfter, fingerprint: version.fingerprint, createdAt: version.createdAt)
        }
    }
}
