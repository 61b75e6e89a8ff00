; Pharos tag query for C (cpp.scm inherits it). Capture names are documented in python.scm.
; The @name of a function is its whole declarator; the code follows the declarator chain
; (pointer_declarator > function_declarator > identifier), so "char *f(void)" is found as f.

(function_definition declarator: (_) @name) @definition.function
(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(type_definition type: (struct_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.struct
(type_definition type: (union_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.struct
(type_definition type: (enum_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.enum

(preproc_include) @import

(call_expression function: [(identifier) @call (field_expression field: (field_identifier) @call)])
(identifier) @reference
(type_identifier) @reference
