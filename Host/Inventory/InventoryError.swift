import Foundation

/// Failures of the inventory layer. Each message names the field, record or
/// file concerned, says what is wrong and how to fix it.
public enum InventoryError: Error, CustomStringConvertible, Equatable {
    /// An endpoint with this exact name already exists.
    case nameTaken(String)
    /// A value given for `field` cannot be stored.
    case invalidValue(field: String, value: String, problem: String)
    /// A JSON text field does not parse; the text itself is not echoed.
    case invalidJSON(field: String, problem: String)
    case endpointNotFound(String)
    case endpointHasUnfinishedInstall(endpoint: String, jobID: String)
    case credentialStoreNameTaken(String)
    case credentialStoreNotFound(String)
    /// `field` of an endpoint refers to a credential store that does not exist.
    case unknownCredentialStore(field: String, store: String)
    case defaultStoreIsBuiltIn(operation: String)
    /// A credential store cannot go while these endpoints refer to it.
    case credentialStoreInUse(store: String, endpoints: [String])
    case installJobNotFound(String)
    case installJobFinished(String)
    case installJobIDTaken(String)
    /// A job presented fencing token `token`, but the endpoint is now held under `current`:
    /// another job took it over after this one's lease expired.
    case fenced(jobID: String, token: Int64, current: Int64)
    /// An interrupted job's owner still holds its lease until `until`; it may be alive.
    case installJobLeased(jobID: String, owner: JobOwner, until: Date)
    /// Another job holds the endpoint.
    case endpointBusy(endpoint: String, lease: EndpointLease)
    /// The database has migrations this og-host does not know: a newer og-host wrote it.
    case databaseFromNewerVersion(path: String, unknownMigrations: [String])
    case database(path: String, message: String)
    /// No managed certificate carries this name.
    case certificateNotFound(String)
    /// A lineage cannot be removed while it is bound; `bindings` name endpoint (and node).
    case certificateBound(certificate: String, bindings: [String])
    case noDataDirectory(uid: uid_t)
    case notADirectory(path: String)
    /// A renewal's claim on its lineage expired and another gateway took it; this one's writes are refused.
    case renewalClaimLost(lineage: String)

    public var description: String {
        switch self {
        case .nameTaken(let name):
            return "name: an endpoint named \"\(name)\" already exists; choose another name or remove that endpoint first"
        case .invalidValue(let field, let value, let problem):
            return "\(field): \"\(value)\" \(problem)"
        case .invalidJSON(let field, let problem):
            return "\(field): \(problem)"
        case .endpointNotFound(let reference):
            return "endpoint \"\(reference)\": no endpoint has this name or instance ID; list endpoints to see what exists"
        case .endpointHasUnfinishedInstall(let endpoint, let jobID):
            return "endpoint \"\(endpoint)\": install job \(jobID) did not finish; recover or finish it before removing the endpoint"
        case .credentialStoreNameTaken(let name):
            return "credential store \"\(name)\": already exists; choose another name or update the existing store"
        case .credentialStoreNotFound(let name):
            return "credential store \"\(name)\": does not exist; list credential stores to see what exists"
        case .unknownCredentialStore(let field, let store):
            return "\(field): credential store \"\(store)\" does not exist; add the store first or use \"default\""
        case .defaultStoreIsBuiltIn(let operation):
            return "credential store \"default\": is built in and always local; it cannot be \(operation)"
        case .credentialStoreInUse(let store, let endpoints):
            return "credential store \"\(store)\": still used by endpoint(s) \(endpoints.joined(separator: ", ")); "
                + "move their credentials to another store or remove them first"
        case .installJobNotFound(let jobID):
            return "install job \(jobID): not in the install journal; it was never begun here"
        case .installJobFinished(let jobID):
            return "install job \(jobID): already finished; begin a new job instead"
        case .installJobIDTaken(let jobID):
            return "install job \(jobID): already in the install journal; use a new job ID"
        case .fenced(let jobID, let token, let current):
            return "job \(jobID): lost its lease on the endpoint (fencing token \(token), now \(current)); "
                + "another job took the endpoint over, so this job's writes are refused"
        case .installJobLeased(let jobID, let owner, let until):
            return "install job \(jobID): still leased by \(owner) until \(ISO8601DateFormatter().string(from: until)); "
                + "it may still be running, so it is not recovered"
        case .endpointBusy(let endpoint, let lease):
            let time = ISO8601DateFormatter()
            return "endpoint busy: job \(lease.jobID) (\(lease.kind)) by PID \(lease.owner.pid) on \(lease.owner.host) "
                + "since \(time.string(from: lease.acquiredAt)) holds '\(endpoint)'; its lease runs until "
                + "\(time.string(from: lease.expiresAt)) unless renewed"
        case .databaseFromNewerVersion(let path, let unknown):
            return "\(path): was written by a newer og-host (unknown schema migrations: \(unknown.joined(separator: ", "))); "
                + "upgrade og-host or point field `data-dir` elsewhere"
        case .certificateNotFound(let name):
            return "certificate \"\(name)\": no managed certificate has this name; list them with og-host cert list"
        case .certificateBound(let certificate, let bindings):
            return "certificate \"\(certificate)\": is bound to \(bindings.joined(separator: ", ")); unbind it from "
                + "each first (og-host cert unbind \(certificate) field `endpoint` EP) or remove those endpoints"
        case .database(let path, let message):
            return "\(path): \(message)"
        case .noDataDirectory(let uid):
            return "data directory: uid \(uid) has no home directory and XDG_STATE_HOME is not set; "
                + "pass field `data-dir` or set OG_DATA_DIR"
        case .notADirectory(let path):
            return "\(path): exists but is not a directory; move it away or pass another field `data-dir`"
        case .renewalClaimLost(let lineage):
            return "certificate '\(lineage)': this renewal's claim expired and another og-host took the certificate over; "
                + "its result is not recorded here"
        }
    }
}
