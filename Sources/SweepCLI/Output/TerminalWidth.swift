/// How many terminal columns text takes: a CJK character or an emoji takes two, a
/// character with combining marks one. Tables pad by it, so that columns of Japanese
/// parameter values or emoji metric names line up.
enum TerminalWidth {
    /// The columns `text` takes on a terminal.
    static func of(_ text: String) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// `text` and spaces up to `columns` terminal columns, and at least one space after it.
    static func padded(_ text: String, to columns: Int) -> String {
        let used = of(text)
        return text + String(repeating: " ", count: used >= columns ? 1 : columns - used)
    }

    /// The longest start of `text` that fits in `columns` terminal columns.
    static func prefix(_ text: String, columns: Int) -> String {
        var used = 0
        return String(text.prefix { c in
            used += of(c)
            return used <= columns
        })
    }

    /// `text` if it fits in `columns` terminal columns, else its start and `~` (the mark
    /// the live display cuts lines with).
    static func cut(_ text: String, columns: Int) -> String {
        of(text) <= columns ? text : prefix(text, columns: columns - 1) + "~"
    }

    /// `text` if it fits in `columns`, else its start, `~` and its last columns (up to a
    /// third): names alike in their start (`segment_of_customers_1`, `..._2`) stay apart.
    static func cutInside(_ text: String, columns: Int) -> String {
        guard of(text) > columns else { return text }
        let tailColumns = max(1, columns / 3)
        var used = 0
        let tail = String(text.reversed().prefix { c in
            used += of(c)
            return used <= tailColumns
        }.reversed())
        return prefix(text, columns: columns - 1 - of(tail)) + "~" + tail
    }

    /// The columns one character (a grapheme cluster) takes.
    static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if first.properties.isEmojiPresentation || character.unicodeScalars.contains("\u{FE0F}") { return 2 }
        return isWide(first.value) ? 2 : 1
    }

    /// East Asian Wide and Fullwidth blocks (Unicode's EastAsianWidth W and F, by block;
    /// emoji are told by their presentation, since symbols in their blocks drawn as text,
    /// such as U+1F321, take one column).
    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
