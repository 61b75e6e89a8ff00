; Pharos import query for shell scripts: "source x" and ". x". Capture names: imports/python.scm.

(command
  name: (command_name (word) @_cmd (#any-of? @_cmd "source" "."))
  argument: (_) @import.relative)
