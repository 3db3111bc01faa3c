import Testing

@testable import NeuroChip

@Test(arguments: [
    ("dw = 4*x0*y0*r1 - 2*x0*y0", "dw = 4*x0*y0*r1 - 2*x0*y0"),
    ("dw = y0*x0*r1*4 - y0*x0*2", "dw = 4*x0*y0*r1 - 2*x0*y0"),
    ("dw = 2^-2*x1*y0 - 2^-2*y1*x0", "dw = 2^-2*x1*y0 - 2^-2*x0*y1"),
    ("dt = x0*(y1 - 8)", "dt = x0*(y1 - 8)"),
    ("dw=-3*2^-3*x0*(w+12)", "dw = -3*2^-3*x0*(w + 12)"),
    ("dw = 2^3*x0", "dw = 8*x0"),
    ("dw = 6*2^-2*y0", "dw = 3*2^-1*y0"),
    ("dw = 0*x0 + 1", "dw = 0*x0 + 1"),
    ("dw = -x0 + y3*r0*t*x2", "dw = -x0 + x2*y3*r0*t"),
])
func normalizationAndRoundTrip(text: String, normalized: String) throws {
    let rule = try LearningRuleParser.parse(text)
    #expect(rule.normalized == normalized)
    let again = try LearningRuleParser.parse(rule.normalized)
    #expect(again == rule, "rule -> text -> rule")
    #expect(again.normalized == normalized, "normalization is idempotent")
}

@Test func ruleSetWithTwoTargets() throws {
    let set = try LearningRuleParser.parseSet("dw = 2*x0*y0; dt = x0*(y1 - 8)")
    #expect(set.dw?.products.count == 1)
    #expect(set.dt?.products.first?.factors == [RuleFactor(.x0), RuleFactor(.y1, offset: -8)])
    #expect(set.normalized == "dw = 2*x0*y0; dt = x0*(y1 - 8)")
    #expect(try LearningRuleParser.parseSet(set.normalized) == set)
}

@Test func eventDrivenClassification() throws {
    #expect(try LearningRuleParser.parse("dw = 4*x0*y0*r1 - 2*x0*y0").everyProductContains(.x0))
    #expect(try LearningRuleParser.parse("dw = 4*x0*y0*r1 - 2*x0*y0").everyProductContains(.y0))
    #expect(try !LearningRuleParser.parse("dw = 2^-2*x1*y0 - 2^-2*y1*x0").everyProductContains(.x0))
    #expect(
        try !LearningRuleParser.parse("dw = (x0 - 1)*y0").everyProductContains(.x0),
        "an offset factor does not vanish when x0 is 0")
}

/// (rule, 1-based column, token) of the first problem.
@Test(arguments: [
    ("", 1, "end of rule"),
    ("dw", 3, "end of rule"),
    ("dx = x0", 1, "dx"),
    ("dw x0", 4, "x0"),
    ("dw = ", 6, "end of rule"),
    ("dw = x0 +", 10, "end of rule"),
    ("dw = x0 * * y0", 11, "*"),
    ("dw = z9*x0", 6, "z9"),
    ("dw = x0*y0*r1*w*t", 17, "t"),
    ("dw = 3^2*x0", 6, "3"),
    ("dw = 2^*x0", 8, "*"),
    ("dw = 2^20*x0", 6, "2"),
    ("dw = 255*x0", 6, "255"),
    ("dw = (x0 * 2)", 10, "*"),
    ("dw = (x0 - 300)", 12, "300"),
    ("dw = (3 - x0)", 7, "3"),
    ("dw = (x0 - 2", 13, "end of rule"),
    ("dw = x0 / 2", 9, "/"),
    ("dw = x0 y0", 9, "y0"),
    ("dw = x0; dw = y0", 9, "dw"),
    ("; dw = x0", 1, ";"),
    ("dw = (q1 + 1)", 7, "q1"),
    ("dw = x0 = y0", 9, "="),
    ("dw = 9999999999*x0", 6, "9999999999"),
    // Found by the rule fuzzer: the third constant overflowed Int before the size check.
    ("dw =0-4555*6054555*605554555*4", 20, "605554555"),
    ("dw = 2^999999999*2^999999999*x0", 6, "2"),
])
func malformedRulesNameColumnAndToken(rule: String, column: Int, token: String) {
    do {
        let set = try LearningRuleParser.parseSet(rule)
        Issue.record("'\(rule)' parsed as \(set.normalized)")
    } catch {
        #expect(error.column == column, "\(error)")
        #expect(error.token == token, "\(error)")
        #expect(error.description.contains("column \(column)"))
        #expect(error.description.contains("'\(token)'"))
    }
}

@Test func tooManyProducts() {
    let rule = "dw = " + Array(repeating: "x0", count: 9).joined(separator: " + ")
    #expect(throws: RuleParseError.self) { try LearningRuleParser.parse(rule) }
}
