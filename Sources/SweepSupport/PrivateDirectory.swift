import Foundation

/// A directory of this user's in the shared temporary directory (`$TMPDIR/NAME-UID`), that
/// no other user can read or write: mode 0700 and owned by this user.
///
/// The name is predictable: another user may make it first (world-writable, or a link to a
/// folder of ours), then read what goes in, or have us write and delete through their
/// links. So the directory is used only when it is ours (made private again if it is ours
/// but open: folders made before this rule were 0755); else a fresh one is made beside it.
public enum PrivateDirectory {
    /// `$TMPDIR/NAME-UID` when it is this user's alone, else a fresh `$TMPDIR/NAME-XXXXXX`.
    public static func inTemporary(_ name: String) -> String {
        let temporary = TemporaryFolder.path
        let base = "\(temporary)/\(name)-\(getuid())"
        _ = mkdir(base, 0o700)
        var info = stat()
        if lstat(base, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() {
            if info.st_mode & 0o077 != 0 { _ = chmod(base, 0o700) }
            if stat(base, &info) == 0, info.st_mode & 0o077 == 0 { return base }
        }
        var template = Array("\(temporary)/\(name)-XXXXXX".utf8CString)
        return mkdtemp(&template).map { String(cString: $0) } ?? base
    }
}
