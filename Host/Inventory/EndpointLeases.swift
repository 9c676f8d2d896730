import Foundation

/// Who runs a job: the gateway (one ID per data directory), the process and the host.
public struct JobOwner: Codable, Equatable, Sendable, CustomStringConvertible {
    public var gatewayID: String
    public var pid: Int32
    public var host: String

    public init(gatewayID: String, pid: Int32, host: String) {
        self.gatewayID = gatewayID
        self.pid = pid
        self.host = host
    }

    /// This process on this host, for gateway `gatewayID`.
    public static func current(gatewayID: String) -> JobOwner {
        JobOwner(gatewayID: gatewayID, pid: getpid(), host: ProcessInfo.processInfo.hostName)
    }

    public var description: String { "PID \(pid) on \(host)" }
}

/// The right to run one job on one endpoint until `expiresAt`; renewed by the
/// job's heartbeat. `fencingToken` grows with every acquisition of the
/// endpoint, so a write presenting an older token comes from an owner that
/// lost the endpoint and is refused.
public struct EndpointLease: Codable, Equatable, Sendable {
    public var endpointID: String
    public var jobID: String
    /// What the job does: `install`, `restart`, `recover`.
    public var kind: String
    public var owner: JobOwner
    public var acquiredAt: Date
    public var expiresAt: Date
    public var fencingToken: Int64
}

/// The outcome of asking for an endpoint.
public enum LeaseAcquisition: Sendable {
    /// The endpoint is ours; `tookOverFrom` is the expired lease of a job that never released it.
    case acquired(EndpointLease, tookOverFrom: EndpointLease?)
    /// Another job holds a live lease.
    case busy(EndpointLease)
}
