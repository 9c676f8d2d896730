import Foundation
import OGInventory

/// `cert policy`: shows and edits a lineage's renewal policy (renew-before-days,
/// auto-deploy, issuer) and the gateway default lineages follow.
public struct RenewalPolicies {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// A value for a policy setting: keep it, set it, or return to the gateway default.
    public enum Change<Value: Sendable>: Sendable {
        case keep
        case set(Value)
        case useDefault
    }

    /// The policy and state of lineage `name` (created, to be planned, if the certificate has no row yet).
    public func show(_ name: String) throws -> RenewalPolicyView {
        try requireLineage(name)
        let inventory = try gateway.inventory()
        let record = try issuerInventory { try inventory.renewalSchedule(lineage: name) } ?? RenewalScheduleRecord(lineage: name)
        return RenewalPolicyView(record, defaults: try issuerInventory { try inventory.renewalDefaults() })
    }

    /// Changes what is given; `issuer` `manual` makes the operator the issuer.
    public func update(_ name: String, renewBeforeDays: Change<Int> = .keep, autoDeploy: Change<Bool> = .keep,
                       issuer: String? = nil) throws -> RenewalPolicyView {
        try requireLineage(name)
        if case .set(let days) = renewBeforeDays { try RenewalPolicy.validate(renewBeforeDays: days) }
        let inventory = try gateway.inventory()
        var issuerChange: String?? = nil
        if let issuer {
            if issuer == "manual" {
                issuerChange = .some(nil)
            } else {
                try Issuers.requireExists(issuer, gateway: gateway)
                let stored = try issuerInventory { try inventory.renewalSchedule(lineage: name) }
                guard let stored, stored.settings[RenewalIssuanceSettings.Key.names]?.isEmpty == false else {
                    throw GatewayError.option("issuer", "certificate '\(name)' was never issued through an issuer here, so "
                                              + "there are no names and challenge settings to renew with; run og-host cert issue "
                                              + "\(name) field `issuer` \(issuer) field `cn` NAME … once (renewals repeat what it was given)")
                }
                issuerChange = .some(issuer)
            }
        }
        let record = try issuerInventory {
            try inventory.setRenewalPolicy(lineage: name, renewBeforeDays: Self.optional(renewBeforeDays),
                                           autoDeploy: Self.optional(autoDeploy), issuerName: issuerChange)
        }
        let view = RenewalPolicyView(record, defaults: try issuerInventory { try inventory.renewalDefaults() })
        gateway.audit(action: "cert.policy", subject: name, success: true, detail: view.summary)
        return view
    }

    public func defaults() throws -> RenewalDefaults {
        try issuerInventory { try gateway.inventory().renewalDefaults() }
    }

    /// Changes the gateway default (a lineage without its own setting follows it).
    public func updateDefaults(renewBeforeDays: Change<Int> = .keep, autoDeploy: Bool? = nil) throws -> RenewalDefaults {
        if case .set(let days) = renewBeforeDays { try RenewalPolicy.validate(renewBeforeDays: days) }
        let defaults = try issuerInventory {
            try gateway.inventory().setRenewalDefaults(renewBeforeDays: Self.optional(renewBeforeDays), autoDeploy: autoDeploy)
        }
        gateway.audit(action: "cert.policy", subject: "(default)", success: true,
                      detail: "renew-before-days \(defaults.renewBeforeDays.map(String.init) ?? "default rule"), auto-deploy "
                        + (defaults.autoDeploy ? "on" : "off"))
        return defaults
    }

    private func requireLineage(_ name: String) throws {
        guard let found = try issuerInventory({ try gateway.inventory().managedCertificate(matching: name) }), found.name == name else {
            throw GatewayError("certificate '\(name)': no certificate has this name; see og-host cert list", category: .notFound)
        }
    }

    static func optional<Value>(_ change: Change<Value>) -> Value?? {
        switch change {
        case .keep: return nil
        case .set(let value): return .some(value)
        case .useDefault: return .some(nil)
        }
    }
}

/// A lineage's policy and renewal state, as `cert policy` and `renew` print it.
public struct RenewalPolicyView: Sendable, Encodable {
    public var name: String
    public var renewBeforeDays: Int?
    /// True when renewBeforeDays comes from the gateway default.
    public var renewBeforeDaysIsDefault: Bool
    public var autoDeploy: Bool
    public var autoDeployIsDefault: Bool
    /// nil = manual: the operator brings each version.
    public var issuer: String?
    public var settings: [String: String]
    public var certificateId: String?
    public var dueAt: Date?
    public var dueReason: String?
    public var emergencyAt: Date?
    public var ariWindowStart: Date?
    public var ariWindowEnd: Date?
    public var ariChosenAt: Date?
    public var nextAttemptAt: Date?
    public var failures: Int
    public var errorClass: String?
    public var lastError: String?
    public var backoffUntil: Date?
    public var lastOutcome: String?
    public var lastAttemptAt: Date?
    public var lastRenewedAt: Date?
    public var claimedBy: String?
    public var needsPlanning: Bool

    public init(_ record: RenewalScheduleRecord, defaults: RenewalDefaults) {
        name = record.lineage
        renewBeforeDays = record.renewBeforeDays ?? defaults.renewBeforeDays
        renewBeforeDaysIsDefault = record.renewBeforeDays == nil
        autoDeploy = record.autoDeploy ?? defaults.autoDeploy
        autoDeployIsDefault = record.autoDeploy == nil
        issuer = record.issuerName
        settings = record.settings
        certificateId = record.certificateID
        dueAt = record.dueAt
        dueReason = record.dueReason
        emergencyAt = record.emergencyAt
        ariWindowStart = record.ariWindowStart
        ariWindowEnd = record.ariWindowEnd
        ariChosenAt = record.chosenAt
        nextAttemptAt = record.needsPlanning ? nil : record.nextAttemptAt
        failures = record.failures
        errorClass = record.errorClass
        lastError = record.lastError
        backoffUntil = record.backoffUntil
        lastOutcome = record.lastOutcome
        lastAttemptAt = record.lastAttemptAt
        lastRenewedAt = record.lastRenewedAt
        claimedBy = record.claimExpiresAt.map { $0 > Date() } == true ? record.claimedBy : nil
        needsPlanning = record.needsPlanning
    }

    var summary: String {
        "renew-before-days \(renewBeforeDays.map(String.init) ?? "default rule")\(renewBeforeDaysIsDefault ? " (default)" : ""), "
            + "auto-deploy \(autoDeploy ? "on" : "off")\(autoDeployIsDefault ? " (default)" : ""), issuer \(issuer ?? "manual")"
    }
}
