// Bounds on `synfire nbp train`'s numbers, checked before any data loads
// (docs/robustness.md): every count that sizes memory or a loop is refused with the number
// and the fix instead of crashing or running until killed.

extension NBPTrainOptions {
    /// Epochs of one run: metrics.jsonl, the learning curve and the in-memory history keep
    /// one record per epoch. 40 epochs reach the paper's figures.
    public static let maximumEpochs = 1_000_000
    /// The He-normal scale is a multiplier of the paper's standard deviation; beyond this
    /// every initial weight is clipped to the chip's range.
    public static let maximumInitScale = 100.0

    /// Checks every number of the options; throws the first problem.
    public func validate() throws(NBPError) {
        guard (1...NBPTrainOptions.maximumEpochs).contains(epochs) else {
            throw .invalidOption(
                "--epochs \(epochs) is outside 1...\(NBPTrainOptions.maximumEpochs) (one metrics record per epoch; "
                    + "docs/robustness.md) — give the number of epochs to train")
        }
        if let limit, limit < 1 {
            throw .invalidOption("--limit \(limit) is not positive — give the number of images to use, or omit it")
        }
        if let hidden {
            guard (1...NBPSizes.maximum.hidden).contains(hidden) else {
                throw .invalidOption(
                    "--hidden \(hidden) is outside 1...\(NBPSizes.maximum.hidden) (docs/robustness.md) — "
                        + "the paper uses 400")
            }
        }
        guard (0...256).contains(threshold) else {
            throw .invalidOption("--threshold \(threshold) is outside 0...256 — pixels are 0-255 (the paper uses 129)")
        }
        guard initScale.isFinite, initScale > 0, initScale <= NBPTrainOptions.maximumInitScale else {
            throw .invalidOption(
                "--init-scale \(initScale) must be a finite number in (0, \(Int(NBPTrainOptions.maximumInitScale))] — "
                    + "1 is the paper's He-normal initialisation, 0.5 the margin presets'")
        }
        let schedule = self.schedule
        for (name, value) in [("--decay-after", schedule.constantEpochs), ("--decay-every", schedule.halvingEvery)]
        where value < 0 || value > NBPTrainOptions.maximumEpochs {
            throw .invalidOption("\(name) \(value) is outside 0...\(NBPTrainOptions.maximumEpochs) (epochs)")
        }
        guard (0...16).contains(schedule.maximumExponent) else {
            throw .invalidOption(
                "--decay-max \(schedule.maximumExponent) is outside 0...16 — p = 2^-N over the engine's 16-bit numerator"
            )
        }
    }

    /// Refuses imported weights whose hidden layer differs from an explicit `--hidden`.
    func checkImportedSizes(_ sizes: NBPSizes, from path: String) throws(NBPError) {
        if let hidden, hidden != sizes.hidden {
            throw .badWeightFile(
                path: path,
                reason: "its weights have \(sizes.hidden) hidden units but --hidden \(hidden) was given — "
                    + "omit --hidden (the file sets the size) or export weights with \(hidden) hidden units")
        }
    }
}
