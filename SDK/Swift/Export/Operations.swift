/// A plugin instance's operations, found once by conformance (for value types when the plugin is
/// compiled, see EndpointPlugin's `_…Operation` requirements) so the slots
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
        // A class may gain a capability in a subclass, which its EndpointPlugin witness table (chosen for the
        // class that declared the conformance) does not know: classes are asked at run time, as they always were.
        guard !(type(of: plugin) is AnyObject.Type) else {
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
            return
        }
        testConnection = plugin._testConnectionOperation()
        discoverNodes = plugin._discoverNodesOperation()
        planInstall = plugin._planInstallOperation()
        configTest = plugin._configTestOperation()
        activate = plugin._activateOperation()
        restart = plugin._restartOperation()
        let applying = plugin._applyOperations()
        applyInstall = applying?.apply
        rollbackInstall = applying?.rollback
        finishInstall = plugin._finishInstallOperation()
    }
}
