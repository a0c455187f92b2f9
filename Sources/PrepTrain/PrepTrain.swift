// PrepTrain: placeholder until the module lands.
enum _PrepTrainPlaceholder {}
