import Foundation
import OGConnections
import OGMaterial
import OGPlugins

/// Turns a plugin's planned file changes into the bytes the host will write:
/// the plugin names a content kind, the host supplies key and certificates.
struct PlanContents {
    let material: InstallMaterial
    let session: EndpointSession

    struct RenderedChange {
        let change: FileChangeInfo
        let bytes: [UInt8]
        /// The file as it is now, or nil when it does not exist yet.
        let previous: [UInt8]?
        let previousMode: UInt32?
        /// Mode for the written file: the existing file's, else the plan's, else a safe default.
        var mode: UInt32 {
            if let previousMode { return previousMode }
            if change.mode != 0 { return change.mode }
            return change.carriesPrivateKey ? 0o600 : 0o644
        }
    }

    func render(_ change: FileChangeInfo) throws -> RenderedChange {
        // Inside the job's `rememberingReads`, the plan's own reads of this file answer these two.
        let status = try mapped(change.path) { try session.fileStatus(change.path) }
        switch status.type {
        case .missing:
            if change.mustExist { throw GatewayError("\(change.path) does not exist on endpoint '\(session.endpoint.name)'; it must exist before an install") }
        case .regular:
            break
        case .symlink:
            throw GatewayError("\(change.path) is a symbolic link; refusing to replace it (give the real path)")
        default:
            throw GatewayError("\(change.path) is not a regular file on endpoint '\(session.endpoint.name)'")
        }
        let previous = status.type == .missing ? nil : try mapped(change.path) { try session.fileContents(change.path) }
        let leafPEM = Array(material.leaf.pem.utf8)
        let chainPEM = material.intermediates.flatMap { Array($0.pem.utf8) }
        let bytes: [UInt8]
        switch change.content {
        case .literal(let literal): bytes = literal
        case .certificatePEM: bytes = leafPEM
        case .chainPEM: bytes = chainPEM
        case .fullChainPEM: bytes = leafPEM + chainPEM
        case .privateKeyPEM: bytes = Array(try material.key.pkcs8PEM().utf8)
        case .keyAndFullChainPEM: bytes = Array(try material.key.pkcs8PEM().utf8) + leafPEM + chainPEM
        case .keystore(let format, let alias, let passwordOption):
            bytes = try keystore(format: format, alias: alias, passwordOption: passwordOption, legacy: change.legacyPBE,
                                 existing: previous, path: change.path)
        }
        return RenderedChange(change: change, bytes: bytes, previous: previous,
                              previousMode: status.type == .missing ? nil : status.mode)
    }

    private func keystore(format: KeystoreFormat, alias: String, passwordOption: String, legacy: Bool,
                          existing: [UInt8]?, path: String) throws -> [UInt8] {
        guard let password = session.secretOptions[passwordOption] else {
            throw GatewayError("the plan refers to option '\(passwordOption)' for the keystore password, but endpoint '\(session.endpoint.name)' has no such secret")
        }
        let secret = Array(password.utf8)
        let chain = [material.leaf] + material.intermediates
        do {
            // The plugin's plan has usually listed `existing` already: the session's cache decoded it then.
            let decoded = try existing.map { try session.keystores.decode(format, $0, password: secret) }
            let merged: KeystoreDecodeCache.Store
            let encoded: [UInt8]
            switch format {
            case .pkcs12:
                var base = PKCS12Store()
                if case .pkcs12(let store)? = decoded { base = store }
                let updated = try base.upserting(alias: alias, key: material.key, chain: chain)
                (merged, encoded) = (.pkcs12(updated), try updated.encode(password: secret, legacy: legacy))
            case .jks:
                var base = JKSStore()
                if case .jks(let store)? = decoded { base = store }
                let updated = try base.upserting(alias: alias, key: material.key, chain: chain)
                (merged, encoded) = (.jks(updated), try updated.encode(password: secret))
            }
            session.keystores.remember(merged, encoded: encoded, format: format, password: secret)
            return encoded
        } catch MaterialError.wrongKeystorePassword {
            throw GatewayError.option(passwordOption, "does not open \(path) (wrong password); nothing was changed")
        } catch MaterialError.damagedKeystore(_, let reason) {
            throw GatewayError("\(path) is not a readable keystore (\(reason)); nothing was changed")
        }
    }

    private func mapped<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ConnectionError {
            throw GatewayError("endpoint '\(session.endpoint.name)': \(error)")
        }
    }
}
