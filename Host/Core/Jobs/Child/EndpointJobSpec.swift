import Foundation

/// One endpoint job as a child og-host runs it (`og-host job run` reads it as
/// JSON on standard input). It names things by reference only — endpoint and
/// managed certificate by name or ID — so no secret is ever part of it: the
/// child opens the same data directory and finds the credentials there.
public struct JobSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Install a managed certificate on one or more nodes of the endpoint.
        case install
        /// List the endpoint's nodes with the configured and served certificates.
        case discover
        /// Finish installs a crash interrupted.
        case recover
        /// Restart or reload the endpoint (after finishing any interrupted install).
        case restart
    }

    /// Where on the endpoint an install goes: a node (nil = the plugin's choice
    /// by the certificate's names) and a keystore alias.
    public struct Target: Codable, Sendable, Equatable {
        public var node: String?
        public var alias: String?

        public init(node: String? = nil, alias: String? = nil) {
            self.node = node
            self.alias = alias
        }

        private enum CodingKeys: String, CodingKey { case node, alias }

        public init(from decoder: Decoder) throws {
            try JobWire.refuseUnknownKeys(in: decoder, known: CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            node = try container.decodeIfPresent(String.self, forKey: .node)
            alias = try container.decodeIfPresent(String.self, forKey: .alias)
        }
    }

    public var kind: Kind
    /// Name or instance ID of the endpoint.
    public var endpoint: String
    /// Install: the managed certificate (`og-host cert`), by ID or name.
    public var certificateID: String?
    /// Install: the nodes, installed together as one transaction (at least one).
    public var targets: [Target]
    /// Seconds to wait while another job holds the endpoint.
    public var wait: Double
    /// Install: when every file already holds the certificate and every verify
    /// target serves it, change nothing and report `unchanged`.
    public var skipIfUnchanged: Bool
    /// Install: show the plan and the diffs only; change nothing (no lease is taken).
    public var dryRun: Bool
    /// Install: the material is not a managed certificate but follows the spec
    /// on standard input (`JobInput`: certificate files the operator gave
    /// `tls install`, already read and checked by the parent).
    public var materialOnInput: Bool
    /// The launching process when the job belongs to it (`tls install`,
    /// `restart`, `recover`): the child kills itself once that process is gone,
    /// as the job would have died with it had it run inside it.
    public var parentProcess: Int32?

    public init(kind: Kind, endpoint: String, certificateID: String? = nil, targets: [Target] = [Target()],
                wait: Double = 5, skipIfUnchanged: Bool = false, dryRun: Bool = false, materialOnInput: Bool = false,
                parentProcess: Int32? = nil) {
        self.kind = kind
        self.endpoint = endpoint
        self.certificateID = certificateID
        self.targets = targets
        self.wait = wait
        self.skipIfUnchanged = skipIfUnchanged
        self.dryRun = dryRun
        self.materialOnInput = materialOnInput
        self.parentProcess = parentProcess
    }

    private enum CodingKeys: String, CodingKey {
        case kind, endpoint, certificateID, targets, node, alias, wait, skipIfUnchanged, dryRun, materialOnInput, parentProcess
    }

    /// `targets` may be left out: then `node` and `alias` (both optional) name
    /// the one target, as a hand-written spec would; `wait` defaults to 5.
    public init(from decoder: Decoder) throws {
        try JobWire.refuseUnknownKeys(in: decoder, known: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        endpoint = try container.decode(String.self, forKey: .endpoint)
        certificateID = try container.decodeIfPresent(String.self, forKey: .certificateID)
        if let targets = try container.decodeIfPresent([Target].self, forKey: .targets) {
            guard !container.contains(.node), !container.contains(.alias) else {
                throw GatewayError.option("node", "give either targets or node/alias in a job spec, not both")
            }
            self.targets = targets
        } else {
            targets = [Target(node: try container.decodeIfPresent(String.self, forKey: .node),
                              alias: try container.decodeIfPresent(String.self, forKey: .alias))]
        }
        wait = try container.decodeIfPresent(Double.self, forKey: .wait) ?? 5
        skipIfUnchanged = try container.decodeIfPresent(Bool.self, forKey: .skipIfUnchanged) ?? false
        dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false
        materialOnInput = try container.decodeIfPresent(Bool.self, forKey: .materialOnInput) ?? false
        parentProcess = try container.decodeIfPresent(Int32.self, forKey: .parentProcess)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(endpoint, forKey: .endpoint)
        try container.encodeIfPresent(certificateID, forKey: .certificateID)
        try container.encode(targets, forKey: .targets)
        try container.encode(wait, forKey: .wait)
        try container.encode(skipIfUnchanged, forKey: .skipIfUnchanged)
        if dryRun { try container.encode(dryRun, forKey: .dryRun) }
        if materialOnInput { try container.encode(materialOnInput, forKey: .materialOnInput) }
        try container.encodeIfPresent(parentProcess, forKey: .parentProcess)
    }

    /// Refuses a spec that cannot be run, naming the field.
    public func validated() throws -> JobSpec {
        guard !endpoint.isEmpty else { throw GatewayError.option("endpoint", "is empty; give an endpoint name or ID") }
        guard wait.isFinite, wait >= 0, wait <= 3600 else {
            throw GatewayError.option("wait", "\(wait) is not a number of seconds between 0 and 3600")
        }
        if kind == .install {
            if materialOnInput {
                guard certificateID == nil else {
                    throw GatewayError.option("certificate-id", "give either a certificate ID or material on input, not both")
                }
            } else {
                guard let certificateID, !certificateID.isEmpty else {
                    throw GatewayError.option("certificate-id", "is required for an install job")
                }
            }
            guard !targets.isEmpty else { throw GatewayError.option("targets", "an install job needs at least one target") }
        }
        return self
    }
}

/// What one endpoint job ended with: the child prints it as JSON on standard
/// output; the launcher makes one itself when the child died or answered
/// nonsense.
public struct JobOutcome: Codable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// The new certificate is written, activated and served on every target.
        case installed
        /// Every target already held and served it; nothing was changed.
        case unchanged
        /// A step failed and every change was rolled back.
        case rolledBack = "rolled-back"
        /// The endpoint may be left inconsistent: its journal stays open for recovery.
        case inconsistent
        /// Another job holds the endpoint.
        case busy
        /// Anything else: bad input, not found, a crashed or hung plugin.
        case failed
        /// Discovery listed the nodes.
        case discovered
        /// Recovery finished an interrupted install.
        case recovered
        /// Recovery found nothing to do.
        case clean
        /// A dry run showed its plan; nothing was changed.
        case planned
        /// The endpoint was restarted or reloaded.
        case restarted

        public var succeeded: Bool { [.installed, .unchanged, .discovered, .recovered, .clean, .planned, .restarted].contains(self) }
    }

    public var kind: JobSpec.Kind
    /// The endpoint as the spec named it.
    public var endpoint: String
    public var status: Status
    /// Why it failed, as an error category (nil when it succeeded).
    public var category: GatewayError.Category?
    /// One or more lines for the operator.
    public var message: String
    /// SHA-256 of the certificate installed (install jobs).
    public var fingerprint: String?
    /// The nodes the install reached, in order (the plugin's choice when a target named none).
    public var nodes: [String]
    /// Discover: the nodes found.
    public var discovered: [NodeDiscovery.DiscoveredNode]?
    /// Wall-clock seconds the job took (including a recovery after a crash).
    public var seconds: Double
    /// The signal the job's process died of, when it did.
    public var signal: Int32?
    /// What the recovery run after a crash, hang or garbled answer reported.
    public var recovery: String?
    /// A failure's field and problem as the job's `GatewayError` had them, so
    /// the caller can render it exactly as if it had run the job itself.
    public var field: String?
    public var problem: String?
    /// The plugin slot running when the job's process crashed, exited or hung
    /// (what `PluginSlotWatch` said there).
    public var slot: String?
    /// The og-host process that ran the job (a `job run` child or a `job
    /// worker`, which runs several one after another): what it wrote as the
    /// owner of the endpoint's lease and journal entries.
    public var processID: Int32?

    public init(kind: JobSpec.Kind, endpoint: String, status: Status, category: GatewayError.Category? = nil,
                message: String, fingerprint: String? = nil, nodes: [String] = [],
                discovered: [NodeDiscovery.DiscoveredNode]? = nil, seconds: Double = 0, signal: Int32? = nil,
                recovery: String? = nil) {
        self.kind = kind
        self.endpoint = endpoint
        self.status = status
        self.category = category
        self.message = message
        self.fingerprint = fingerprint
        self.nodes = nodes
        self.discovered = discovered
        self.seconds = seconds
        self.signal = signal
        self.recovery = recovery
    }

    public var succeeded: Bool { status.succeeded }

    /// The failure as a `GatewayError` (nil when the job succeeded): its
    /// category, field and problem as the job had them.
    public var failure: GatewayError? {
        guard !succeeded else { return nil }
        return GatewayError(problem ?? message, category: category ?? .internal, field: problem == nil ? nil : field)
    }

    /// A failed outcome phrased from `error`.
    init(kind: JobSpec.Kind, endpoint: String, failure error: GatewayError) {
        self.init(kind: kind, endpoint: endpoint, status: Self.status(for: error.category), category: error.category,
                  message: error.message)
        field = error.field
        problem = error.problem
    }

    /// The status a failure of `category` means for an endpoint job.
    public static func status(for category: GatewayError.Category) -> Status {
        switch category {
        case .endpointRolledBack: return .rolledBack
        case .endpointInconsistent: return .inconsistent
        case .conflict: return .busy
        default: return .failed
        }
    }

    /// The exit status of `og-host job run` for this outcome: 0, or its category's.
    public var exitCode: Int32 { succeeded ? 0 : (category ?? .internal).exitCode }
}

/// One progress line of a running job, written by the child on standard error
/// as a JSON object `{"og_job_progress": {"endpoint": ..., "line": ...}}`
/// between its log lines; the key tells the two apart.
public struct JobProgress: Codable, Sendable, Equatable {
    public var endpoint: String
    public var line: String

    public init(endpoint: String, line: String) {
        self.endpoint = endpoint
        self.line = line
    }

    private struct Envelope: Codable { var og_job_progress: JobProgress }

    /// The line as the child writes it (with its newline).
    public var encodedLine: String {
        let data = (try? JobWire.encoder().encode(Envelope(og_job_progress: self))) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A progress line, or nil for anything else the child wrote (a log line).
    public static func decode(line: Substring) -> JobProgress? {
        guard line.hasPrefix("{\"og_job_progress\"") else { return nil }
        return try? JSONDecoder().decode(Envelope.self, from: Data(line.utf8)).og_job_progress
    }
}

/// The JSON rule of the parent-child exchange: the spec in, the outcome out.
public enum JobWire {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// The parent and the child are the same binary, so a key the decoder does not know comes from a spec
    /// written by another og-host version or by hand with a typo: refused by name, never silently ignored
    /// (an ignored `dryRun` or `node` would change what the job does).
    static func refuseUnknownKeys<Known: CodingKey>(in decoder: Decoder, known: Known.Type) throws {
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else { return }
        let unknown = container.allKeys.map(\.stringValue).filter { Known(stringValue: $0) == nil }.sorted()
        guard let first = unknown.first else { return }
        let path = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        let field = (path.hasPrefix(".") ? String(path.dropFirst()) : path) + (path.isEmpty ? "" : ".") + first
        throw GatewayError.option(field, "is not a field of a job spec this og-host reads (written by another og-host "
                                  + "version, or misspelt)" + (unknown.count > 1 ? "; so are " + unknown.dropFirst().joined(separator: ", ") : ""))
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Reads a spec, naming what is wrong with it.
    public static func decodeSpec(_ bytes: [UInt8]) throws -> JobSpec {
        guard !bytes.isEmpty else { throw GatewayError.badInput("no job spec on standard input; give one JSON object") }
        do {
            return try decoder().decode(JobSpec.self, from: Data(bytes)).validated()
        } catch let error as GatewayError {
            throw error
        } catch DecodingError.keyNotFound(let key, _) {
            throw GatewayError.option(key.stringValue, "is missing from the job spec")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw GatewayError.option(context.codingPath.map(\.stringValue).joined(separator: "."), "has the wrong type in the job spec")
        } catch DecodingError.dataCorrupted(let context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            if field.isEmpty { throw GatewayError.badInput("the job spec is not JSON: \(context.debugDescription)") }
            throw GatewayError.option(field, "is not valid in the job spec: \(context.debugDescription)")
        }
    }
}
