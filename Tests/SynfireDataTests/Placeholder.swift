import Testing

@testable import SynfireData
