import Testing
@testable import Cluster

/// A progress bar's frames (`\r`-rewritten lines) keep only the last one in the output tail
/// a failed trial stores: tqdm's frames filled it and crowded out the traceback.
struct OverwrittenLinesTests {
    func collapsed(_ text: String, final: Bool) -> String {
        String(decoding: OverwrittenLines.collapsed(Array(text.utf8), final: final), as: UTF8.self)
    }

    @Test func finishedLinesKeepTheirLastFrame() {
        #expect(collapsed("start\n 10%|#\r 20%|##\r 30%|###\nTraceback (most recent call last):\n", final: true)
                == "start\n 30%|###\nTraceback (most recent call last):\n")
        #expect(collapsed("windows line\r\nnext\r\n", final: true) == "windows line\r\nnext\r\n")
        #expect(collapsed("10%\r20%\r\n", final: true) == "20%\r\n")
        #expect(collapsed("no returns at all\n", final: false) == "no returns at all\n")
        // A bar the traceback ran into (tqdm ends no line before a crash): its last frame.
        #expect(collapsed("\rEval: 71%\rEval: 72%Traceback\n", final: true) == "Eval: 72%Traceback\n")
    }

    @Test func theLineStillBeingWrittenKeepsItsLastFrameUntilItEnds() {
        #expect(collapsed("a\n\r10%\r20%", final: false) == "a\n\r20%")
        #expect(collapsed("a\n\r10%\r20%\r", final: false) == "a\n\r20%\r")
        // Its next piece then comes after that frame, as on a terminal.
        #expect(collapsed(collapsed("a\n\r10%\r20%\r", final: false) + "30%\n", final: false) == "a\n30%\n")
        #expect(collapsed("a\n\r10%\r20%\r", final: true) == "a\n20%\r")
    }
}
