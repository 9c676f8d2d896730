import Foundation
import OGBasics
import OGConnections
import OGCredentials
import OGInventory
import OGIssuance
import OGMaterial

/// What `og-host issuer add acme` was given, as typed.
public struct ACMEIssuerOptions: Sendable {
    public var name: String?
    public var directoryURL: String?
    public var eabKeyID: String?
    /// `-`, `env:NAME` or the key itself (base64url, as CAs hand it out).
    public var eabHMACKey: String?
    public var contact: [String]
    public var caBundle: String?
    public var preferredChain: String?
    public var agreeToTerms: Bool
    /// The account key type: ec-p256 (default), ec-p384 or an RSA size.
    public var accountKeyType: String?

    public init(name: String? = nil, directoryURL: String? = nil, eabKeyID: String? = nil, eabHMACKey: String? = nil,
                contact: [String] = [], caBundle: String? = nil, preferredChain: String? = nil, agreeToTerms: Bool = false,
                accountKeyType: String? = nil) {
        self.name = name
        self.directoryURL = directoryURL
        self.eabKeyID = eabKeyID
        self.eabHMACKey = eabHMACKey
        self.contact = contact
        self.caBundle = caBundle
        self.preferredChain = preferredChain
        self.agreeToTerms = agreeToTerms
        self.accountKeyType = accountKeyType
    }
}

/// The ACME issuers the gateway has accounts with: `og-host issuer add|list|show|remove`.
/// The account key is generated here and sealed like certificate keys; the
/// EAB HMAC key goes to the default local credential store.
public struct ACMEIssuers {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    public func add(_ options: ACMEIssuerOptions) throws -> ACMEIssuerRecord {
        guard let name = options.name else { throw GatewayError.option("name", "is required; name the issuer (1 to 32 characters)") }
        try CertificateNames.validate(name, option: "name")
        guard let directory = options.directoryURL else {
            throw GatewayError.option("directory", "is required; give the CA's ACME directory URL (https://…/directory)")
        }
        guard let url = URL(string: directory), ["https", "http"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw GatewayError.option("directory", "'\(directory)' is not an http(s) URL")
        }
        for contact in options.contact where !contact.hasPrefix("mailto:") || contact.count < 10 || !contact.contains("@") {
            throw GatewayError.option("contact", "'\(contact)' is not a mailto: URL such as mailto:pki@example.com")
        }
        if (options.eabKeyID == nil) != (options.eabHMACKey == nil) {
            throw GatewayError.option(options.eabKeyID == nil ? "eab-kid" : "eab-hmac-key",
                                      "is required with field `\(options.eabKeyID == nil ? "eab-hmac-key" : "eab-kid")`; the CA gives both")
        }
        var eab: (keyID: String, hmacKey: [UInt8], text: Secret)?
        if let keyID = options.eabKeyID {
            guard let secret = try CredentialStoreCatalog.secret("eab-hmac-key", options.eabHMACKey) else {
                throw GatewayError.option("eab-hmac-key", "is required with field `eab-kid`")
            }
            let text = secret.exposedString().trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Base64URL.decode(text), !bytes.isEmpty else {
                throw GatewayError.option("eab-hmac-key", "is not base64url text; paste the HMAC key exactly as the CA gave it")
            }
            eab = (keyID, bytes, Secret(text))
        }
        let anchors = try options.caBundle.map { path -> String in
            let certificates = try OptionFiles.certificates(option: "ca-bundle", path: path)
            return certificates.map(\.pem).joined()
        }
        let keySpec: KeySpec
        do {
            keySpec = try KeySpec(parsing: options.accountKeyType ?? "ec-p256", field: "field `account-key`")
        } catch {
            throw GatewayError("\(error)", category: .badInput)
        }
        let inventory = try gateway.inventory()
        if try issuerInventory({ try inventory.acmeIssuer(named: name) }) != nil {
            throw GatewayError.option("name", "'\(name)' is already an issuer; choose another name or remove it first")
        }
        let accountKey: PrivateKey
        do { accountKey = try PrivateKey.generate(keySpec) } catch { throw GatewayError("generating the account key: \(error)") }

        return try audited("issuer.add", name) {
            let client = try makeClient(directoryURL: directory, caBundlePEM: anchors, accountKey: accountKey, accountURL: nil)
            let acmeDirectory = try issuance { try client.directory() }
            if let terms = acmeDirectory.termsOfService, !options.agreeToTerms {
                throw GatewayError.option("agree-tos", "the CA's terms of service (\(terms)) must be agreed to; read them and "
                                          + "add field `agree-tos`")
            }
            if acmeDirectory.externalAccountRequired && eab == nil {
                throw GatewayError.option("eab-kid", "the CA requires External Account Binding; give field `eab-kid` and "
                                          + "field `eab-hmac-key` from your account at the CA")
            }
            let accountURL = try issuance {
                try client.register(contact: options.contact, agreeToTerms: options.agreeToTerms,
                                    externalAccount: eab.map { ($0.keyID, $0.hmacKey) })
            }
            // The account exists at the CA; now keep what is needed to use it. On failure the
            // CA keeps an account nobody can use, which is harmless; the gateway keeps nothing.
            let keyID = "acme-account-" + UUID().uuidString.lowercased()
            let keyFiles = KeyFiles(gateway: gateway)
            try keyFiles.store(accountKey, certificateID: keyID)
            var credentialID: String?
            do {
                if let eab {
                    let store = try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath)
                        .store(named: LocalCredentialStore.defaultName)
                    credentialID = try store.add(.password(username: eab.keyID, eab.text), id: "issuer-\(name)-eab")
                }
                let record = ACMEIssuerRecord(
                    name: name, directoryURL: directory, accountURL: accountURL, accountKeyID: keyID,
                    accountKeySpec: keySpec.description, contact: options.contact, eabKeyID: eab?.keyID,
                    eabCredentialID: credentialID, caBundlePEM: anchors, preferredChain: options.preferredChain,
                    termsOfService: acmeDirectory.termsOfService)
                try issuerInventory { try inventory.addACMEIssuer(record) }
                return (record, "directory \(directory), account \(accountURL)" + (eab.map { ", EAB kid \($0.keyID)" } ?? ""))
            } catch {
                try? keyFiles.remove(certificateID: keyID)
                if let credentialID {
                    try? LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath)
                        .store(named: LocalCredentialStore.defaultName).remove(id: credentialID)
                }
                throw error
            }
        }
    }

    public func list() throws -> [ACMEIssuerRecord] {
        try issuerInventory { try gateway.inventory().acmeIssuers() }
    }

    public func find(_ name: String) throws -> ACMEIssuerRecord {
        guard let issuer = try issuerInventory({ try gateway.inventory().acmeIssuer(named: name) }) else {
            throw GatewayError("issuer '\(name)': no such issuer; see og-host issuer list", category: .notFound)
        }
        return issuer
    }

    /// Removes the issuer, its sealed account key and its EAB credential. The
    /// account at the CA stays (it may hold other certificates' orders).
    @discardableResult
    public func remove(_ name: String) throws -> ACMEIssuerRecord {
        _ = try find(name)
        return try audited("issuer.remove", name) {
            guard let removed = try issuerInventory({ try gateway.inventory().removeACMEIssuer(named: name) }) else {
                throw GatewayError("issuer '\(name)': was removed by another og-host meanwhile", category: .notFound)
            }
            try KeyFiles(gateway: gateway).remove(certificateID: removed.accountKeyID)
            if let credentialID = removed.eabCredentialID {
                try? LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath)
                    .store(named: LocalCredentialStore.defaultName).remove(id: credentialID)
            }
            return (removed, "directory \(removed.directoryURL)")
        }
    }

    /// A client for the issuer's account, ready to order.
    func client(for issuer: ACMEIssuerRecord) throws -> ACMEClient {
        let key = try KeyFiles(gateway: gateway).load(certificateID: issuer.accountKeyID)
        let client = try makeClient(directoryURL: issuer.directoryURL, caBundlePEM: issuer.caBundlePEM, accountKey: key,
                                    accountURL: issuer.accountURL)
        if issuer.accountURL == nil {
            // Recorded before an account URL was known: look the account up by its key.
            try issuance { _ = try client.register(contact: issuer.contacts, agreeToTerms: true, externalAccount: nil) }
        }
        return client
    }

    private func makeClient(directoryURL: String, caBundlePEM: String?, accountKey: PrivateKey, accountURL: String?) throws -> ACMEClient {
        var configuration = HTTPClientConfiguration()
        if let caBundlePEM {
            do { configuration.trust = try .verify(additionalAnchorsPEM: caBundlePEM) } catch { throw GatewayError("\(error)") }
        }
        let http = try OutboundHTTP(gateway: gateway).client(configuration)
        let client = try issuance { try ACMEClient(directoryURL: directoryURL, accountKey: accountKey, accountURL: accountURL, http: http) }
        if EnvironmentVariable.value("OG_ACME_TRACE") == "1" {
            client.log = { StandardStreams.error("acme: \($0)\n") }
        }
        return client
    }

    private func audited<Result>(_ action: String, _ subject: String, _ body: () throws -> (Result, String)) throws -> Result {
        do {
            let (result, detail) = try body()
            gateway.audit(action: action, subject: subject, success: true, detail: detail)
            return result
        } catch {
            gateway.audit(action: action, subject: subject, success: false, detail: "\(error)")
            throw error
        }
    }
}

/// Runs an issuance-layer call, mapping its errors to the gateway's: bad input exits 2, the rest 1.
func issuance<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as IssuanceError {
        var failure = GatewayError("\(error)")
        if case .invalidArgument = error { failure.category = .badInput }
        failure.cause = error
        throw failure
    }
}

func issuerInventory<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as InventoryError {
        if case .invalidValue = error { throw GatewayError("\(error)", category: .badInput) }
        throw GatewayError("\(error)")
    }
}
