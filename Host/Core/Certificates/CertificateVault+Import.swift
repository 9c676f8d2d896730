import Foundation
import OGCredentials
import OGInventory
import OGMaterial

/// What `cert import` attached, for the operator's summary.
public struct CertificateImportResult: Sendable {
    public var record: ManagedCertificateRecord
    /// Subject of the certificate the chain ends at: a trust anchor or a root supplied with the chain.
    public var anchorSubject: String
    /// Supplied certificates that are not on the leaf's path; they were not stored.
    public var unusedSubjects: [String]
    /// The version that gave up the name to this one, when one did.
    public var previousID: String? = nil
}

extension CertificateVault {
    /// `cert import <id|name> --cert FILE [--chain FILE]`: attaches the issued
    /// certificate to a pending request. The certificate must be for the key
    /// generated with the request, and its chain must reach a trust anchor (or
    /// a root supplied in the chain) with every certificate within its dates.
    /// `certificateFile` may also carry the chain after the leaf, as CAs' "fullchain" files do.
    public func importIssued(_ reference: String, certificateFile: String,
                             chainFile: String?) throws -> CertificateImportResult {
        let supplied = try OptionFiles.certificates(option: "cert", path: certificateFile)
        let extraChain = try chainFile.map { try OptionFiles.certificates(option: "chain", path: $0) } ?? []
        let candidates = try importCandidates(reference)
        var record = candidates[0]
        var key: PrivateKey?
        var leaf: Certificate?
        // The version the certificate is for is the one whose key it certifies:
        // a name stands for its pending versions (newest first) and its current one.
        for candidate in candidates {
            let candidateKey = try keyFiles.load(certificateID: candidate.id)
            if let match = supplied.first(where: { $0.matches(privateKey: candidateKey) }) {
                (record, key, leaf) = (candidate, candidateKey, match)
                break
            }
        }
        let label = record.name.map { "'\($0)' (\(record.id))" } ?? record.id
        return try audited(action: "cert.import", subject: Self.auditSubject(record)) {
            guard let key, let leaf else {
                throw GatewayError.option("cert", "\(certificateFile): " + Self.mismatchDescription(supplied)
                                          + " is not for the private key of certificate \(label)"
                                          + (candidates.count > 1 ? " or of its \(candidates.count - 1) pending version(s)" : "")
                                          + "; import the certificate the CA issued for its CSR (og-host cert show "
                                          + "\(record.id) field `pem`)")
            }
            if let existing = record.fingerprint, existing != leaf.sha256Fingerprint {
                throw GatewayError("certificate \(label): already has certificate serial \(record.serial ?? "?"); "
                                   + "to renew, make a new version with og-host cert request field `name` "
                                   + "\(record.lineage ?? "NAME") (add field `reuse-key` to keep the key)", category: .badInput)
            }
            let validation = try validateChain(leaf: leaf, supplied: supplied.filter { $0 != leaf } + extraChain, key: key)
            var updated = record
            updated.attach(leaf: leaf, chain: validation.storedChain)
            try requireNotManagedElsewhere(leaf, exceptID: record.id)
            // A version of a name takes the name when it is the newest issued one, in the same transaction.
            let (stored, previousID) = try Self.inventoryCall {
                updated.lineage != nil ? try inventory.saveIssuedVersion(updated)
                    : (try inventory.updateManagedCertificate(updated), nil)
            }
            return (CertificateImportResult(record: stored, anchorSubject: validation.anchorSubject,
                                            unusedSubjects: validation.unusedSubjects, previousID: previousID),
                    Self.importDetail(stored, anchor: validation.anchorSubject)
                        + (previousID.map { ", now the current version (was \($0))" } ?? ""))
        }
    }

    /// What `reference` may be importing into: by ID that certificate; by name
    /// the lineage's pending versions, newest first, then its current version.
    private func importCandidates(_ reference: String) throws -> [ManagedCertificateRecord] {
        let record = try find(reference)
        guard UUID(uuidString: reference) == nil, let lineage = record.lineage else { return [record] }
        let versions = try Self.inventoryCall { try inventory.certificateVersions(lineage: lineage) }
        return versions.filter { $0.status == .pending && $0.id != record.id } + [record]
    }

    /// `cert import --cert FILE --key FILE [--key-password -|env:NAME] [--chain FILE] [--name N]`:
    /// brings a certificate whose key was made elsewhere under management.
    /// The key is sealed under `<data>/keys` like a generated one; the
    /// passphrase, if any, is used to read it and then forgotten.
    public func importExternal(name: String?, certificateFile: String, keyFile: String, keyPassword: String?,
                               chainFile: String?) throws -> CertificateImportResult {
        if let name { try CertificateNames.validate(name, option: "name") }
        let (leaf, key, chain, certificateFileContents) = try OptionFiles.keyAndCertificates(
            keyOption: "key", keyPath: keyFile, passphraseOption: "key-password", passphrase: keyPassword,
            certificateOption: "cert", certificatePath: certificateFile, chainOption: "chain", chainPath: chainFile)
        guard leaf.matches(privateKey: key) else {
            throw GatewayError.option("cert", "\(certificateFile): " + Self.mismatchDescription(certificateFileContents)
                                      + " is not for the key in \(keyFile); give the certificate issued for that key")
        }
        let inventory = try inventory
        // For a name that exists, the certificate becomes its newest version.
        let current = try name.flatMap { name in try Self.inventoryCall { try inventory.currentCertificate(lineage: name) } }
        let id = UUID().uuidString.lowercased()
        return try audited(action: "cert.import", subject: name ?? id) {
            try requireNotManagedElsewhere(leaf, exceptID: nil)
            let validation = try validateChain(leaf: leaf, supplied: chain, key: key)
            let keySpec = key.spec?.description ?? key.algorithmDescription
            var record = ManagedCertificateRecord(id: id, name: name, keySpec: keySpec, subject: leaf.subject,
                                                  commonName: leaf.commonName, subjectAlternativeNames: [], csrPEM: nil,
                                                  status: .pending, origin: .imported)
            record.attach(leaf: leaf, chain: validation.storedChain)
            let keyFiles = try keyFiles
            try keyFiles.store(key, certificateID: id)
            let stored: ManagedCertificateRecord
            var previousID: String?
            do {
                if current != nil {
                    (stored, previousID) = try Self.inventoryCall { try inventory.saveIssuedVersion(record) }
                } else {
                    stored = try Self.inventoryCall { try inventory.addManagedCertificate(record) }
                }
            } catch {
                try? keyFiles.remove(certificateID: id)
                throw error
            }
            return (CertificateImportResult(record: stored, anchorSubject: validation.anchorSubject,
                                            unusedSubjects: validation.unusedSubjects, previousID: previousID),
                    "key brought from elsewhere, " + Self.importDetail(stored, anchor: validation.anchorSubject)
                        + (stored.version.map { ", version \($0)" } ?? "")
                        + (previousID.map { ", now the current version (was \($0))" } ?? ""))
        }
    }

    /// Orders and checks the path from `leaf` through `supplied` to a trust
    /// anchor. Roots (self-signed certificates) in `supplied` count as anchors
    /// for this import: the operator vouched for them by supplying them.
    private func validateChain(leaf: Certificate, supplied: [Certificate], key: PrivateKey) throws
        -> (storedChain: [Certificate], anchorSubject: String, unusedSubjects: [String]) {
        let anchors = try TrustAnchorSource.chainAnchors(gateway: gateway)
        let suppliedRoots = supplied.filter(\.isSelfSigned)
        let validated: ValidatedChain
        do {
            validated = try ChainValidation.validate(leaf: leaf, chain: supplied, anchors: anchors.adding(suppliedRoots),
                                                     privateKey: key)
        } catch let error as MaterialError {
            throw GatewayError(Self.chainProblem(error), category: .badInput)
        }
        // Keep what the operator supplied, in path order; an anchor known only
        // from the trust store is the clients' business, not the server's.
        let storedChain = validated.certificates.dropFirst().filter { supplied.contains($0) }
        return (Array(storedChain), validated.anchor.subject, validated.unused.map(\.subject))
    }

    private func requireNotManagedElsewhere(_ leaf: Certificate, exceptID: String?) throws {
        let fingerprint = leaf.sha256Fingerprint
        if let other = try Self.inventoryCall({ try inventory.managedCertificate(fingerprint: fingerprint) }),
           other.id != exceptID {
            throw GatewayError("certificate \(leaf.subject) (SHA-256 \(fingerprint)) is already managed as "
                               + "\(other.name.map { "'\($0)' (\(other.id))" } ?? other.id); use that one", category: .conflict)
        }
    }

    private static func chainProblem(_ error: MaterialError) -> String {
        switch error {
        case .chainIncomplete:
            return "\(error) (give it with field `chain`, or trust its root with og-host ca add)"
        case .untrustedRoot:
            return "\(error) with og-host ca add"
        default:
            return "\(error)"
        }
    }

    private static func mismatchDescription(_ certificates: [Certificate]) -> String {
        certificates.count == 1
            ? "the certificate (\(certificates[0].subject), serial \(certificates[0].serialHex))"
            : "none of its \(certificates.count) certificates"
    }

    private static func importDetail(_ record: ManagedCertificateRecord, anchor: String) -> String {
        "id \(record.id), subject \(record.subject), serial \(record.serial ?? "-"), SHA-256 \(record.fingerprint ?? "-"), "
            + "chain to \(anchor)"
    }
}

extension ManagedCertificateRecord {
    /// Takes the issued `leaf` (and the chain after it) as this record's certificate.
    mutating func attach(leaf: Certificate, chain: [Certificate]) {
        status = .issued
        subject = leaf.subject
        commonName = leaf.commonName
        subjectAlternativeNames = leaf.subjectAlternativeNames.map(\.description)
        certificatePEM = leaf.pem
        chainPEM = chain.isEmpty ? nil : chain.map(\.pem).joined()
        serial = leaf.serialHex
        notAfter = leaf.notAfter
        notBefore = leaf.notBefore
        fingerprint = leaf.sha256Fingerprint
    }
}
