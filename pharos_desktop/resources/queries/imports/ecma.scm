; Pharos import query shared by JavaScript, JSX, TypeScript and TSX. Capture names: imports/python.scm.

(import_statement source: (string (string_fragment) @import.module))
(export_statement source: (string (string_fragment) @import.module))
(call_expression
  function: (identifier) @_require (#eq? @_require "require")
  arguments: (arguments . (string (string_fragment) @import.module)))
(call_expression function: (import) arguments: (arguments . (string (string_fragment) @import.module)))
