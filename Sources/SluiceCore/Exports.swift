// The JSON values stage configurations are made of (`JSONValue`, `JSONObject`, `JSONPointer`) and the
// parser behind pipeline files come from SluiceJSON, a leaf target with no Sluice concepts in it; a stage
// author imports SluiceCore alone and has them.
@_exported public import SluiceJSON
