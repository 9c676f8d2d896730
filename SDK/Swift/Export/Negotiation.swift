import OGPluginABI

/// The first conversation with the host: which ABI both speak, and the
/// host's services table.
enum Negotiation {
    /// The major the kit implements.
    static let major = UInt16(OG_ABI_MAJOR)
    /// The lowest host minor whose services the kit needs; all it uses exist since 1.0.
    static let requiredHostMinor: UInt16 = 0
    /// The minor the kit's table implements (what og_plugin.h describes).
    static let implementedMinor = UInt16(OG_ABI_MINOR)

    /// The host's table when the offer is one the kit can accept, else the
    /// status `og_plugin_entry` returns. Reads nothing past a major it does not speak.
    static func accept(_ offer: UnsafePointer<og_host_offer>?, requiredMinor: UInt16 = requiredHostMinor)
        -> Result<HostAPI, NegotiationFailure> {
        guard let offer else { return .failure(.init(OG_ERR_INVALID_ARGUMENT)) }
        let offerFields = SizedStruct(offer)
        guard let offeredMajor = offerFields.read(\.abi_major), let offeredMinor = offerFields.read(\.abi_minor) else {
            return .failure(.init(OG_ERR_INVALID_ARGUMENT))
        }
        guard offeredMajor == major, offeredMinor >= requiredMinor else { return .failure(.init(OG_ERR_ABI_MISMATCH)) }
        guard let table = offerFields.read(\.host) ?? nil else { return .failure(.init(OG_ERR_INVALID_ARGUMENT)) }

        let tableFields = SizedStruct(table)
        guard let tableMajor = tableFields.read(\.abi_major), let tableMinor = tableFields.read(\.abi_minor) else {
            return .failure(.init(OG_ERR_INVALID_ARGUMENT))
        }
        guard tableMajor == major, tableMinor >= requiredMinor else { return .failure(.init(OG_ERR_ABI_MISMATCH)) }
        // Without these two the kit could neither report an error nor give back a host result.
        let host = HostAPI(table: table)
        guard host.slot(\.set_error) != nil, host.slot(\.release) != nil else {
            return .failure(.init(OG_ERR_INVALID_ARGUMENT))
        }
        return .success(host)
    }
}

extension Negotiation {
    /// The minor an accepted offer named (read only after `accept` succeeded).
    static func offeredMinor(_ offer: UnsafePointer<og_host_offer>?) -> UInt16 {
        offer.flatMap { SizedStruct($0).read(\.abi_minor) } ?? implementedMinor
    }
}

struct NegotiationFailure: Error {
    let status: og_status
    init(_ status: og_status) { self.status = status }
}
