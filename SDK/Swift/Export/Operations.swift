/// A plugin instance's operations, found once by conformance so the slots
/// never cast at call time. A nil operation leaves its C slot NULL.
struct Operations {
    let validate: (Endpoint, HostServices) throws -> Void
    let testConnection: ((Endpoint, HostServices) throws -> Void)?
    let discoverNodes: ((Endpoint, HostServices) throws -> [Node])?
    let planInstall: ((InstallRequest, Endpoint, HostServices) throws -> InstallPlan)?
    let configTest: ((Endpoint, HostServices) throws -> Void)?
    let activate: ((Endpoint, InstallRequest?, HostServices) throws -> Void)?
    let restart: ((Endpoint, HostServices) throws -> Void)?
    let applyInstall: ((InstallRequest, Endpoint, HostServices) throws -> [UInt8])?
    let rollbackInstall: (([UInt8], Endpoint, HostServices) throws -> Void)?
    let finishInstall: (([UInt8], Endpoint, HostServices) throws -> Void)?

    init(_ plugin: some EndpointPlugin) {
        validate = plugin.validate
        testConnection = (plugin as? any ConnectionTesting).map { $0.testConnection }
        discoverNodes = (plugin as? any NodeDiscovering).map { $0.discoverNodes }
        planInstall = (plugin as? any InstallPlanning).map { $0.planInstall }
        configTest = (plugin as? any ConfigTesting).map { $0.configTest }
        activate = (plugin as? any Activating).map { $0.activate }
        restart = (plugin as? any Restarting).map { $0.restart }
        let applying = plugin as? any InstallApplying
        applyInstall = applying.map { $0.applyInstall }
        rollbackInstall = applying.map { $0.rollbackInstall }
        finishInstall = (plugin as? any InstallFinishing).map { $0.finishInstall }
    }
}
