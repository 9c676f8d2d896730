import Foundation
import OGInventory
import OGMaterial

extension CertificateVault {
    /// `cert request`: generates a key and a CSR on the gateway, seals the key
    /// under `<data>/keys`, and records the certificate as pending. Returns
    /// the record; its `csrPEM` is what goes to the CA.
    public func request(_ options: CertificateRequestOptions) throws -> ManagedCertificateRecord {
        let request = try options.validated()
        // Building the CSR is also where the material layer checks the subject,
        // so a refused field is reported before anything is written or audited.
        let key: PrivateKey
        let csr: CertificateSigningRequest
        do {
            key = try PrivateKey.generate(request.keySpec)
            csr = try CertificateSigningRequest.make(key: key, subject: request.subject,
                                                     sans: request.subjectAlternativeNames)
            try csr.verifySignature()
        } catch let error as MaterialError {
            throw Self.requestError(error)
        }
        let inventory = try inventory
        if let name = request.name, try Self.inventoryCall({ try inventory.managedCertificate(matching: name) }) != nil {
            throw GatewayError.option("name", "'\(name)' is already used by another certificate; choose another name "
                                      + "or remove that certificate first", category: .conflict)
        }
        let id = UUID().uuidString.lowercased()
        return try audited(action: "cert.request", subject: request.name ?? id) {
            let keyFiles = try keyFiles
            try keyFiles.store(key, certificateID: id)
            let record = ManagedCertificateRecord(
                id: id, name: request.name, keySpec: request.keySpec.description, subject: csr.subjectName,
                commonName: request.subject.commonName, subjectAlternativeNames: request.subjectAlternativeNames.map(\.description),
                csrPEM: csr.pem, status: .pending, origin: .generated)
            let stored: ManagedCertificateRecord
            do {
                stored = try Self.inventoryCall { try inventory.addManagedCertificate(record) }
            } catch {
                // Without its record the sealed key is unreachable; take it back.
                try? keyFiles.remove(certificateID: id)
                throw error
            }
            return (stored, "id \(id), key \(request.keySpec), subject \(stored.subject), SANs "
                        + (stored.subjectAlternativeNames.isEmpty ? "none" : stored.subjectAlternativeNames.joined(separator: ",")))
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
