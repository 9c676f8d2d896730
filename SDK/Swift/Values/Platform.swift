import OGPluginABI

/// The family of the remote system (`OG_PLATFORM_*`), which decides path syntax and shell.
/// Open to values a newer host may send.
public struct Platform: RawRepresentable, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let posix = Platform(rawValue: UInt32(OG_PLATFORM_POSIX))
    public static let windows = Platform(rawValue: UInt32(OG_PLATFORM_WINDOWS))
    /// REST only: no shell, no files.
    public static let appliance = Platform(rawValue: UInt32(OG_PLATFORM_APPLIANCE))
}
