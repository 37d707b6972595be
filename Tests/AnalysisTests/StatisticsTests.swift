import Analysis
import Foundation
import Testing

@Suite struct StatisticsTests {
    @Test func quantilesInterpolateAsNumpyDoes() {
        // numpy.quantile([1, 2, 3, 4, 10], [.25, .5, .75]) == [2, 3, 4]
        #expect(SampleStatistics.quantile([1, 2, 3, 4, 10], 0.25) == 2)
        #expect(SampleStatistics.quantile([10, 4, 3, 2, 1], 0.5) == 3)
        #expect(SampleStatistics.quantile([1, 2, 3, 4, 10], 0.75) == 4)
        // numpy.quantile([3, 1, 2, 9], [.25, .75]) == [1.75, 4.5]
        #expect(SampleStatistics.quantile([3, 1, 2, 9], 0.25) == 1.75)
        #expect(SampleStatistics.quantile([3, 1, 2, 9], 0.75) == 4.5)
        #expect(SampleStatistics.quantile([], 0.5) == nil)
    }

    @Test func mannWhitneyMatchesScipy() {
        // scipy.stats.mannwhitneyu(..., alternative='two-sided', method='exact')
        let separated = SampleStatistics.mannWhitneyP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        #expect(abs(separated - 0.007936507936507936) < 1e-12)
        #expect(separated < 0.01, "5 against 5, fully separated, is significant at 0.01")
        let mixed = SampleStatistics.mannWhitneyP([1.1, 2.2, 3.3, 4.4], [2.5, 3.5, 5.5, 6.5, 7.5])
        #expect(abs(mixed - 0.1111111111111111) < 1e-12)
        // With ties: method='asymptotic', use_continuity=True.
        let tied = SampleStatistics.mannWhitneyP([1, 2, 2, 3, 4, 5], [3, 4, 4, 5, 6, 7])
        #expect(abs(tied - 0.06226112073422297) < 1e-9)
        // Symmetric in its arguments, and 1 for identical samples.
        #expect(SampleStatistics.mannWhitneyP([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) == separated)
        #expect(SampleStatistics.mannWhitneyP([5, 5, 5], [5, 5, 5]) == 1)
    }

    @Test func bootstrapIntervalsAreReproducibleAndHoldTheMedian() throws {
        let values: [Double] = [101, 97, 103, 99, 100, 98, 150]
        let a = try #require(SampleStatistics.medianInterval(values, seed: 42))
        let b = try #require(SampleStatistics.medianInterval(values, seed: 42))
        #expect(a.low == b.low && a.high == b.high)
        #expect(a.low <= 100 && 100 <= a.high)
        #expect(a.low >= 97 && a.high <= 150)
        let r = try #require(SampleStatistics.ratioInterval([200, 202, 198, 201, 199], [100, 101, 99, 100, 100], seed: 7))
        #expect(r.low > 1.9 && r.high < 2.1, "ratio interval \(r)")
    }
}
