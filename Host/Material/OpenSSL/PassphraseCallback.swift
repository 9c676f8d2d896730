import COpenSSL

/// Hands a passphrase to OpenSSL through its PEM password callback, and
/// records whether OpenSSL asked for one at all (it asks only for encrypted
/// input). Without a callback OpenSSL would prompt on the terminal.
final class PassphraseSupply {
    typealias Callback = @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32

    let passphrase: [UInt8]?
    private(set) var wasAsked = false

    init(_ passphrase: [UInt8]?) { self.passphrase = passphrase }

    /// Runs `body` with a callback and its context pointer for OpenSSL's `pem_password_cb` slots.
    func withCallback<T>(_ body: (Callback, UnsafeMutableRawPointer) throws -> T) rethrows -> T {
        try withExtendedLifetime(self) {
            try body(supplyPassphrase, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    fileprivate func fill(_ buffer: UnsafeMutablePointer<CChar>, capacity: Int32) -> Int32 {
        wasAsked = true
        guard let passphrase, passphrase.count <= Int(capacity) else { return -1 }
        passphrase.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.update(from: base.assumingMemoryBound(to: CChar.self), count: raw.count) }
        }
        return Int32(passphrase.count)
    }
}

private func supplyPassphrase(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int32, _ writing: Int32,
                              _ context: UnsafeMutableRawPointer?) -> Int32 {
    guard let buffer, let context else { return -1 }
    return Unmanaged<PassphraseSupply>.fromOpaque(context).takeUnretainedValue().fill(buffer, capacity: capacity)
}
