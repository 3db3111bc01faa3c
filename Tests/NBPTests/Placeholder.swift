import Testing

@testable import NBP
