import OGPluginABI

/// Builds the C descriptor `describe` returns, once per plugin type, in an
/// arena the registry keeps for the life of the process.
enum DescriptorEncoding {
    static func encode(_ descriptor: PluginDescriptor, in arena: Arena) -> UnsafePointer<og_plugin_descriptor> {
        let encoded = arena.zeroed(og_plugin_descriptor.self)
        encoded.pointee.struct_size = UInt32(MemoryLayout<og_plugin_descriptor>.size)
        encoded.pointee.name = arena.cString(descriptor.name)
        encoded.pointee.version = arena.cString(descriptor.version)
        encoded.pointee.license = arena.cString(descriptor.license)
        encoded.pointee.summary = arena.cString(descriptor.summary)
        encoded.pointee.sdk_major = UInt32(OG_ABI_MAJOR)
        encoded.pointee.sdk_minor = UInt32(OG_ABI_MINOR)
        encoded.pointee.types = arena.array(descriptor.types.map { endpointType($0, in: arena) })
        encoded.pointee.type_count = descriptor.types.count
        return UnsafePointer(encoded)
    }

    private static func endpointType(_ type: EndpointTypeDescriptor, in arena: Arena) -> og_endpoint_type {
        var encoded = og_endpoint_type()
        encoded.struct_size = UInt32(MemoryLayout<og_endpoint_type>.size)
        encoded.name = arena.cString(type.name)
        encoded.summary = arena.cString(type.summary)
        encoded.connection_types = type.connectionTypes.rawValue
        encoded.capabilities = type.capabilities.rawValue
        encoded.options = arena.array(type.options.map { option($0, in: arena) })
        encoded.option_count = type.options.count
        return encoded
    }

    private static func option(_ option: OptionSchema, in arena: Arena) -> og_option_schema {
        var encoded = og_option_schema()
        encoded.struct_size = UInt32(MemoryLayout<og_option_schema>.size)
        encoded.name = arena.cString(option.name)
        encoded.kind = option.kindCode
        encoded.flags = (option.isRequired ? OG_OPTION_REQUIRED : 0) | (option.isSecret ? OG_OPTION_SECRET : 0)
        (encoded.min, encoded.max) = option.encodedLimits
        if case .enumeration(let values) = option.kind {
            encoded.allowed_values = arena.array(values.map { Optional(arena.cString($0)) })
            encoded.allowed_count = values.count
        }
        encoded.default_value = option.defaultValue.map(arena.cString)
        encoded.help = arena.cString(option.help)
        return encoded
    }
}
