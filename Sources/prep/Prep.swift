import ArgumentParser

/// The `prep` command: raw corpora in, training-ready Qwen token shards out.
@main
struct Prep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prep",
    abstract: "Turn raw corpora into training-ready token shards for Qwen-family models.",
    discussion: """
      Typical use:
        prep run pipelines/fudan.pipeline   input -> tokens -> shards
        prep stats out/fudan                what is in the shards
        prep verify out/fudan               checksums, counts, ids; exit 1 on a fault
        prep inspect out/fudan --sample 3   samples decoded, trained spans marked
        prep export out/fudan               one JSON object per sample
        prep tokenize "你好, world"         ids and pieces
        prep train out/fudan                a toy Qwen2-shaped model on the shards
      """,
    version: prepVersion,
    subcommands: [Run.self, Tokenize.self, Export.self, Stats.self, Verify.self, Inspect.self, Train.self]
  )
}

/// prep's version, recorded in every index.json.
let prepVersion = "0.1.0"
