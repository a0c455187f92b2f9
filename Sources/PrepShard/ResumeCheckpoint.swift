import PrepCore

/// The checkpoint file of a run in progress: `OUTPUT/.prep-resume`, written atomically (temporary name, fsync,
/// rename) each time the run reaches a resumable point, and removed once index.json is written.
///
/// The file is `PREPCKPT`, a format version, the caller's payload and the SHA-256 of everything before it: a
/// torn or damaged checkpoint is refused, never half-used.
public enum ResumeCheckpoint {
  /// The file name inside the output directory.
  public static let fileName = ".prep-resume"
  /// The version of the payload layout; a checkpoint of another version is refused.
  public static let version = 1
  static let magic = Array("PREPCKPT".utf8)

  /// Writes `payload` as the directory's checkpoint, replacing the previous one atomically.
  public static func write(_ payload: [UInt8], directory: String) throws(ShardError) {
    var bytes = magic
    FramePayload.appendU32(UInt32(version), to: &bytes)
    bytes += payload
    bytes += SHA256.hash(bytes).bytes
    try Platform.writeFileAtomically(bytes, directory: directory, name: fileName)
  }

  /// The payload of the directory's checkpoint, or nil when there is none. Throws `cannotResume` for a
  /// checkpoint that is damaged or of another version.
  public static func read(directory: String) throws(ShardError) -> [UInt8]? {
    let path = directory + "/" + fileName
    guard Platform.exists(path) else { return nil }
    let bytes = try Platform.readFile(path)
    let header = magic.count + 4
    guard bytes.count >= header + 32, Array(bytes[0..<magic.count]) == magic else {
      throw .cannotResume(directory: directory, reason: "\(fileName) is not a prep checkpoint")
    }
    let body = Array(bytes[0..<(bytes.count - 32)])
    guard SHA256.hash(body).bytes == Array(bytes[(bytes.count - 32)...]) else {
      throw .cannotResume(directory: directory, reason: "\(fileName) is damaged (checksum mismatch)")
    }
    let v = UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24
    guard v == version else {
      throw .cannotResume(
        directory: directory, reason: "\(fileName) has version \(v); this prep writes version \(version)")
    }
    return Array(body[header...])
  }

  /// Removes the directory's checkpoint (a missing one is fine).
  public static func remove(directory: String) throws(ShardError) {
    try Platform.remove(directory + "/" + fileName)
    try Platform.remove(directory + "/." + fileName + ".tmp")
  }

  /// Whether the directory has a checkpoint.
  public static func exists(directory: String) -> Bool { Platform.exists(directory + "/" + fileName) }
}
