import PrepCore
import PrepJSON
import PrepTemplate
import Testing

@Suite struct FieldTemplateTests {
  let record = object([
    ("text", .string("你好")),
    ("category", .array([.string("Children's Books"), .string("Art")])),
    ("n", .number("3")),
    ("flag", .bool(true)),
    ("none", .null),
    ("meta", .object(object([("source", .string("wiki")), ("0", .string("zero"))]))),
    ("items", .array([.string("a"), .string("b")])),
  ])

  @Test func parsesLiteralsFieldsAndEscapedBraces() throws {
    let t = try FieldTemplate("{{x}} {text}-{meta.source}}}")
    #expect(t.fields == ["text", "meta.source"])
    #expect(try t.render(record) == "{x} 你好-wiki}")
  }

  @Test func rendersValuesLikeAPythonFString() throws {
    let t = try FieldTemplate("文本:{text},类型选型:{category}|{n}|{flag}|{none}|{items}")
    #expect(try t.render(record) == "文本:你好,类型选型:[\"Children's Books\", 'Art']|3|True|None|['a', 'b']")
  }

  @Test func indexesListsAndUsesNumericKeysOnObjects() throws {
    #expect(try FieldTemplate("{items.1}{meta.0}").render(record) == "bzero")
  }

  @Test func missingFieldNamesThePath() throws {
    #expect(throws: RecordFailure(.missingField, "missing field 'meta.author'")) {
      try FieldTemplate("{meta.author}").render(record)
    }
    #expect(throws: RecordFailure(.missingField, "missing field 'items.5' (list has 2 items)")) {
      try FieldTemplate("{items.5}").render(record)
    }
  }

  @Test func descendingIntoAScalarIsAWrongType() throws {
    let failure = #expect(throws: RecordFailure.self) { try FieldTemplate("{text.x}").render(record) }
    #expect(failure?.reason == .wrongFieldType)
    let index = #expect(throws: RecordFailure.self) { try FieldTemplate("{items.x}").render(record) }
    #expect(index?.reason == .wrongFieldType)
  }

  @Test func badTemplatesAreRefusedNamingThePlaceholder() {
    #expect(throws: TemplateError.unclosedPlaceholder(template: "a {text", offset: 2)) { try FieldTemplate("a {text") }
    #expect(throws: TemplateError.strayClosingBrace(template: "a } b", offset: 2)) { try FieldTemplate("a } b") }
    #expect(throws: TemplateError.invalidPlaceholder(template: "{}", placeholder: "")) { try FieldTemplate("{}") }
    #expect(throws: TemplateError.invalidPlaceholder(template: "{x:>3}", placeholder: "x:>3")) {
      try FieldTemplate("{x:>3}")
    }
    #expect(throws: TemplateError.invalidPlaceholder(template: "{a..b}", placeholder: "a..b")) {
      try FieldTemplate("{a..b}")
    }
    #expect(TemplateError.invalidPlaceholder(template: "{}", placeholder: "").description.contains("'{}'"))
  }
}
