import OGBasics
import OGPlugins
import OGPluginABI

/// One raw slot call against the conformance host and what the suite judges about it.
struct SlotCall {
    var status: og_status
    /// What the plugin reported through set_error (and what failing host services attached).
    var errors: [PluginCall.ReportedError]
    /// Contract violations seen in this call; empty when the call behaved.
    var problems: [String]
    /// The undo token apply_install returned, when it returned one.
    var undoToken: [UInt8]?
    /// What a well-formed result held, for the report: the nodes found, the plan's summary.
    var detail: String? = nil

    var succeeded: Bool { status == OG_OK }

    /// Rolled back when the plugin has no apply_install to produce a real token.
    static let placeholderUndoToken = Array("og-conformance-undo-token".utf8)

    /// "OK", or the status and the first reported message, short enough for one line. The
    /// field the plugin named is mentioned the library way ("field `store_dir`"); the CLI spells it.
    var summary: String {
        guard status != OG_OK else { return "OK" }
        let status = PluginStatus(code: status).description
        guard let first = errors.first else { return status }
        let message = first.field.isEmpty ? first.message : "\(FieldMention.of(first.field)): \(first.message)"
        return "\(status) (\(Self.shortened(message)))"
    }

    static func shortened(_ text: String, limit: Int = 120) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > limit ? String(line.prefix(limit - 3)) + "..." : line
    }

    /// Calls `slot` once with a fresh og_call whose services are a `ConformanceHostServices`,
    /// then reads, checks and releases whatever the plugin returned.
    static func perform(_ slot: OperationSlot, table: NegotiatedTable, endpoint: EndpointInput,
                        request: RequestInput? = nil, undoToken: RawText = nil,
                        services: ConformanceHostServices = ConformanceHostServices()) -> SlotCall {
        let memory = CallMemory()
        let input = OperationSlot.Input(endpoint: endpoint.build(in: memory), request: request?.build(in: memory),
                                        undoToken: memory.bytes(undoToken))
        let call = PluginCall(services: services, slot: slot.rawValue)
        var audit = HostResultTracker.Audit()
        let (status, result) = call.withRawHandle { handle in
            HostResultTracker.shared.begin(handle)
            let outcome = slot.invoke(table, call: handle, input)
            audit = HostResultTracker.shared.end(handle)
            return outcome
        }
        var outcome = SlotCall(status: status, errors: call.errors, problems: [], undoToken: nil)
        if call.misplacedRetirementStatements > 0 {
            outcome.problems.append("called attest_old_configuration_retired outside activate (the host refuses it there with "
                                    + "OG_ERR_NOT_SUPPORTED); state it only in activate, after seeing the old configuration retired")
        }
        if status == OG_OK {
            outcome.inspect(result, of: slot, table: table)
            if call.oldConfigurationRetired { outcome.detail = "stated the old configuration retired" }
        } else if call.errors.isEmpty && !isDocumented(status) {
            outcome.problems.append("returned \(status), which is not an og_status code, without calling set_error; "
                                    + "return an OG_ERR_* code (or one at or above OG_ERR_VENDOR_BASE) and explain it through set_error")
        }
        if !audit.unreleased.isEmpty {
            let services = Dictionary(grouping: audit.unreleased, by: { $0 }).map { "\($0.key) ×\($0.value.count)" }.sorted()
            outcome.problems.append("kept \(audit.unreleased.count) host result(s) without releasing them (\(services.joined(separator: ", "))); "
                                    + "release every *out a host service returns with host->release before the slot returns")
        }
        if audit.unknownReleases > 0 {
            outcome.problems.append("passed host->release \(audit.unknownReleases) pointer(s) that were not live host results "
                                    + "(released twice, or never returned by the host); release each result exactly once")
        }
        return outcome
    }

    /// OG_OK, the codes of the header, and the vendor range.
    static func isDocumented(_ status: og_status) -> Bool {
        (0...15).contains(status) || status >= OG_ERR_VENDOR_BASE
    }

    private mutating func inspect(_ result: UnsafeMutableRawPointer?, of slot: OperationSlot, table: NegotiatedTable) {
        defer { if let result { table.release?(result) } }
        switch slot.result {
        case .none:
            return
        case .nodeList:
            guard let result else {
                problems.append("returned OK without a node list (*out is NULL); return a list (it may be empty) or an error status")
                return
            }
            do {
                let nodes = try PluginResultRules.nodes(result.assumingMemoryBound(to: og_node_list.self), slot: slot.rawValue)
                detail = "\(nodes.count) node(s)" + (nodes.isEmpty ? "" : ": " + nodes.prefix(5).map(\.id).joined(separator: ", "))
            } catch {
                problems.append(error.description)
            }
        case .installPlan:
            guard let result else {
                problems.append("returned OK without a plan (*out is NULL); return a plan or an error status")
                return
            }
            do {
                let plan = try PluginResultRules.plan(result.assumingMemoryBound(to: og_install_plan.self), slot: slot.rawValue)
                detail = "plan for node '\(plan.nodeID)': \(Self.shortened(plan.summary)) (\(plan.changes.count) file change(s))"
            } catch {
                problems.append(error.description)
            }
        case .undoToken:
            guard let result else {
                problems.append("returned OK without an undo token (*out is NULL); return a token (its data may be empty) or an error status")
                return
            }
            let token = result.assumingMemoryBound(to: og_undo_token.self)
            guard Int(token.pointee.struct_size) >= MemoryLayout<og_undo_token>.size else {
                problems.append("returned an undo token whose struct_size \(token.pointee.struct_size) is smaller than \(MemoryLayout<og_undo_token>.size)")
                return
            }
            let data = token.pointee.data
            if data.len == 0 {
                undoToken = []
            } else if let bytes = data.ptr, data.len <= 64 << 20 {
                undoToken = Array(UnsafeBufferPointer(start: bytes, count: data.len))
            } else {
                problems.append("returned an undo token whose data is NULL with length \(data.len), or larger than 64 MiB")
            }
        }
    }
}
