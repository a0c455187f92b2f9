// PrepZstd: placeholder until the module lands.
enum _PrepZstdPlaceholder {}
