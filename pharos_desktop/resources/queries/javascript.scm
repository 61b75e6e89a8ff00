; inherits: ecma
; Pharos tag query for JavaScript and JSX, on top of ecma.scm.
; Capture names are documented in python.scm.

; class fields holding functions: handle = (e) => {...}
(field_definition
  property: (_) @name
  value: [(arrow_function) (function_expression)]) @definition.method
