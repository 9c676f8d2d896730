import Foundation
import OGBasics
import OGCredentials
import OGInventory
import OGIssuance
import OGMaterial

/// `og-host cert issue|orders|order show|order abandon|revoke`: certificates
/// from ACME issuers. The key and CSR are made on the gateway; the order is
/// persisted before the first request to the CA and at every step after it,
/// so a crash or a restart resumes the same order. Until the certificate is
/// downloaded and checked, nothing is written to the vault: the order's key is
/// sealed under its own ID (`order-<id>`) and moves to the certificate's at the end.
public struct ACMEIssuance: CertificateIssuer {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    public func issue(_ request: IssuanceRequest) throws -> IssuanceResult {
        try CertificateNames.validate(request.certificateName, option: "name")
        let issuers = ACMEIssuers(gateway: gateway)
        let issuer = try issuers.find(request.issuerName)
        let inventory = try gateway.inventory()
        let keyFiles = KeyFiles(gateway: gateway)
        var order: ACMEOrderRecord
        let resumed: Bool
        if let open = try issuerInventory({ try inventory.openACMEOrder(certificateName: request.certificateName,
                                                                       issuerName: issuer.name) }) {
            order = open
            resumed = true
            let asked = try requestedIdentifiers(request)
            if !asked.isEmpty && asked != order.identifierList {
                throw GatewayError("certificate '\(request.certificateName)': order \(order.id) for "
                                   + order.identifierList.joined(separator: ", ") + " is still open; rerun without field `cn`/field `san-dns` "
                                   + "to resume it, or abandon it first with og-host cert order abandon \(order.id)", category: .badInput)
            }
            order = try merge(request.challenge, into: order)
        } else {
            resumed = false
            order = try newOrder(request, issuer: issuer, keyFiles: keyFiles)
        }
        var challenge = request.challenge
        if order.challengeType == "dns-01", challenge.tsigSecretValue == nil {
            // Read once (standard input cannot be read twice): the solver uses it, and a renewal keeps it sealed.
            challenge.tsigSecretValue = try CredentialStoreCatalog.secret("tsig-secret", challenge.tsigSecret)
        }
        let solver = try makeSolver(order, challenge) { key, value in
            var settings = order.settings
            settings[key] = value
            order.setSettings(settings)
            try issuerInventory { try inventory.saveACMEOrder(order) }
        }
        let orderKey = try keyFiles.load(certificateID: Self.orderKeyID(order.id))
        let csr: CertificateSigningRequest
        do { csr = try CertificateSigningRequest(pem: order.csrPEM, what: "CSR of order \(order.id)") } catch {
            throw GatewayError("order \(order.id): its stored CSR is unreadable: \(error); abandon it and issue again")
        }
        let client = try issuers.client(for: issuer)
        if !resumed, order.replaces == nil, let replaces = try renewalIdentifier(replacing: request, issuer: issuer, client: client) {
            // RFC 9773 §5: a renewal names the certificate it replaces, when the CA offers renewal information.
            order.replaces = replaces
            try issuerInventory { try inventory.saveACMEOrder(order) }
        }
        let identifiers = order.identifierList.map { ACMEIdentifier(value: $0) }
        let process = ACMEOrderProcess(client: client, solver: solver,
                                       waits: ACMEWaits(limit: request.waitLimit)) { event in
            switch event {
            case .order(let acmeOrder), .finalized(let acmeOrder):
                order.orderURL = acmeOrder.url
                order.state = Self.state(of: acmeOrder)
                order.certificateURL = acmeOrder.certificate ?? order.certificateURL
            case .authorized(let identifier, _):
                order.markAuthorized(identifier)
            case .challengeAnswered(let identifier, _):
                order.markAnswered(identifier)
            }
            try issuerInventory { try inventory.saveACMEOrder(order) }
            switch event {
            case .challengeAnswered: try FaultInjection.check("acme-after-challenge")
            case .finalized: try FaultInjection.check("acme-after-finalize")
            default: break
            }
        }
        let chain: [Certificate]
        do {
            chain = try process.run(resuming: order.orderURL, identifiers: identifiers, csrDER: csr.der,
                                    preferredIssuer: issuer.preferredChain, replaces: order.replaces,
                                    answered: Set(order.answeredList))
        } catch {
            try fail(order, error, request: request)
        }
        let result = try complete(order, chain: chain, key: orderKey, keyFiles: keyFiles, resumed: resumed,
                                  warnings: process.warnings)
        guard request.recordForRenewal else { return result }
        do {
            try RenewalIssuanceSettings(gateway: gateway).record(order: order, request: request,
                                                                  tsigSecret: challenge.tsigSecretValue)
        } catch {
            var result = result
            result.warnings.append("the certificate is issued, but its renewal settings could not be recorded (\(error)); "
                                   + "og-host renew will not renew it until og-host cert policy \(request.certificateName) field `issuer` "
                                   + "\(order.issuerName) is run")
            return result
        }
        return result
    }

    // MARK: - Orders

    public func orders(certificateName: String? = nil) throws -> [ACMEOrderRecord] {
        try issuerInventory { try gateway.inventory().acmeOrders(certificateName: certificateName) }
    }

    public func order(_ id: String) throws -> ACMEOrderRecord {
        guard let order = try issuerInventory({ try gateway.inventory().acmeOrder(id: id) }) else {
            throw GatewayError("order '\(id)': no such order (or the prefix is ambiguous); see og-host cert orders", category: .notFound)
        }
        return order
    }

    /// Marks an open order failed locally and removes its key, so the next `cert issue` starts afresh.
    /// The CA lets an abandoned order expire on its own.
    public func abandon(_ id: String) throws -> ACMEOrderRecord {
        var order = try order(id)
        guard !order.state.isFinal else {
            throw GatewayError("order \(order.id) is already \(order.state.rawValue)", category: .badInput)
        }
        order.state = .failed
        order.lastProblem = "abandoned by the operator"
        try issuerInventory { try gateway.inventory().saveACMEOrder(order) }
        try KeyFiles(gateway: gateway).remove(certificateID: Self.orderKeyID(order.id))
        gateway.audit(action: "cert.order.abandon", subject: order.certificateName, success: true, detail: "order \(order.id)")
        return order
    }

    /// RFC 5280 CRLReason names `cert revoke --reason` accepts.
    public static let revocationReasons = ["unspecified": 0, "keyCompromise": 1, "affiliationChanged": 3,
                                           "superseded": 4, "cessationOfOperation": 5]

    /// Revokes a certificate issued through an ACME issuer, with its account key.
    public func revoke(_ reference: String, reason: String) throws -> (record: ManagedCertificateRecord, issuer: String) {
        guard let code = Self.revocationReasons[reason] else {
            throw GatewayError.option("reason", "'\(reason)' is not a revocation reason; use one of "
                                      + Self.revocationReasons.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", "))
        }
        let record = try CertificateVault(gateway: gateway).find(reference)
        guard let pem = record.certificatePEM else {
            throw GatewayError("certificate '\(reference)' has no issued certificate to revoke", category: .badInput)
        }
        let inventory = try gateway.inventory()
        guard var order = try issuerInventory({ try inventory.acmeOrders() }).first(where: { $0.certificateID == record.id }) else {
            throw GatewayError("certificate '\(reference)' was not issued through an og-host ACME issuer; revoke it with the CA "
                               + "that issued it", category: .badInput)
        }
        if let revokedAt = order.revokedAt {
            throw GatewayError("certificate '\(reference)' was already revoked at \(revokedAt)", category: .badInput)
        }
        let issuer = try ACMEIssuers(gateway: gateway).find(order.issuerName)
        let certificate = try Certificate(pem: pem, what: "certificate \(record.id)")
        let subject = record.name ?? record.id
        do {
            let client = try ACMEIssuers(gateway: gateway).client(for: issuer)
            try issuance { try client.revoke(certificateDER: certificate.der, reason: code) }
            order.revokedAt = Date()
            order.revocationReason = reason
            try issuerInventory { try inventory.saveACMEOrder(order) }
            gateway.audit(action: "cert.revoke", subject: subject, success: true,
                          detail: "serial \(record.serial ?? "-"), reason \(reason), issuer \(issuer.name)")
        } catch {
            gateway.audit(action: "cert.revoke", subject: subject, success: false, detail: "\(error)")
            throw error
        }
        return (record, issuer.name)
    }

    // MARK: - Renewal information (RFC 9773)

    /// The CA's suggested renewal window for a certificate issued through an
    /// ACME issuer, or nil when the issuer's directory offers no renewalInfo.
    /// What the renewal policy asks before deciding a certificate is due.
    public func renewalWindow(_ reference: String) throws -> RenewalWindow? {
        let record = try CertificateVault(gateway: gateway).find(reference)
        guard let pem = record.certificatePEM else {
            throw GatewayError("certificate '\(reference)' has no issued certificate yet", exitCode: 2)
        }
        let inventory = try gateway.inventory()
        guard let order = try issuerInventory({ try inventory.acmeOrders() }).first(where: { $0.certificateID == record.id }) else {
            throw GatewayError("certificate '\(reference)' was not issued through an og-host ACME issuer", exitCode: 2)
        }
        let issuers = ACMEIssuers(gateway: gateway)
        let client = try issuers.client(for: try issuers.find(order.issuerName))
        let certificate = try Certificate(pem: pem, what: "certificate \(record.id)")
        return try issuance {
            guard let info = try client.renewalInfo(for: certificate) else { return nil }
            return RenewalWindow(certificateID: record.id, issuer: order.issuerName,
                                 ariIdentifier: try ACMEClient.renewalIdentifier(certificate), start: info.start,
                                 end: info.end, explanationURL: info.explanationURL, retryAfter: info.retryAfter)
        }
    }

    /// The ARI identifier of the certificate a new order for `request` renews: the
    /// one named in the request, else the current holder of the name, when it came
    /// from this issuer and the CA offers renewal information.
    private func renewalIdentifier(replacing request: IssuanceRequest, issuer: ACMEIssuerRecord,
                                   client: ACMEClient) throws -> String? {
        let inventory = try gateway.inventory()
        let reference = request.replacesCertificateID ?? request.certificateName
        guard let previous = try issuerInventory({ try inventory.managedCertificate(matching: reference) }),
              let pem = previous.certificatePEM,
              try issuerInventory({ try inventory.acmeOrders() }).contains(where: {
                  $0.certificateID == previous.id && $0.issuerName == issuer.name }),
              try issuance({ try client.directory() }).renewalInfo != nil,
              let certificate = try? Certificate(pem: pem) else { return nil }
        return try? ACMEClient.renewalIdentifier(certificate)
    }

    // MARK: - Steps

    private func requestedIdentifiers(_ request: IssuanceRequest) throws -> [String] {
        guard request.commonName != nil || !request.dnsNames.isEmpty else { return [] }
        var names: [String] = []
        for name in [request.commonName].compactMap({ $0 }) + request.dnsNames where !names.contains(name.lowercased()) {
            names.append(name.lowercased())
        }
        return names
    }

    private func newOrder(_ request: IssuanceRequest, issuer: ACMEIssuerRecord, keyFiles: KeyFiles) throws -> ACMEOrderRecord {
        guard request.commonName != nil || !request.dnsNames.isEmpty else {
            throw GatewayError.option("cn", "is required for a new order; give field `cn` NAME (and field `san-dns` for more names)")
        }
        let options = CertificateRequestOptions(name: request.certificateName, keyType: request.keyType ?? "ec-p256",
                                                commonName: request.commonName ?? request.dnsNames[0],
                                                dnsNames: request.dnsNames)
        let validated = try options.validated()
        var names: [String] = []
        for san in validated.subjectAlternativeNames {
            guard case .dns(let name) = san else {
                throw GatewayError.option("cn", "'\(san)' is not a DNS name; ACME orders here are for DNS names only")
            }
            if !names.contains(name.lowercased()) { names.append(name.lowercased()) }
        }
        if request.challenge.type == "http-01", let wildcard = names.first(where: { $0.hasPrefix("*.") }) {
            throw GatewayError.option("challenge", "http-01 cannot validate the wildcard \(wildcard); use dns-01")
        }
        let key: PrivateKey
        let csr: CertificateSigningRequest
        do {
            key = try PrivateKey.generate(validated.keySpec)
            csr = try CertificateSigningRequest.make(key: key, subject: CertificateSubject(commonName: names[0]),
                                                     sans: names.map { .dns($0) })
        } catch {
            throw GatewayError("generating the key and CSR: \(error)")
        }
        let order = ACMEOrderRecord(issuerName: issuer.name, certificateName: request.certificateName, identifiers: names,
                                    keySpec: validated.keySpec.description, csrPEM: csr.pem,
                                    challengeType: request.challenge.type, challengeSettings: settings(request.challenge),
                                    replaces: nil)
        try keyFiles.store(key, certificateID: Self.orderKeyID(order.id))
        do {
            try issuerInventory { try gateway.inventory().saveACMEOrder(order) }
        } catch {
            try? keyFiles.remove(certificateID: Self.orderKeyID(order.id))
            throw error
        }
        return order
    }

    private func settings(_ options: ChallengeOptions) -> [String: String] {
        var settings: [String: String] = [:]
        settings["endpoint"] = options.endpoint
        settings["webroot"] = options.webroot
        settings["dnsServer"] = options.dnsServer
        settings["tsigKeyName"] = options.tsigKeyName
        settings["tsigAlgorithm"] = options.tsigAlgorithm
        return settings
    }

    /// Challenge options given on resume replace the recorded ones.
    private func merge(_ options: ChallengeOptions, into order: ACMEOrderRecord) throws -> ACMEOrderRecord {
        var order = order
        if let type = options.type { order.challengeType = type }
        var settings = order.settings
        for (key, value) in self.settings(options) { settings[key] = value }
        order.setSettings(settings)
        try issuerInventory { try gateway.inventory().saveACMEOrder(order) }
        return order
    }

    /// `remember` records a solver's own state (directories it made) with the order, for a resumed run.
    private func makeSolver(_ order: ACMEOrderRecord, _ options: ChallengeOptions,
                            remember: @escaping (String, String?) throws -> Void) throws -> ChallengeSolver? {
        let settings = order.settings
        switch order.challengeType {
        case nil:
            return nil
        case "http-01":
            guard let endpointName = settings["endpoint"] else {
                throw GatewayError.option("challenge-endpoint", "is required with field `challenge` http-01: the endpoint whose web "
                                          + "server answers http://NAME/ for the certificate's names")
            }
            guard let webroot = settings["webroot"] else {
                throw GatewayError.option("webroot", "is required with field `challenge` http-01: the document root endpoint "
                                          + "'\(endpointName)' serves http://NAME/ from")
            }
            let endpoint: EndpointRecord
            do {
                guard let found = try gateway.inventory().endpoint(named: endpointName) else {
                    throw GatewayError.option("challenge-endpoint", "'\(endpointName)' is not an endpoint; see og-host tls list")
                }
                endpoint = found
            } catch let error as InventoryError {
                throw GatewayError("\(error)")
            }
            let created = settings["createdDirectories"].map { $0.split(separator: "\n").map(String.init) } ?? []
            return try HTTP01EndpointSolver(endpoint: endpoint, webroot: webroot, gateway: gateway, createdDirectories: created,
                                            remember: { try remember("createdDirectories", $0.isEmpty ? nil : $0.joined(separator: "\n")) })
        case "dns-01":
            return try dnsSolver(settings, secret: options.tsigSecretValue)
        case let other?:
            throw GatewayError.option("challenge", "'\(other)' is not a challenge og-host answers; use http-01 or dns-01")
        }
    }

    /// The TSIG secret is never stored with the order: `cert issue` reads it (from -, env:NAME) on every run; a
    /// renewal takes it from the default credential store, where `cert issue` sealed it (RenewalIssuanceSettings).
    private func dnsSolver(_ settings: [String: String], secret: Secret?) throws -> ChallengeSolver {
        guard let server = settings["dnsServer"] else {
            throw GatewayError.option("dns-server", "is required with field `challenge` dns-01: the primary DNS server (HOST:PORT) "
                                      + "that accepts RFC 2136 updates for the names")
        }
        guard let keyName = settings["tsigKeyName"] else {
            throw GatewayError.option("tsig-key", "is required with field `challenge` dns-01: the TSIG key's name")
        }
        guard let secret else {
            throw GatewayError.option("tsig-secret", "is required with field `challenge` dns-01 (also when resuming): - reads it "
                                      + "from standard input, env:NAME from a variable")
        }
        return try issuance {
            let key = try TSIGKey(name: keyName, algorithm: settings["tsigAlgorithm"] ?? "hmac-sha256",
                                  base64Secret: secret.exposedString())
            return DNS01UpdateSolver(client: try DNSUpdateClient(server: server, key: key))
        }
    }

    private func complete(_ order: ACMEOrderRecord, chain: [Certificate], key: PrivateKey, keyFiles: KeyFiles,
                          resumed: Bool, warnings: [String]) throws -> IssuanceResult {
        guard let leaf = chain.first, leaf.matches(privateKey: key) else {
            try fail(order, IssuanceError.protocolViolation(url: order.certificateURL ?? order.orderURL ?? "",
                                                                   problem: "the downloaded certificate is not for the order's key"),
                            request: nil)
        }
        let issuedChain = Array(chain.dropFirst())
        for (certificate, issuer) in zip(chain, issuedChain) where !certificate.isIssued(by: issuer) {
            try fail(order, IssuanceError.protocolViolation(
                url: order.certificateURL ?? "", problem: "the chain is out of order: \(certificate.subject) was not issued by "
                    + "\(issuer.subject)"), request: nil)
        }
        var record = ManagedCertificateRecord(name: order.certificateName, keySpec: order.keySpec, subject: leaf.subject,
                                              commonName: leaf.commonName, subjectAlternativeNames: [], csrPEM: order.csrPEM,
                                              status: .pending, origin: .generated)
        record.attach(leaf: leaf, chain: issuedChain)
        try keyFiles.store(key, certificateID: record.id)
        let stored: (stored: ManagedCertificateRecord, previousID: String?)
        do {
            stored = try issuerInventory { try gateway.inventory().completeACMEOrder(order, certificate: record) }
        } catch {
            try? keyFiles.remove(certificateID: record.id)
            throw error
        }
        try? keyFiles.remove(certificateID: Self.orderKeyID(order.id))
        var completed = order
        completed.state = .completed
        completed.certificateID = stored.stored.id
        gateway.audit(action: "cert.issue", subject: order.certificateName, success: true,
                      detail: "order \(order.id) at issuer \(order.issuerName), id \(stored.stored.id), serial "
                        + "\(stored.stored.serial ?? "-")" + (stored.previousID.map { ", previous version \($0)" } ?? ""))
        return IssuanceResult(certificate: stored.stored, order: completed, previousCertificateID: stored.previousID,
                              resumed: resumed, warnings: warnings)
    }

    /// Records why the order stopped and turns the error into the operator's message.
    private func fail(_ order: ACMEOrderRecord, _ error: Error, request: IssuanceRequest?) throws -> Never {
        var order = (try? gateway.inventory().acmeOrder(id: order.id)) ?? order
        let issuanceError = error as? IssuanceError
        order.lastProblem = "\(error)"
        // An order the CA never created, marked invalid, or failed to validate cannot be resumed;
        // a refused request (rate limit, server error), a timeout or a local problem can.
        var final = order.state == .failed
        if case .validationFailed? = issuanceError { final = true }
        if case .problem(let problem, _)? = issuanceError, problem.shortType == "orderInvalid" { final = true }
        if final || order.state == .created { order.state = .failed }
        try? gateway.inventory().saveACMEOrder(order)
        if order.state == .failed { try? KeyFiles(gateway: gateway).remove(certificateID: Self.orderKeyID(order.id)) }
        gateway.audit(action: "cert.issue", subject: order.certificateName, success: false, detail: "order \(order.id): \(error)")
        let next = order.state == .failed
            ? "the order is closed; run og-host cert issue again to place a new one"
            : "the order is kept (\(order.state.rawValue)); rerun og-host cert issue \(order.certificateName) field `issuer` "
                + "\(order.issuerName) to resume it"
        let message = "order \(order.id): \(error); \(next)"
        var failure: GatewayError
        if let error = error as? GatewayError {
            failure = GatewayError("order \(order.id): \(error.message); \(next)", category: error.category)
            failure.cause = error.cause
        } else if case .invalidArgument? = issuanceError {
            failure = GatewayError(message, category: .badInput)
        } else {
            failure = GatewayError(message)
        }
        if let issuanceError { failure.cause = issuanceError }
        throw failure
    }

    static func orderKeyID(_ orderID: String) -> String { "order-\(orderID)" }

    static func state(of order: ACMEOrder) -> ACMEOrderRecord.State {
        switch order.status {
        case "pending": return .pending
        case "ready": return .ready
        case "processing": return .processing
        case "valid": return .valid
        default: return .failed
        }
    }
}
