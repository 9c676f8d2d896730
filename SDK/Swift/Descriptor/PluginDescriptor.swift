/// What a plugin is and which endpoint types it serves; the kit turns it into
/// the immortal C descriptor that `describe` returns.
public struct PluginDescriptor: Sendable, Hashable {
    /// Matches the library's file name: `libog-plugin-<name>.so`.
    public var name: String
    /// The plugin's own semantic version.
    public var version: String
    /// An SPDX identifier.
    public var license: String
    /// One line.
    public var summary: String
    /// At least one.
    public var types: [EndpointTypeDescriptor]

    public init(name: String, version: String, license: String, summary: String, types: [EndpointTypeDescriptor]) {
        self.name = name
        self.version = version
        self.license = license
        self.summary = summary
        self.types = types
    }
}
