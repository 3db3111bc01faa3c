import Testing

@testable import SynfireIO
