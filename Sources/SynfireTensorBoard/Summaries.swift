// Events TensorBoard shows: scalars (the Scalars tab), histograms (Histograms and
// Distributions) and PNG images (Images), each at a step (Synfire: the epoch).
//
// API
//   TBEvent.scalars([("test/exact", 0.93), ("train/exact", 0.95)], step: 3)
//   TBEvent.histogram(tag: "weights/W1", values: [Double], step: 3)
//   TBEvent.image(tag: "plots/receptive-fields", png: bytes, width: 1100, height: 640, step: 3)
//   TBHistogramProto(values:, bucketCount: 30)

import Foundation

extension TBEvent {
    public static func scalars(_ values: [(tag: String, value: Double)], step: Int64, wallTime: Double? = nil)
        -> TBEvent
    {
        summary(step: step, wallTime: wallTime) {
            $0.value = values.map { item in
                var value = TBSummary.Value()
                value.tag = item.tag
                value.simpleValue = Float(item.value)
                return value
            }
        }
    }

    public static func histogram(tag: String, values: [Double], step: Int64, wallTime: Double? = nil) -> TBEvent {
        summary(step: step, wallTime: wallTime) {
            var value = TBSummary.Value()
            value.tag = tag
            value.histo = TBHistogramProto(values: values)
            $0.value = [value]
        }
    }

    public static func image(
        tag: String, png: [UInt8], width: Int, height: Int, step: Int64, wallTime: Double? = nil
    ) -> TBEvent {
        summary(step: step, wallTime: wallTime) {
            var image = TBSummary.Image()
            image.width = Int32(width)
            image.height = Int32(height)
            image.colorspace = 3
            image.encodedImageString = Data(png)
            var value = TBSummary.Value()
            value.tag = tag
            value.image = image
            $0.value = [value]
        }
    }

    private static func summary(step: Int64, wallTime: Double?, _ fill: (inout TBSummary) -> Void) -> TBEvent {
        var event = TBEvent()
        event.step = step
        event.wallTime = wallTime ?? Date().timeIntervalSince1970
        var summary = TBSummary()
        fill(&summary)
        event.summary = summary
        return event
    }
}

extension TBHistogramProto {
    /// `bucketCount` equal buckets from the smallest to the largest finite value (one
    /// bucket when all are equal); non-finite values are left out.
    public init(values: [Double], bucketCount: Int = 30) {
        self.init()
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return }
        min = lo
        max = hi
        num = Double(finite.count)
        sum = finite.reduce(0, +)
        sumSquares = finite.reduce(0) { $0 + $1 * $1 }
        let buckets = hi > lo ? Swift.max(1, bucketCount) : 1
        let width = (hi - lo) / Double(buckets)
        bucketLimit = (1...buckets).map { $0 == buckets ? hi : lo + Double($0) * width }
        var counts = [Double](repeating: 0, count: buckets)
        for v in finite {
            // Bucket i holds (limit[i-1], limit[i]]: the ceiling of the offset, less one.
            let i = width > 0 ? Int(((v - lo) / width).rounded(.up)) - 1 : 0
            counts[Swift.min(buckets - 1, Swift.max(0, i))] += 1
        }
        bucket = counts
    }
}
