/// The nBP circuit's numbers, in weight units (the chip multiplies a weight by 64,
/// docs/nbp.md "Circuit constants"). The circuit builder (`NBPCircuit`, ChipNetwork.swift),
/// both fast engines and the energy code read them here, so a change to the circuit reaches
/// every computation that mirrors it.
public enum NBPCircuitConstants {
    /// A fixed weight as the chip stores it: `mantissa * 2^exponent` weight units, the
    /// mantissa an 8-bit single-sign value (docs/neurochip.md, "Weights").
    public struct ChipWeight: Sendable, Equatable {
        public var mantissa: Int
        public var exponent: Int

        public init(mantissa: Int, exponent: Int) {
            self.mantissa = mantissa
            self.exponent = exponent
        }

        /// The weight in weight units.
        public var value: Int { mantissa * (1 << exponent) }
        /// The same magnitude with the opposite sign (an inhibitory twin).
        public var negated: ChipWeight { ChipWeight(mantissa: -mantissa, exponent: exponent) }
    }

    /// Bias of every non-gate neuron: it stays silent unless a gate lifts it in its phase.
    public static let bias = -8192
    /// Threshold of every neuron: it fires when its voltage exceeds 64 x 1024.
    public static let threshold = 1024
    /// `1e` (`1i` negated): a one-to-one relay, one spike carries a neuron over its
    /// threshold in a phase its gate opens (520 > 512).
    public static let relay = ChipWeight(mantissa: 130, exponent: 2)
    /// `1ge`: the link from one gate of the chain to the next (9280: fires an unbiased gate).
    public static let chainLink = ChipWeight(mantissa: 145, exponent: 6)
    /// `g` (and `g1`, `g1s`, `g1_d4`): a gate's lift, 8704 = 8192 + 512, so a neuron fires
    /// in its phase when its summed input exceeds 512.
    public static let gate = ChipWeight(mantissa: 136, exponent: 6)
    /// `gm05`: half a threshold more; with `g` (9216) a neuron fires above 0.
    public static let halfLift = ChipWeight(mantissa: 128, exponent: 2)
    /// `gp05`: the bias alone (8192); a neuron fires above 1024.
    public static let biasLift = ChipWeight(mantissa: 128, exponent: 6)
    /// `gi`: a gate's inhibition (-8128), holds a neuron that only a relay would fire.
    public static let inhibition = ChipWeight(mantissa: -127, exponent: 6)
    /// `gi_hidden`: the strongest one-to-all inhibition (-32640), for the clean-up phases
    /// where x's replay delivers the whole hidden sum W1 x (docs/nbp.md, "Circuit deviation").
    public static let hiddenInhibition = ChipWeight(mantissa: -255, exponent: 7)
}

/// How a gated neuron of the circuit fires: in its phase a gate lifts its summed input by a
/// `lift`; it fires when `64 (sum + lift + bias)`, as the chip's 24-bit voltage, exceeds
/// `64 threshold`. Without wrap-around that is `sum > threshold - bias - lift`.
public struct NBPFiringRule: Sendable, Equatable {
    public var bias: Int32
    public var threshold: Int32
    /// h1 and o (`g`): on above 512.
    public var onLift: Int32
    /// h1_copy, o_copy and h1T's backward phases (`g` + `gm05`): on above 0.
    public var minusLift: Int32
    /// h1_copy2 and o_copy2 (`gp05`): on above 1024.
    public var plusLift: Int32

    /// The circuit's rule (`NBPCircuitConstants`).
    public static let circuit = NBPFiringRule(
        bias: Int32(NBPCircuitConstants.bias), threshold: Int32(NBPCircuitConstants.threshold),
        onLift: Int32(NBPCircuitConstants.gate.value),
        minusLift: Int32(NBPCircuitConstants.gate.value + NBPCircuitConstants.halfLift.value),
        plusLift: Int32(NBPCircuitConstants.biasLift.value))

    /// The neuron fires when its sum exceeds this (no wrap-around).
    @inline(__always)
    public func firingSum(lift: Int32) -> Int32 { threshold - bias - lift }

    /// The chip's decision, 24-bit wrap of the voltage included (it matters only for sums
    /// near 2^17, e.g. 784 inputs all at -256, where the chip misfires and so does this).
    @inline(__always)
    public func fires(_ sum: Int32, lift: Int32) -> Bool {
        let voltage = (sum &+ lift &+ bias) &<< 6
        let wrapped = (voltage &<< 8) &>> 8
        return wrapped > threshold &<< 6
    }
}
