; Pharos tag query for Lua. "function M.add" and "function M:send" are named M.add and M.send.
; Capture names are documented in python.scm.

(function_declaration name: (_) @name) @definition.function
(assignment_statement
  (variable_list name: (_) @name)
  (expression_list value: (function_definition))) @definition.function

(variable_declaration
  (assignment_statement
    (expression_list value: (function_call name: (identifier) @_req (#eq? @_req "require"))))) @import

(function_call name: [(identifier) @call
                      (dot_index_expression field: (identifier) @call)
                      (method_index_expression method: (identifier) @call)])
(identifier) @reference
