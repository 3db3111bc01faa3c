// Learning rules as text in the chip's sum-of-products form (docs/neurochip.md "Learning engine and rule grammar"):
//   rule    := target '=' sum          target := dw | dt
//   sum     := ['-'] product (('+'|'-') product)*
//   product := factor ('*' factor)*    (at most 4 variable factors)
//   factor  := INT | '2^' ['-'] INT | var | '(' var ('+'|'-') INT ')'
// Several rules (one `dw`, one `dt`) may be joined with ';'.
//
// Representable constants (project choice, documented in README): the integer and
// power-of-two factors of a product combine into m * 2^e with m odd (or 0), |m| <= 127
// and e in [-8, 8]; offsets INT in (var ± INT) are in [0, 127]; at most 8 products per
// rule. Those bounds keep every evaluation exact in Int64.

/// A trace or state variable a rule may read.
public enum RuleVariable: Int, CaseIterable, Sendable, Comparable, Codable {
    case x0, x1, x2, y0, y1, y2, y3, r0, r1, w, t

    public var name: String { String(describing: self) }

    public static func < (a: RuleVariable, b: RuleVariable) -> Bool { a.rawValue < b.rawValue }

    /// Which side of the synapse the value comes from.
    enum Side { case pre, post, global, synapse }
    var side: Side {
        switch self {
        case .x0, .x1, .x2: return .pre
        case .y0, .y1, .y2, .y3: return .post
        case .r0, .r1: return .global
        case .w, .t: return .synapse
        }
    }

    static func named(_ text: String) -> RuleVariable? {
        allCases.first { $0.name == text }
    }
}

/// `var` or `(var + offset)` inside a product.
public struct RuleFactor: Sendable, Equatable, Hashable, Comparable, Codable {
    public var variable: RuleVariable
    public var offset: Int

    public init(_ variable: RuleVariable, offset: Int = 0) {
        self.variable = variable
        self.offset = offset
    }

    public static func < (a: RuleFactor, b: RuleFactor) -> Bool {
        (a.variable, a.offset) < (b.variable, b.offset)
    }

    var text: String {
        if offset == 0 { return variable.name }
        return offset > 0 ? "(\(variable.name) + \(offset))" : "(\(variable.name) - \(-offset))"
    }
}

/// One product: mantissa * 2^exponent * factors (factors sorted in variable order).
public struct RuleProduct: Sendable, Equatable, Codable {
    public var mantissa: Int
    public var exponent: Int
    public var factors: [RuleFactor]

    public init(mantissa: Int, exponent: Int, factors: [RuleFactor]) {
        self.mantissa = mantissa
        self.exponent = exponent
        self.factors = factors
    }

    /// True when a plain (offset-free) factor of `variable` appears, so the product is 0
    /// whenever that variable is 0.
    public func contains(_ variable: RuleVariable) -> Bool {
        factors.contains { $0.variable == variable && $0.offset == 0 }
    }
}

public enum RuleTarget: String, Sendable, Codable {
    case dw, dt
}

/// One parsed rule `dw = ...` or `dt = ...`.
public struct LearningRule: Sendable, Equatable, Codable {
    public var target: RuleTarget
    public var products: [RuleProduct]

    public init(target: RuleTarget, products: [RuleProduct]) {
        self.target = target
        self.products = products
    }

    /// Canonical text: `parse(normalized)` gives back an equal rule.
    public var normalized: String {
        var text = "\(target.rawValue) ="
        if products.isEmpty { return text + " 0" }
        for (index, product) in products.enumerated() {
            let negative = product.mantissa < 0
            if index == 0 {
                text += negative ? " -" : " "
            } else {
                text += negative ? " - " : " + "
            }
            text += Self.productText(
                mantissa: abs(product.mantissa), exponent: product.exponent,
                factors: product.factors)
        }
        return text
    }

    private static func productText(mantissa: Int, exponent: Int, factors: [RuleFactor]) -> String {
        var parts: [String] = []
        if exponent >= 0 {
            let value = mantissa << exponent
            if value != 1 || factors.isEmpty { parts.append(String(value)) }
        } else {
            if mantissa != 1 { parts.append(String(mantissa)) }
            parts.append("2^\(exponent)")
        }
        parts += factors.map(\.text)
        return parts.joined(separator: "*")
    }

    /// Every product contains a plain `variable` factor (event-driven evaluation, docs/neurochip.md "Learning engine
    /// and rule grammar").
    public func everyProductContains(_ variable: RuleVariable) -> Bool {
        products.allSatisfy { $0.contains(variable) }
    }

    public var variables: Set<RuleVariable> {
        Set(products.flatMap { $0.factors.map(\.variable) })
    }
}

/// The rules attached to one connection (at most one `dw` and one `dt`).
public struct RuleSet: Sendable, Equatable {
    public var dw: LearningRule?
    public var dt: LearningRule?

    public var rules: [LearningRule] { [dw, dt].compactMap { $0 } }

    public var normalized: String { rules.map(\.normalized).joined(separator: "; ") }

    public var variables: Set<RuleVariable> {
        rules.reduce(into: Set()) { $0.formUnion($1.variables) }
    }
}

/// A rule text that does not parse or cannot be represented on the chip.
public struct RuleParseError: Error, CustomStringConvertible, Sendable, Equatable {
    public var rule: String
    /// 1-based column of the offending token.
    public var column: Int
    public var token: String
    public var message: String

    public var description: String {
        "learning rule '\(rule)': column \(column), token '\(token)': \(message)"
    }
}

/// Parser for the grammar at the top of this file.
public enum LearningRuleParser {
    public static let maxVariableFactors = 4
    public static let maxProducts = 8
    public static let exponentRange = -8...8
    public static let maxMantissa = 127
    public static let offsetRange = 0...127

    private static let variableList = "x0 x1 x2 y0 y1 y2 y3 r0 r1 w t"

    /// Parses one or more ';'-separated rules.
    public static func parseSet(_ text: String) throws(RuleParseError) -> RuleSet {
        var set = RuleSet()
        let chars = Array(text)
        var start = 0
        var sawRule = false
        while start <= chars.count {
            var end = start
            while end < chars.count && chars[end] != ";" { end += 1 }
            let piece = String(chars[start..<end])
            if piece.allSatisfy(\.isWhitespace) {
                if end < chars.count || !sawRule {
                    throw RuleParseError(
                        rule: text, column: start + 1, token: end < chars.count ? ";" : "end of rule",
                        message: "empty rule; write `dw = ...` or `dt = ...`")
                }
            } else {
                let rule = try parse(text, range: start..<end)
                sawRule = true
                switch rule.target {
                case .dw:
                    if set.dw != nil {
                        throw RuleParseError(
                            rule: text, column: start + 1, token: "dw",
                            message: "a second `dw` rule; give one rule per target")
                    }
                    set.dw = rule
                case .dt:
                    if set.dt != nil {
                        throw RuleParseError(
                            rule: text, column: start + 1, token: "dt",
                            message: "a second `dt` rule; give one rule per target")
                    }
                    set.dt = rule
                }
            }
            start = end + 1
        }
        return set
    }

    /// Parses exactly one rule.
    public static func parse(_ text: String) throws(RuleParseError) -> LearningRule {
        try parse(text, range: 0..<text.count)
    }

    // MARK: tokens

    private enum TokenKind: Equatable {
        case identifier(String), integer(Int), symbol(Character), end
    }

    private struct Token {
        var kind: TokenKind
        var column: Int
        var text: String
    }

    private static func tokenize(_ chars: [Character], _ range: Range<Int>, rule: String)
        throws(RuleParseError) -> [Token]
    {
        var tokens: [Token] = []
        var i = range.lowerBound
        while i < range.upperBound {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c.isLetter {
                var j = i
                while j < range.upperBound && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") {
                    j += 1
                }
                let word = String(chars[i..<j])
                tokens.append(Token(kind: .identifier(word), column: i + 1, text: word))
                i = j
            } else if c.isASCII && c.isNumber {
                var j = i
                while j < range.upperBound && chars[j].isASCII && chars[j].isNumber { j += 1 }
                let digits = String(chars[i..<j])
                guard digits.count <= 9, let value = Int(digits) else {
                    throw RuleParseError(
                        rule: rule, column: i + 1, token: digits,
                        message: "integer too large; constants must be small integers or 2^k")
                }
                tokens.append(Token(kind: .integer(value), column: i + 1, text: digits))
                i = j
            } else if "=+-*^()".contains(c) {
                tokens.append(Token(kind: .symbol(c), column: i + 1, text: String(c)))
                i += 1
            } else {
                throw RuleParseError(
                    rule: rule, column: i + 1, token: String(c),
                    message: "unsupported character; use only + - * 2^k ( ) = and the variables \(variableList)")
            }
        }
        tokens.append(Token(kind: .end, column: range.upperBound + 1, text: "end of rule"))
        return tokens
    }

    // MARK: grammar

    private static func parse(_ text: String, range: Range<Int>) throws(RuleParseError) -> LearningRule {
        let chars = Array(text)
        let tokens = try tokenize(chars, range, rule: text)
        var position = 0
        func fail(_ token: Token, _ message: String) -> RuleParseError {
            RuleParseError(rule: text, column: token.column, token: token.text, message: message)
        }

        let head = tokens[position]
        guard case .identifier(let targetName) = head.kind, let target = RuleTarget(rawValue: targetName)
        else {
            throw fail(head, "a rule starts with its target `dw` or `dt`")
        }
        position += 1
        guard tokens[position].kind == .symbol("=") else {
            throw fail(tokens[position], "expected '=' after `\(targetName)`")
        }
        position += 1

        var products: [RuleProduct] = []
        var negative = false
        if tokens[position].kind == .symbol("-") {
            negative = true
            position += 1
        }
        while true {
            let productStart = tokens[position]
            var mantissa = 1
            var exponent = 0
            var factors: [RuleFactor] = []
            while true {
                let token = tokens[position]
                switch token.kind {
                case .integer(let value):
                    position += 1
                    if tokens[position].kind == .symbol("^") {
                        guard value == 2 else {
                            throw fail(token, "only powers of two (2^k) are supported")
                        }
                        position += 1
                        var sign = 1
                        if tokens[position].kind == .symbol("-") {
                            sign = -1
                            position += 1
                        }
                        guard case .integer(let k) = tokens[position].kind else {
                            throw fail(tokens[position], "expected an integer exponent after '2^'")
                        }
                        exponent += sign * k
                        if abs(exponent) > 1 << 20 {
                            throw fail(token, "constant cannot be represented (power of two too large)")
                        }
                        position += 1
                    } else {
                        // Checked: a product of several 9-digit constants overflows Int.
                        let (product, overflow) = mantissa.multipliedReportingOverflow(by: value)
                        if overflow || abs(product) > 1 << 40 {
                            throw fail(token, "constant cannot be represented (product of constants too large)")
                        }
                        mantissa = product
                    }
                case .identifier(let name):
                    guard let variable = RuleVariable.named(name) else {
                        throw fail(token, "unknown variable; use one of \(variableList)")
                    }
                    factors.append(RuleFactor(variable))
                    if factors.count > maxVariableFactors {
                        throw fail(token, "more than \(maxVariableFactors) variable factors in one product")
                    }
                    position += 1
                case .symbol("("):
                    position += 1
                    let varToken = tokens[position]
                    guard case .identifier(let name) = varToken.kind else {
                        throw fail(varToken, "expected a variable after '(' as in (y1 - 8)")
                    }
                    guard let variable = RuleVariable.named(name) else {
                        throw fail(varToken, "unknown variable; use one of \(variableList)")
                    }
                    position += 1
                    let opToken = tokens[position]
                    let sign: Int
                    switch opToken.kind {
                    case .symbol("+"): sign = 1
                    case .symbol("-"): sign = -1
                    default: throw fail(opToken, "expected '+' or '-' after the variable, as in (y1 - 8)")
                    }
                    position += 1
                    let intToken = tokens[position]
                    guard case .integer(let offset) = intToken.kind else {
                        throw fail(intToken, "expected an integer offset, as in (y1 - 8)")
                    }
                    guard offsetRange.contains(offset) else {
                        throw fail(intToken, "offset out of range; use an integer in 0...127")
                    }
                    position += 1
                    guard tokens[position].kind == .symbol(")") else {
                        throw fail(tokens[position], "expected ')' to close (var ± INT)")
                    }
                    position += 1
                    factors.append(RuleFactor(variable, offset: sign * offset))
                    if factors.count > maxVariableFactors {
                        throw fail(varToken, "more than \(maxVariableFactors) variable factors in one product")
                    }
                default:
                    throw fail(token, "expected a factor: an integer, 2^k, a variable (\(variableList)) or (var ± INT)")
                }
                if tokens[position].kind == .symbol("*") {
                    position += 1
                    continue
                }
                break
            }
            // Normalise the constant to m * 2^e with m odd (or zero).
            if mantissa == 0 {
                exponent = 0
            } else {
                while mantissa % 2 == 0 {
                    mantissa /= 2
                    exponent += 1
                }
            }
            if abs(mantissa) > maxMantissa || !exponentRange.contains(exponent) {
                throw fail(
                    productStart,
                    "constant cannot be represented on the chip; keep it m*2^e with odd |m| <= \(maxMantissa) and e in \(exponentRange.lowerBound)...\(exponentRange.upperBound)"
                )
            }
            products.append(
                RuleProduct(
                    mantissa: negative ? -mantissa : mantissa, exponent: exponent,
                    factors: factors.sorted()))
            if products.count > maxProducts {
                throw fail(productStart, "more than \(maxProducts) products in one rule")
            }
            let next = tokens[position]
            switch next.kind {
            case .symbol("+"): negative = false
            case .symbol("-"): negative = true
            case .end: return LearningRule(target: target, products: products)
            default: throw fail(next, "expected '+', '-', '*' or the end of the rule")
            }
            position += 1
        }
    }
}
