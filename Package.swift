// swift-tools-version:6.0
// og-host: a certificate orchestration gateway whose endpoint support ships as
// C-ABI plugins (SDK/include/og_plugin.h). See docs/ARCHITECTURE.md for the layers.
import PackageDescription

/// The plugin SDK is a package of its own (SDK/Package.swift, no dependencies),
/// so an out-of-tree plugin builds against it without og-host's packages.
let pluginKit = Target.Dependency.product(name: "OGPluginKit", package: "SDK")
let pluginABI = Target.Dependency.product(name: "OGPluginABI", package: "SDK")

/// Every endpoint plugin is its own shared library, `libog-plugin-<name>.so`,
/// so it can ship and version independently of the host.
func endpointPlugin(_ name: String, target: String, path: String) -> (Product, Target) {
    (.library(name: "og-plugin-\(name)", type: .dynamic, targets: [target]),
     .target(name: target, dependencies: [pluginKit], path: path))
}

let plugins = [
    endpointPlugin("keystore", target: "KeystorePlugin", path: "Plugins/keystore"),
    endpointPlugin("nginx", target: "NginxPlugin", path: "Plugins/nginx"),
    endpointPlugin("apache", target: "ApachePlugin", path: "Plugins/apache"),
    endpointPlugin("tomcat", target: "TomcatPlugin", path: "Plugins/tomcat"),
    endpointPlugin("f5", target: "F5Plugin", path: "Plugins/f5"),
    // A deliberately small Swift plugin: the SDK's worked example and a conformance subject.
    endpointPlugin("hello-swift", target: "HelloSwiftPlugin", path: "SDK/examples/hello-swift"),
]

let package = Package(
    name: "og-host",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "og-host", targets: ["og-host"]),
        // The command line beyond `plugins list`: the og-host executable loads it with dlopen (Host/Front).
        .library(name: "og-host-cli", type: .dynamic, targets: ["OGHostCLI"]),
        .library(name: "OGConformance", targets: ["OGConformance"]),
    ] + plugins.map(\.0),
    dependencies: [
        .package(path: "SDK"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        // Thin views of the system C libraries; nothing above Host/ touches them directly.
        .systemLibrary(name: "COpenSSL", path: "Host/System/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSSH2", path: "Host/System/CSSH2", pkgConfig: "libssh2",
                       providers: [.apt(["libssh2-1-dev"])]),
        // libcurl is loaded with dlopen on first use, not linked: most commands never speak HTTP (Host/System/CCurl).
        .target(name: "CCurl", path: "Host/System/CCurl"),

        // Host layers, lowest first.
        .target(name: "OGBasics", path: "Host/Basics"),
        .target(name: "OGMaterial", dependencies: ["OGBasics", "COpenSSL"], path: "Host/Material"),
        .target(name: "OGConnections", dependencies: ["OGBasics", "OGMaterial", "CSSH2", "CCurl", "COpenSSL"],
                path: "Host/Connections"),
        // Sealing (AES-256-GCM), SHA-256 and wiping come from OGMaterial: OpenSSL stays inside Material and Connections.
        .target(name: "OGCredentials", dependencies: ["OGBasics", "OGMaterial"], path: "Host/Credentials"),
        .target(name: "OGInventory", dependencies: ["OGBasics", .product(name: "GRDB", package: "GRDB.swift")],
                path: "Host/Inventory"),
        // Certificate issuance: the ACME client (RFC 8555), order state machine, challenge solvers, RFC 2136 updates.
        .target(name: "OGIssuance", dependencies: ["OGMaterial", "OGConnections"], path: "Host/Issuance"),
        .target(name: "OGPlugins", dependencies: ["OGBasics", pluginABI, .product(name: "OGJSON", package: "SDK")],
                path: "Host/Plugins"),
        .target(name: "OGConformance", dependencies: ["OGPlugins", "OGBasics", "OGMaterial", pluginABI], path: "Host/Conformance"),
        .target(name: "OGHost",
                dependencies: ["OGBasics", "OGMaterial", "OGConnections", "OGCredentials", "OGInventory",
                               "OGPlugins", "OGConformance", pluginABI, "OGIssuance",
                               .product(name: "OGJSON", package: "SDK"), .product(name: "Logging", package: "swift-log")],
                path: "Host/Core", plugins: ["BuildInfo"]),
        // Stamps the git commit into OGHost for `og-host --version`.
        .plugin(name: "BuildInfo", capability: .buildTool(), path: "Host/BuildInfo"),
        // The command line (argument parsing and printing), built as libog-host-cli.so.
        .target(name: "OGHostCLI",
                dependencies: ["OGHost", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Host/CLI", exclude: ["libog-host-cli.exports"],
                linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Host/CLI/libog-host-cli.exports"])]),
        // The og-host executable: no Foundation; answers `plugins list` itself and loads
        // libog-host-cli.so for everything else (docs/ARCHITECTURE.md, "The executable and its command library").
        .executableTarget(name: "og-host", dependencies: ["OGPlugins", "OGBasics"], path: "Host/Front"),

        .target(name: "OGTestSupport", dependencies: ["OGBasics"], path: "Tests/Support"),
        .testTarget(name: "MaterialTests", dependencies: ["OGMaterial", "OGBasics", "OGTestSupport"]),
        .testTarget(name: "ConnectionsTests", dependencies: ["OGConnections", "OGMaterial", "OGBasics", "OGTestSupport"]),
        // The SQLite implementation's own tests read and write its file through GRDB.
        .testTarget(name: "CredentialsTests", dependencies: ["OGCredentials", "OGInventory", "OGConnections", "OGMaterial",
                                                             "OGBasics", "OGTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "PluginHostTests", dependencies: ["OGHost", "OGPlugins", "OGConformance", "OGInventory", "OGConnections",
                                                            "OGMaterial", "OGBasics", pluginABI, "OGTestSupport",
                                                            .product(name: "OGJSON", package: "SDK")]),
        .testTarget(name: "IssuanceTests", dependencies: ["OGIssuance", "OGMaterial", "OGBasics", "OGTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["OGBasics", "OGTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["OGHostCLI", "OGHost"]),
        .testTarget(name: "RenewalTests", dependencies: ["OGHost", "OGInventory", "OGIssuance", "OGTestSupport",
                                                         .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "PluginKitTests", dependencies: [pluginKit, pluginABI, .product(name: "OGPluginTesting", package: "SDK"),
                                                    "OGBasics", "OGTestSupport", "HelloSwiftPlugin"]),
    ] + plugins.map(\.1)
)
