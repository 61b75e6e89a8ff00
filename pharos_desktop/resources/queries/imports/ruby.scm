; Pharos import query for Ruby. Capture names: imports/python.scm.

(call
  method: (identifier) @_m (#eq? @_m "require_relative")
  arguments: (argument_list . (string (string_content) @import.relative)))
(call
  method: (identifier) @_m (#any-of? @_m "require" "load")
  arguments: (argument_list . (string (string_content) @import.module)))
