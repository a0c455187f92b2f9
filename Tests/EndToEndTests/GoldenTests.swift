import Foundation
import PrepTestSupport
import Testing

/// Each shipped pipeline, run by the binary on its fixture and exported, equals the oracle's output byte for byte
/// (the goldens come from ../shared/oracle/seed_recipes.py, LLaMA-Factory's multi-turn from a script built on it:
/// fixtures/GOLDEN.md has the commands).
struct GoldenCase: CustomTestStringConvertible, Sendable {
  var pipeline: String
  var overrides: [String]
  var golden: String
  var testDescription: String { "\(pipeline) \(overrides.joined(separator: " ")) = \(golden)" }
}

let goldenCases: [GoldenCase] = [
  GoldenCase(pipeline: "fudan", overrides: [], golden: "fudan/golden.jsonl"),
  GoldenCase(pipeline: "belle", overrides: [], golden: "belle/golden.jsonl"),
  GoldenCase(pipeline: "belle", overrides: ["recipe.user_role=user"], golden: "belle/golden_user.jsonl"),
  GoldenCase(pipeline: "monkey", overrides: [], golden: "monkey/golden.jsonl"),
  GoldenCase(pipeline: "monkey", overrides: ["input=fixtures/monkey/train.jsonl.zst"], golden: "monkey/golden.jsonl"),
  GoldenCase(pipeline: "monkey", overrides: ["input=fixtures/monkey/train.jsonl.gz"], golden: "monkey/golden.jsonl"),
  GoldenCase(pipeline: "monkey", overrides: ["input=fixtures/monkey/train.jsonl.bz2"], golden: "monkey/golden.jsonl"),
  GoldenCase(pipeline: "monkey", overrides: ["input=fixtures/monkey/train.jsonl.xz"], golden: "monkey/golden.jsonl"),
  GoldenCase(
    pipeline: "monkey", overrides: ["input=fixtures/monkey/train-multistream.jsonl.bz2"], golden: "monkey/golden.jsonl"),
  GoldenCase(pipeline: "monkey", overrides: ["recipe.seed_compat=true"], golden: "monkey/golden_seed_compat.jsonl"),
  GoldenCase(
    pipeline: "monkey-xml", overrides: ["block_size=128", "recipe.empty_text=keep"], golden: "monkey/golden_xml.jsonl"),
  GoldenCase(
    pipeline: "monkey-xml",
    overrides: ["input=fixtures/monkey/wiki.xml.bz2", "block_size=128", "recipe.empty_text=keep"],
    golden: "monkey/golden_xml.jsonl"),
  GoldenCase(pipeline: "alpaca", overrides: ["val_size=0"], golden: "alpaca/golden.jsonl"),
  GoldenCase(
    pipeline: "alpaca",
    overrides: ["val_size=0", "input=fixtures/alpaca/history.jsonl", "recipe.history_field=history"],
    golden: "alpaca/golden_history.jsonl"),
  // LLaMA-Factory multi-turn (scripts/golden/llamafactory_multiturn.py): unpacked, cutoff 2048 and 256.
  GoldenCase(pipeline: "belle-assistant", overrides: ["packing.mode=none"], golden: "belle/golden_lf.jsonl"),
  GoldenCase(
    pipeline: "belle-assistant", overrides: ["packing.mode=none", "max_length=256"],
    golden: "belle/golden_lf_256.jsonl"),
  GoldenCase(
    pipeline: "belle-assistant", overrides: ["packing.mode=none", "max_length=256", "recipe.last_turn_only=true"],
    golden: "belle/golden_lf_256_mask_history.jsonl"),
  GoldenCase(
    pipeline: "belle-assistant", overrides: ["packing.mode=none", "max_length=256", "recipe.train_on_prompt=true"],
    golden: "belle/golden_lf_256_train_on_prompt.jsonl"),
  GoldenCase(
    pipeline: "identity", overrides: ["name=PrepBot", "author=the prep team"], golden: "identity/golden.jsonl"),
]

@Test(arguments: goldenCases)
func exportEqualsTheOracle(_ c: GoldenCase) throws {
  let out = TestPaths.temporaryDirectory("golden")
  var args = ["run", c.pipeline, "--set", "output=\(out)", "--quiet"]
  for o in c.overrides { args += ["--set", o] }
  let run = try prep(args)
  #expect(run.status == 0, "\(run.stderr)")
  let export = try prep(["export", out])
  #expect(export.status == 0)
  let golden = contents(TestPaths.fixture(c.golden))
  #expect(!golden.isEmpty)
  #expect(export.stdout == golden, "prep export \(c.pipeline) differs from \(c.golden)")
}

@Test func chatInputIDsEqualTheTokenizersChatTemplate() throws {
  let out = TestPaths.temporaryDirectory("chat")
  #expect(try prep(["run", "chat", "--set", "output=\(out)", "--quiet"]).status == 0)
  let ours = try prep(["export", out]).text.split(separator: "\n")
  let golden = String(decoding: contents(TestPaths.fixture("chat/golden.jsonl")), as: UTF8.self).split(separator: "\n")
  #expect(ours.count == golden.count)
  for (a, b) in zip(ours, golden) {
    let x = try JSONSerialization.jsonObject(with: Data(a.utf8)) as? [String: Any]
    let y = try JSONSerialization.jsonObject(with: Data(b.utf8)) as? [String: Any]
    #expect((x?["input_ids"] as? [Int]) == (y?["input_ids"] as? [Int]))
  }
}

/// `--jsonl -` reads standard input (a pipe here), in the same order and with the same ids as the file.
@Test func tokenizeJSONLReadsStandardInput() throws {
  let fromFile = try prep(["tokenize", "--jsonl", "fixtures/monkey/train.jsonl", "--workers", "2"])
  let fromStdin = try prep(
    ["tokenize", "--jsonl", "-", "--workers", "2"], input: TestPaths.fixture("monkey/train.jsonl"))
  #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
  #expect(fromFile.status == 0)
  #expect(!fromStdin.stdout.isEmpty)
  #expect(fromStdin.stdout == fromFile.stdout)
  let counted = try prep(["tokenize", "--jsonl", "-", "--count"], input: TestPaths.fixture("monkey/train.jsonl"))
  #expect(counted.text.contains("\"documents\":200"))
}

/// A field path with an empty part is refused, not read as the path without it.
@Test func tokenizeRefusesAFieldPathWithAnEmptyPart() throws {
  for field in ["a..b", ".text", "text."] {
    let run = try prep(["tokenize", "--jsonl", "fixtures/monkey/train.jsonl", "--field", field])
    #expect(run.status == 64, "\(field)")
    #expect(run.stderr.contains("dotted path"), "\(run.stderr)")
  }
}

/// Text from standard input loses one final line break, \n or \r\n alike (what echo adds), and nothing else.
@Test func tokenizeStandardInputDropsOneFinalLineBreak() throws {
  let dir = TestPaths.temporaryDirectory("tokenize-stdin")
  for (text, ids) in [("x\n", "[87]"), ("x\r\n", "[87]"), ("x\n\n", "[87, 198]"), ("x", "[87]")] {
    try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/in.txt"))
    let run = try prep(["tokenize"], input: dir + "/in.txt")
    #expect(run.status == 0)
    #expect(run.text.split(separator: "\n").first.map(String.init) == ids, "\(text.debugDescription)")
  }
}

@Test func tokenizeJSONLEqualsHFIdsLineByLine() throws {
  let run = try prep(["tokenize", "--jsonl", "fixtures/monkey/train.jsonl", "--workers", "2"])
  #expect(run.status == 0)
  let ours = run.text.split(separator: "\n")
  let golden = String(decoding: contents(TestPaths.fixture("monkey/golden_ids.jsonl")), as: UTF8.self)
    .split(separator: "\n")
  #expect(ours.count == golden.count)
  for (a, b) in zip(ours, golden) {
    let y = try JSONSerialization.jsonObject(with: Data(b.utf8)) as? [String: Any]
    let x = try JSONSerialization.jsonObject(with: Data(a.utf8)) as? [Int]
    #expect(x == (y?["input_ids"] as? [Int]))
  }
}
