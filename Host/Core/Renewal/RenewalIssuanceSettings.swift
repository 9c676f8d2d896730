import Foundation
import OGCredentials
import OGInventory

/// What a renewal needs to repeat `cert issue`: the issuer and the settings
/// it was given (names, key type, challenge), kept in the lineage's renewal
/// schedule. A TSIG secret is never part of them: it is sealed in the default
/// local credential store (id `renewal-tsig-<uuid>`) and the settings hold that
/// reference, so master-key rotation covers it and nothing on disk is plaintext.
public struct RenewalIssuanceSettings {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// Setting keys, as stored (JSON object of strings).
    enum Key {
        static let names = "names"               // newline-separated DNS names, the first is the CN
        static let keyType = "keyType"
        static let challenge = "challenge"
        static let endpoint = "endpoint"
        static let webroot = "webroot"
        static let dnsServer = "dnsServer"
        static let tsigKeyName = "tsigKeyName"
        static let tsigAlgorithm = "tsigAlgorithm"
        static let tsigSecret = "tsigSecretCredential"  // "<store>/<id>"
        static let wait = "waitSeconds"
    }

    /// A new credential ID for a lineage's TSIG secret (names may hold characters credential IDs may not).
    static func tsigCredentialID() -> String { "renewal-tsig-" + UUID().uuidString.lowercased() }

    /// Records the order's settings as the lineage's renewal settings (after `cert issue` succeeded).
    func record(order: ACMEOrderRecord, request: IssuanceRequest, tsigSecret: Secret?) throws {
        let lineage = request.certificateName
        var settings: [String: String] = [:]
        settings[Key.names] = order.identifierList.joined(separator: "\n")
        settings[Key.keyType] = order.keySpec
        settings[Key.challenge] = order.challengeType
        let challenge = order.settings
        settings[Key.endpoint] = challenge["endpoint"]
        settings[Key.webroot] = challenge["webroot"]
        settings[Key.dnsServer] = challenge["dnsServer"]
        settings[Key.tsigKeyName] = challenge["tsigKeyName"]
        settings[Key.tsigAlgorithm] = challenge["tsigAlgorithm"]
        settings[Key.wait] = String(Int(request.waitLimit))
        if let tsigSecret, order.challengeType == "dns-01" {
            let store = try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath)
                .store(named: LocalCredentialStore.defaultName)
            let credential = Credential.password(username: challenge["tsigKeyName"] ?? "tsig", tsigSecret)
            // The lineage's earlier reference is reused (so a re-issue replaces the secret rather than piling them up).
            let previous = try issuerInventory { try gateway.inventory().renewalSchedule(lineage: lineage) }?
                .settings[Key.tsigSecret].flatMap { reference -> String? in
                    let prefix = LocalCredentialStore.defaultName + "/"
                    return reference.hasPrefix(prefix) ? String(reference.dropFirst(prefix.count)) : nil
                }
            var id = previous ?? Self.tsigCredentialID()
            do {
                try store.update(id: id, to: credential)
            } catch CredentialsError.notFound {
                id = try store.add(credential, id: id)
            }
            settings[Key.tsigSecret] = "\(LocalCredentialStore.defaultName)/\(id)"
        }
        try issuerInventory { try gateway.inventory().recordIssuanceSettings(lineage: lineage, issuerName: order.issuerName,
                                                                               settings: settings) }
    }

    /// Destroys the TSIG secret a removed lineage's renewal settings sealed (`record`), which nothing else
    /// refers to: only a reference of the form `record` writes (`default/renewal-tsig-…`) is touched. Returns
    /// what happened, for the operator; a secret that could not be removed stays sealed (harmless) and is named.
    func destroySealedSecret(of settings: [String: String]) -> String? {
        let prefix = LocalCredentialStore.defaultName + "/renewal-tsig-"
        guard let reference = settings[Key.tsigSecret], reference.hasPrefix(prefix) else { return nil }
        let id = String(reference.dropFirst(LocalCredentialStore.defaultName.count + 1))
        do {
            try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath).store(named: LocalCredentialStore.defaultName)
                .remove(id: id)
            return "its sealed TSIG secret (credential \(reference)) was destroyed"
        } catch CredentialsError.notFound {
            return nil
        } catch {
            return "its sealed TSIG secret (credential \(reference)) could not be removed (\(error)); remove it with "
                + "og-host credstore credentials remove field `storename` \(LocalCredentialStore.defaultName) field `id` \(id)"
        }
    }

    /// The request that renews `schedule`'s lineage, replacing `current`.
    func request(for schedule: RenewalScheduleRecord, replacing current: ManagedCertificateRecord) throws -> IssuanceRequest {
        guard let issuer = schedule.issuerName else {
            throw GatewayError("certificate '\(schedule.lineage)' has no issuer to renew it with", category: .badInput)
        }
        let settings = schedule.settings
        let names = (settings[Key.names] ?? "").split(separator: "\n").map(String.init)
        guard let first = names.first else {
            throw GatewayError("certificate '\(schedule.lineage)': the renewal settings name no DNS names; issue it again with "
                               + "og-host cert issue \(schedule.lineage) field `issuer` \(issuer) field `cn` NAME …", category: .badInput)
        }
        var challenge = ChallengeOptions(type: settings[Key.challenge], endpoint: settings[Key.endpoint],
                                         webroot: settings[Key.webroot], dnsServer: settings[Key.dnsServer],
                                         tsigKeyName: settings[Key.tsigKeyName], tsigAlgorithm: settings[Key.tsigAlgorithm])
        if let reference = settings[Key.tsigSecret] {
            let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw GatewayError("certificate '\(schedule.lineage)': the TSIG secret reference '\(reference)' is damaged",
                                   category: .badInput)
            }
            do {
                let credential = try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath).store(named: parts[0])
                    .credential(id: parts[1])
                guard case .password(let secret) = credential.secret else {
                    throw GatewayError("credential \(reference) is not a secret", category: .badInput)
                }
                challenge.tsigSecretValue = secret
            } catch let error as CredentialsError {
                throw GatewayError("certificate '\(schedule.lineage)': the TSIG secret (credential \(reference)) cannot be "
                                   + "read: \(error); run og-host cert issue again with field `tsig-secret`", category: .badInput)
            }
        }
        var request = IssuanceRequest(certificateName: schedule.lineage, issuerName: issuer, commonName: first,
                                      dnsNames: Array(names.dropFirst()), keyType: settings[Key.keyType], challenge: challenge,
                                      waitLimit: TimeInterval(settings[Key.wait].flatMap(Int.init) ?? 180),
                                      replacesCertificateID: current.id)
        request.recordForRenewal = false
        return request
    }
}
