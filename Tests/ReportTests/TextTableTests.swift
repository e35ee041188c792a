import Testing
@testable import SweepCLI

/// Tables line up on a terminal whatever the script of their cells: CJK characters and
/// emoji take two columns (columns of Japanese values were padded by character count and
/// drifted), combining marks none.
struct TextTableTests {
    @Test func wideCharactersTakeTwoColumns() {
        #expect(TerminalWidth.of("abc") == 3)
        #expect(TerminalWidth.of("損失") == 4)
        #expect(TerminalWidth.of("🔥x") == 3)
        #expect(TerminalWidth.of("e\u{301}") == 1) // e + combining acute: one character
        #expect(TerminalWidth.of("ｱ") == 1 && TerminalWidth.of("Ａ") == 2) // half- and fullwidth forms
        #expect(TerminalWidth.prefix("犬猫鳥魚", columns: 5) == "犬猫" && TerminalWidth.prefix("abc", columns: 5) == "abc")
    }

    /// The live display cuts each line to the window's columns, not its characters: a line
    /// of CJK values cut at 45 characters took 57 columns, wrapped, and the refresh then
    /// wrote over the wrong rows.
    @Test func liveLinesAreCutToTerminalColumns() {
        let line = "best: #3 0.125 lr=0.01 tag=" + String(repeating: "損", count: 30)
        let fitted = LiveDisplay.fit([line, "short"], columns: 45, rows: 24)
        #expect(TerminalWidth.of(fitted[0]) <= 44 && fitted[0].hasSuffix("~"), "\(fitted[0])")
        #expect(fitted[0].hasPrefix("best: #3 0.125 lr=0.01 tag=損"))
        #expect(fitted[1] == "short")
    }

    /// On a narrow terminal the progress bar gives up columns before the counts after it are
    /// cut (at 30 columns the 26-column bar left "12/4" of "12/40 trials").
    @Test func aNarrowTerminalNarrowsTheProgressBarFirst() {
        let line = "  \(progressBar(0.5)) 20/40 trials"
        let fitted = LiveDisplay.fit([line], columns: 30, rows: 24)[0]
        #expect(fitted.hasSuffix("] 20/40 trials") && TerminalWidth.of(fitted) <= 29 && fitted.contains("=>"), "\(fitted)")
        // Wide enough: unchanged. Too narrow even at the smallest bar: cut as other lines.
        #expect(LiveDisplay.fit([line], columns: 80, rows: 24)[0] == line)
        let tiny = LiveDisplay.fit([line], columns: 12, rows: 24)[0]
        #expect(tiny.hasPrefix("  [") && tiny.hasSuffix("~") && TerminalWidth.of(tiny) <= 11, "\(tiny)")
    }

    /// The headline keeps its phase tag and counts on a narrow terminal: the bar goes
    /// first, then the middle of the study's name (at 30 columns `[RUNNING]` was cut off).
    @Test func aNarrowTerminalKeepsTheHeadlinesPhase() {
        let line = "quickstart \(progressBar(0.25)) 5/20 trials  [RUNNING]"
        #expect(LiveDisplay.fit([line], columns: 80, rows: 24)[0] == line)
        let withoutBar = LiveDisplay.fit([line], columns: 36, rows: 24)[0]
        #expect(withoutBar == "quickstart 5/20 trials  [RUNNING]", "\(withoutBar)")
        let narrow = LiveDisplay.fit([line], columns: 30, rows: 24)[0]
        #expect(narrow.hasSuffix(" 5/20 trials  [RUNNING]") && narrow.hasPrefix("qui") && narrow.contains("~")
                && TerminalWidth.of(narrow) <= 29, "\(narrow)")
        // A line without a phase tag is cut at its end as before.
        #expect(LiveDisplay.keepingPhase(in: "  done 3  pruned 1  running 2  failed 0", to: 20) == "  done 3  pruned 1  running 2  failed 0")
    }

    /// `predict` cuts long class names inside; names alike but in the middle end in their
    /// class number, so that no two print the same.
    @Test func longClassNamesStayApart() {
        let x = String(repeating: "x", count: 30), y = String(repeating: "y", count: 30)
        #expect(PredictionReport.distinctCuts(["a" + x + "1" + y, "a" + x + "2" + y, "short"], columns: 40)
                == ["a" + x + "1yyyyy~#0", "a" + x + "2yyyyy~#1", "short"])
        #expect(PredictionReport.distinctCuts([x + x + "_0", x + x + "_1"], columns: 40) == [String(repeating: "x", count: 26) + "~" + String(repeating: "x", count: 11) + "_0",
                                                                                            String(repeating: "x", count: 26) + "~" + String(repeating: "x", count: 11) + "_1"])
    }

    @Test func columnsAfterWideCellsLineUp() {
        var table = TextTable(["name", "value", "note"])
        table.add(["損失", "0.5", "a"])
        table.add(["loss", "0.25", "b"])
        table.add(["🔥", "1", "c"])
        let lines = table.render().split(separator: "\n").map(String.init)
        // Where each row's last column starts, in terminal columns.
        let starts = lines.enumerated().map { i, line in TerminalWidth.of(String(line.dropLast(i < 2 ? 4 : 1))) }
        #expect(Set(starts).count == 1, "\(lines)")
    }

    /// Numbers are right-aligned; the words `nan` and `inf`, which `Double` also reads, are
    /// text (a text choice `nan` stood right-aligned like a number).
    @Test func onlyNumbersWrittenWithDigitsAreRightAligned() {
        var table = TextTable(["v"])
        for cell in ["12.5", "nan", "inf", "-3", "50%", "none"] { table.add([cell]) }
        let lines = table.render().split(separator: "\n").map(String.init).dropFirst(2)
        #expect(Array(lines) == ["12.5", "nan", "inf", "  -3", " 50%", "none"])
    }
}

/// `sweep train` prints a metric with four decimals in the usual range, and four significant
/// digits outside it: a regression's error in small units printed `test_rmse 0.0000`, one in
/// large units twenty digits.
struct EpochTextTests {
    @Test func metricsOutsideTheUsualRangeKeepTheirDigits() {
        #expect(EpochText.metric(0.93125) == "0.9313" && EpochText.metric(0) == "0.0000" && EpochText.metric(1234.5) == "1234.5000")
        #expect(EpochText.metric(5.78992e-07) == "5.79e-07")
        #expect(EpochText.metric(48112991388726657024) == "4.811e+19")
        #expect(EpochText.test(["rmse": 5.78992e-07, "r2": 0.5]) == "test_r2 0.5000  test_rmse 5.79e-07")
    }
}

/// Parameter columns never share a header with a fixed column or with each other (a
/// parameter `value` and one `param_value` gave two `param_value` columns).
struct ParameterHeaderTests {
    @Test func headersAreUnique() {
        let fixed = ["number", "state", "value", "epochs"]
        let names = ["value", "state", "x", "param_value", "param_epochs", "epochs"]
        let headers = TrialListing.paramHeaders(names, besides: fixed)
        #expect(headers == ["param_param_value", "param_state", "x", "param_value", "param_epochs", "param_param_epochs"], "\(headers)")
        #expect(Set(fixed + headers).count == fixed.count + headers.count)
    }
}
