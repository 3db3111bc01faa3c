import Testing

@testable import EnergyModel
