import Foundation
import OGInventory
import OGMaterial

/// What `og-host cert request` was given, as typed. `validated()` checks every
/// value and names the option a problem is in.
public struct CertificateRequestOptions: Sendable {
    public var name: String?
    /// `rsa2048`, `rsa3072`, `rsa4096`, `ec-p256` or `ec-p384`.
    public var keyType: String?
    public var commonName: String?
    public var organization: String?
    public var organizationalUnit: String?
    public var locality: String?
    public var stateOrProvince: String?
    public var country: String?
    public var email: String?
    public var dnsNames: [String]
    public var ipAddresses: [String]
    /// For a new version of an existing name: copy the current version's key
    /// instead of generating one (`--reuse-key`).
    public var reuseKey: Bool = false

    public init(name: String? = nil, keyType: String? = nil, commonName: String? = nil, organization: String? = nil,
                organizationalUnit: String? = nil, locality: String? = nil, stateOrProvince: String? = nil,
                country: String? = nil, email: String? = nil, dnsNames: [String] = [], ipAddresses: [String] = []) {
        self.name = name
        self.keyType = keyType
        self.commonName = commonName
        self.organization = organization
        self.organizationalUnit = organizationalUnit
        self.locality = locality
        self.stateOrProvince = stateOrProvince
        self.country = country
        self.email = email
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
    }

    /// The request to make, or the first problem as `--option: problem` (exit 2).
    func validated() throws -> ValidatedCertificateRequest {
        if let name { try CertificateNames.validate(name, option: "name") }
        guard let keyType else {
            throw GatewayError.option("key", "is required; choose one of \(Self.keyTypeNames)")
        }
        guard let spec = try? KeySpec(parsing: keyType) else {
            throw GatewayError.option("key", "'\(keyType)' is not a key type og-host generates; choose one of \(Self.keyTypeNames)")
        }
        guard let commonName else {
            throw GatewayError.option("cn", "is required; give the certificate's common name, usually its main DNS name")
        }
        if let country, country.count != 2 || !country.allSatisfy({ $0.isASCII && $0.isLetter }) {
            throw GatewayError.option("c", "'\(country)' must be a two-letter country code such as US or DE")
        }
        let subject = CertificateSubject(commonName: commonName, organization: organization,
                                         organizationalUnit: organizationalUnit, locality: locality,
                                         stateOrProvince: stateOrProvince, country: country?.uppercased(),
                                         emailAddress: email)
        var sans: [SubjectAlternativeName] = []
        for (values, option, make) in [(dnsNames, "san-dns", SubjectAlternativeName.dns),
                                       (ipAddresses, "san-ip", SubjectAlternativeName.ipAddress)] {
            for value in values {
                do {
                    let san = try make(value).validated(field: "field `\(option)`")
                    if !sans.contains(san) { sans.append(san) }
                } catch let error as MaterialError {
                    throw GatewayError("\(error)", category: .badInput)
                }
            }
        }
        // Browsers read only subjectAltName, and public CAs require the CN among
        // them, so a CN that names a host is carried over unless already there.
        if let implied = try? SubjectAlternativeName(parsing: commonName, field: "field `cn`"), !sans.contains(implied) {
            sans.insert(implied, at: 0)
        }
        return ValidatedCertificateRequest(name: name, keySpec: spec, subject: subject, subjectAlternativeNames: sans)
    }

    static let keyTypeNames = KeySpec.supported.map(\.description).joined(separator: ", ")

    /// True when no subject field and no subjectAltName was given.
    var namesNothing: Bool {
        commonName == nil && organization == nil && organizationalUnit == nil && locality == nil
            && stateOrProvince == nil && country == nil && email == nil && dnsNames.isEmpty && ipAddresses.isEmpty
    }

    /// These options for a new version of `current`: without subject options
    /// the subject and subjectAltNames are the current version's (from its
    /// CSR, or its certificate's CN and SANs for an imported one); without
    /// `--key` the key type is the current version's.
    func forNewVersion(of current: ManagedCertificateRecord) -> CertificateRequestOptions {
        var options = self
        if options.keyType == nil, (try? KeySpec(parsing: current.keySpec)) != nil { options.keyType = current.keySpec }
        guard namesNothing else { return options }
        if let pem = current.csrPEM, let csr = try? CertificateSigningRequest(pem: pem) {
            let subject = csr.subject
            options.commonName = subject.commonName
            options.organization = subject.organization
            options.organizationalUnit = subject.organizationalUnit
            options.locality = subject.locality
            options.stateOrProvince = subject.stateOrProvince
            options.country = subject.country
            options.email = subject.emailAddress
            options.dnsNames = csr.subjectAlternativeNames.compactMap { if case .dns(let name) = $0 { name } else { nil } }
            options.ipAddresses = csr.subjectAlternativeNames.compactMap { if case .ipAddress(let ip) = $0 { ip } else { nil } }
        } else {
            options.commonName = current.commonName
            for san in current.subjectAlternativeNames {
                if san.hasPrefix("DNS:") { options.dnsNames.append(String(san.dropFirst(4))) }
                if san.hasPrefix("IP:") { options.ipAddresses.append(String(san.dropFirst(3))) }
            }
        }
        return options
    }

    /// The `cert request` option each subject field comes from, for messages from the material layer.
    static let optionOfSubjectField = ["subject": "cn", "subject.CN": "cn", "subject.O": "o", "subject.OU": "ou",
                                       "subject.L": "l", "subject.ST": "st", "subject.C": "c",
                                       "subject.emailAddress": "email"]
}

/// A request whose every value passed validation.
struct ValidatedCertificateRequest {
    var name: String?
    var keySpec: KeySpec
    var subject: CertificateSubject
    var subjectAlternativeNames: [SubjectAlternativeName]
}

/// Rules for the names operators give certificates and trust anchors.
enum CertificateNames {
    /// 1 to 32 printable characters, so a name never reads as a UUID (36).
    static func validate(_ name: String, option: String) throws {
        guard (1...32).contains(name.count) else {
            throw GatewayError.option(option, "'\(name)' is \(name.count) characters long; use 1 to 32 characters")
        }
        guard !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw GatewayError.option(option, "\(name.debugDescription) contains control characters; use printable characters")
        }
        guard !name.hasPrefix("-") else {
            throw GatewayError.option(option, "'\(name)' starts with '-', which reads as an option; choose another name")
        }
    }
}
