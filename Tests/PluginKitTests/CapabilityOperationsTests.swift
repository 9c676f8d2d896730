import HelloSwiftPlugin
import Testing
@testable import OGPluginKit

/// `Operations` takes a value type's capability operations from the witnesses chosen when the
/// plugin was compiled (EndpointPlugin's `_…Operation` requirements) instead of casting to each
/// capability protocol at run time; classes are still cast. Both must find exactly the
/// capabilities a cast finds.
@Suite struct CapabilityOperationsTests {
    private static let descriptor = PluginDescriptor(name: "capabilities", version: "1.0.0", license: "MIT",
                                                     summary: "test", types: [])

    struct Bare: EndpointPlugin {
        static var descriptor: PluginDescriptor { CapabilityOperationsTests.descriptor }
    }

    struct Everything: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, ConfigTesting, Activating,
                       Restarting, InstallFinishing {
        static var descriptor: PluginDescriptor { CapabilityOperationsTests.descriptor }
        func testConnection(_ endpoint: Endpoint, host: HostServices) throws {}
        func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] { [] }
        func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
            throw PluginError(status: .notSupported, message: "not in this test")
        }
        func configTest(_ endpoint: Endpoint, host: HostServices) throws {}
        func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws {}
        func restart(_ endpoint: Endpoint, host: HostServices) throws {}
        func applyInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> [UInt8] { [] }
        func rollbackInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws {}
        func finishInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws {}
    }

    /// Capabilities declared in extensions, apart from the type.
    struct Extended: EndpointPlugin {
        static var descriptor: PluginDescriptor { CapabilityOperationsTests.descriptor }
    }

    /// A class whose subclass adds a capability its superclass's conformance does not know.
    class Base: EndpointPlugin, ConnectionTesting {
        static var descriptor: PluginDescriptor { CapabilityOperationsTests.descriptor }
        required init() {}
        func testConnection(_ endpoint: Endpoint, host: HostServices) throws {}
    }

    final class Derived: Base, NodeDiscovering, InstallApplying {
        func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] { [] }
        func applyInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> [UInt8] { [] }
        func rollbackInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws {}
    }

    /// Which operations are there, in slot order.
    private func present(_ operations: Operations) -> [Bool] {
        [operations.testConnection != nil, operations.discoverNodes != nil, operations.planInstall != nil,
         operations.configTest != nil, operations.activate != nil, operations.restart != nil,
         operations.applyInstall != nil, operations.rollbackInstall != nil, operations.finishInstall != nil]
    }

    /// Which capability protocols a run-time cast finds, in the same order.
    private func cast(_ plugin: some EndpointPlugin) -> [Bool] {
        [plugin is any ConnectionTesting, plugin is any NodeDiscovering, plugin is any InstallPlanning,
         plugin is any ConfigTesting, plugin is any Activating, plugin is any Restarting,
         plugin is any InstallApplying, plugin is any InstallApplying, plugin is any InstallFinishing]
    }

    @Test func valueTypesGetExactlyTheOperationsACastFinds() {
        #expect(present(Operations(Bare())) == Array(repeating: false, count: 9))
        #expect(present(Operations(Everything())) == Array(repeating: true, count: 9))
        #expect(present(Operations(Extended())) == [false, true, false, true, false, false, false, false, false])
        for plugin in [Bare() as any EndpointPlugin, Everything(), Extended(), HelloSwiftPlugin()] {
            #expect(present(Operations(plugin)) == cast(plugin), "\(type(of: plugin))")
        }
        #expect(present(Operations(HelloSwiftPlugin())) == [true, true, true, true, false, false, false, false, false])
    }

    @Test func aSubclassKeepsTheCapabilitiesItAdds() {
        #expect(present(Operations(Derived())) == [true, true, false, false, false, false, true, true, false])
        #expect(present(Operations(Derived())) == cast(Derived()))
        #expect(present(Operations(Base())) == cast(Base()))
    }
}

extension CapabilityOperationsTests.Extended: NodeDiscovering {
    func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] { [] }
}

extension CapabilityOperationsTests.Extended: ConfigTesting {
    func configTest(_ endpoint: Endpoint, host: HostServices) throws {}
}
