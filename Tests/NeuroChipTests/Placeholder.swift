import Testing

@testable import NeuroChip
