; Pharos import query for Lua: require("a.b"). Capture names: imports/python.scm.

(function_call
  name: (identifier) @_f (#eq? @_f "require")
  arguments: (arguments . (string content: (string_content) @import.module)))
