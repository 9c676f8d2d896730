import Foundation
import OGPlugins
import OGPluginABI

// The operation slots, called with what the host would send and with what it
// never should: either way the plugin must answer with a status, never a crash.
extension SuiteRun {
    /// The endpoint types the host would call `slot` for, or why the slot is not checked.
    private func callableTypes(_ slot: OperationSlot, table: NegotiatedTable, info: PluginInfo) -> Result<[EndpointTypeInfo], Unavailable> {
        guard let capability = slot.capability else {
            return table.has(slot) ? .success(info.types)
                : .failure(Unavailable(reason: "not implemented: \(slot.rawValue) is NULL (optional: the schema is enough)"))
        }
        let advertisers = info.types.filter { $0.has(capability) }
        switch (table.has(slot), advertisers.isEmpty) {
        case (true, false): return .success(advertisers)
        case (false, true):
            return .failure(Unavailable(reason: "not implemented: no endpoint type advertises '\(capability.rawValue)' and \(slot.rawValue) is NULL"))
        case (true, true):
            return .failure(Unavailable(reason: "\(slot.rawValue) is set but no type advertises '\(capability.rawValue)', so the host never calls it (see \(CheckID.capabilities))"))
        case (false, false):
            return .failure(Unavailable(reason: "'\(capability.rawValue)' is advertised but \(slot.rawValue) is NULL (see \(CheckID.capabilities))"))
        }
    }

    private enum Prerequisites {
        case ready(NegotiatedTable, [EndpointTypeInfo])
        case notRun(ConformanceCheck)
    }

    private func prerequisites(_ id: String, _ slot: OperationSlot) -> Prerequisites {
        guard case .success(let info) = plugin.info, case .success(let table) = plugin.table else {
            return .notRun(.skip(id, "not run: \(plugin.info.unavailableReason)"))
        }
        switch callableTypes(slot, table: table, info: info) {
        case .success(let types): return .ready(table, types)
        case .failure(let reason): return .notRun(.skip(id, reason.reason))
        }
    }

    func checkValidInput(_ slot: OperationSlot) -> ConformanceCheck {
        let id = CheckID.validInput(slot)
        let table: NegotiatedTable, types: [EndpointTypeInfo]
        switch prerequisites(id, slot) {
        case .ready(let readyTable, let readyTypes): (table, types) = (readyTable, readyTypes)
        case .notRun(let verdict): return verdict
        }
        var outcomes: [String] = []
        var problems: [String] = []
        for type in types {
            if let fixture, fixture.typeName == type.name {
                // The author vouches for these inputs: anything but OG_OK is a failure.
                let endpoint: EndpointInput
                do {
                    endpoint = try fixture.endpoint(for: type)
                } catch {
                    return .fail(id, "\(error)")
                }
                let services = { ConformanceHostServices(fixture: fixture) }
                for (label, call) in validCalls(slot, type: type, table: table, endpoint: endpoint, fixture: fixture, services: services) {
                    outcomes.append("\(type.name) (fixture)\(label): \(call.summary)\(call.detail.map { ", \($0)" } ?? "")")
                    problems += call.problems.map { "\(type.name) (fixture)\(label): \($0)" }
                    if !call.succeeded {
                        problems.append("\(type.name) (fixture)\(label): returned \(call.summary) for the fixture endpoint, whose inputs are valid")
                    }
                }
                continue
            }
            let endpoint = EndpointInput.plausible(for: type)
            for (label, call) in validCalls(slot, type: type, table: table, endpoint: endpoint) {
                outcomes.append("\(type.name)\(label): \(call.summary)")
                problems += call.problems.map { "\(type.name)\(label): \($0)" }
            }
        }
        if let fixture, !types.contains(where: { $0.name == fixture.typeName }),
           !((try? plugin.info.get().types) ?? []).contains(where: { $0.name == fixture.typeName }) {
            problems.append("the fixture's type '\(fixture.typeName)' is not a type of this plugin")
        }
        guard problems.isEmpty else { return .fail(id, problems.joined(separator: "; ")) }
        return .pass(id, outcomes.joined(separator: "; "))
    }

    /// The calls that make up the valid-input check of `slot`, each labelled.
    private func validCalls(_ slot: OperationSlot, type: EndpointTypeInfo, table: NegotiatedTable,
                            endpoint: EndpointInput, fixture: FixtureEndpoint? = nil,
                            services: () -> ConformanceHostServices = { ConformanceHostServices() }) -> [(String, SlotCall)] {
        note("\(type.name) with \(fixture == nil ? "plausible input" : "the fixture endpoint")")
        func request(_ flags: UInt32) -> RequestInput { fixture?.request(flags: flags) ?? RequestInput(flags: flags) }
        switch slot {
        case .activate:
            let withRequest = SlotCall.perform(slot, table: table, endpoint: endpoint, request: request(0), services: services())
            note("\(type.name) without a request (re-activation after a rollback)")
            return [(" with a request", withRequest),
                    (" without a request", SlotCall.perform(slot, table: table, endpoint: endpoint, services: services()))]
        case .applyInstall:
            return [("", SlotCall.perform(slot, table: table, endpoint: endpoint, request: request(0), services: services()))]
        case .planInstall:
            return [("", SlotCall.perform(slot, table: table, endpoint: endpoint, request: request(UInt32(OG_INSTALL_DRY_RUN)),
                                          services: services()))]
        case .rollbackInstall:
            let token = undoToken(for: endpoint, table: table)
            let first = SlotCall.perform(slot, table: table, endpoint: endpoint, undoToken: token, services: services())
            note("\(type.name) rolling back the same token again")
            var again = SlotCall.perform(slot, table: table, endpoint: endpoint, undoToken: token, services: services())
            if first.succeeded && !again.succeeded {
                again.problems.append("is not idempotent: OK the first time, then \(again.summary) for the same token; "
                                      + "the host repeats a rollback after a crash")
            }
            return [("", first), (" again", again)]
        case .validateEndpoint, .testConnection, .discoverNodes, .configTest, .restart:
            return [("", SlotCall.perform(slot, table: table, endpoint: endpoint, services: services()))]
        }
    }

    /// A token from apply_install when it gives one, so rollback sees what it produced.
    private func undoToken(for endpoint: EndpointInput, table: NegotiatedTable) -> [UInt8] {
        let fallback = SlotCall.placeholderUndoToken
        guard table.has(.applyInstall) else { return fallback }
        note("apply_install for an undo token to roll back")
        return SlotCall.perform(.applyInstall, table: table, endpoint: endpoint, request: RequestInput(flags: 0)).undoToken ?? fallback
    }

    func checkHostileInput(_ slot: OperationSlot) -> ConformanceCheck {
        let id = CheckID.hostileInput(slot)
        let table: NegotiatedTable, types: [EndpointTypeInfo]
        switch prerequisites(id, slot) {
        case .ready(let readyTable, let readyTypes): (table, types) = (readyTable, readyTypes)
        case .notRun(let verdict): return verdict
        }
        var statuses: [String: Int] = [:]
        var problems: [String] = []
        for type in types {
            let plausible = EndpointInput.plausible(for: type)
            // Problem -> the inputs that showed it, so one defect reads as one sentence.
            var inputsByProblem: [(problem: String, inputs: [String])] = []
            for hostile in HostileInput.allCases {
                note("\(type.name) with \(hostile.label)")
                let call = SlotCall.perform(slot, table: table, endpoint: hostile.apply(to: plausible),
                                            request: slot.takesRequest ? hostile.apply(to: RequestInput()) : nil,
                                            undoToken: slot == .rollbackInstall ? hostile.apply(toUndoToken: SlotCall.placeholderUndoToken) : nil)
                statuses[call.succeeded ? "OK" : PluginStatus(code: call.status).description, default: 0] += 1
                for problem in call.problems {
                    if let index = inputsByProblem.firstIndex(where: { $0.problem == problem }) {
                        inputsByProblem[index].inputs.append(hostile.label)
                    } else {
                        inputsByProblem.append((problem, [hostile.label]))
                    }
                }
            }
            problems += inputsByProblem.map { "\(type.name) with \($0.inputs.joined(separator: ", ")): \($0.problem)" }
        }
        guard problems.isEmpty else { return .fail(id, problems.joined(separator: "; ")) }
        let counts = statuses.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        let scope = types.count == 1 ? "" : " for each of \(types.count) types"
        return .pass(id, "answered all \(HostileInput.allCases.count) hostile inputs\(scope) with a status: \(counts)")
    }

    func checkConcurrentSlots() -> ConformanceCheck {
        let id = CheckID.concurrentSlots
        guard case .success(let info) = plugin.info, case .success(let table) = plugin.table else {
            return .skip(id, "not run: \(plugin.info.unavailableReason)")
        }
        guard table.isThreadSafe else {
            return .skip(id, "the plugin does not set OG_PLUGIN_THREAD_SAFE, so the host serialises its slots")
        }
        let work: [(OperationSlot, EndpointTypeInfo)] = OperationSlot.allCases.flatMap { slot in
            ((try? callableTypes(slot, table: table, info: info).get()) ?? []).map { (slot, $0) }
        }
        guard !work.isEmpty else { return .skip(id, "no operation slot is callable") }
        let rounds = 3
        note("4 threads × \(rounds) rounds over \(work.count) slot calls")
        let problems = ConcurrentCalls.run(threads: 4) { _ in
            var found: [String] = []
            for _ in 0..<rounds {
                for (slot, type) in work {
                    let call = SlotCall.perform(slot, table: table, endpoint: EndpointInput.plausible(for: type),
                                                request: slot.takesRequest ? RequestInput(flags: 0) : nil,
                                                undoToken: slot == .rollbackInstall ? SlotCall.placeholderUndoToken : nil)
                    found += call.problems.map { "\(slot.rawValue) for \(type.name): \($0)" }
                }
            }
            return found
        }.flatMap { $0 }
        guard problems.isEmpty else {
            return .fail(id, "while 4 threads called slots at once: " + Array(Set(problems)).sorted().joined(separator: "; "))
        }
        let slots = Set(work.map(\.0.rawValue)).sorted().joined(separator: ", ")
        return .pass(id, "\(4 * rounds * work.count) calls from 4 threads at once (\(slots)) all answered cleanly")
    }

    func checkShutdown() -> ConformanceCheck {
        let id = CheckID.shutdown
        guard case .success(let table) = plugin.table else { return .skip(id, "not run: \(plugin.table.unavailableReason)") }
        guard let shutdown = table.shutdown else { return .skip(id, "shutdown is NULL (optional)") }
        guard plugin.runsInChild else {
            return .skip(id, "shutdown is only called in a child process: no slot may follow it, and this process keeps the plugin loaded")
        }
        shutdown()
        return .pass(id, "shutdown() returned")
    }
}
