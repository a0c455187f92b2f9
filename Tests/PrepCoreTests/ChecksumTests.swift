import PrepCore
import Testing

/// Seeded bytes: the 64-bit LCG of python/tests/gen_sha256_vectors.py, top byte of each state.
private func lcgBytes(seed: UInt64, count: Int) -> [UInt8] {
  var state = seed
  var out = [UInt8]()
  out.reserveCapacity(count)
  for _ in 0..<count {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    out.append(UInt8(truncatingIfNeeded: state >> 56))
  }
  return out
}

/// (length, seed, hashlib.sha256 hex) printed by `python3 python/tests/gen_sha256_vectors.py`.
private let hashlibVectors: [(Int, UInt64, String)] = [
  (0, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
  (1, 2, "d1211001882d2ce16a8553e449b6c8b7f71e61836efc2e416143808f20e721e7"),
  (3, 3, "b10707192c9682771b90548d2da1c06286073c882c57406edccffa341a4090e0"),
  (55, 4, "056fd3ce8c6b377dc2d35b5b5d32f7b8054c3af7ecf0f8236d2c9ac4eba6443f"),
  (56, 5, "f25301541a82ad97f16807f3a9265196149ff0d5e15c96a6b7123181a21e7559"),
  (57, 6, "8d4e516fac130f6feb8b9c1934474f1bbabac5060e06bd683db0b94462a43a5b"),
  (63, 7, "5a10d604f0114af37e0a7dbdd174798d391c3ead6ff5a87cdc36c66d673d54d7"),
  (64, 8, "c72266b29b61f02ce8ae06c075e9b5378f9624d74bbf85809aa70e262a890386"),
  (65, 9, "4690ae01583310a0000e6d1a56b67a982ffb083441bde61ab3cfaba3bc655054"),
  (119, 10, "71da04070c95ffaf04602bf6836dae5e9272df43acc39554c80da6aa5cb32172"),
  (120, 11, "6542ed65a786bc39e6dba47d3067beaf017c6ca533cf4bef9857e86d62ae858d"),
  (127, 12, "d9250c59530e7c255c5655a651525a8ef1f0e2412ea482728bc31fd984a0c106"),
  (128, 13, "b85685a450aed73a72cb99e8dc0778f477ce121c87cb835a531e5d41e5f89c29"),
  (129, 14, "30bcf5b306ff219cc8e4aad8abff380518bb4a92d12e6b33700dbcd898ca7313"),
  (1000, 15, "cdbd73787d67e8e0899f72bcbd21b8bc0adc9868448b0a9098852ecd303c2d11"),
  (4095, 16, "45b6a50f8d97cf6f6c1aec7505115749c52541f3ae4f7747b8c8d51b7cf26046"),
  (65537, 17, "0bfad09f41864fb3b851fea89909fe29db6467a2c92edb91433f66c8cb40d7e7"),
  (1000003, 18, "5c42bcd157bdeb55803852a30fec8546601791a31e09ad57066c5cff671cf44c"),
]

@Test func sha256MatchesFIPSVectors() {
  #expect(SHA256.hash("").hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  #expect(SHA256.hash("abc").hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  #expect(
    SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hexString
      == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  #expect(
    SHA256.hash(
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
    ).hexString == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
  var million = SHA256()
  let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
  for _ in 0..<1000 { million.update(chunk) }
  #expect(million.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test(arguments: hashlibVectors.indices)
func sha256MatchesHashlibOnSeededData(_ i: Int) {
  let (length, seed, hex) = hashlibVectors[i]
  let data = lcgBytes(seed: seed, count: length)
  #expect(SHA256.hash(data).hexString == hex)
}

@Test func sha256GivesTheSameDigestForAnySplitOfTheInput() {
  let data = lcgBytes(seed: 15, count: 1000)
  let expected = "cdbd73787d67e8e0899f72bcbd21b8bc0adc9868448b0a9098852ecd303c2d11"
  for step in [1, 7, 63, 64, 65, 200, 999] {
    var h = SHA256()
    var start = 0
    while start < data.count {
      let end = min(start + step, data.count)
      h.update(data[start..<end])
      start = end
    }
    #expect(h.finalize().hexString == expected, "pieces of \(step) bytes")
  }
}

/// Both paths, the CPU's SHA instructions (when this machine has them) and portable Swift, match hashlib's vectors
/// and each other on every length around block boundaries.
@Test func sha256AcceleratedAndPortablePathsAgree() {
  for (length, seed, hex) in hashlibVectors {
    let data = lcgBytes(seed: seed, count: length)
    var portable = SHA256(accelerated: false)
    portable.update(data)
    #expect(portable.finalize().hexString == hex, "portable, \(length) bytes")
    var fast = SHA256(accelerated: true)
    fast.update(data)
    #expect(fast.finalize().hexString == hex, "accelerated, \(length) bytes")
  }
  let data = lcgBytes(seed: 99, count: 3 * 64 + 17)
  for length in 0...data.count {
    var a = SHA256(accelerated: false)
    a.update(data[0..<length])
    var b = SHA256(accelerated: true)
    b.update(data[0..<length])
    #expect(a.finalize() == b.finalize(), "\(length) bytes")
  }
  // Which path ran is visible, so a machine with SHA instructions really tested them.
  print("SHA-256: CPU SHA instructions \(SHA256.hasAcceleration ? "present and tested" : "absent: portable only")")
}
