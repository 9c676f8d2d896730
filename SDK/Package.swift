// swift-tools-version:6.0
// The og-host plugin SDK as a package of its own: the C contract
// (include/og_plugin.h, og_plugin_util.h) and OGPluginKit, with no other
// dependency. og-host's own package depends on it by path; so does an
// out-of-tree plugin (see README.md, "A plugin in Swift, out of tree").
import PackageDescription

let package = Package(
    name: "og-plugin-sdk",
    platforms: [.macOS(.v13)],
    products: [
        // Write a plugin as an ordinary Swift type; exports the C vtable for it.
        .library(name: "OGPluginKit", targets: ["OGPluginKit"]),
        // A strict JSON reader and writer without Foundation: plugins' REST replies and the host's manifests.
        .library(name: "OGJSON", targets: ["OGJSON"]),
        // The C header alone, for Swift code that speaks the raw ABI (hosts, test harnesses).
        .library(name: "OGPluginABI", targets: ["OGPluginABI"]),
        // An in-memory og-host for a plugin's unit tests (PluginTestHost), Swift or C plugins alike.
        .library(name: "OGPluginTesting", targets: ["OGPluginTesting"]),
    ],
    targets: [
        // The contract: a C header and nothing else a plugin must link.
        .target(name: "OGPluginABI", path: ".", sources: ["abi"], publicHeadersPath: "include"),
        .target(name: "OGJSON", path: "JSON"),
        .target(name: "OGPluginKit", dependencies: ["OGPluginABI", "OGJSON"], path: "Swift"),
        .target(name: "OGPluginTesting", dependencies: ["OGPluginKit", "OGPluginABI"], path: "Testing"),
    ]
)
