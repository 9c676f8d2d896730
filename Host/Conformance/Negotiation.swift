import OGPlugins
import OGPluginABI

/// What og_plugin_entry did with one offer. The out-parameter starts as a
/// sentinel so "left *out untouched" can be told apart from "set it to NULL".
struct Negotiation {
    let offeredMajor: UInt16
    let offeredMinor: UInt16
    let status: og_status
    /// False when the plugin wrote *out (even if it wrote NULL).
    let outUntouched: Bool
    /// The table the plugin set, when it set a non-NULL one.
    let table: NegotiatedTable?

    var offer: String { "\(offeredMajor).\(offeredMinor)" }

    private static var untouched: UnsafePointer<og_plugin_api> { UnsafePointer(bitPattern: 0x0DDB_A110)! }

    /// Offers `major.minor` with the kit's tracking host table (never the loader's,
    /// so host results the plugin obtains later can be attributed to a call).
    static func offer(_ entry: og_plugin_entry_fn, major: UInt16, minor: UInt16) -> Negotiation {
        var offer = og_host_offer(struct_size: UInt32(MemoryLayout<og_host_offer>.size), abi_major: major,
                                  abi_minor: minor, host: TrackingHostTable.shared)
        var out: UnsafePointer<og_plugin_api>? = untouched
        let status = entry(&offer, &out)
        let untouched = out == untouched
        return Negotiation(offeredMajor: major, offeredMinor: minor, status: status, outUntouched: untouched,
                           table: untouched ? nil : out.map(NegotiatedTable.init))
    }
}

/// A plugin table read field by field within its own struct_size, the way
/// OG_HAS_FIELD does: a table shorter than 1.0 is never read past its end.
struct NegotiatedTable: @unchecked Sendable {
    // The contract makes the table immutable and immortal once returned.
    let pointer: UnsafePointer<og_plugin_api>

    init(_ pointer: UnsafePointer<og_plugin_api>) { self.pointer = pointer }

    private var raw: UnsafeRawPointer { UnsafeRawPointer(pointer) }

    /// The three leading fields every reader may touch, whatever the major.
    var structSize: Int { Int(raw.load(as: UInt32.self)) }
    var abiMajor: UInt16 { raw.load(fromByteOffset: 4, as: UInt16.self) }
    var abiMinor: UInt16 { raw.load(fromByteOffset: 6, as: UInt16.self) }

    var flags: UInt32? { field(MemoryLayout<og_plugin_api>.offset(of: \.flags)!, as: UInt32.self) }
    var isThreadSafe: Bool { (flags ?? 0) & UInt32(OG_PLUGIN_THREAD_SAFE) != 0 }

    /// The size of a complete 1.0 table: everything up to and including `shutdown`.
    static let size10 = MemoryLayout<og_plugin_api>.offset(of: \.shutdown)! + MemoryLayout<UnsafeRawPointer>.size

    static let describeOffset = MemoryLayout<og_plugin_api>.offset(of: \.describe)!
    static let releaseOffset = MemoryLayout<og_plugin_api>.offset(of: \.release)!
    static let shutdownOffset = MemoryLayout<og_plugin_api>.offset(of: \.shutdown)!

    func field<T>(_ offset: Int, as type: T.Type) -> T? {
        guard structSize >= offset + MemoryLayout<T>.size else { return nil }
        return raw.load(fromByteOffset: offset, as: T.self)
    }

    /// The function at `offset`, or nil when it lies outside struct_size or is NULL.
    func slot<Function>(_ offset: Int, as type: Function.Type) -> Function? {
        guard structSize >= offset + MemoryLayout<UnsafeRawPointer>.size,
              raw.load(fromByteOffset: offset, as: UnsafeRawPointer?.self) != nil else { return nil }
        return raw.load(fromByteOffset: offset, as: Function.self)
    }

    func has(_ slot: OperationSlot) -> Bool {
        self.slot(slot.offset, as: UnsafeRawPointer.self) != nil
    }

    var describe: DescribeFunction? { slot(Self.describeOffset, as: DescribeFunction.self) }
    var release: ReleaseFunction? { slot(Self.releaseOffset, as: ReleaseFunction.self) }
    var shutdown: ShutdownFunction? { slot(Self.shutdownOffset, as: ShutdownFunction.self) }
}

typealias DescribeFunction = @convention(c) () -> UnsafePointer<og_plugin_descriptor>?
typealias ReleaseFunction = @convention(c) (UnsafeMutableRawPointer?) -> Void
typealias ShutdownFunction = @convention(c) () -> Void
