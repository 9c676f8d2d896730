import Foundation
import OGPlugins
import OGPluginABI

/// Why a check could not run: something it needs failed earlier. The reason is
/// short and names the check that reports the failure in full.
struct Unavailable: Error {
    let reason: String
    /// The full story, for the check that owns the failure.
    let detail: String

    init(reason: String, detail: String? = nil) {
        self.reason = reason
        self.detail = detail ?? reason
    }
}

/// The library being checked and what the suite learns about it, each fact
/// computed once, when the first check needs it. A child restarted after a
/// crash recomputes the facts its remaining checks need without re-reporting them.
final class PluginUnderTest {
    /// The path as given, made explicit so dlopen never searches the library path for it.
    let path: String
    let runsInChild: Bool

    init(path: String, runsInChild: Bool) {
        self.path = path.contains("/") ? path : "./" + path
        self.runsInChild = runsInChild
    }

    var fileName: String { (path as NSString).lastPathComponent }

    private(set) lazy var entry: Result<og_plugin_entry_fn, Unavailable> = {
        do throws(PluginLoadError) {
            return .success(try PluginLibrary.openEntry(path))
        } catch {
            let what = if case .missingEntry = error { "the library has no \(OG_PLUGIN_ENTRY_SYMBOL)()" } else { "the library cannot be loaded" }
            return .failure(Unavailable(reason: "\(what) (see \(CheckID.entrySymbol))", detail: error.reason))
        }
    }()

    /// The table negotiated at the host's current ABI, offered with the tracking
    /// host table. Computed after the ABI checks have made their own offers, so the
    /// host table the plugin keeps for its slot calls is the tracking one.
    private(set) lazy var table: Result<NegotiatedTable, Unavailable> = {
        let entry: og_plugin_entry_fn
        switch self.entry {
        case .success(let function): entry = function
        case .failure(let problem): return .failure(problem)
        }
        let negotiation = Negotiation.offer(entry, major: UInt16(OG_ABI_MAJOR), minor: UInt16(OG_ABI_MINOR))
        let unusable = "no usable plugin table at ABI \(negotiation.offer)"
        guard negotiation.status == OG_OK, let table = negotiation.table, table.abiMajor == UInt16(OG_ABI_MAJOR) else {
            return .failure(Unavailable(reason: "\(unusable) (see \(CheckID.currentMinor))"))
        }
        guard table.describe != nil, table.release != nil else {
            return .failure(Unavailable(reason: "\(unusable): no describe or release slot (see \(CheckID.tableLayout))"))
        }
        return .success(table)
    }()

    private(set) lazy var descriptor: Result<(pointer: UnsafePointer<og_plugin_descriptor>, info: PluginInfo), Unavailable> = {
        let table: NegotiatedTable
        switch self.table {
        case .success(let value): table = value
        case .failure(let problem): return .failure(problem)
        }
        guard let pointer = table.describe!() else {
            return .failure(Unavailable(reason: "describe() returned NULL (see \(CheckID.descriptorValid))", detail: "describe() returned NULL; return a pointer to a static og_plugin_descriptor"))
        }
        do throws(DescriptorProblem) {
            return .success((pointer, try PluginInfo.read(descriptor: pointer)))
        } catch {
            return .failure(Unavailable(reason: "no valid descriptor (see \(CheckID.descriptorValid))", detail: error.description))
        }
    }()

    var info: Result<PluginInfo, Unavailable> { descriptor.map(\.info) }
}
