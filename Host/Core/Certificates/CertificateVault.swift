import Foundation
import OGInventory
import OGMaterial

/// The gateway's certificate store: managed certificates in the inventory,
/// their private keys sealed under `<data>/keys`, and the trust anchors
/// imported chains must reach. What `og-host cert` does, and what install
/// jobs read their material from.
///
/// Every change leaves an audit record. No method ever returns, prints or
/// logs key bytes; only `material(id:)` hands a key out, as an in-memory
/// `PrivateKey` for an install.
public struct CertificateVault {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    var inventory: any InventoryStore {
        get throws { try gateway.inventory() }
    }

    /// Opened after the inventory, which creates `<data>/keys` (0700) when missing.
    var keyFiles: KeyFiles {
        get throws {
            _ = try inventory
            return KeyFiles(gateway: gateway)
        }
    }

    /// The certificate whose ID or name is `reference`.
    public func find(_ reference: String) throws -> ManagedCertificateRecord {
        guard let record = try Self.inventoryCall({ try inventory.managedCertificate(matching: reference) }) else {
            throw GatewayError("certificate '\(reference)': no managed certificate has this ID or name; "
                               + "see og-host cert list", category: .notFound)
        }
        return record
    }

    /// How `cert list` orders certificates.
    public enum ListingOrder: String, Sendable, CaseIterable {
        /// Named ones by name, then unnamed ones by creation time.
        case name
        /// Soonest notAfter first; pending ones last.
        case expiry
    }

    /// The current version of every named certificate and every unnamed one,
    /// with where each is bound and deployed. `expiringWithinDays` keeps only
    /// issued certificates whose notAfter falls within that many days from
    /// `now` (the expired ones too).
    public func listings(expiringWithinDays: Int? = nil, order: ListingOrder = .name,
                         now: Date = Date()) throws -> [CertificateListing] {
        if let days = expiringWithinDays, !(0...3650).contains(days) {
            throw GatewayError.option("expiring", "'\(days)' is not a number of days from 0 to 3650")
        }
        let inventory = try inventory
        var records = try Self.inventoryCall { try inventory.currentCertificates() }
        if let days = expiringWithinDays {
            let limit = now.addingTimeInterval(TimeInterval(days) * 86400)
            records = records.filter { $0.notAfter.map { $0 <= limit } ?? false }
        }
        if order == .expiry {
            records.sort { ($0.notAfter ?? .distantFuture, $0.name ?? $0.id) < ($1.notAfter ?? .distantFuture, $1.name ?? $1.id) }
        }
        return try Self.inventoryCall {
            try records.map { try CertificateListing($0, inventory: inventory, now: now) }
        }
    }

    /// One certificate with its details, PEM texts (never its key) and, for a
    /// named one, every version and binding.
    public func details(_ reference: String) throws -> CertificateListing {
        let record = try find(reference)
        let inventory = try inventory
        return try Self.inventoryCall { try CertificateListing(record, inventory: inventory, withDetails: true) }
    }

    /// What `remove` did: the record the reference named and what else went with it.
    public struct Removal: Sendable {
        public var record: ManagedCertificateRecord
        /// Whole sentences for the operator: what belonged only to the lineage and was destroyed with it
        /// (its sealed TSIG secret), or could not be.
        public var notes: [String]
    }

    /// Removes a certificate and its key: by name the whole lineage (every
    /// version and key, its renewal schedule and the TSIG secret its renewal
    /// settings sealed), by ID one version (see `ManagedCertificateStore.removeManagedCertificate`).
    /// Refused, naming the endpoints, while the lineage has bindings.
    @discardableResult
    public func remove(_ reference: String) throws -> Removal {
        let record = try find(reference)
        let subject = Self.auditSubject(record)
        return try audited(action: "cert.remove", subject: subject) {
            let inventory = try inventory
            let lineage = record.lineage ?? record.name
            let settings = try lineage.flatMap { name in try Self.inventoryCall { try inventory.renewalSchedule(lineage: name) } }?
                .settings ?? [:]
            // The records go first: a key file or sealed secret left behind by a
            // failure below is sealed and harmless, a record without its key is not.
            let removed = try Self.inventoryCall({ try inventory.removeManagedCertificate(reference) })
            guard !removed.isEmpty else {
                throw GatewayError("certificate '\(reference)': was removed by another og-host meanwhile", category: .notFound)
            }
            let keyFiles = try keyFiles
            for version in removed { try keyFiles.remove(certificateID: version.id) }
            var notes: [String] = []
            if let lineage, removed.contains(where: { $0.name == lineage }),
               let note = RenewalIssuanceSettings(gateway: gateway).destroySealedSecret(of: settings) {
                notes.append(note)
            }
            let versions = removed.count > 1 ? ", \(removed.count) versions" : ""
            return (Removal(record: record, notes: notes),
                    "id \(record.id), serial \(record.serial ?? "-"), status \(record.status.rawValue)\(versions)"
                    + notes.map { "; " + $0 }.joined())
        }
    }

    /// The key, leaf and chain (leaf-adjacent first) of issued certificate
    /// `id` (or name), for an install job. The key is checked against the leaf.
    public func material(id: String) throws -> (key: PrivateKey, leaf: Certificate, chain: [Certificate]) {
        let record = try find(id)
        guard record.status == .issued, let leafPEM = record.certificatePEM else {
            throw GatewayError("certificate '\(record.name ?? record.id)' is pending: it has no certificate yet; attach "
                               + "the issued one with og-host cert import \(record.id) field `cert` FILE", category: .badInput)
        }
        do {
            // Parsed once per process for each text (job workers install the same certificate job after job).
            let leaf = try ParsedCertificates.shared.one(pem: leafPEM, what: "stored certificate of \(record.id)")
            let chain = try record.chainPEM.map { try ParsedCertificates.shared.parseAll(pem: $0, what: "stored chain of \(record.id)") } ?? []
            let key = try keyFiles.load(certificateID: record.id)
            guard leaf.matches(privateKey: key) else {
                throw GatewayError("\(try keyFiles.path(of: record.id)): holds a key that does not match the stored "
                                   + "certificate of \(record.id); restore the key file from a backup")
            }
            return (key, leaf, chain)
        } catch let error as MaterialError {
            throw GatewayError("certificate \(record.id): stored material is unreadable: \(error); restore the "
                               + "inventory from a backup")
        }
    }

    /// Records that certificate `certificateID` serves on `node` of endpoint
    /// `endpointID` (verified at `servedAddress` with SNI `servedName`); install
    /// jobs call it after verifying the served certificate. With `bindingNode`
    /// a named certificate is bound there too, in the same transaction.
    public func recordInstallation(certificateID: String, endpointID: String, node: String,
                                   servedAddress: String? = nil, servedName: String? = nil,
                                   bindingNode: String? = nil, alias: String? = nil) throws {
        let record = try find(certificateID)
        _ = try Self.inventoryCall {
            try inventory.recordInstallation(certificateID: record.id, endpointID: endpointID, node: node,
                                             servedAddress: servedAddress, servedName: servedName,
                                             bindingNode: bindingNode, alias: alias)
        }
    }

    // MARK: - Shared by the vault's operations

    /// Runs `body`, then records the outcome under `action` and `subject`:
    /// its detail on success, the error's message on failure. Messages never
    /// hold key material, so both are safe in the audit trail.
    func audited<Result>(action: String, subject: String,
                         _ body: () throws -> (Result, detail: String)) throws -> Result {
        do {
            let (result, detail) = try body()
            gateway.audit(action: action, subject: subject, success: true, detail: detail)
            return result
        } catch {
            gateway.audit(action: action, subject: subject, success: false, detail: "\(error)")
            throw error
        }
    }

    static func auditSubject(_ record: ManagedCertificateRecord) -> String {
        record.name ?? record.id
    }

    /// Runs an inventory call, turning its error into the GatewayError of its kind.
    static func inventoryCall<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as InventoryError {
            throw GatewayError.classify(error)
        }
    }

    /// A material-layer problem with operator input, as a bad-input error.
    static func inputError(_ error: MaterialError, prefix: String? = nil) -> GatewayError {
        GatewayError((prefix.map { "\($0): " } ?? "") + "\(error)", category: .badInput)
    }
}
