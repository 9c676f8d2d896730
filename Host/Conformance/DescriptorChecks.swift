import Foundation
import OGPlugins
import OGPluginABI

// What the plugin says about itself, and whether its table agrees.
extension SuiteRun {
    func checkReleaseNull() -> ConformanceCheck {
        let id = CheckID.releaseNull
        guard case .success(let table) = plugin.table else { return .skip(id, "not run: \(plugin.table.unavailableReason)") }
        table.release!(nil)
        return .pass(id, "release(NULL) returned")
    }

    func checkDescriptorValid() -> ConformanceCheck {
        let id = CheckID.descriptorValid
        guard case .success = plugin.table else { return .skip(id, "not run: \(plugin.table.unavailableReason)") }
        switch plugin.descriptor {
        case .success(let descriptor):
            announce(name: descriptor.info.name)
            let types = descriptor.info.types.map { "\($0.name) (\($0.options.count) options)" }.joined(separator: ", ")
            return .pass(id, "'\(descriptor.info.name)' \(descriptor.info.version), SDK \(descriptor.info.sdkMajor).\(descriptor.info.sdkMinor), types: \(types)")
        case .failure(let problem):
            return .fail(id, problem.detail)
        }
    }

    func checkNameMatchesFile() -> ConformanceCheck {
        let id = CheckID.nameMatchesFile
        guard case .success(let info) = plugin.info else { return .skip(id, "not run: \(plugin.info.unavailableReason)") }
        guard let expected = PluginLibrary.pluginName(fromFileName: plugin.fileName) else {
            return .fail(id, "file name '\(plugin.fileName)' does not follow \(PluginLibrary.fileName(for: "<name>")); name it \(PluginLibrary.fileName(for: info.name))")
        }
        guard expected == info.name else {
            return .fail(id, "the descriptor says '\(info.name)' but the file name says '\(expected)'; rename the file to \(PluginLibrary.fileName(for: info.name)) or change the name")
        }
        return .pass(id, "'\(info.name)' matches \(plugin.fileName)")
    }

    func checkDescribeStable() -> ConformanceCheck {
        let id = CheckID.describeStable
        guard case .success(let descriptor) = plugin.descriptor, case .success(let table) = plugin.table else {
            return .skip(id, "not run: \(plugin.descriptor.unavailableReason)")
        }
        let first = UInt(bitPattern: descriptor.pointer)
        let again = table.describe!().map { UInt(bitPattern: $0) } ?? 0
        guard again == first else {
            return .fail(id, "describe() returned \(hex(first)), then \(hex(again)); return the same static descriptor every time")
        }
        note("describe() from 4 threads at once")
        let seen = ConcurrentCalls.run(threads: 4) { _ in
            (0..<200).map { _ in table.describe!().map { UInt(bitPattern: $0) } ?? 0 }
        }.flatMap { $0 }
        let different = Set(seen).subtracting([first])
        guard different.isEmpty else {
            return .fail(id, "describe() called from 4 threads returned \(different.map(hex).sorted().joined(separator: ", ")) instead of \(hex(first)); "
                         + "build the descriptor once, before og_plugin_entry returns, or as static data")
        }
        return .pass(id, "the same descriptor (\(hex(first))) twice in a row and \(seen.count) times from 4 threads")
    }

    func checkCapabilities() -> ConformanceCheck {
        let id = CheckID.capabilities
        guard case .success(let info) = plugin.info, case .success(let table) = plugin.table else {
            return .skip(id, "not run: \(plugin.info.unavailableReason)")
        }
        var problems: [String] = []
        var present: [String] = []
        for slot in OperationSlot.allCases {
            if table.has(slot) { present.append(slot.rawValue) }
            guard let capability = slot.capability else { continue }
            let advertisers = info.types.filter { $0.has(capability) }.map(\.name)
            if table.has(slot) && advertisers.isEmpty {
                problems.append("\(slot.rawValue) is set but no endpoint type advertises '\(capability.rawValue)', so the host never calls it")
            }
            if !table.has(slot) && !advertisers.isEmpty {
                problems.append("type \(advertisers.map { "'\($0)'" }.joined(separator: ", ")) advertises '\(capability.rawValue)' but \(slot.rawValue) is NULL")
            }
        }
        for type in info.types where type.has(.verifyServed) && !type.has(.install) {
            problems.append("type '\(type.name)' advertises 'verify_served' without 'install'; verification targets come with install plans")
        }
        guard problems.isEmpty else {
            return .fail(id, problems.joined(separator: "; ") + "; set a capability exactly when its slot is implemented")
        }
        let slots = present.isEmpty ? "no operation slots" : "slots " + present.joined(separator: ", ")
        return .pass(id, "\(slots); every capability has its slot and every slot its capability")
    }

    private func hex(_ address: UInt) -> String { "0x" + String(address, radix: 16) }
}

extension Result where Failure == Unavailable {
    /// The reason, for checks that cannot run without the value.
    var unavailableReason: String {
        if case .failure(let problem) = self { return problem.reason }
        return "available"
    }
}
