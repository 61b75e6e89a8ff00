; inherits: ecma
; Pharos tag query for TypeScript and TSX, on top of ecma.scm.
; Capture names are documented in python.scm.

(abstract_class_declaration name: (_) @name) @definition.class
(interface_declaration name: (_) @name) @definition.interface
(enum_declaration name: (_) @name) @definition.enum
(public_field_definition
  name: (_) @name
  value: [(arrow_function) (function_expression)]) @definition.method

(import_alias) @import
(type_identifier) @reference
