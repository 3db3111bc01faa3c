import Testing

@testable import STESNN
