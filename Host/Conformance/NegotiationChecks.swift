import OGPlugins
import OGPluginABI

// Loading and ABI negotiation: the part of the contract the host relies on
// before it can read anything else.
extension SuiteRun {
    func checkEntrySymbol() -> ConformanceCheck {
        let id = CheckID.entrySymbol
        switch plugin.entry {
        case .success: return .pass(id, "dlopen(RTLD_NOW) succeeded and \(OG_PLUGIN_ENTRY_SYMBOL)() is exported")
        case .failure(let problem):
            return .fail(id, "\(problem.detail); export exactly one function, OG_PLUGIN_EXPORT og_status og_plugin_entry(...)")
        }
    }

    func checkHostLoader() -> ConformanceCheck {
        let id = CheckID.hostLoader
        guard case .success = plugin.entry else { return .skip(id, "not run: \(plugin.entry.unavailableReason)") }
        do {
            let library = try PluginLibrary.load(plugin.path)
            announce(name: library.info.name)
            let types = library.info.types.map(\.name).joined(separator: ", ")
            return .pass(id, "og-host loads it as '\(library.info.name)' \(library.info.version) (ABI 1.\(library.negotiatedMinor); types: \(types))")
        } catch {
            return .fail(id, "og-host refuses it: \(error.reason)")
        }
    }

    func checkCurrentMinor() -> ConformanceCheck {
        let id = CheckID.currentMinor
        guard case .success(let entry) = plugin.entry else { return .skip(id, "not run: \(plugin.entry.unavailableReason)") }
        let negotiation = Negotiation.offer(entry, major: UInt16(OG_ABI_MAJOR), minor: UInt16(OG_ABI_MINOR))
        if let problem = acceptanceProblem(negotiation) { return .fail(id, problem) }
        let table = negotiation.table!
        return .pass(id, "accepted ABI \(negotiation.offer) with a 1.\(table.abiMinor) table")
    }

    func checkOlderMinor() -> ConformanceCheck {
        let id = CheckID.olderMinor
        guard case .success(let entry) = plugin.entry else { return .skip(id, "not run: \(plugin.entry.unavailableReason)") }
        let minor = UInt16(max(0, Int(OG_ABI_MINOR) - 1))
        let oldest = minor == UInt16(OG_ABI_MINOR) ? " (1.\(minor) is the oldest minor)" : ""
        let negotiation = Negotiation.offer(entry, major: UInt16(OG_ABI_MAJOR), minor: minor)
        if negotiation.status == OG_ERR_ABI_MISMATCH {
            guard negotiation.outUntouched else {
                return .fail(id, "refused ABI \(negotiation.offer) but wrote *out; leave *out untouched when returning OG_ERR_ABI_MISMATCH")
            }
            return .pass(id, "refused ABI \(negotiation.offer)\(oldest) with OG_ERR_ABI_MISMATCH, leaving *out untouched (it needs a newer minor)")
        }
        if let problem = acceptanceProblem(negotiation) { return .fail(id, problem) }
        return .pass(id, "accepted ABI \(negotiation.offer)\(oldest) with a 1.\(negotiation.table!.abiMinor) table")
    }

    func checkNewerMinor() -> ConformanceCheck {
        let id = CheckID.newerMinor
        guard case .success(let entry) = plugin.entry else { return .skip(id, "not run: \(plugin.entry.unavailableReason)") }
        let negotiation = Negotiation.offer(entry, major: UInt16(OG_ABI_MAJOR), minor: UInt16(OG_ABI_MINOR + 5))
        if let problem = acceptanceProblem(negotiation) {
            return .fail(id, problem + "; a newer host speaks every older minor of its major, so accept any minor at or above the one you need")
        }
        return .pass(id, "accepted ABI \(negotiation.offer) from a newer host with a 1.\(negotiation.table!.abiMinor) table")
    }

    func checkWrongMajor() -> ConformanceCheck {
        let id = CheckID.wrongMajor
        guard case .success(let entry) = plugin.entry else { return .skip(id, "not run: \(plugin.entry.unavailableReason)") }
        var problems: [String] = []
        for major in [UInt16(OG_ABI_MAJOR + 1), UInt16(OG_ABI_MAJOR - 1)] {
            let negotiation = Negotiation.offer(entry, major: major, minor: UInt16(OG_ABI_MINOR))
            if negotiation.status != OG_ERR_ABI_MISMATCH {
                problems.append("offered ABI \(negotiation.offer), it returned status \(negotiation.status) instead of OG_ERR_ABI_MISMATCH (\(OG_ERR_ABI_MISMATCH))")
            }
            if !negotiation.outUntouched {
                problems.append("offered ABI \(negotiation.offer), it wrote *out; leave *out untouched when refusing")
            }
        }
        guard problems.isEmpty else {
            return .fail(id, problems.joined(separator: "; ") + "; check offer->abi_major before anything else")
        }
        return .pass(id, "refused ABI \(OG_ABI_MAJOR + 1).\(OG_ABI_MINOR) and \(OG_ABI_MAJOR - 1).\(OG_ABI_MINOR) with OG_ERR_ABI_MISMATCH, *out untouched")
    }

    func checkTableLayout() -> ConformanceCheck {
        let id = CheckID.tableLayout
        guard case .success(let entry) = plugin.entry else { return .skip(id, "not run: \(plugin.entry.unavailableReason)") }
        let negotiation = Negotiation.offer(entry, major: UInt16(OG_ABI_MAJOR), minor: UInt16(OG_ABI_MINOR))
        guard negotiation.status == OG_OK, let table = negotiation.table else {
            return .skip(id, "not run: no table at ABI \(negotiation.offer) (see \(CheckID.currentMinor))")
        }
        var problems: [String] = []
        if table.structSize < NegotiatedTable.size10 {
            problems.append("struct_size \(table.structSize) is smaller than the 1.0 table (\(NegotiatedTable.size10) bytes); set it to sizeof(og_plugin_api)")
        }
        if table.abiMajor != UInt16(OG_ABI_MAJOR) { problems.append("abi_major is \(table.abiMajor), not \(OG_ABI_MAJOR)") }
        if table.abiMinor > UInt16(OG_ABI_MINOR) {
            problems.append("abi_minor \(table.abiMinor) is above the \(OG_ABI_MINOR) offered")
        }
        if table.describe == nil { problems.append("describe is NULL or outside struct_size (required)") }
        if table.release == nil { problems.append("release is NULL or outside struct_size (required)") }
        guard problems.isEmpty else { return .fail(id, problems.joined(separator: "; ")) }
        let threads = table.isThreadSafe ? "OG_PLUGIN_THREAD_SAFE set" : "slots serialised by the host"
        return .pass(id, "struct_size \(table.structSize) (1.0 needs \(NegotiatedTable.size10)), ABI 1.\(table.abiMinor), describe and release set, \(threads)")
    }

    /// Why an OK answer is not acceptable, or nil when it is.
    private func acceptanceProblem(_ negotiation: Negotiation) -> String? {
        guard negotiation.status == OG_OK else {
            return "refused ABI \(negotiation.offer) (status \(negotiation.status): \(PluginStatus(code: negotiation.status)))"
        }
        guard !negotiation.outUntouched else { return "returned OK for ABI \(negotiation.offer) without setting *out" }
        guard let table = negotiation.table else { return "returned OK for ABI \(negotiation.offer) with *out set to NULL" }
        guard table.abiMajor == negotiation.offeredMajor else {
            return "accepted ABI \(negotiation.offer) but its table says abi_major \(table.abiMajor); the table must follow the offered major"
        }
        guard table.abiMinor <= negotiation.offeredMinor else {
            return "accepted ABI \(negotiation.offer) but its table says abi_minor \(table.abiMinor), above the offered \(negotiation.offeredMinor)"
        }
        return nil
    }
}
