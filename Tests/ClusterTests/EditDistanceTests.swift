import SweepSupport
import Testing

/// The "did you mean" of commands, keys and columns: a swap of two letters is one edit.
struct EditDistanceTests {
    @Test func aSwapOfNeighboursIsOneEdit() {
        #expect(editDistance("lerning_rate", "learning_rate") == 1)
        #expect(editDistance("trails", "trials") == 1)
        #expect(editDistance("trails", "train") == 2)
        #expect(editDistance("", "abc") == 3 && editDistance("abc", "abc") == 0 && editDistance("ab", "ba") == 1)
        // `sweep trails` meant `trials`, not `train`.
        #expect(closestName(to: "trails", in: ["train", "trials", "best", "show"]) == "trials")
    }
}
