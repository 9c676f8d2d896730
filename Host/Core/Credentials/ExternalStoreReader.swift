import Foundation
import OGBasics
import OGConnections
import OGCredentials
import OGInventory
import OGMaterial

/// Fetches credentials from the HashiCorp Vault and CyberArk stores the
/// inventory configures, at the moment a job needs them.
struct ExternalStoreReader {
    let gateway: Gateway
    var cache: VaultTokenCache = .shared

    func credential(store record: CredentialStoreRecord, id: String) throws -> Credential {
        switch record.kind {
        case .hashicorp:
            return try external { try vaultClient(record.name, settings: Self.decode(VaultSettings.self, record)).credential(id: id) }
        case .cyberark:
            return try external { try cyberArkClient(record.name, settings: Self.decode(CyberArkSettings.self, record)).credential(id: id) }
        case .local:
            return try external {
                try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath).store(named: record.name).credential(id: id)
            }
        }
    }

    func vaultClient(_ store: String, settings: VaultSettings, storedSecret: Secret? = nil) throws -> VaultClient {
        let secret = try storedSecret ?? StoreSettingSecrets(gateway: gateway).read(settings.secretCredentialID)
        return VaultClient(storeName: store, settings: settings, storedSecret: secret,
                           send: try StoreTransport.send(gateway: gateway), cache: cache)
    }

    func cyberArkClient(_ store: String, settings: CyberArkSettings, certificatePassword: Secret? = nil) throws -> CyberArkClient {
        var identity: HTTPClientIdentity?
        if let path = settings.authCertPath {
            let password = try certificatePassword ?? StoreSettingSecrets(gateway: gateway).read(settings.certPassCredentialID)
            identity = try Self.clientIdentity(store: store, p12Path: path, password: password ?? Secret(""))
        }
        return CyberArkClient(storeName: store, settings: settings,
                              send: try StoreTransport.send(gateway: gateway, clientIdentity: identity))
    }

    /// The certificate and key of the `.p12`, decoded in memory: the key
    /// reaches libcurl as a PEM blob and is never written anywhere.
    static func clientIdentity(store: String, p12Path: String, password: Secret) throws -> HTTPClientIdentity {
        let bytes: [UInt8]
        do {
            bytes = try LocalFiles.read(p12Path, limit: .material)
        } catch {
            throw GatewayError("credential store '\(store)': field `authcert` \(error); check that it exists and og-host may read it")
        }
        do {
            let keystore = try password.withUnsafeBytes { try PKCS12Store.decode(Array(bytes), password: Array($0)) }
            guard let entry = keystore.entries.first(where: \.isPrivateKeyEntry), let key = entry.privateKey, !entry.chain.isEmpty else {
                throw GatewayError("credential store '\(store)': field `authcert` \(p12Path) holds no private key with its certificate; "
                                   + "export the client certificate together with its key")
            }
            return HTTPClientIdentity(certificatePEM: entry.chain.map(\.pem).joined(separator: "\n"), privateKeyPEM: try key.pkcs8PEM())
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError("credential store '\(store)': field `authcert` \(p12Path): \(error)")
        }
    }

    static func decode<Settings: Decodable>(_ type: Settings.Type, _ record: CredentialStoreRecord) throws -> Settings {
        do {
            return try JSONDecoder().decode(type, from: Data(record.settings.utf8))
        } catch {
            throw GatewayError("credential store '\(record.name)': its settings are not readable as \(record.kind.rawValue) settings "
                               + "(\(error)); update the store with `og-host credstore update \(record.kind.rawValue) field `storename` \(record.name) …`")
        }
    }

    private func external<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError("\(error)")
        }
    }
}
