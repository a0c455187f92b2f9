import Foundation
import PrepCore
import PrepPipeline
import Testing

private let sample = """
  description: demo
  input:
    path: data/train.jsonl
  recipe:
    kind: fudan
    max_length: 384
    user: "文本:{text},类型选型:{category}"
  output:
    dir: out/demo
  """

@Test func parsedTreeKeepsLinesAndValues() throws {
  let tree = try ConfigValue.parse(yaml: sample, file: "demo.pipeline")
  #expect(tree.value(at: ["recipe", "max_length"]) == .scalar("384", quoted: false, line: 6))
  #expect(tree.value(at: ["recipe", "user"]) == .scalar("文本:{text},类型选型:{category}", quoted: true, line: 7))
  #expect(tree.value(at: ["input", "missing"]) == nil)
}

@Test func unknownKeyIsReportedWithLineAndSuggestion() throws {
  let tree = try ConfigValue.parse(
    yaml: sample.replacingOccurrences(of: "max_length", with: "max_lenght"),
    file: "demo.pipeline")
  var recipe = try ConfigReader(tree.value(at: ["recipe"]), file: "demo.pipeline", path: "recipe")
  _ = try recipe.string("kind")
  _ = try recipe.int("max_length")
  _ = try recipe.string("user")
  let error = #expect(throws: ConfigError.self) { try recipe.finish() }
  #expect(error?.line == 6)
  #expect(error?.key == "recipe.max_lenght")
  #expect(error?.description.contains("did you mean 'max_length'?") == true)
  #expect(error?.description.hasPrefix("demo.pipeline:6: recipe.max_lenght: unknown key") == true)
}

@Test func wrongTypeNamesKeyAndValue() throws {
  let tree = try ConfigValue.parse(yaml: "recipe:\n  max_length: lots\n", file: "x.pipeline")
  var recipe = try ConfigReader(tree.value(at: ["recipe"]), file: "x.pipeline", path: "recipe")
  let error = #expect(throws: ConfigError.self) { _ = try recipe.int("max_length") }
  #expect(error?.description == "x.pipeline:2: recipe.max_length: expected a whole number, found 'lots'")
}

@Test func choiceSuggestsNearestValue() throws {
  let tree = try ConfigValue.parse(yaml: "packing:\n  mode: best-fti\n", file: "x.pipeline")
  var packing = try ConfigReader(tree.value(at: ["packing"]), file: "x.pipeline", path: "packing")
  let error = #expect(throws: ConfigError.self) {
    _ = try packing.choice("mode", ["none", "blocks", "best_fit"], default: "none")
  }
  #expect(error?.description.contains("did you mean 'best_fit'?") == true)
}

/// A key written twice in one mapping is named, with the line where the mapping starts.
@Test func aDuplicatedKeyIsNamedWithItsMapping() {
  let error = #expect(throws: ConfigError.self) {
    _ = try ConfigValue.parse(yaml: "input:\n  path: a.jsonl\n  path: b.jsonl\n", file: "dup.pipeline")
  }
  #expect(error?.line == 2)
  #expect(error?.description.contains("'path' appears more than once") == true, "\(String(describing: error))")
}

@Test func invalidYAMLNamesTheLine() {
  let error = #expect(throws: ConfigError.self) {
    _ = try ConfigValue.parse(yaml: "input:\n  path: [a, b\nrecipe: x\n", file: "bad.pipeline")
  }
  #expect(error?.file == "bad.pipeline")
  #expect((error?.line ?? 0) > 0)
}

@Test func overridesUseAliasesSectionsAndVariables() throws {
  var file = PipelineFile(path: "demo.pipeline", tree: try ConfigValue.parse(yaml: sample, file: "demo.pipeline"))
  try file.apply("input=/data/big.jsonl")
  try file.apply("output=/tmp/o")
  try file.apply("recipe.max_length=512")
  try file.apply("name=PrepBot")
  try file.apply("author=the prep team")
  try file.apply("input.path=[a.jsonl, b.jsonl]")
  #expect(file.tree.value(at: ["output", "dir"]) == .scalar("/tmp/o", quoted: false, line: 0))
  #expect(file.tree.value(at: ["recipe", "max_length"]) == .scalar("512", quoted: false, line: 0))
  #expect(file.tree.value(at: ["variables", "author"]) == .scalar("the prep team", quoted: false, line: 0))
  #expect(file.tree.value(at: ["description"]) == .scalar("demo", quoted: false, line: 1))
  #expect(file.tree.value(at: ["variables", "name"]) == .scalar("PrepBot", quoted: false, line: 0))
  guard case .sequence(let items, _)? = file.tree.value(at: ["input", "path"]) else {
    Issue.record("input.path should be a list")
    return
  }
  #expect(items.count == 2)
  #expect(throws: ConfigError.self) { try file.apply("recpie.max_length=3") }
  #expect(throws: ConfigError.self) { try file.apply("novalue") }
}

/// A short key that is nearly a short name or a section is a typo, not a variable: taken as a variable it would
/// leave the value it meant to set unchanged without a word. A variable named like one goes through `variables.`.
@Test func nearMissesOfShortNamesAreTyposNotVariables() throws {
  var file = PipelineFile(path: "demo.pipeline", tree: try ConfigValue.parse(yaml: sample, file: "demo.pipeline"))
  for (typo, meant) in [("outptu", "output"), ("inptu", "input"), ("max_lenght", "max_length"), ("recpie", "recipe")] {
    let error = #expect(throws: ConfigError.self) { try file.apply("\(typo)=x") }
    #expect(error?.key == typo)
    #expect(error?.description.contains("did you mean '\(meant)'?") == true, "\(String(describing: error))")
  }
  try file.apply("variables.outptu=x")
  #expect(file.tree.value(at: ["variables", "outptu"]) == .scalar("x", quoted: false, line: 0))
  try file.apply("name=PrepBot")
  #expect(file.tree.value(at: ["variables", "name"]) == .scalar("PrepBot", quoted: false, line: 0))
}

/// Only the alpaca recipe fills placeholders: a variable given to another recipe is a key that would do
/// nothing, and a misspelt section is named as such (not reported as a recipe without a kind).
@Test func variablesOutsideAlpacaAndUnknownSectionsAreErrors() throws {
  func config(_ yaml: String, _ overrides: [String]) throws -> PipelineConfig {
    var file = PipelineFile(path: "demo.pipeline", tree: try ConfigValue.parse(yaml: yaml, file: "demo.pipeline"))
    for o in overrides { try file.apply(o) }
    return try PipelineConfig(file)
  }
  let pretrain = "input:\n  path: a.jsonl\nrecipe:\n  kind: pretrain\noutput:\n  dir: out/a\n"
  let error = #expect(throws: ConfigError.self) { try config(pretrain, ["maxlen=64"]) }
  #expect(error?.key == "variables.maxlen")
  #expect(error?.description.contains("only the alpaca recipe") == true)
  let alpaca = pretrain.replacingOccurrences(of: "kind: pretrain", with: "kind: alpaca")
  #expect(try config(alpaca, ["name=PrepBot"]).variables == ["name": "PrepBot"])
  let section = #expect(throws: ConfigError.self) {
    try config(pretrain.replacingOccurrences(of: "recipe:", with: "recipes:"), [])
  }
  #expect(section?.key == "recipes")
  #expect(section?.line == 3)
  #expect(section?.description.contains("did you mean 'recipe'?") == true)
  // Empty paths are missing paths, not files named "".
  #expect(throws: ConfigError.self) { try config(pretrain, ["input="]) }
  #expect(throws: ConfigError.self) { try config(pretrain, ["output="]) }
}

/// A variable is text as given, even when it looks like a YAML list or mapping (it fills `{{name}}` in the data).
@Test func variablesAreTakenAsWritten() throws {
  var file = PipelineFile(path: "demo.pipeline", tree: try ConfigValue.parse(yaml: sample, file: "demo.pipeline"))
  try file.apply("name=[AI] helper")
  try file.apply("author={{team}}")
  try file.apply("variables.team={x: 1}")
  #expect(file.tree.value(at: ["variables", "name"]) == .scalar("[AI] helper", quoted: false, line: 0))
  #expect(file.tree.value(at: ["variables", "author"]) == .scalar("{{team}}", quoted: false, line: 0))
  #expect(file.tree.value(at: ["variables", "team"]) == .scalar("{x: 1}", quoted: false, line: 0))
  // Section values still take flow syntax.
  try file.apply("input.path=[a.jsonl, b.jsonl]")
  guard case .sequence(let items, _)? = file.tree.value(at: ["input", "path"]) else {
    Issue.record("input.path should be a list")
    return
  }
  #expect(items.count == 2)
}

@Test func dryRunYAMLParsesBackToTheSameTree() throws {
  let tree = try ConfigValue.parse(yaml: sample + "\n  tags: [a, \"b: c\"]\n", file: "demo.pipeline")
  let again = try ConfigValue.parse(yaml: tree.yaml(), file: "again")
  #expect(again.value(at: ["recipe", "user"])?.scalarText == "文本:{text},类型选型:{category}")
  #expect(again.value(at: ["output", "tags", "1"])?.scalarText == "b: c")
  #expect(again.value(at: ["recipe", "max_length"])?.scalarText == "384")
}

@Test func nearestOnlySuggestsCloseWords() {
  #expect(nearest("max_lenght", in: ["max_length", "system"]) == "max_length")
  #expect(nearest("zzzzzz", in: ["max_length", "system"]) == nil)
}

extension ConfigValue {
  var scalarText: String? {
    if case .scalar(let s, _, _) = self { return s }
    return nil
  }
}

@Test func statsCountPaddingLengthsAndPercentiles() {
  var stats = DatasetStats()
  // Two samples: one padded with 3 untrained pad ids (pad id 9), one packed with two documents.
  stats.add(Sample(ids: [1, 2, 3, 9, 9, 9], trained: [0, 1, 1, 0, 0, 0]), padID: 9)
  stats.add(Sample(ids: [4, 5, 6, 7], trained: [1, 1, 1, 1], boundaries: [0, 2, 4]), padID: 9)
  #expect(stats.samples == 2)
  #expect(stats.tokens == 10)
  #expect(stats.trainedTokens == 6)
  #expect(stats.padTokens == 3)
  #expect(stats.documents == 3)
  #expect(stats.lengthCounts == [3: 1, 4: 1])
  #expect(stats.percentile(50) == 3)
  #expect(stats.percentile(100) == 4)
  #expect(abs(stats.packingEfficiency - 0.7) < 1e-12)
  let bins = stats.histogram(buckets: 4)
  #expect(bins.first?.low == 3)
  #expect(bins.map(\.count).reduce(0, +) == 2)
}

@Test func compressionDefaultsAndMinimumMatch() throws {
  func config(_ overrides: [String]) throws -> PipelineConfig {
    let yaml = """
      input:
        path: data/train.jsonl
      recipe:
        kind: pretrain
      output:
        dir: out/demo
      """
    var file = PipelineFile(path: "demo.pipeline", tree: try ConfigValue.parse(yaml: yaml, file: "demo.pipeline"))
    for o in overrides { try file.apply(o) }
    return try PipelineConfig(file)
  }
  let plain = try config([])
  #expect(plain.compressionLevel == 2)
  #expect(plain.compressionMinMatch == 4)
  // prep's minimum match applies to the fast levels only; above them zstd's own (0).
  let strong = try config(["output.level=9"])
  #expect(strong.compressionMinMatch == 0)
  let own = try config(["output.min_match=0"])
  #expect(own.compressionLevel == 2 && own.compressionMinMatch == 0)
  #expect(try config(["output.level=3", "output.min_match=6"]).compressionMinMatch == 6)
  let error = #expect(throws: ConfigError.self) { try config(["output.min_match=9"]) }
  #expect(error?.key == "output.min_match")
}
