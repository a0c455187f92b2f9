// PrepPack: placeholder until the module lands.
enum _PrepPackPlaceholder {}
