/// Named configurations of docs/errorprop.md. The model's defaults are `readoutOnly(.sparse)`;
/// `hiddenLearning` adds the propagated error to the hidden layer with this
/// implementation's stability resolution (decaying learning-rate bias).
public enum ErrorPropPreset {
    /// docs/errorprop.md "Architecture and learning rule" defaults: `η_o = 0.001`, `η_h = 0`, constant rates.
    public static func readoutOnly(
        wiring: InputWiring = .sparse, seed: UInt64 = ErrorPropRandom.defaultMasterSeed
    )
        -> ErrorPropConfiguration
    {
        var c = ErrorPropConfiguration()
        c.masterSeed = seed
        c.network.inputWiring = wiring
        return c
    }

    /// Hidden learning on (`η_h > 0`) with the learning-rate half-life that makes the final
    /// accuracy stable (docs/errorprop.md, "Resolution").
    public static func hiddenLearning(
        wiring: InputWiring = .sparse, seed: UInt64 = ErrorPropRandom.defaultMasterSeed
    )
        -> ErrorPropConfiguration
    {
        var c = ErrorPropConfiguration()
        c.masterSeed = seed
        c.network.inputWiring = wiring
        switch wiring {
        case .sparse:
            // docs/errorprop.md "Results" variant (η_o = 0.004, η_h = 0.001) plus the decaying rate.
            c.training.outputRate = 0.004
            c.training.hiddenRate = 0.001
            c.training.learningRateHalfLife = 8
        case .dense:
            // Weak dense wiring gives weak hidden errors (κ_fb·W_out ≈ 0.2 of 500 pA against
            // a 60 pA dead zone): a larger feedback gain makes the hidden error pairs fire.
            // A 100 ms hidden trace lets the output update see the recent hidden spike
            // counts, not only the spikes just before each (teacher-locked) error spike.
            c.training.outputRate = 0.002
            c.training.hiddenRate = 0.002
            c.network.feedbackScale = 4
            c.network.hiddenTraceTimeConstant = 0.1
            c.training.learningRateHalfLife = 7
        }
        return c
    }

    /// `--quick`: fewer epochs and no training-set evaluation (the half-life is scaled so
    /// the rates decay as far as in the full run).
    public static func quick(_ base: ErrorPropConfiguration, epochs: Int = 12)
        -> ErrorPropConfiguration
    {
        var c = base
        let full = c.training.epochs
        c.training.epochs = epochs
        c.training.evaluateTrainSet = false
        if c.training.learningRateHalfLife > 0 {
            c.training.learningRateHalfLife *= Double(epochs) / Double(full)
        }
        return c
    }
}
