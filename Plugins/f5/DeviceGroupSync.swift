import OGPluginKit

/// HA: after a change, a device in a sync-failover group reports "Changes
/// Pending" until the configuration is synced to the group. This runs
/// config-sync to the group and waits until the device reports "In Sync".
struct DeviceGroupSync {
    let session: ICRSession
    let endpoint: Endpoint

    /// The group to sync: --device_group, else the device's one sync-failover group, else nil (standalone).
    func group() throws -> String? {
        if let named = endpoint.options["device_group"], !named.isEmpty { return named }
        let groups = try DeviceInventory.items(session.get("/mgmt/tm/cm/device-group"), "device groups")
            .filter { $0["type"]?.stringValue == "sync-failover" }
            .map { try DeviceInventory.text($0, "name", "a device group") }
        guard groups.count <= 1 else {
            throw PluginError(status: .conflict, field: "device_group",
                              message: "the device is in several sync-failover groups (\(groups.joined(separator: ", "))); name one with --device_group")
        }
        return groups.first
    }

    /// config-sync to `group`, then wait until the device reports In Sync; throws when it does not within --sync_timeout.
    func sync(_ group: String) throws {
        guard group.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw PluginError(status: .invalidArgument, field: "device_group", message: "'\(DeviceInventory.printable(group))' is not a device group name")
        }
        try session.change("POST", "/mgmt/tm/cm", .object([("command", .string("run")),
                                                           ("utilCmdArgs", .string("config-sync to-group \(group)"))]))
        if session.recorder != nil {
            session.recorder?("GET /mgmt/tm/cm/sync-status until it reports In Sync (at most \(timeout()) s)")
            return
        }
        let timeout = timeout()
        var waited = 0
        var status = ""
        while true {
            status = try self.status()
            if status == "In Sync" {
                session.host.log(.info, "device group \(group) is in sync")
                return
            }
            guard waited < timeout * 1000 else { break }
            waited += 250
            sleepMilliseconds(250)
        }
        throw PluginError(status: .timeout, field: "sync_timeout",
                          message: "device group \(group) did not report In Sync within \(timeout) s after config-sync (last status: \(status)); "
                              + "the active device has the change, its peers may not")
    }

    func timeout() -> Int { Int(endpoint.options["sync_timeout"] ?? "") ?? 120 }

    /// The device's sync status text ("In Sync", "Changes Pending", "Standalone", ...).
    func status() throws -> String {
        let reply = try session.get("/mgmt/tm/cm/sync-status")
        guard let entries = reply["entries"]?.objectMembers, let first = entries.first?.1,
              let status = first["nestedStats"]?["entries"]?["status"]?["description"]?.stringValue else {
            throw DeviceInventory.malformed("the sync status", "entries.*.nestedStats.entries.status.description is missing")
        }
        return DeviceInventory.printable(status)
    }
}

#if canImport(Glibc)
import Glibc
private func sleepMilliseconds(_ milliseconds: Int) { usleep(UInt32(milliseconds * 1000)) }
#elseif canImport(Darwin)
import Darwin
private func sleepMilliseconds(_ milliseconds: Int) { usleep(UInt32(milliseconds * 1000)) }
#endif
