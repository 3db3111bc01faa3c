import Testing

@testable import ErrorPropSNN
