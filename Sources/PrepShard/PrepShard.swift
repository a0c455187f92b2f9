// PrepShard: placeholder until the module lands.
enum _PrepShardPlaceholder {}
