import Foundation
import OGInventory
import OGMaterial

extension CertificateVault {
    /// `cert request`: generates a key and a CSR on the gateway, seals the key
    /// under `<data>/keys`, and records the certificate as pending. Returns
    /// the record; its `csrPEM` is what goes to the CA.
    ///
    /// For a name that exists, the request is a new pending VERSION of it
    /// (unnamed until its certificate is imported, when the name moves to it):
    /// a new key, or with `reuseKey` a copy of the current version's key;
    /// subject, subjectAltNames and key type default to the current version's.
    public func request(_ options: CertificateRequestOptions) throws -> ManagedCertificateRecord {
        // Without an inventory no name exists yet: the request is checked as a
        // first version before anything (the data directory included) is created.
        let hasInventory = FileManager.default.fileExists(atPath: gateway.dataDirectory.inventoryPath)
        let current = try options.name.flatMap { name in
            hasInventory ? try Self.inventoryCall { try self.inventory.currentCertificate(lineage: name) } : nil
        }
        if options.reuseKey, current == nil {
            throw GatewayError.option("reuse-key", options.name.map { "'\($0)' is not a certificate yet, so there is no key "
                                          + "to reuse; leave out field `reuse-key` for its first version" }
                                      ?? "needs field `name` of an existing certificate whose current key the new version keeps")
        }
        let request = try (current.map { options.forNewVersion(of: $0) } ?? options).validated()
        // Building the CSR is also where the material layer checks the subject,
        // so a refused field is reported before anything is written or audited.
        let key: PrivateKey
        let csr: CertificateSigningRequest
        do {
            if let current, options.reuseKey {
                key = try keyFiles.load(certificateID: current.id)
                guard key.spec == request.keySpec else {
                    throw GatewayError.option("key", "'\(request.keySpec)' differs from the \(key.spec?.description ?? key.algorithmDescription) "
                                              + "key field `reuse-key` keeps; leave out field `key`, or drop field `reuse-key` for a new key")
                }
            } else {
                key = try PrivateKey.generate(request.keySpec)
            }
            csr = try CertificateSigningRequest.make(key: key, subject: request.subject,
                                                     sans: request.subjectAlternativeNames)
            try csr.verifySignature()
        } catch let error as MaterialError {
            throw Self.requestError(error)
        }
        let id = UUID().uuidString.lowercased()
        let inventory = try inventory
        return try audited(action: "cert.request", subject: request.name ?? id) {
            let keyFiles = try keyFiles
            try keyFiles.store(key, certificateID: id)
            let record = ManagedCertificateRecord(
                id: id, name: current == nil ? request.name : nil, keySpec: request.keySpec.description,
                subject: csr.subjectName, commonName: request.subject.commonName,
                subjectAlternativeNames: request.subjectAlternativeNames.map(\.description),
                csrPEM: csr.pem, status: .pending, origin: .generated, lineage: request.name)
            let stored: ManagedCertificateRecord
            do {
                stored = try Self.inventoryCall { try inventory.addManagedCertificate(record) }
            } catch {
                // Without its record the sealed key is unreachable; take it back.
                try? keyFiles.remove(certificateID: id)
                throw error
            }
            var detail = "id \(id), key \(request.keySpec), subject \(stored.subject), SANs "
                + (stored.subjectAlternativeNames.isEmpty ? "none" : stored.subjectAlternativeNames.joined(separator: ","))
            if let current, let version = stored.version {
                detail += ", version \(version) (current: version \(current.version ?? 1), \(current.id))"
                    + (options.reuseKey ? ", key reused from \(current.id)" : "")
            }
            return (stored, detail)
        }
    }

    /// A subject field the material layer refused, named by the option it came from.
    private static func requestError(_ error: MaterialError) -> GatewayError {
        if case .invalidField(let field, let value, let problem) = error,
           let option = CertificateRequestOptions.optionOfSubjectField[field] {
            return GatewayError.option(option, "'\(value)' \(problem)")
        }
        return GatewayError("generating the key and CSR: \(error)")
    }
}
