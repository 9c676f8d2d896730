import Foundation
import OGBasics
import OGInventory
import OGMaterial

/// `og-host issuer add command`: issuers that are an operator's program (an
/// internal CA's signing tool). The program gets the CSR in PEM on standard
/// input and answers with the chain in PEM on standard output, leaf first; it
/// runs from its argv without a shell, through the one process runner, with a
/// timeout, and is never given a secret (the key stays on the gateway).
public struct CommandIssuers {
    public let gateway: Gateway
    public static let timeoutRange = 1...3_600

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    public func add(name: String?, arguments: [String], timeoutSeconds: Int = 120) throws -> CommandIssuerRecord {
        guard let name else { throw GatewayError.option("name", "is required: a name for the issuer (1 to 32 characters)") }
        guard let program = arguments.first else {
            throw GatewayError.option("argv", "is required: the program (an absolute path) and then each argument, one field `argv` each")
        }
        guard program.hasPrefix("/") else {
            throw GatewayError.option("argv", "'\(program)' is not an absolute path; the program is run without a shell or PATH search")
        }
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw GatewayError.option("argv", "'\(program)' is not an executable file")
        }
        guard Self.timeoutRange.contains(timeoutSeconds) else {
            throw GatewayError.option("timeout", "\(timeoutSeconds) is not between 1 and 3600 seconds")
        }
        let record = CommandIssuerRecord(name: name, arguments: arguments, timeoutSeconds: timeoutSeconds)
        do {
            try issuerInventory { try gateway.inventory().addCommandIssuer(record) }
        } catch var error as GatewayError {
            if error.category == .badInput, error.problem.contains("issuer name") { error.field = "name"; error.category = .conflict }
            gateway.audit(action: "issuer.add", subject: name, success: false, detail: error.message)
            throw error
        }
        gateway.audit(action: "issuer.add", subject: name, success: true, detail: "command " + arguments.joined(separator: " "))
        return record
    }

    public func list() throws -> [CommandIssuerRecord] {
        try issuerInventory { try gateway.inventory().commandIssuers() }
    }

    /// The command issuer `name`, or nil when no command issuer has that name.
    public func find(_ name: String) throws -> CommandIssuerRecord? {
        try issuerInventory { try gateway.inventory().commandIssuer(named: name) }
    }

    @discardableResult
    public func remove(_ name: String) throws -> CommandIssuerRecord? {
        let removed = try issuerInventory { try gateway.inventory().removeCommandIssuer(named: name) }
        if let removed { gateway.audit(action: "issuer.remove", subject: name, success: true, detail: "command \(removed.argv)") }
        return removed
    }
}

/// The issuer named `name`, whatever its kind: a command issuer, else ACME (which reports an unknown name).
public enum Issuers {
    public static func named(_ name: String, gateway: Gateway) throws -> any CertificateIssuer {
        if let command = try CommandIssuers(gateway: gateway).find(name) { return CommandIssuance(gateway: gateway, issuer: command) }
        return ACMEIssuance(gateway: gateway)
    }

    /// Checks that an issuer called `name` exists (either kind).
    public static func requireExists(_ name: String, gateway: Gateway) throws {
        if try CommandIssuers(gateway: gateway).find(name) != nil { return }
        _ = try ACMEIssuers(gateway: gateway).find(name)
    }
}

/// Issues a new version of a certificate through a command issuer: key and
/// CSR made here, the CSR given to the program, its answer checked (PEM, the
/// leaf for this key, the chain in order) before anything is stored; the name
/// moves to the new version in one transaction.
public struct CommandIssuance: CertificateIssuer {
    public let gateway: Gateway
    public let issuer: CommandIssuerRecord
    /// The most a program may print (a chain is a few kilobytes).
    static let outputLimit = 1 << 20

    public init(gateway: Gateway, issuer: CommandIssuerRecord) {
        self.gateway = gateway
        self.issuer = issuer
    }

    public func issue(_ request: IssuanceRequest) throws -> IssuanceResult {
        try CertificateNames.validate(request.certificateName, option: "name")
        if request.challenge.type != nil {
            throw GatewayError.option("challenge", "issuer '\(issuer.name)' is a command issuer; it answers no ACME challenges")
        }
        guard request.commonName != nil || !request.dnsNames.isEmpty else {
            throw GatewayError.option("cn", "is required; give field `cn` NAME (and field `san-dns` for more names)")
        }
        let options = CertificateRequestOptions(name: request.certificateName, keyType: request.keyType ?? "ec-p256",
                                                commonName: request.commonName ?? request.dnsNames[0], dnsNames: request.dnsNames)
        let validated = try options.validated()
        let key: PrivateKey
        let csr: CertificateSigningRequest
        do {
            key = try PrivateKey.generate(validated.keySpec)
            csr = try CertificateSigningRequest.make(key: key, subject: validated.subject, sans: validated.subjectAlternativeNames)
        } catch {
            throw GatewayError("generating the key and CSR: \(error)")
        }
        let subject = request.certificateName
        do {
            let chain = try run(csr, certificateName: subject)
            guard let leaf = chain.first, leaf.matches(privateKey: key) else {
                throw GatewayError("issuer '\(issuer.name)': the first certificate its program printed is not for the key of "
                                   + "the CSR it was given")
            }
            let issuedChain = Array(chain.dropFirst())
            for (certificate, signer) in zip(chain, issuedChain) where !certificate.isIssued(by: signer) {
                throw GatewayError("issuer '\(issuer.name)': the chain is out of order: \(certificate.subject) was not issued by "
                                   + "\(signer.subject); print the leaf first, then each issuer")
            }
            var record = ManagedCertificateRecord(name: subject, keySpec: validated.keySpec.description, subject: leaf.subject,
                                                  commonName: leaf.commonName, subjectAlternativeNames: [], csrPEM: csr.pem,
                                                  status: .pending, origin: .generated)
            record.attach(leaf: leaf, chain: issuedChain)
            let keyFiles = KeyFiles(gateway: gateway)
            try keyFiles.store(key, certificateID: record.id)
            let stored: (stored: ManagedCertificateRecord, previousID: String?)
            do {
                stored = try issuerInventory { try gateway.inventory().saveIssuedVersion(record) }
            } catch {
                try? keyFiles.remove(certificateID: record.id)
                throw error
            }
            if request.recordForRenewal {
                var settings: [String: String] = [:]
                settings[RenewalIssuanceSettings.Key.names] = ([validated.subject.commonName].compactMap { $0 }
                    + request.dnsNames.filter { $0 != validated.subject.commonName }).joined(separator: "\n")
                settings[RenewalIssuanceSettings.Key.keyType] = validated.keySpec.description
                try issuerInventory { try gateway.inventory().recordIssuanceSettings(lineage: subject, issuerName: issuer.name,
                                                                                       settings: settings) }
            }
            gateway.audit(action: "cert.issue", subject: subject, success: true,
                          detail: "command issuer \(issuer.name), id \(stored.stored.id), serial \(stored.stored.serial ?? "-")"
                            + (stored.previousID.map { ", previous version \($0)" } ?? ""))
            return IssuanceResult(certificate: stored.stored, order: nil, previousCertificateID: stored.previousID,
                                  resumed: false, warnings: [])
        } catch {
            gateway.audit(action: "cert.issue", subject: subject, success: false, detail: "command issuer \(issuer.name): \(error)")
            throw error
        }
    }

    /// Runs the program with the CSR on standard input; its chain, parsed.
    private func run(_ csr: CertificateSigningRequest, certificateName: String) throws -> [Certificate] {
        let arguments = issuer.arguments
        guard let program = arguments.first else {
            throw GatewayError("issuer '\(issuer.name)' has no program; remove it and add it again", category: .badInput)
        }
        var environment: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG", "TZ"] { environment[name] = EnvironmentVariable.value(name) }
        environment["OG_CERTIFICATE_NAME"] = certificateName
        let output: ProcessOutput
        do {
            output = try ProcessRunner.run(program, Array(arguments.dropFirst()), standardInput: Array(csr.pem.utf8),
                                           environment: environment, timeout: .seconds(issuer.timeoutSeconds),
                                           outputLimit: Self.outputLimit)
        } catch {
            throw GatewayError("issuer '\(issuer.name)': running \(program): \(error)")
        }
        if output.timedOut {
            throw GatewayError("issuer '\(issuer.name)': \(program) did not answer within \(issuer.timeoutSeconds) s and was "
                               + "stopped", category: .transient)
        }
        if let signal = output.terminationSignal {
            throw GatewayError("issuer '\(issuer.name)': \(program) was killed by signal \(signal)")
        }
        guard output.exitStatus == 0 else {
            throw GatewayError("issuer '\(issuer.name)': \(program) exited with status \(output.exitStatus): "
                               + Self.excerpt(output.standardErrorText))
        }
        do {
            return try Certificate.parseAll(pem: output.standardOutputText, what: "the output of issuer '\(issuer.name)'")
        } catch {
            throw GatewayError("issuer '\(issuer.name)': \(program) printed no PEM certificate chain: \(error)")
        }
    }

    /// The end of what the program wrote on standard error, one line, bounded.
    static func excerpt(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }.suffix(3).joined(separator: " | ")
        let printable = String(line.unicodeScalars.map { $0.value < 0x20 || $0 == "\u{7f}" ? "?" : Character($0) })
        return printable.isEmpty ? "(nothing on standard error)" : String(printable.suffix(300))
    }
}
