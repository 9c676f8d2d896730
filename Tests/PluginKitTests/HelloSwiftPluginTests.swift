import Foundation
import HelloSwiftPlugin
import OGBasics
import OGPluginABI
import OGTestSupport
import Testing
@testable import OGPluginKit

/// The Swift example plugin, driven through its exported table against real files.
@Suite struct HelloSwiftPluginTests {
    let table: og_plugin_api
    let inputs = SlotInputs()
    let directory: TemporaryDirectory

    init() throws {
        table = try Loaded.table(HelloSwiftPlugin.self).pointee
        directory = try TemporaryDirectory("hello-swift")
    }

    private func endpoint(path: String, mode: String = "0600") -> UnsafePointer<og_endpoint> {
        UnsafePointer(inputs.endpoint(type: "combined_pem", options: [("path", path), ("mode", mode)]))
    }

    /// Runs one operation and checks the plugin gave back every host result.
    private func operation(_ body: (OpaquePointer) -> og_status) -> (og_status, FakeCall) {
        let call = FakeCall()
        let status = call.perform(body)
        #expect(FakeHost.shared.outstandingResults(of: call) == 0, "a host result was not released")
        return (status, call)
    }

    private func combinedFile(_ parts: [UInt8]...) throws -> String {
        let path = directory.file("site.pem")
        try LocalFiles.writeAtomically(path, contents: parts.flatMap { $0 }, mode: 0o600)
        return path
    }

    @Test func descriptorIsLoadableAndServesCombinedPEM() throws {
        #expect(PluginExport.problems(in: HelloSwiftPlugin.self).isEmpty)
        let descriptor = try ResultReader.descriptor(try #require(table.describe!()))
        #expect(descriptor == HelloSwiftPlugin.descriptor)
        let type = try #require(descriptor.types.first)
        #expect(type.name == "combined_pem")
        #expect(type.connectionTypes == [.local, .ssh])
        #expect(type.capabilities == [.testConnection, .discover, .install, .configTest])
        #expect(type.options.map(\.name) == ["path", "mode"])
        #expect(table.flags == OG_PLUGIN_THREAD_SAFE)
        #expect(table.activate == nil && table.restart == nil && table.apply_install == nil)
    }

    @Test(arguments: [
        ("0644", "mode", "0644 lets every user read the private key; use 0600 or 0640"),
        ("8", "mode", "'8' is not 3 or 4 octal digits; give a mode such as 0600"),
        ("+600", "mode", "'+600' is not 3 or 4 octal digits; give a mode such as 0600"),
    ])
    func validateRefusesModesThatAreNotOctalOrExposeTheKey(mode: String, field: String, message: String) {
        let (status, call) = operation { table.validate_endpoint!($0, endpoint(path: directory.file("site.pem"), mode: mode)) }
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors == [.init(field: field, message: message)])
    }

    @Test func validateAcceptsAGroupReadableModeAndRefusesBadPaths() {
        #expect(operation { table.validate_endpoint!($0, endpoint(path: directory.file("site.pem"), mode: "0640")) }.0 == OG_OK)

        let (relativeStatus, relative) = operation { table.validate_endpoint!($0, endpoint(path: "certs/site.pem")) }
        #expect(relativeStatus == OG_ERR_INVALID_ARGUMENT)
        #expect(relative.errors.map(\.field) == ["path"])

        let (directoryStatus, onDirectory) = operation { table.validate_endpoint!($0, endpoint(path: directory.path)) }
        #expect(directoryStatus == OG_ERR_INVALID_ARGUMENT)
        #expect(onDirectory.errors == [.init(field: "path",
                                             message: "\(directory.path) is a directory; give the path of the PEM file inside it")])
    }

    @Test func testConnectionNeedsTheParentDirectory() throws {
        #expect(operation { table.test_connection!($0, endpoint(path: directory.file("site.pem"))) }.0 == OG_OK)

        let missingParent = directory.file("absent/site.pem")
        let (missingStatus, missing) = operation { table.test_connection!($0, endpoint(path: missingParent)) }
        #expect(missingStatus == OG_ERR_NOT_FOUND)
        #expect(missing.errors == [.init(field: "path", message: "parent directory \(directory.file("absent")) does not "
                                         + "exist on the endpoint; create it or correct --path")])

        try LocalFiles.writeAtomically(directory.file("plain"), contents: [])
        let (fileStatus, onFile) = operation { table.test_connection!($0, endpoint(path: directory.file("plain/site.pem"))) }
        #expect(fileStatus == OG_ERR_CONFLICT)
        #expect(onFile.errors.map(\.field) == ["path"])

        // A symlinked certificate directory is still a directory.
        try LocalFiles.makeDirectory(directory.file("real"))
        #expect(symlink(directory.file("real"), directory.file("linked")) == 0)
        #expect(operation { table.test_connection!($0, endpoint(path: directory.file("linked/site.pem"))) }.0 == OG_OK)
    }

    @Test func discoveryReportsTheNodeBeforeAnythingIsInstalled() throws {
        var list: UnsafeMutablePointer<og_node_list>?
        let path = directory.file("site.pem")
        #expect(operation { table.discover_nodes!($0, endpoint(path: path), &list) }.0 == OG_OK)
        let nodes = try ResultReader.nodes(try #require(list))
        table.release!(list)
        #expect(nodes == [Node(id: path, name: "site.pem", protocolName: "keystore", certificatePath: path,
                               detail: "combined PEM, not installed yet")])
    }

    @Test func discoveryReadsTheConfiguredCertificateButNeverPassesTheKeyOn() throws {
        let leaf = try TestMaterial(commonName: "hello.test")
        let intermediate = try TestMaterial(commonName: "intermediate.test")
        let path = try combinedFile(leaf.keyPEM, leaf.certificatePEM, intermediate.certificatePEM)
        var list: UnsafeMutablePointer<og_node_list>?
        #expect(operation { table.discover_nodes!($0, endpoint(path: path), &list) }.0 == OG_OK)
        let nodes = try ResultReader.nodes(try #require(list))
        table.release!(list)
        let node = try #require(nodes.first)
        #expect(nodes.count == 1)
        #expect(node.id == path && node.certificatePath == path)
        #expect(node.name == "hello.test")
        #expect(node.aliases == ["www.hello.test"])
        #expect(node.certificate == leaf.certificatePEM)
        #expect(!String(decoding: node.certificate, as: UTF8.self).contains("PRIVATE KEY"))
        #expect(node.detail == "combined PEM, leaf and 1 intermediate(s)")
    }

    @Test func planWritesKeyAndFullChainIntoOneFileWithTheConfiguredMode() throws {
        let path = directory.file("site.pem")
        var plan: UnsafeMutablePointer<og_install_plan>?
        let status = operation {
            table.plan_install!($0, endpoint(path: path, mode: "0640"), inputs.request(commonName: "shop.test", chainLength: 2), &plan)
        }.0
        #expect(status == OG_OK)
        let read = try ResultReader.plan(try #require(plan))
        table.release!(plan)
        #expect(read == InstallPlan(summary: "write the private key, shop.test and 2 intermediate(s) to \(path)", nodeID: path,
                                    changes: [FileChange(path: path, content: .keyAndFullChainPEM, mode: 0o640, isSecret: true)]))

        var refused: UnsafeMutablePointer<og_install_plan>?
        let (otherStatus, other) = operation {
            table.plan_install!($0, endpoint(path: path), inputs.request(nodeID: "/elsewhere.pem"), &refused)
        }
        #expect(otherStatus == OG_ERR_NOT_FOUND)
        #expect(other.errors.map(\.field) == ["node"])
        #expect(refused == nil)
    }

    @Test func configTestAcceptsACompleteFile() throws {
        let material = try TestMaterial()
        let path = try combinedFile(material.keyPEM, material.certificatePEM)
        let (status, call) = operation { table.config_test!($0, endpoint(path: path)) }
        #expect(status == OG_OK, "\(call.errors)")
    }

    @Test func configTestRefusesFilesHAProxyWouldRefuse() throws {
        let material = try TestMaterial()
        let brokenCertificate = Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)
        let cases: [(contents: [UInt8]?, message: String)] = [
            (nil, "is missing or not a regular file"),
            (material.keyPEM, "contains no certificate"),
            (material.certificatePEM, "must contain exactly one private key; HAProxy would refuse it"),
            (material.keyPEM + material.keyPEM + material.certificatePEM, "must contain exactly one private key; HAProxy would refuse it"),
            (material.keyPEM + brokenCertificate, "holds a certificate block that cannot be parsed"),
        ]
        for (contents, message) in cases {
            let path = directory.file("site.pem")
            if let contents {
                try LocalFiles.writeAtomically(path, contents: contents, mode: 0o600)
            } else {
                unlink(path)
            }
            let (status, call) = operation { table.config_test!($0, endpoint(path: path)) }
            #expect(status == OG_ERR_CONFIG_TEST)
            #expect(call.errors.last == .init(field: "path", message: "\(path) \(message)"))
        }
    }
}
