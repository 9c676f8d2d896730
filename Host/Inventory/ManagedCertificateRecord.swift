import Foundation

/// A certificate the gateway manages: its key (kept encrypted beside the
/// inventory, never in it), the request made for it and, once issued, the
/// certificate and chain. What `og-host cert request` and `cert import` record.
public struct ManagedCertificateRecord: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// A key and CSR exist; no certificate is attached yet.
        case pending
        /// The certificate (and chain) is attached.
        case issued
    }

    /// Where the private key came from.
    public enum Origin: String, Codable, Sendable {
        /// Generated on the gateway by `cert request`.
        case generated
        /// Brought along with its certificate by `cert import --key`.
        case imported
    }

    /// A lowercase UUID, printed by `cert request`.
    public var id: String
    /// Optional, unique, 1 to 32 characters, so it can never be mistaken for an ID.
    /// Carried by the CURRENT version of lineage `name` only: moving it to a
    /// newer version is how a renewal takes over every lookup by name.
    public var name: String?
    /// The name this certificate is a version of, kept when the name moves on
    /// to a newer version; nil for a certificate that never had a name.
    public var lineage: String?
    /// 1, 2, ... within the lineage, assigned by the inventory when the record
    /// is added; nil without a lineage.
    public var version: Int?
    /// `rsa2048`, `ec-p256`, ... or, for an imported key og-host would not
    /// generate, its algorithm (`RSA-1024`).
    public var keySpec: String
    /// RFC 4514, most specific first.
    public var subject: String
    public var commonName: String?
    /// `DNS:name` and `IP:address` entries, in order.
    public var subjectAlternativeNames: [String]
    /// The request the key was generated for; nil for imported material.
    public var csrPEM: String?
    public var status: Status
    public var origin: Origin
    /// The issued leaf, PEM.
    public var certificatePEM: String?
    /// The issuers after the leaf, leaf-adjacent first, PEM.
    public var chainPEM: String?
    /// Lowercase hexadecimal.
    public var serial: String?
    public var notAfter: Date?
    /// Start of the issued leaf's validity; nil while pending and for records
    /// stored before versions existed (read it from `certificatePEM` then).
    public var notBefore: Date?
    /// SHA-256 over the leaf's DER, lowercase hexadecimal.
    public var fingerprint: String?
    /// Set by the inventory when the record is added.
    public package(set) var createdAt: Date
    /// Set by the inventory on every add and update.
    public package(set) var updatedAt: Date

    public init(id: String = UUID().uuidString.lowercased(), name: String?, keySpec: String, subject: String,
                commonName: String?, subjectAlternativeNames: [String], csrPEM: String?, status: Status,
                origin: Origin, certificatePEM: String? = nil, chainPEM: String? = nil, serial: String? = nil,
                notAfter: Date? = nil, fingerprint: String? = nil, lineage: String? = nil, version: Int? = nil,
                notBefore: Date? = nil) {
        self.id = id
        self.name = name
        self.lineage = lineage
        self.version = version
        self.notBefore = notBefore
        self.keySpec = keySpec
        self.subject = subject
        self.commonName = commonName
        self.subjectAlternativeNames = subjectAlternativeNames
        self.csrPEM = csrPEM
        self.status = status
        self.origin = origin
        self.certificatePEM = certificatePEM
        self.chainPEM = chainPEM
        self.serial = serial
        self.notAfter = notAfter
        self.fingerprint = fingerprint
        self.createdAt = Date()
        self.updatedAt = createdAt
    }

    package func validate() throws {
        guard let uuid = UUID(uuidString: id), uuid.uuidString.lowercased() == id else {
            throw InventoryError.invalidValue(field: "certificate id", value: id, problem: "is not a lowercase UUID")
        }
        if let name { try RecordValidation.name(name, field: "certificate name") }
        if let lineage {
            try RecordValidation.name(lineage, field: "certificate lineage")
            if let name, name != lineage {
                throw InventoryError.invalidValue(field: "certificate name", value: name,
                                                  problem: "differs from the lineage '\(lineage)' it is a version of; "
                                                      + "a version carries only its own lineage's name")
            }
        }
        if let version {
            guard lineage != nil || name != nil else {
                throw InventoryError.invalidValue(field: "certificate version", value: "\(version)",
                                                  problem: "needs a lineage; an unnamed certificate has no versions")
            }
            guard version >= 1 else {
                throw InventoryError.invalidValue(field: "certificate version", value: "\(version)",
                                                  problem: "is not a version number; versions count from 1")
            }
        }
        try RecordValidation.nonEmpty(keySpec, field: "key spec")
        try RecordValidation.nonEmpty(subject, field: "subject")
        switch status {
        case .pending:
            guard certificatePEM == nil else {
                throw InventoryError.invalidValue(field: "status", value: status.rawValue,
                                                  problem: "cannot carry a certificate; mark the record issued")
            }
            guard csrPEM != nil else {
                throw InventoryError.invalidValue(field: "status", value: status.rawValue,
                                                  problem: "needs the CSR the key was generated for")
            }
        case .issued:
            guard certificatePEM != nil, serial != nil, notAfter != nil, fingerprint != nil else {
                throw InventoryError.invalidValue(field: "status", value: status.rawValue,
                                                  problem: "needs the certificate, its serial, notAfter and fingerprint")
            }
        }
    }
}
