import Foundation
import OGConnections
import OGInventory
import OGIssuance

/// Answers http-01 through an endpoint og-host manages: the key authorization
/// is written to `<webroot>/.well-known/acme-challenge/<token>` over the
/// endpoint's own connection (local, SSH, …) and removed afterwards, with the
/// directories this solver had to create. The web server serves it as a static file.
final class HTTP01EndpointSolver: ChallengeSolver {
    let challengeType = "http-01"
    let endpointName: String
    let webroot: String
    private let session: EndpointSession
    /// Directories created for the challenge, deepest first, to remove when empty. Persisted
    /// through `remember` so a run resuming after a crash still removes them.
    private var createdDirectories: [String]
    private let remember: ([String]) throws -> Void

    init(endpoint: EndpointRecord, webroot: String, gateway: Gateway, createdDirectories: [String] = [],
         remember: @escaping ([String]) throws -> Void = { _ in }) throws {
        guard webroot.hasPrefix("/"), !webroot.split(separator: "/").contains("..") else {
            throw GatewayError.option("webroot", "'\(webroot)' is not an absolute path without '..'; give the document "
                                      + "root the endpoint serves http://NAME/ from")
        }
        endpointName = endpoint.name
        self.webroot = webroot.count > 1 && webroot.hasSuffix("/") ? String(webroot.dropLast()) : webroot
        session = try EndpointSession.open(endpoint, gateway: gateway)
        self.createdDirectories = createdDirectories
        self.remember = remember
    }

    private var directory: String { (webroot == "/" ? "" : webroot) + "/.well-known/acme-challenge" }

    func present(identifier: String, token: String, keyAuthorization: String) throws {
        let connection = session.connection
        do {
            guard try connection.stat(webroot).type == .directory else {
                throw IssuanceError.challenge(identifier: identifier, type: challengeType,
                                              reason: "field `webroot` \(webroot) is not a directory on endpoint '\(endpointName)'")
            }
            var missing: [String] = []
            for path in [webroot + "/.well-known", directory].map({ $0.replacingOccurrences(of: "//", with: "/") })
            where try connection.stat(path).type == .missing {
                missing.append(path)
            }
            if !missing.isEmpty {
                for path in missing.reversed() where !createdDirectories.contains(path) { createdDirectories.append(path) }
                try remember(createdDirectories)
                try connection.makeDirectory(directory, mode: 0o755)
            }
            try connection.writeFileAtomically(directory + "/" + token, contents: Array(keyAuthorization.utf8), mode: 0o644)
        } catch let error as ConnectionError {
            throw IssuanceError.challenge(identifier: identifier, type: challengeType,
                                          reason: "writing the response under \(webroot) on endpoint '\(endpointName)': \(error)")
        }
    }

    func cleanUp(identifier: String, token: String, keyAuthorization: String) -> String? {
        let path = directory + "/" + token
        do {
            if try session.connection.stat(path).type != .missing { try session.connection.remove(path) }
            for created in createdDirectories where (try? session.connection.listDirectory(created).isEmpty) == true {
                try session.connection.remove(created)
            }
            createdDirectories = []
            try remember([])
            return nil
        } catch {
            return "could not remove \(path) on endpoint '\(endpointName)': \(error); remove it by hand"
        }
    }
}
