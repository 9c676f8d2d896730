import Foundation
import OGBasics
import OGPluginABI
import OGTestSupport
import Testing
@testable import OGPluginKit

/// The C example, compiled with the documented command line against a
/// generated og-plugin.pc, then loaded and driven like og-host would.
@Suite struct HelloCPluginTests {
    /// Built once per test process; every test reports a failed build itself.
    static let library = Result { try HelloCLibrary() }

    let library: HelloCLibrary
    let inputs = SlotInputs()
    let directory: TemporaryDirectory

    init() throws {
        library = try Self.library.get()
        directory = try TemporaryDirectory("hello-c")
    }

    private func table() throws -> og_plugin_api {
        var offer = FakeHost.shared.offer()
        var table: UnsafePointer<og_plugin_api>?
        try #require(library.entry(&offer, &table) == OG_OK)
        return try #require(table).pointee
    }

    private func endpoint(certDirectory: String, prefix: String? = nil) -> UnsafePointer<og_endpoint> {
        UnsafePointer(inputs.endpoint(type: "pem_dir", options: [("cert_dir", certDirectory)] + (prefix.map { [("file_prefix", $0)] } ?? [])))
    }

    private func operation(_ body: (OpaquePointer) -> og_status) -> (og_status, FakeCall) {
        let call = FakeCall()
        let status = call.perform(body)
        #expect(FakeHost.shared.outstandingResults(of: call) == 0, "the C plugin did not release a host result")
        return (status, call)
    }

    @Test func compilesWithWerrorAgainstTheGeneratedPkgConfigFile() {
        #expect(library.compilerOutput.isEmpty, "the compiler said: \(library.compilerOutput)")
        #expect(library.pkgConfigVersion == "1.0")
        #expect(library.cflags == "-I\(Repository.root)/SDK/include")
    }

    @Test func negotiatesAsTheHeaderRequires() throws {
        var wrongMajor = FakeHost.shared.offer(major: 2)
        let sentinel = UnsafePointer<og_plugin_api>(bitPattern: 0x5EED)
        var untouched = sentinel
        #expect(library.entry(&wrongMajor, &untouched) == OG_ERR_ABI_MISMATCH)
        #expect(untouched == sentinel)
        #expect(library.entry(nil, &untouched) == OG_ERR_INVALID_ARGUMENT)

        let table = try table()
        #expect(table.struct_size == UInt32(MemoryLayout<og_plugin_api>.size))
        #expect(table.abi_major == UInt16(OG_ABI_MAJOR) && table.abi_minor == UInt16(OG_ABI_MINOR))
        #expect(table.flags == OG_PLUGIN_THREAD_SAFE)
        #expect(table.activate == nil && table.restart == nil && table.apply_install == nil && table.shutdown == nil)
    }

    @Test func describesThePemDirType() throws {
        let descriptor = try ResultReader.descriptor(try #require(try table().describe!()))
        #expect(descriptor.name == "hello-c")
        #expect(descriptor.types == [EndpointTypeDescriptor(
            name: "pem_dir", summary: "A directory with <prefix>.crt (leaf and chain) and <prefix>.key",
            connectionTypes: [.local, .ssh], capabilities: [.testConnection, .discover, .install, .configTest],
            options: [
                OptionSchema(name: "cert_dir", kind: .path, isRequired: true, minimum: 1, maximum: 4096,
                             help: "Absolute path of the directory that holds <prefix>.crt and <prefix>.key."),
                OptionSchema(name: "file_prefix", kind: .string, minimum: 1, maximum: 64, defaultValue: "server",
                             help: "File name before .crt and .key; a plain name, no '/'."),
            ])])
        #expect(PluginDescriptor(name: descriptor.name, version: descriptor.version, license: descriptor.license,
                                 summary: descriptor.summary, types: descriptor.types).problems.isEmpty)
    }

    @Test(arguments: ["..", ".", "../etc", "a/b"])
    func validateRefusesPrefixesThatLeaveTheDirectory(prefix: String) throws {
        let table = try table()
        let (status, call) = operation { table.validate_endpoint!($0, endpoint(certDirectory: directory.path, prefix: prefix)) }
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors == [.init(field: "file_prefix", message: "'\(prefix)' would leave cert_dir; use a plain file name such as server")])
    }

    @Test func validateAcceptsAPlainPrefixAndRefusesARelativeDirectory() throws {
        let table = try table()
        #expect(operation { table.validate_endpoint!($0, endpoint(certDirectory: directory.path, prefix: "site")) }.0 == OG_OK)
        let (status, call) = operation { table.validate_endpoint!($0, endpoint(certDirectory: "certs")) }
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors.map(\.field) == ["cert_dir"])
    }

    @Test func testConnectionNeedsTheDirectory() throws {
        let table = try table()
        #expect(operation { table.test_connection!($0, endpoint(certDirectory: directory.path)) }.0 == OG_OK)
        let missing = directory.file("absent")
        let (status, call) = operation { table.test_connection!($0, endpoint(certDirectory: missing)) }
        #expect(status == OG_ERR_NOT_FOUND)
        #expect(call.errors == [.init(field: "cert_dir",
                                      message: "\(missing) does not exist on the endpoint; create it or correct --cert_dir")])

        try LocalFiles.writeAtomically(directory.file("plain"), contents: [])
        let (fileStatus, onFile) = operation { table.test_connection!($0, endpoint(certDirectory: directory.file("plain"))) }
        #expect(fileStatus == OG_ERR_CONFLICT)
        #expect(onFile.errors.map(\.field) == ["cert_dir"])

        #expect(symlink(directory.path, directory.file("linked")) == 0)
        #expect(operation { table.test_connection!($0, endpoint(certDirectory: directory.file("linked"))) }.0 == OG_OK)
        #expect(symlink(directory.file("plain"), directory.file("linked-file")) == 0)
        #expect(operation { table.test_connection!($0, endpoint(certDirectory: directory.file("linked-file"))) }.0 == OG_ERR_CONFLICT)
    }

    @Test func discoveryFindsThePrefixCertificateAndCopiesItsBytes() throws {
        let table = try table()
        var list: UnsafeMutablePointer<og_node_list>?
        #expect(operation { table.discover_nodes!($0, endpoint(certDirectory: directory.path), &list) }.0 == OG_OK)
        #expect(try ResultReader.nodes(try #require(list)).isEmpty)
        table.release!(list)

        let material = try TestMaterial()
        try LocalFiles.writeAtomically(directory.file("server.crt"), contents: material.certificatePEM)
        try LocalFiles.writeAtomically(directory.file("other.crt"), contents: material.certificatePEM)
        #expect(operation { table.discover_nodes!($0, endpoint(certDirectory: directory.path + "/"), &list) }.0 == OG_OK)
        let nodes = try ResultReader.nodes(try #require(list))
        table.release!(list)
        #expect(nodes == [Node(id: "server", name: "server.crt", protocolName: "keystore",
                               certificatePath: directory.file("server.crt"), certificate: material.certificatePEM,
                               detail: "PEM directory: <prefix>.crt and <prefix>.key")])
    }

    @Test func planWritesTheFullChainAndASecretKey() throws {
        let table = try table()
        var plan: UnsafeMutablePointer<og_install_plan>?
        #expect(operation { table.plan_install!($0, endpoint(certDirectory: directory.path, prefix: "site"), inputs.request(), &plan) }.0 == OG_OK)
        let read = try ResultReader.plan(try #require(plan))
        table.release!(plan)
        let crt = directory.file("site.crt"), key = directory.file("site.key")
        #expect(read == InstallPlan(summary: "write the full chain to \(crt) and the key to \(key)", nodeID: "site",
                                    changes: [FileChange(path: crt, content: .fullChainPEM, mode: 0o644),
                                              FileChange(path: key, content: .privateKeyPEM, mode: 0o600, isSecret: true)]))

        var refused: UnsafeMutablePointer<og_install_plan>?
        let (status, call) = operation {
            table.plan_install!($0, endpoint(certDirectory: directory.path), inputs.request(nodeID: "other"), &refused)
        }
        #expect(status == OG_ERR_NOT_FOUND)
        #expect(call.errors == [.init(field: "node", message: "'other' is not a node of this endpoint; its only node is server")])
        #expect(refused == nil)
    }

    @Test func configTestNeedsBothFilesNonEmpty() throws {
        let table = try table()
        let (missingStatus, missing) = operation { table.config_test!($0, endpoint(certDirectory: directory.path)) }
        #expect(missingStatus == OG_ERR_CONFIG_TEST)
        #expect(missing.errors == [.init(field: "cert_dir",
                                         message: "\(directory.file("server.crt")) is missing or empty; install a certificate first")])

        try LocalFiles.writeAtomically(directory.file("server.crt"), contents: Array("chain".utf8))
        try LocalFiles.writeAtomically(directory.file("server.key"), contents: [])
        let (emptyStatus, empty) = operation { table.config_test!($0, endpoint(certDirectory: directory.path)) }
        #expect(emptyStatus == OG_ERR_CONFIG_TEST)
        #expect(empty.errors.first?.message.hasPrefix(directory.file("server.key")) == true)

        try LocalFiles.writeAtomically(directory.file("server.key"), contents: Array("key".utf8))
        #expect(operation { table.config_test!($0, endpoint(certDirectory: directory.path)) }.0 == OG_OK)
    }
}

/// hello_c.c compiled with exactly the command line SDK/README.md gives C authors, then dlopen()ed.
struct HelloCLibrary: @unchecked Sendable {
    // @unchecked is sound: the entry pointer is an immutable C function in a library never unloaded.
    let entry: og_plugin_entry_fn
    let compilerOutput: String
    let pkgConfigVersion: String
    let cflags: String

    init() throws {
        _ = try Tool.require("cc", debianPackage: "gcc")
        let pkgConfig = try Tool.require("pkg-config", debianPackage: "pkgconf")
        let work = try TemporaryDirectory("hello-c-build")
        let template = try String(contentsOfFile: "\(Repository.root)/SDK/og-plugin.pc.in", encoding: .utf8)
        try LocalFiles.writeAtomically(work.file("og-plugin.pc"),
                                       contents: Array(template.replacingOccurrences(of: "@INCLUDEDIR@", with: "\(Repository.root)/SDK/include").utf8))
        try LocalFiles.writeAtomically(work.file("hello_c.c"),
                                       contents: try LocalFiles.read("\(Repository.root)/SDK/examples/hello-c/hello_c.c"))
        var environment = EnvironmentVariable.all()
        environment["PKG_CONFIG_PATH"] = work.path

        let command = "cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags og-plugin) -shared -fPIC "
            + "-o libog-plugin-hello-c.so hello_c.c"
        let compiled = try ProcessRunner.run("/bin/sh", ["-c", command], environment: environment, workingDirectory: work.path)
        guard compiled.exitStatus == 0 else {
            throw BuildFailure(description: "\(command) failed:\n\(compiled.standardErrorText)")
        }
        compilerOutput = compiled.standardOutputText + compiled.standardErrorText
        pkgConfigVersion = try ProcessRunner.run(pkgConfig, ["--modversion", "og-plugin"], environment: environment)
            .standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines)
        cflags = try ProcessRunner.run(pkgConfig, ["--cflags", "og-plugin"], environment: environment)
            .standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines)

        // RTLD_NODELETE as og-host loads plugins; the mapping outlives the temporary file.
        guard let handle = dlopen(work.file("libog-plugin-hello-c.so"), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE),
              let symbol = dlsym(handle, OG_PLUGIN_ENTRY_SYMBOL) else {
            throw BuildFailure(description: "libog-plugin-hello-c.so did not load: \(String(cString: dlerror()))")
        }
        entry = unsafeBitCast(symbol, to: og_plugin_entry_fn.self)
    }

    struct BuildFailure: Error, CustomStringConvertible {
        let description: String
    }
}
