; Pharos tag query for Bash. Capture names are documented in python.scm.

(function_definition name: (word) @name) @definition.function

(command
  name: (command_name (word) @_cmd)
  (#any-of? @_cmd "source" ".")) @import

(command name: (command_name (word) @call))
