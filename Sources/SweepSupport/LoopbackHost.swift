/// Which host names and addresses reach only this machine.
public enum LoopbackHost {
    /// Whether `host` (no port, no brackets) is `localhost`, `::1` or an IPv4 address of
    /// 127.0.0.0/8 written out in full. A name that merely starts with `127.`
    /// (`127.evil.com`) is not: DNS decides where it points, so a listener on it may face
    /// the network.
    ///
    /// ```swift
    /// LoopbackHost.contains("127.0.0.2")     // true
    /// LoopbackHost.contains("127.evil.com")  // false
    /// ```
    public static func contains(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
